"""Login hardening, sessions, CSRF on callbacks, security headers, forbidden pages — over HTTP."""
from __future__ import annotations

import html
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from data.models import AuditEvent, User
from tests.conftest import Auth

CALLBACK = {"output": '..overview-kpis.children...overview-updated.children...{"page":"overview","type":"view-ready"}'
                      '.data..',  # the overview's cards callback
            "outputs": [{"id": "overview-kpis", "property": "children"},
                        {"id": "overview-updated", "property": "children"},
                        {"id": {"type": "view-ready", "page": "overview"}, "property": "data"}],
            "inputs": [{"id": "filter-departements", "property": "value", "value": ["55"]},
                       {"id": "filter-month-from", "property": "value", "value": "2026-01"},
                       {"id": "filter-month-to", "property": "value", "value": "2026-06"},
                       {"id": "filter-epci", "property": "value", "value": "tous"},
                       {"id": "filter-commune", "property": "value", "value": "tous"},
                       {"id": {"type": "live-interval", "page": "overview"}, "property": "n_intervals", "value": 0}],
            "changedPropIds": ["filter-departements.value"], "state": []}


def _audit_actions(engine, actor: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditEvent.action).where(AuditEvent.actor == actor)
                                 .order_by(AuditEvent.id)))


@pytest.fixture()
def make_app(app, database_url, demo_counts):
    """A separate app with some settings changed (shares the demo database; no callbacks: `app` came first)."""
    from app import create_app

    def _make(**overrides):
        base = {"database_url": database_url, "demo_on_first_start": False, "env": "test",
                "secret_key": "test-secret-key-" + "y" * 32, "login_rate_limit": "1000 per minute"}
        server = create_app({**base, **overrides})
        server.config.update(TESTING=True)
        return server
    return _make


def test_lockout_after_five_failures_is_per_address_and_temporary(app, engine):
    client = app.test_client()
    auth = Auth(client)
    email = "financeurs@demo.e-meuse-sante.fr"
    far = {"REMOTE_ADDR": "192.0.2.77"}
    for _ in range(5):
        r = client.post("/login", data={"email": email, "password": "faux", "csrf_token": auth.csrf()},
                        environ_base=far)
        assert r.status_code == 401
    r = client.post("/login", data={"email": email, "password": "demo-financeurs-2026", "csrf_token": auth.csrf()},
                    environ_base=far)
    assert r.status_code == 429 and "Trop d'échecs" in html.unescape(r.get_data(as_text=True))
    assert "login.lockout" in _audit_actions(engine, email)
    # the same account from another address is not locked: an attacker cannot lock a user out everywhere
    other = app.test_client()
    assert Auth(other).login(email, "demo-financeurs-2026").status_code == 302


