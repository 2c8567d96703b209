"""Every registered callback is guarded, and returns nothing to a caller who may not see its data."""
from __future__ import annotations

from contextvars import copy_context

import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate
from sqlalchemy import delete

from callbacks._access import REGISTRY
from data.models import College, User
from data.users import create_user

NO_GRANT_EMAIL = "sans-droit@test.e-meuse-sante.fr"


def _run(entry):
    def call():
        context_value.set(AttributeDict(triggered_inputs=[], inputs_list=[], states_list=[], outputs_list=[]))
        return entry.func(*entry.sample_args)
    return copy_context().run(call)


@pytest.fixture(scope="module")
def no_grant_user(engine, demo_counts):
    """A member of a college that holds no grant at all."""
    from data.db import make_session_factory, session_scope

    with session_scope(make_session_factory(engine)) as s:
        s.add(College(slug="sans-droit", label="Collège de test sans droit"))
        s.flush()
        create_user(s, email=NO_GRANT_EMAIL, full_name="Sans droit", password="x" * 12, role="member",
                    college="sans-droit")
    yield NO_GRANT_EMAIL
    with session_scope(make_session_factory(engine)) as s:
        from data.models import AuditEvent  # its refusals are journalled (access.denied)

        s.execute(delete(AuditEvent).where(AuditEvent.actor == NO_GRANT_EMAIL))
        s.execute(delete(User).where(User.email == NO_GRANT_EMAIL))
        s.execute(delete(College).where(College.slug == "sans-droit"))


def _entry_id(entry) -> str:
    return entry.func.__name__


def test_every_server_callback_is_in_the_guarded_registry(app):
    guarded = {entry.func for entry in REGISTRY}
    dash_app = app.extensions["emeuse.dash"]
    unguarded = []
    for output, spec in dash_app.callback_map.items():
        if "_pages_" in output:  # Dash's own page router: it renders the guarded page layouts
            continue
        if "callback" not in spec:  # clientside: runs in the browser, reads no server data
            continue
        func = spec["callback"]
        while func not in guarded and hasattr(func, "__wrapped__"):
            func = func.__wrapped__
        if func not in guarded:
            unguarded.append(output)
    assert unguarded == []
    assert len(REGISTRY) >= 7


@pytest.mark.parametrize("entry", REGISTRY, ids=_entry_id)
def test_anonymous_gets_nothing(as_user, entry):
    with as_user(None), pytest.raises(PreventUpdate):
        _run(entry)


@pytest.mark.parametrize("entry", REGISTRY, ids=_entry_id)
def test_caller_without_the_grant_gets_no_data(as_user, no_grant_user, entry):
    with as_user(no_grant_user):
        try:
            result = _run(entry)
        except PreventUpdate:
            return
    if entry.public:  # reference geography / UI state: exactly what anyone signed in on the territory gets
        with as_user("admin@demo.e-meuse-sante.fr"):
            assert _run(entry) == result
        return
    assert not entry.has_data(result), f"{entry.func.__name__} returned data to a caller without the grant"


@pytest.mark.parametrize("entry", REGISTRY, ids=_entry_id)
def test_caller_with_the_grant_gets_data(as_user, entry):
    with as_user("admin@demo.e-meuse-sante.fr"):
        result = _run(entry)
    assert entry.has_data(result)


@pytest.mark.parametrize("entry", [e for e in REGISTRY if e.roles == ("admin",)], ids=_entry_id)
def test_members_and_ars_officers_cannot_run_admin_callbacks(as_user, entry):
    for email in ("professionnels@demo.e-meuse-sante.fr", "ars@demo.e-meuse-sante.fr"):
        with as_user(email), pytest.raises(PreventUpdate):
            _run(entry)


def test_audit_export_is_audited_and_neutralises_formulas(as_user, engine):
    from callbacks.admin import admin_audit_export
    from data.db import make_session_factory, session_scope
    from data.models import AuditEvent
    from data.users import utcnow

    with session_scope(make_session_factory(engine)) as s:
        s.add(AuditEvent(at=utcnow(), actor="=HYPERLINK(\"http://evil\")", action="login.failure"))
    with as_user("admin@demo.e-meuse-sante.fr"):
        result = copy_context().run(lambda: admin_audit_export(1, "hyperlink", "", None, None))
    assert "'=HYPERLINK" in result["content"] and result["filename"].endswith(".csv")
    with engine.connect() as conn:
        from sqlalchemy import select

        last = conn.execute(select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id.desc())).first()
    assert last.action == "export" and last.detail["rows"] == 1
