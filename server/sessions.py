"""Session lifetime: a signed-in session starts at sign-in and ends after idle or absolute timeouts, at
sign-out, or whenever its server-side row (`data.user_sessions`) is revoked."""
from __future__ import annotations

import time

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from data import user_sessions
from data.models import User
from server.database import db_session

TOKEN_KEY = "sid"  # the cookie's name of its server-side session

SEEN_REFRESH_SECONDS = 60  # last-seen time is rewritten at most once a minute (fewer cookie changes)
COOKIELESS_PREFIXES = ("/api/",)  # feed sources are machines with an API key, not browser sessions


class BrowserSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, never set (nor refreshed) on a response under COOKIELESS_PREFIXES."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return not request.path.startswith(COOKIELESS_PREFIXES) and super().should_set_cookie(app, session)


def start_session(user: User) -> None:
    """Open the server-side session of a fresh sign-in and stamp its sign-in and last-seen times."""
    now = int(time.time())
    session[TOKEN_KEY] = user_sessions.open_session(db_session(), user=user, ip=request.remote_addr,
                                                    user_agent=request.user_agent.string)
    session["auth_at"] = now
    session["seen_at"] = now
    session.permanent = True


def current_token() -> str | None:
    return session.get(TOKEN_KEY)


def renew_session(user: User, *, reason: str) -> None:
    """After a change of credentials: end every session of the user, this one included, then give this
    browser a new one (a cookie copied before the change opens nothing)."""
    user_sessions.revoke(db_session(), reason=reason, user_ids=[user.id])
    session[TOKEN_KEY] = user_sessions.open_session(db_session(), user=user, ip=request.remote_addr,
                                                    user_agent=request.user_agent.string)


def end_session(reason: str) -> None:
    """End this browser's server-side session (sign-out, expiry); the caller commits."""
    token = current_token()
    if token:
        user_sessions.revoke(db_session(), reason=reason, token=token)


def session_expired() -> bool:
    """True when the session passed its idle or absolute timeout (or never started); refreshes last-seen."""
    settings = current_app.config["EMEUSE_SETTINGS"]
    now = int(time.time())
    auth_at, seen_at = session.get("auth_at"), session.get("seen_at")
    if auth_at is None or seen_at is None:
        return True
    if now - auth_at > settings.session_absolute_hours * 3600:
        return True
    if now - seen_at > settings.session_idle_minutes * 60:
        return True
    if now - seen_at > SEEN_REFRESH_SECONDS:
        session["seen_at"] = now
    return False
