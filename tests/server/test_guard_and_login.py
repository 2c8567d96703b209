"""Request guard, sign-in and the public endpoints."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import AuditEvent


def test_healthz_is_public_and_reports_the_schema(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    from alembic.script import ScriptDirectory

    from data.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert r.json["status"] == "ok" and r.json["database"] == "ok" and r.json["schema"] == head


@pytest.mark.parametrize("path", ["/", "/?dep=55", "/teleconsultation", "/nimporte-quoi"])
def test_anonymous_pages_redirect_to_login(client, path):
    r = client.get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path,method", [
    ("/_dash-update-component", "post"), ("/_dash-layout", "get"), ("/_dash-dependencies", "get"),
])
def test_anonymous_dash_endpoints_get_401_and_no_data(client, path, method):
    payload = {"output": "overview-kpis.children", "outputs": {"id": "overview-kpis", "property": "children"},
               "inputs": [{"id": "filter-departements", "property": "value", "value": ["55"]}],
               "changedPropIds": []}
    r = getattr(client, method)(path, json=payload) if method == "post" else client.get(path)
    assert r.status_code == 401
    body = r.get_data(as_text=True)
    assert "response" not in r.json and "kpi" not in body.lower()


def test_static_assets_and_login_page_stay_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/assets/style.css").status_code == 200


def test_wrong_password_gets_a_french_message_and_is_audited(client, auth, db):
    r = auth.login("admin@demo.e-meuse-sante.fr", "pas-le-bon-mot-de-passe")
    assert r.status_code == 401
    page = r.get_data(as_text=True)
    assert "Identifiant ou mot de passe incorrect." in page and "Traceback" not in page
    unknown = auth.login("personne@example.org", "x")
    assert "Identifiant ou mot de passe incorrect." in unknown.get_data(as_text=True)  # same message
    db.expire_all()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action == "login.failure")).all()
    assert len(actions) >= 2


def test_login_without_csrf_token_is_refused(client):
    r = client.post("/login", data={"email": "admin@demo.e-meuse-sante.fr", "password": "demo-admin-2026"})
    assert r.status_code == 400
    assert "Le formulaire a expiré" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_then_pages_and_callbacks_are_served(client, auth):
    r = auth.login_as("admin")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    auth.logout()
    assert client.get("/_dash-layout").status_code == 401


def test_sign_in_and_sign_out_make_the_browser_forget_its_stored_page_state(client, auth):
    """The menu remembers filters and page controls in the tab's storage: a shared tab must not hand
    them to the next person who signs in there."""
    r = auth.login_as("ars")
    assert r.status_code == 302 and r.headers.get("Clear-Site-Data") == '"storage"'
    r = auth.logout()
    assert r.headers.get("Clear-Site-Data") == '"storage"'


def test_login_follows_only_local_next(client, auth):
    r = client.post("/login?next=https://evil.example/x", data={
        "email": "usagers@demo.e-meuse-sante.fr", "password": "demo-usagers-2026", "csrf_token": auth.csrf()})
    assert r.headers["Location"] == "/"
    auth.logout()
    r = client.post("/login?next=/?dep=55", data={
        "email": "usagers@demo.e-meuse-sante.fr", "password": "demo-usagers-2026", "csrf_token": auth.csrf()})
    assert r.headers["Location"] == "/?dep=55"


def test_geometry_asset_is_fingerprinted_and_cached_forever(app, client):
    from server.health import geojson_url

    with app.test_request_context():
        url = geojson_url()
    r = client.get(url)
    assert r.status_code == 200
    assert "immutable" in r.headers["Cache-Control"]
    assert r.json["type"] == "FeatureCollection" and len(r.json["features"]) == 1516
    assert client.get("/geo/communes.0000deadbeef.geojson").status_code == 404


def test_responses_are_compressed(app, client, auth):
    from server.health import geojson_url

    with app.test_request_context():
        url = geojson_url()
    geo = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert geo.headers["Content-Encoding"] == "gzip"
    assert len(geo.data) < 300_000  # ~900 KB of GeoJSON travels as ~230 KB
    auth.login_as("admin")
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert layout.headers.get("Content-Encoding") in ("gzip", "br")
