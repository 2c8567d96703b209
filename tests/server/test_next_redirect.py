"""Sign-in keeps the whole shared link (`next` is URL-encoded), and follows `next` only to a same-site
path: no open redirect, no header injection."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from server.auth import safe_next

SHARED = "/teleconsultation?dep=55&epci=200033025&du=2025-01&au=2025-06"
USAGERS = {"email": "usagers@demo.e-meuse-sante.fr", "password": "demo-usagers-2026"}

ATTACKS = [
    "//evil.example/x",  # scheme-relative
    "///evil.example",
    "https://evil.example/x",
    "http:evil.example",
    "javascript:alert(1)",
    "/\\evil.example",  # browsers read a backslash as a slash
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",  # browsers drop tabs and newlines inside a URL: «//evil.example»
    "/\n/evil.example",
    "/\r\nSet-Cookie: pris=1",  # header injection
    "/\x00/evil.example",
    "/\x7f",
    " //evil.example",
    "evil.example",
    "",
    "/" + "a" * 5000,  # absurdly long
]


@pytest.mark.parametrize("target", ATTACKS, ids=lambda t: repr(t)[:40])
def test_next_is_refused_unless_a_same_site_path(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", [SHARED, "/couverture?seuil=2.5&couches=gp,mobile", "/?dep=52,55", "/compte",
                                    "/professionnels?profession=infirmier#carte"])
def test_a_same_site_path_is_kept_whole(target):
    assert safe_next(target) == target


def test_the_sign_in_redirect_carries_the_whole_link(client):
    r = client.get(SHARED)
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [SHARED]


def test_signing_in_lands_on_the_shared_link_with_every_filter(client, auth):
    login_url = client.get(SHARED).headers["Location"]
    r = client.post(login_url, data={**USAGERS, "csrf_token": auth.csrf()})  # the form posts to its own URL
    assert r.status_code == 302
    assert r.headers["Location"] == SHARED


@pytest.mark.parametrize("target", ATTACKS, ids=lambda t: repr(t)[:40])
def test_signing_in_never_leaves_the_site(client, auth, target):
    r = client.post("/login?" + urlencode({"next": target}), data={**USAGERS, "csrf_token": auth.csrf()})
    assert r.status_code == 302
    assert r.headers["Location"] == "/"
    auth.logout()