def test_login_rate_limit_answers_429_in_french(make_app):
    server = make_app(login_rate_limit="3 per minute")
    client = server.test_client()
    auth = Auth(client)
    responses = [client.post("/login", data={"email": "x@y.fr", "password": "p", "csrf_token": auth.csrf()},
                             environ_base={"REMOTE_ADDR": "198.51.100.9"}) for _ in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Trop de tentatives" in responses[3].get_data(as_text=True)
    # another address is not affected
    other = client.post("/login", data={"email": "x@y.fr", "password": "p", "csrf_token": auth.csrf()},
                        environ_base={"REMOTE_ADDR": "198.51.100.10"})
    assert other.status_code == 401


def test_callbacks_need_the_csrf_header(client, auth):
    auth.login_as("admin")
    r = client.post("/_dash-update-component", json=CALLBACK)
    assert r.status_code == 400 and r.json["error"] == "csrf"
    token = client.get_cookie("_csrf_token").value
    r = client.post("/_dash-update-component", json=CALLBACK, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and "overview-kpis" in r.get_data(as_text=True)


def test_idle_and_absolute_session_timeouts(client, auth, engine):
    auth.login_as("collectivites")
    assert client.get("/").status_code == 200
    with client.session_transaction() as s:
        s["seen_at"] = int(time.time()) - 31 * 60
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?reason=expired")
    assert "session.expired" in _audit_actions(engine, "collectivites@demo.e-meuse-sante.fr")
    assert "Votre session a expiré" in client.get("/login?reason=expired").get_data(as_text=True)
    auth.login_as("collectivites")
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time()) - 13 * 3600
    r = client.post("/_dash-update-component", json=CALLBACK)
    assert r.status_code == 401 and "expiré" in r.json["message"]


def test_login_starts_a_fresh_session(client, auth):
    with client.session_transaction() as s:
        s["planted"] = "by-an-attacker"
    auth.login_as("usagers")
    with client.session_transaction() as s:
        assert "planted" not in s and "auth_at" in s


def test_cookie_flags(make_app):
    server = make_app(env="production", secret_key="p" * 40, secrecy_key="q" * 40)
    client = server.test_client()
    auth = Auth(client)
    r = auth.login_as("admin")
    cookies = r.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "Secure" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Strict-Transport-Security" in r.headers


def test_security_headers(client, auth):
    auth.login_as("admin")
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    for directive in ("frame-ancestors 'none'", "worker-src 'self' blob:", "object-src 'none'",
                      "script-src 'self' 'sha256-"):
        assert directive in csp
    assert "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_forbidden_page_gets_a_french_403_and_is_not_listed(client, auth):
    auth.login_as("entreprises")
    r = client.get("/admin")
    page = r.get_data(as_text=True)
    assert r.status_code == 403 and "Accès refusé" in page and "Traceback" not in page
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "Administration" not in layout and "Vue d'ensemble" in layout


def test_admin_sees_the_admin_page(client, auth):
    auth.login_as("admin")
    assert client.get("/admin").status_code == 200
    assert "Administration" in client.get("/_dash-layout").get_data(as_text=True)


def test_must_change_password_then_free(client, auth, db, engine):
    from data.access import full_scope
    from data.admin import Actor, reset_password

    user = db.scalar(select(User).where(User.email == "etablissements@demo.e-meuse-sante.fr"))
    temp = reset_password(db, actor=Actor(full_scope(("55",)), "test"), user_id=user.id)
    db.commit()
    try:
        assert auth.login(user.email, temp).status_code == 302
        r = client.get("/")
        assert r.status_code == 302 and r.headers["Location"] == "/compte?raison=mot-de-passe"
        page = client.get("/compte?raison=mot-de-passe").get_data(as_text=True)
        assert "Vous devez choisir un nouveau mot de passe" in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        bad = client.post("/compte/mot-de-passe", data={"csrf_token": token, "current_password": temp,
                                                         "new_password": "motdepasse123",
                                                         "confirm_password": "motdepasse123"})
        assert bad.status_code == 400 and "courants" in bad.get_data(as_text=True)
        ok = client.post("/compte/mot-de-passe", data={"csrf_token": token, "current_password": temp,
                                                        "new_password": "demo-etablissements-2026",
                                                        "confirm_password": "demo-etablissements-2026"})
        assert ok.status_code == 302
        assert client.get("/").status_code == 200
        assert "password.change" in _audit_actions(engine, user.email)
    finally:
        from data.users import hash_password

        db.refresh(user)
        user.password_hash, user.must_change_password = hash_password("demo-etablissements-2026"), False
        db.commit()


def test_totp_enrolment_then_two_step_login(client, auth, db):
    email = "ars@demo.e-meuse-sante.fr"
    auth.login(email, "demo-ars-grand-est-2026")
    page = client.get("/compte").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/compte/2fa/preparer", data={"csrf_token": token})
    page = client.get("/compte").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.post("/compte/2fa/activer", data={"csrf_token": token, "code": "000000"}).status_code == 400
    try:
        enabled = client.post("/compte/2fa/activer", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
        assert enabled.status_code == 200 and "Vos codes de secours" in enabled.get_data(as_text=True)
        auth.logout()
        r = auth.login(email, "demo-ars-grand-est-2026")
        assert r.status_code == 302 and r.headers["Location"].startswith("/login/code")
        assert client.get("/").status_code == 302  # password alone is not enough
        page = client.get("/login/code").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        bad = client.post("/login/code", data={"csrf_token": token, "code": "123456"})
        assert bad.status_code == 401 and "Code de vérification incorrect" in bad.get_data(as_text=True)
        # the enrolment spent the current step's code: the next step's (accepted for clock drift) signs in
        assert client.post("/login/code", data={"csrf_token": token,
                                                 "code": pyotp.TOTP(secret).at(time.time() + 30)}).status_code == 302
        assert client.get("/").status_code == 200
    finally:
        from data.recovery_codes import remove_all

        user = db.scalar(select(User).where(User.email == email))
        user.totp_secret = None
        remove_all(db, user_id=user.id)
        db.commit()


def test_second_factor_can_be_made_mandatory(make_app):
    server = make_app(totp_required_roles="admin,ars")
    client = server.test_client()
    Auth(client).login_as("admin")
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/compte?raison=2fa"
    assert "obligatoire pour votre rôle" in client.get("/compte?raison=2fa").get_data(as_text=True)
    member = server.test_client()
    Auth(member).login_as("usagers")
    assert member.get("/").status_code == 200  # members are not concerned


def test_sign_in_and_out_are_audited_with_the_address(app, engine):
    client = app.test_client()
    auth = Auth(client)
    auth.login_as("recherche")
    auth.logout()
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.action, AuditEvent.ip).where(
            AuditEvent.actor == "recherche@demo.e-meuse-sante.fr").order_by(AuditEvent.id.desc()).limit(2)).all()
    assert [r.action for r in rows] == ["logout", "login.success"]
    assert all(r.ip == "127.0.0.1" for r in rows)


