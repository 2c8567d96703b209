"""Authorisation inside callbacks: the scope comes from the session, never from the browser."""
from __future__ import annotations

from dash.exceptions import PreventUpdate

from data.access import AccessScope
from server.auth import current_scope


def require_scope() -> AccessScope:
    """The caller's scope; anonymous callers get nothing (the guard answers 401 before this)."""
    scope = current_scope()
    if scope is None:
        raise PreventUpdate
    return scope
