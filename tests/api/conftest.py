"""API fixtures: one feed source (and key) per feed kind, on the demo database."""
from __future__ import annotations

import uuid

import pytest

from data import admin
from data.db import make_session_factory, session_scope


@pytest.fixture(scope="session")
def api_keys(engine, demo_counts) -> dict[str, str]:
    keys = {}
    with session_scope(make_session_factory(engine)) as s:
        for kind in ("teleconsultation", "mobile", "biology", "workforce", "programme"):
            source = admin.create_source(s, actor=None, name=f"Test API {kind} {uuid.uuid4().hex[:6]}", feed_kind=kind)
            keys[kind] = admin.issue_key(s, actor=None, source_id=source.id)
    return keys


@pytest.fixture()
def post(client, api_keys):
    def _post(path: str, body, *, kind: str | None = None, key: str | None = None, **kwargs):
        feed = kind or path.split("/")[0]
        headers = {"X-API-Key": key if key is not None else api_keys[feed]}
        return client.post(f"/api/v1/{path}", json=body, headers=headers, **kwargs)
    return _post


def unique(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
