"""The request guard: one place deciding whether a request may go on.

No anonymous request reaches a page, a layout or a callback; expired sessions end; a user who must
change a password or enrol a second factor is sent to their account page; a page the user may not
open is answered 403 with a French page (Dash navigation is checked again in the page layout).
"""
from __future__ import annotations

import dash
from flask import Flask, current_app, g, jsonify, redirect, render_template, request, session
from flask_login import current_user, logout_user
from werkzeug.exceptions import MethodNotAllowed, NotFound

from data import audit, user_sessions
from server.auth import current_scope, login_url
from server.database import db_session
from server.refusals import note_refusal
from server.sessions import end_session, session_expired

PUBLIC_PREFIXES = ("/login", "/healthz", "/assets/", "/_dash-component-suites/", "/geo/",
                   "/_favicon.ico", "/favicon.ico", "/api/")
DASH_API_PREFIXES = ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies", "/_reload-hash")
ACCOUNT_PREFIXES = ("/compte", "/logout")


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def wants_json() -> bool:
    return request.path.startswith(DASH_API_PREFIXES) or request.path.startswith("/api/") or (
        request.method != "GET" and not request.path.startswith(("/login", "/compte")))


def _refuse(status: int, code: str, message: str, redirect_to: str | None = None):
    if wants_json():
        response = jsonify(error=code, message=message)
        response.status_code = status
        return response
    if redirect_to:
        return redirect(redirect_to)
    return render_template("error.html", title="Accès refusé", message=message, status=status), status


def _requested() -> str | None:
    """The page asked for, with its whole query, to come back to after sign-in (GET only)."""
    if request.method != "GET" or wants_json():
        return None
    return request.full_path.rstrip("?")


def _page_for_path(path: str) -> dict | None:
    for page in dash.page_registry.values():
        if page.get("path") == path or page.get("relative_path") == path:
            return page
    return None


def _api_miss():
    """Under /api/ only the API answers (never Dash's catch-all page): JSON 404 or 405."""
    try:
        endpoint, _ = current_app.url_map.bind("").match(request.path, method="POST")
    except (NotFound, MethodNotAllowed):
        endpoint = None
    if endpoint and endpoint.startswith("api."):
        return _refuse(405, "method_not_allowed", "Méthode HTTP non autorisée pour cette adresse.")
    return _refuse(404, "not_found", "Ressource introuvable.")


def install(server: Flask) -> None:
    @server.before_request
    def _require_login():
        path = request.path
        if path.startswith("/api/") and request.blueprint != "api":
            return _api_miss()
        if is_public(path):
            return None
        if not current_user.is_authenticated:
            return _refuse(401, "authentification requise", "Votre session a expiré ou vous n'êtes pas connecté.",
                           redirect_to=login_url(_requested()))
        if session_expired():
            audit.record(db_session(), action="session.expired", actor=current_user.email,
                         user_id=int(current_user.id), ip=request.remote_addr)
            end_session("expired")
            db_session().commit()
            logout_user()
            session.clear()
            return _refuse(401, "session expirée", "Votre session a expiré. Merci de vous reconnecter.",
                           redirect_to=login_url(_requested(), reason="expired"))
        row = g.get("user_session")
        if row is not None and user_sessions.touch(row, ip=request.remote_addr):
            db_session().commit()
        if path.startswith(ACCOUNT_PREFIXES):
            return None
        record = current_user.record
        if record.must_change_password:
            return _refuse(403, "mot de passe à changer", "Merci de choisir un nouveau mot de passe.",
                           redirect_to="/compte?raison=mot-de-passe")
        required = current_app.config["EMEUSE_SETTINGS"].totp_required_for
        if record.role in required and not record.totp_secret:
            return _refuse(403, "double authentification requise",
                           "La double authentification est obligatoire pour votre rôle.",
                           redirect_to="/compte?raison=2fa")
        page = _page_for_path(path)
        if page is not None and request.method == "GET":
            if not current_scope().can_open(page.get("dataset"), page.get("roles")):
                note_refusal("page", path, dataset=page.get("dataset"), roles=page.get("roles"))
                return _refuse(403, "accès refusé", "Votre profil ne permet pas de consulter cette page.")
        return None
