"""Server-side sessions: a cookie saved before a sign-out, a password change, a grant change of the
user's college or an administrator's decision opens nothing afterwards — pages, callbacks, exports."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from data.models import AuditEvent, User, UserSession
from tests.conftest import Auth
from tests.server.test_hardening import CALLBACK

EXPORT = "/export/teleconsultation-sites.csv?dep=55"


def _csrf(client, path: str = "/compte") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


class Saved:
    """What an attacker copied from a signed-in browser: its cookies, replayed from another client."""

    def __init__(self, app, client) -> None:
        self.app = app
        self.session = client.get_cookie("session").value
        self.csrf = client.get_cookie("_csrf_token").value

    def replay(self) -> dict[str, int]:
        thief = self.app.test_client()
        thief.set_cookie("session", self.session)
        thief.set_cookie("_csrf_token", self.csrf)
        return {"page": thief.get("/").status_code,
                "callback": thief.post("/_dash-update-component", json=CALLBACK,
                                       headers={"X-CSRFToken": self.csrf}).status_code,
                "export": thief.get(EXPORT).status_code}


OPEN = {"page": 200, "callback": 200, "export": 200}
REFUSED = {"page": 302, "callback": 401, "export": 302}  # pages and exports go to the sign-in page


def _logout(client):
    return client.post("/logout", data={"csrf_token": _csrf(client)})


def test_saved_cookie_is_refused_after_logout(app):
    client = app.test_client()
    Auth(client).login_as("collectivites")
    saved = Saved(app, client)
    assert saved.replay() == OPEN
    r = _logout(client)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert saved.replay() == REFUSED


def test_logout_is_a_post_with_csrf(app):
    client = app.test_client()
    Auth(client).login_as("collectivites")
    page = client.get("/logout")  # a link or a prefetch ends nothing: it asks
    assert page.status_code == 200 and 'action="/logout"' in page.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 400  # no CSRF token: refused
    assert client.get("/").status_code == 200
    assert _logout(client).status_code == 302
    assert client.get("/").status_code == 302


def test_saved_cookie_is_refused_after_a_password_change(app, db):
    client = app.test_client()
    email, password = "professionnels@demo.e-meuse-sante.fr", "demo-professionnels-2026"
    Auth(client).login(email, password)
    other_browser = app.test_client()
    Auth(other_browser).login(email, password)
    saved = Saved(app, client)
    assert saved.replay() == OPEN
    new = "Une-phrase-de-passe-longue-et-rare-2026"
    try:
        r = client.post("/compte/mot-de-passe", data={"csrf_token": _csrf(client), "current_password": password,
                                                       "new_password": new, "confirm_password": new})
        assert r.status_code == 302
        assert client.get("/").status_code == 200  # the browser that changed it stays signed in (new session)
        assert saved.replay() == REFUSED
        assert other_browser.get("/").status_code == 302
    finally:
        from data.users import hash_password

        user = db.scalar(select(User).where(User.email == email))
        user.password_hash = hash_password(password)
        db.commit()


@pytest.fixture()
def admin_actor(db):
    from data.access import full_scope
    from data.admin import Actor

    admin = db.scalar(select(User).where(User.email == "admin@demo.e-meuse-sante.fr"))
    scope = full_scope(("52", "54", "55"))
    return Actor(dataclasses.replace(scope, user_id=admin.id), admin.email)


def test_saved_cookie_is_refused_after_a_grant_change_of_the_college(app, db, admin_actor):
    from data import admin

    client = app.test_client()
    Auth(client).login_as("financeurs")
    bystander = app.test_client()
    Auth(bystander).login_as("usagers")
    saved = Saved(app, client)
    assert saved.replay() == OPEN
    before = admin.grants_matrix(db, actor=admin_actor)["financeurs"]["workforce"]
    after = "summary" if before != "summary" else "detail"
    try:
        assert admin.set_grant(db, actor=admin_actor, college="financeurs", dataset="workforce", level=after)
        db.commit()
        assert saved.replay() == REFUSED
        assert bystander.get("/").status_code == 200  # another college's sessions are untouched
    finally:
        admin.set_grant(db, actor=admin_actor, college="financeurs", dataset="workforce", level=before)
        db.commit()


def test_role_change_and_deactivation_revoke_the_sessions(app, db, admin_actor):
    from data import admin

    user = db.scalar(select(User).where(User.email == "recherche@demo.e-meuse-sante.fr"))
    state = (user.role, user.college_slug, user.departements, user.active)
    try:
        for change in ({"departements": ["55"]}, {"active": False}):
            client = app.test_client()
            Auth(client).login_as("recherche")
            saved = Saved(app, client)
            assert saved.replay() == OPEN, change
            fields = {"role": user.role, "college": user.college_slug, "departements": user.departements,
                      "active": user.active, **change}
            admin.update_user(db, actor=admin_actor, user_id=user.id, **fields)
            db.commit()
            assert saved.replay() == REFUSED, change
            admin.update_user(db, actor=admin_actor, user_id=user.id, role=state[0], college=state[1],
                              departements=state[2], active=state[3])
            db.commit()
    finally:
        db.refresh(user)
        user.role, user.college_slug, user.departements, user.active = state
        db.commit()


def test_an_administrator_ends_a_users_sessions_and_it_is_audited(app, db, admin_actor):
    from data import admin

    client = app.test_client()
    Auth(client).login_as("entreprises")
    saved = Saved(app, client)
    user = db.scalar(select(User).where(User.email == "entreprises@demo.e-meuse-sante.fr"))
    assert admin.end_sessions(db, actor=admin_actor, user_id=user.id) >= 1
    db.commit()
    assert saved.replay() == REFUSED
    assert "session.revoke" in db.scalars(select(AuditEvent.action).where(AuditEvent.target == user.email)).all()


def test_account_page_lists_sessions_and_ends_the_others(app, db):
    first, second = app.test_client(), app.test_client()
    Auth(first).login_as("etablissements")
    Auth(second).login_as("etablissements")
    page = first.get("/compte").get_data(as_text=True)
    assert "Sessions ouvertes" in page and page.count('class="session-row') >= 2 and "cette session" in page
    r = first.post("/compte/sessions/terminer-autres", data={"csrf_token": _csrf(first)})
    assert r.status_code == 302
    assert second.get("/").status_code == 302
    assert first.get("/").status_code == 200
    user = db.scalar(select(User).where(User.email == "etablissements@demo.e-meuse-sante.fr"))
    db.expire_all()
    active = db.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                  UserSession.revoked_at.is_(None))).all()
    assert len(active) == 1


def test_session_token_is_stored_hashed(app, db):
    client = app.test_client()
    Auth(client).login_as("usagers")
    with client.session_transaction() as s:
        token = s["sid"]
    db.expire_all()
    assert db.scalar(select(UserSession).where(UserSession.token_hash == token)) is None
    import hashlib

    row = db.scalar(select(UserSession).where(UserSession.token_hash == hashlib.sha256(token.encode()).hexdigest()))
    assert row is not None and row.ip == "127.0.0.1" and row.revoked_at is None
