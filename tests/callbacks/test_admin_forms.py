"""Admin forms are cleared once their action succeeded, and kept as typed when it failed."""
from __future__ import annotations

import uuid
from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict
from sqlalchemy import delete

from components import ids
from data.models import FeedSource, User

ADMIN = "admin@demo.e-meuse-sante.fr"


def _click(func, button: str, *args):
    def call():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{button}.n_clicks", "value": 1}],
                                        inputs_list=[], states_list=[], outputs_list=[]))
        return func(*args)
    return copy_context().run(call)


def test_a_created_source_leaves_an_empty_form(as_user, engine):
    from callbacks.admin import admin_sources

    name = f"Source test formulaire {uuid.uuid4().hex[:6]}"
    with as_user(ADMIN):
        reply, rows, form_name, form_kind = _click(admin_sources, ids.ADMIN_SOURCE_CREATE, 1, None, None, name,
                                                   "biology", [])
        assert "créée" in str(reply) and any(r["nom"] == name for r in rows)
        assert (form_name, form_kind) == ("", "teleconsultation")
        # the same name again fails: the form keeps what was typed so it can be corrected
        reply, rows, form_name, form_kind = _click(admin_sources, ids.ADMIN_SOURCE_CREATE, 2, None, None, name,
                                                   "biology", [])
        assert "danger" in str(reply)
        assert form_name.__class__.__name__ == "NoUpdate" and form_kind.__class__.__name__ == "NoUpdate"
    with engine.begin() as conn:
        conn.execute(delete(FeedSource).where(FeedSource.name == name))


def test_a_created_user_leaves_an_empty_form(as_user, engine):
    from callbacks.admin import admin_users

    email = f"form-{uuid.uuid4().hex[:6]}@test.e-meuse-sante.fr"
    args = (email, "Test Formulaire", "member", "usagers", ["55"], [], "member", "", [], True)
    with as_user(ADMIN):
        reply, rows, *form = _click(admin_users, ids.ADMIN_NEW_SUBMIT, 1, None, None, *args)
        assert "Compte créé" in str(reply)
        assert form == ["", "", "member", "", []]
        reply, rows, *form = _click(admin_users, ids.ADMIN_NEW_SUBMIT, 2, None, None, *args)  # already exists
        assert "danger" in str(reply) and all(f.__class__.__name__ == "NoUpdate" for f in form)
    with engine.begin() as conn:
        conn.execute(delete(User).where(User.email == email))
