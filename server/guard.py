"""The request guard: no anonymous request reaches a page, a layout or a callback."""
from __future__ import annotations

from urllib.parse import quote

from flask import Flask, jsonify, redirect, request
from flask_login import current_user

# Paths served without a session: sign-in, health, static files, the shared map geometry.
PUBLIC_PREFIXES = ("/login", "/healthz", "/assets/", "/_dash-component-suites/", "/geo/",
                   "/_favicon.ico", "/favicon.ico")
# Dash's JSON endpoints: answered 401 (never redirected to an HTML page) when anonymous.
DASH_API_PREFIXES = ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies", "/_reload-hash")


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def install(server: Flask) -> None:
    @server.before_request
    def _require_login():
        path = request.path
        if is_public(path) or current_user.is_authenticated:
            return None
        if path.startswith(DASH_API_PREFIXES) or request.method != "GET":
            response = jsonify(error="authentification requise",
                               message="Votre session a expiré ou vous n'êtes pas connecté.")
            response.status_code = 401
            return response
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/?=&')}")