@pytest.fixture()
def write_lock(engine):
    """Another connection holding the database's write lock (SQLite `BEGIN IMMEDIATE`, a row lock on PostgreSQL)."""
    conn = engine.raw_connection()
    cur = conn.cursor()
    if engine.dialect.name == "sqlite":
        conn.isolation_level = None
        cur.execute("BEGIN IMMEDIATE")
    else:
        cur.execute("UPDATE alembic_version SET version_num = version_num")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def test_healthz_reports_blocked_writes(client, write_lock):
    started = time.monotonic()
    r = client.get("/healthz")
    assert r.status_code == 503, r.json
    assert r.json["status"] == "degraded" and r.json["database"] == "read-only"
    assert time.monotonic() - started < 10  # a short timeout, not the writers' 30 s


def test_healthz_write_check_leaves_nothing_behind(client, engine):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json["database"] == "ok"
    from data.db import schema_revision

    assert schema_revision(engine) == r.json["schema"]


MALFORMED_CALLBACKS = {
    "not JSON": "{not json",
    "a list": [],
    "no keys": {},
    "a JSON string": "x",
    "unknown output": {**CALLBACK, "output": "nope.children"},
    "inputs a string": {**CALLBACK, "inputs": "garbage"},
    "inputs numbers": {**CALLBACK, "inputs": [1, 2, 3]},
    "input without id": {**CALLBACK, "inputs": [{"value": 1}]},
    "too few inputs": {**CALLBACK, "inputs": CALLBACK["inputs"][:2]},
    "outputs a string": {**CALLBACK, "outputs": "x"},
    "state an object": {**CALLBACK, "state": {"a": 1}},
    "changedPropIds a number": {**CALLBACK, "changedPropIds": 5},
    "values objects": {**CALLBACK, "inputs": [{**i, "value": {"x": [1]}} for i in CALLBACK["inputs"]]},
    "values numbers": {**CALLBACK, "inputs": [{**i, "value": 12345} for i in CALLBACK["inputs"]]},
}


@pytest.mark.parametrize("name", list(MALFORMED_CALLBACKS))
def test_malformed_callback_requests_get_a_clean_400(client, auth, name):
    import json

    auth.login_as("ars")
    client.get("/")
    body = MALFORMED_CALLBACKS[name]
    r = client.post("/_dash-update-component", data=body if isinstance(body, str) else json.dumps(body),
                    content_type="application/json", headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
    assert r.status_code == 400, r.get_data(as_text=True)[:200]
    assert r.is_json and r.json["error"] == "requête invalide" and r.json["message"]
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "Error" not in text and ".py" not in text


def test_a_well_formed_callback_still_answers(client, auth):
    auth.login_as("ars")
    client.get("/")
    r = client.post("/_dash-update-component", json=CALLBACK,
                    headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
    assert r.status_code == 200 and "overview-kpis" in r.get_data(as_text=True)


def test_no_server_banner_on_pages_nor_api(app):
    """Through the development server as `python app.py` runs it, and from the app for any other server."""
    import threading
    import urllib.error
    import urllib.request

    from werkzeug.serving import make_server

    from server.security import BannerlessRequestHandler

    client = app.test_client()
    assert client.get("/login").headers.get_all("Server") == ["e-Meuse"]
    assert client.post("/api/v1/mobile/stops", json={}).headers.get_all("Server") == ["e-Meuse"]
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=BannerlessRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        banners = []
        for path, data in (("/login", None), ("/api/v1/mobile/stops", b"{}"), ("/healthz", None)):
            request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as r:
                    banners.append(r.headers.get_all("Server"))
            except urllib.error.HTTPError as err:  # the API answers 401 without a key
                banners.append(err.headers.get_all("Server"))
    finally:
        server.shutdown()
        thread.join(5)
    assert banners == [["e-Meuse"]] * 3


def test_gunicorn_config_hides_its_banner():
    import runpy
    from pathlib import Path

    import gunicorn.http.wsgi

    original = gunicorn.http.wsgi.SERVER
    try:
        runpy.run_path(str(Path(__file__).parents[2] / "gunicorn.conf.py"))
        from server.security import SERVER_BANNER

        assert gunicorn.http.wsgi.SERVER == SERVER_BANNER
    finally:
        gunicorn.http.wsgi.SERVER = original
