"""The second factor: a code works once, wrong codes count towards the lockout, the enrolment secret
stays on the server."""
from __future__ import annotations

import html
import re

import pyotp
import pytest
from sqlalchemy import select

from data.models import User
from tests.conftest import Auth

EMAIL, PASSWORD = "ars@demo.e-meuse-sante.fr", "demo-ars-grand-est-2026"


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _cookie_payload(app, client) -> str:
    """What the signed session cookie says (signed, not encrypted: anyone holding it can read it)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return str(serializer.loads(client.get_cookie("session").value))


@pytest.fixture()
def enrolled(app, db):
    """The ARS officer with a second factor enrolled through /compte; removed afterwards."""
    client = app.test_client()
    Auth(client).login(EMAIL, PASSWORD)
    token = _token(client.get("/compte").get_data(as_text=True))
    client.post("/compte/2fa/preparer", data={"csrf_token": token})
    page = client.get("/compte").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert secret not in _cookie_payload(app, client)  # the pending secret stays on the server
    db.expire_all()
    assert db.scalar(select(User.totp_pending_secret).where(User.email == EMAIL)) == secret
    totp = pyotp.TOTP(secret)
    r = client.post("/compte/2fa/activer", data={"csrf_token": _token(page), "code": totp.now()})
    assert r.status_code == 200 and "Vos codes de secours" in r.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(User.totp_pending_secret).where(User.email == EMAIL)) is None
    yield totp
    user = db.scalar(select(User).where(User.email == EMAIL))
    user.totp_secret = None
    user.totp_last_step = None
    from data.recovery_codes import remove_all
    remove_all(db, user_id=user.id)
    db.commit()


def _password_step(app, address: str):
    client = app.test_client()
    auth = Auth(client)
    r = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": auth.csrf()},
                    environ_base={"REMOTE_ADDR": address})
    assert r.status_code == 302 and r.headers["Location"].startswith("/login/code")
    return client, _token(client.get("/login/code", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True))


def _code(client, token: str, code: str, address: str):
    return client.post("/login/code", data={"csrf_token": token, "code": code}, environ_base={"REMOTE_ADDR": address})


def test_the_enrolment_code_cannot_sign_in(app, db, enrolled):
    db.expire_all()
    last = db.scalar(select(User.totp_last_step).where(User.email == EMAIL))
    assert last is not None
    address = "198.51.100.61"
    client, token = _password_step(app, address)
    assert _code(client, token, enrolled.at(last * enrolled.interval), address).status_code == 401


def test_replayed_code_is_refused(app, db, enrolled):
    address = "198.51.100.62"
    user = db.scalar(select(User).where(User.email == EMAIL))
    user.totp_last_step = None  # forget the enrolment's code for this test
    db.commit()
    code = enrolled.now()
    first, token = _password_step(app, address)
    assert _code(first, token, code, address).status_code == 302
    assert first.get("/").status_code == 200
    second, token = _password_step(app, address)
    r = _code(second, token, code, address)  # the same code, same 30-second step, another login
    assert r.status_code == 401 and "Code de vérification incorrect" in r.get_data(as_text=True)
    assert second.get("/").status_code == 302


def test_wrong_codes_lock_the_code_step(app, db, enrolled):
    address = "198.51.100.63"
    user = db.scalar(select(User).where(User.email == EMAIL))
    user.totp_last_step = None
    db.commit()
    client, token = _password_step(app, address)
    statuses = [_code(client, token, f"{n:06d}", address).status_code for n in range(123450, 123457)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}, statuses
    r = _code(client, token, enrolled.now(), address)  # the right code, after the failures: still locked
    assert r.status_code == 429 and "Trop d'échecs" in html.unescape(r.get_data(as_text=True))
    assert client.get("/").status_code == 302
    other, token = _password_step(app, "198.51.100.64")  # per address, as for passwords
    assert _code(other, token, enrolled.now(), "198.51.100.64").status_code == 302
