"""Run callbacks as plain functions inside a request made by a given user (or nobody)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask_login import login_user


@pytest.fixture()
def as_user(app):
    @contextmanager
    def _as(email: str | None):
        from data.users import get_by_email
        from server.auth import LoginUser
        from server.database import db_session

        with app.test_request_context("/_dash-update-component", method="POST"):
            if email:
                login_user(LoginUser(get_by_email(db_session(), email=email)))
            yield
    return _as
