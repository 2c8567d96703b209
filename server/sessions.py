"""Session lifetime: a signed-in session starts at sign-in and ends after idle or absolute timeouts."""
from __future__ import annotations

import time

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin

SEEN_REFRESH_SECONDS = 60  # last-seen time is rewritten at most once a minute (fewer cookie changes)
COOKIELESS_PREFIXES = ("/api/",)  # feed sources are machines with an API key, not browser sessions


class BrowserSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, never set (nor refreshed) on a response under COOKIELESS_PREFIXES."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return not request.path.startswith(COOKIELESS_PREFIXES) and super().should_set_cookie(app, session)


def start_session() -> None:
    """Stamp the sign-in and last-seen times of a fresh session."""
    now = int(time.time())
    session["auth_at"] = now
    session["seen_at"] = now
    session.permanent = True


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
