"""Every refusal — a page, a Dash page layout, an export, a callback, /admin for a member — is in the audit
with who, what and from where; repeated refusals of one target by one user (a refused callback polled every
few seconds) are recorded once per window, not on every request."""
from __future__ import annotations

import uuid
from contextvars import copy_context

import dash
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate
from sqlalchemy import delete, select

from data.audit import REFUSAL_WINDOW
from data.db import make_session_factory, session_scope
from data.models import AuditEvent, User
from data.users import create_user
from tests.conftest import Auth

PASSWORD = "refus-audit-" + "x" * 12
ADDRESS = "192.0.2.44"  # TEST-NET: only a label for the audit row, no traffic


@pytest.fixture()
def member(engine, demo_counts):
    """A fresh member of « Usagers » (biology, feeds: none), so no earlier test's refusal is in the window."""
    email = f"refus-{uuid.uuid4().hex[:8]}@test.e-meuse-sante.fr"
    with session_scope(make_session_factory(engine)) as s:
        create_user(s, email=email, full_name="Refus", password=PASSWORD, role="member", college="usagers")
    yield email
    with session_scope(make_session_factory(engine)) as s:
        user_id = s.scalar(select(User.id).where(User.email == email))
        s.execute(delete(AuditEvent).where(AuditEvent.user_id == user_id))
        from data.models import UserSession
        s.execute(delete(UserSession).where(UserSession.user_id == user_id))
        s.execute(delete(User).where(User.id == user_id))


@pytest.fixture()
def as_user(app):
    """Run code inside a Dash request made by a given user."""
    from contextlib import contextmanager

    from flask_login import login_user

    @contextmanager
    def _as(email: str):
        from data.users import get_by_email
        from server.auth import LoginUser
        from server.database import db_session

        with app.test_request_context("/_dash-update-component", method="POST"):
            login_user(LoginUser(get_by_email(db_session(), email=email)))
            yield
    return _as


def _refusals(engine, email: str) -> list[AuditEvent]:
    with session_scope(make_session_factory(engine)) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.actor == email, AuditEvent.action == "access.denied")
                         .order_by(AuditEvent.id)).all()
        s.expunge_all()
        return rows


def _signed_in(app, email: str):
    client = app.test_client()
    r = Auth(client).login(email, PASSWORD)
    assert r.status_code == 302
    return client


def test_a_refused_page_is_audited_with_who_what_and_from_where(app, engine, member):
    client = _signed_in(app, member)
    assert client.get("/biologie", environ_base={"REMOTE_ADDR": ADDRESS}).status_code == 403
    [row] = _refusals(engine, member)
    assert row.target == "/biologie" and row.ip == ADDRESS and row.user_id is not None
    assert row.detail["kind"] == "page"


def test_admin_for_a_member_is_audited(app, engine, member):
    client = _signed_in(app, member)
    assert client.get("/admin").status_code == 403
    assert [r.target for r in _refusals(engine, member)] == ["/admin"]


def test_a_refused_export_is_audited(app, engine, member):
    client = _signed_in(app, member)
    assert client.get("/export/biologie-automates.csv?dep=55").status_code == 403
    [row] = _refusals(engine, member)
    assert row.target == "/export/biologie-automates.csv" and row.detail["kind"] == "export"


def test_a_refused_callback_is_audited_once_per_window_however_often_it_polls(app, engine, member, as_user):
    from callbacks._access import REGISTRY

    entry = next(e for e in REGISTRY if e.dataset == "biology")

    def run():
        context_value.set(AttributeDict(triggered_inputs=[], inputs_list=[], states_list=[], outputs_list=[]))
        return entry.func(*entry.sample_args)

    for _ in range(5):  # five polls of the live timer
        with as_user(member), pytest.raises(PreventUpdate):
            copy_context().run(run)
    [row] = _refusals(engine, member)
    assert row.target == f"callback {entry.func.__name__}" and row.detail["kind"] == "callback"
    assert row.detail["dataset"] == "biology"
    assert row.detail["once_per_minutes"] == REFUSAL_WINDOW.total_seconds() // 60


def test_a_refused_dash_page_layout_is_audited(app, engine, member, as_user):
    page = next(p for p in dash.page_registry.values() if p["path"] == "/biologie")
    with as_user(member):
        layout = page["layout"]()
    assert "access-denied" in str(layout.to_plotly_json())
    [row] = _refusals(engine, member)
    assert row.target == "/biologie" and row.detail["kind"] == "page"


def test_repeated_page_refusals_are_one_row_but_another_target_is_another(app, engine, member):
    client = _signed_in(app, member)
    for _ in range(3):
        assert client.get("/biologie").status_code == 403
    assert client.get("/flux").status_code == 403
    assert [r.target for r in _refusals(engine, member)] == ["/biologie", "/flux"]
