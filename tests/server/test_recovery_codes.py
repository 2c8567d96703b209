"""TOTP enrolment shows a QR code of the otpauth URI and ten one-time recovery codes; a recovery code signs in
once, is stored hashed, belongs to one user, counts towards the lockout when wrong and is audited when used."""
from __future__ import annotations

import html
import re
import uuid
from urllib.parse import unquote

import pyotp
import pytest
from sqlalchemy import delete, select

from data.db import make_session_factory, session_scope
from data.models import AuditEvent, RecoveryCode, User, UserSession
from data.users import create_user
from tests.conftest import Auth

PASSWORD = "codes-secours-" + "x" * 12


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _codes(page: str) -> list[str]:
    block = re.search(r'id="recovery-codes">(.*?)</div>', page, re.S).group(1)
    return re.findall(r"<li[^>]*>([a-z0-9-]+)</li>", block)


def _enrol(app, email: str):
    """Sign in, enrol a second factor through /compte: (client, totp, codes, enrolment page, confirmation page)."""
    client = app.test_client()
    assert Auth(client).login(email, PASSWORD).status_code == 302
    client.post("/compte/2fa/preparer", data={"csrf_token": _token(client.get("/compte").get_data(as_text=True))})
    page = client.get("/compte").get_data(as_text=True)
    totp = pyotp.TOTP(re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1))
    r = client.post("/compte/2fa/activer", data={"csrf_token": _token(page), "code": totp.now()})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    return client, totp, _codes(r.get_data(as_text=True)), page, r.get_data(as_text=True)


@pytest.fixture()
def users(engine, demo_counts):
    emails = [f"secours-{uuid.uuid4().hex[:8]}@test.e-meuse-sante.fr" for _ in range(2)]
    with session_scope(make_session_factory(engine)) as s:
        for email in emails:
            create_user(s, email=email, full_name="Secours", password=PASSWORD, role="member", college="usagers")
    yield emails
    with session_scope(make_session_factory(engine)) as s:
        ids = list(s.scalars(select(User.id).where(User.email.in_(emails))))
        for model in (AuditEvent, UserSession, RecoveryCode):
            s.execute(delete(model).where(model.user_id.in_(ids)))
        s.execute(delete(User).where(User.id.in_(ids)))


def _password_step(app, email: str, address: str):
    client = app.test_client()
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": Auth(client).csrf()},
                    environ_base={"REMOTE_ADDR": address})
    assert r.headers["Location"].startswith("/login/code")
    return client, _token(client.get("/login/code").get_data(as_text=True))


def _code(client, token, code, address):
    return client.post("/login/code", data={"csrf_token": token, "code": code}, environ_base={"REMOTE_ADDR": address})


def test_enrolment_shows_a_qr_code_of_the_otpauth_uri(app, users):
    client = app.test_client()
    Auth(client).login(users[0], PASSWORD)
    client.post("/compte/2fa/preparer", data={"csrf_token": _token(client.get("/compte").get_data(as_text=True))})
    page = client.get("/compte").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    svg = re.search(r"<svg [^>]*id=\"totp-qr\".*?</svg>", page, re.S)
    assert svg and "<path" in svg.group(0) and "<script" not in svg.group(0)
    uri = html.unescape(re.search(r"l'adresse <code>([^<]+)</code>", page).group(1))
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and users[0] in unquote(uri)


def test_ten_codes_shown_once_and_stored_hashed(app, engine, users):
    client, _totp, codes, _, confirmation = _enrol(app, users[0])
    assert len(codes) == 10 == len(set(codes))
    assert "Il vous reste <strong>10 codes de secours</strong>" in confirmation
    later = client.get("/compte").get_data(as_text=True)
    assert not any(c in later for c in codes) and "10 codes de secours" in later  # never shown again
    with engine.connect() as conn:
        stored = [h for (h,) in conn.execute(select(RecoveryCode.code_hash).join(User).where(User.email == users[0]))]
    assert len(stored) == 10
    assert not any(c in h or c.replace("-", "") in h for c in codes for h in stored)  # no code in clear


def test_a_recovery_code_signs_in_once_and_is_audited(app, engine, users):
    _, _, codes, _, _ = _enrol(app, users[0])
    client, token = _password_step(app, users[0], "198.51.100.81")
    r = _code(client, token, codes[3].upper(), "198.51.100.81")  # as typed by hand: case does not matter
    assert r.status_code == 302 and client.get("/").status_code == 200
    assert "Il vous reste <strong>9 codes de secours</strong>" in client.get("/compte").get_data(as_text=True)
    again, token = _password_step(app, users[0], "198.51.100.82")
    r = _code(again, token, codes[3], "198.51.100.82")
    assert r.status_code == 401 and again.get("/").status_code == 302  # a used code fails the second time
    with engine.connect() as conn:
        actions = [(a, d) for a, d in conn.execute(select(AuditEvent.action, AuditEvent.detail)
                                                   .where(AuditEvent.actor == users[0]).order_by(AuditEvent.id))]
    assert ("recovery.use", {"remaining": 9}) in actions
    assert ("login.failure", {"step": "recovery"}) in actions


def test_a_code_of_another_user_fails(app, users):
    _, _, codes_a, _, _ = _enrol(app, users[0])
    _enrol(app, users[1])
    client, token = _password_step(app, users[1], "198.51.100.83")
    assert _code(client, token, codes_a[0], "198.51.100.83").status_code == 401
    assert client.get("/").status_code == 302


def test_wrong_recovery_codes_count_towards_the_lockout(app, users):
    _, _, codes, _, _ = _enrol(app, users[0])
    client, token = _password_step(app, users[0], "198.51.100.84")
    statuses = [_code(client, token, f"aaaaa-bbbbb-ccc{n:02d}", "198.51.100.84").status_code for n in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    assert _code(client, token, codes[0], "198.51.100.84").status_code == 429  # a good code, while locked


def test_regenerated_codes_replace_the_old_ones(app, users):
    client, totp, old, _, _ = _enrol(app, users[0])
    page = client.get("/compte").get_data(as_text=True)
    bad = client.post("/compte/2fa/codes-secours", data={"csrf_token": _token(page), "code": "000000"})
    assert bad.status_code == 400
    import time

    # the enrolment spent this 30-second step's code: the next step's (accepted as clock drift) is fresh
    r = client.post("/compte/2fa/codes-secours", data={"csrf_token": _token(page), "code": totp.at(time.time() + 30)})
    assert r.status_code == 200
    new = _codes(r.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    signin, token = _password_step(app, users[0], "198.51.100.85")
    assert _code(signin, token, old[0], "198.51.100.85").status_code == 401
    assert _code(signin, token, new[0], "198.51.100.85").status_code == 302
