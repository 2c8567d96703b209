"""Security headers (CSP that lets Dash, Plotly and MapLibre run), CSRF cookie for Dash, error pages."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.serving import WSGIRequestHandler

from server.guard import wants_json
from server.sessions import COOKIELESS_PREFIXES

CSRF_COOKIE = "_csrf_token"  # read by dash-renderer and sent back as the X-CSRFToken header
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/geo/", "/_favicon.ico")
SERVER_BANNER = "e-Meuse"  # instead of "Werkzeug/x Python/y" or "gunicorn"
# servers that always write their own Server header (set to SERVER_BANNER by BannerlessRequestHandler and
# gunicorn.conf.py): a second one from the app would be sent as well
OWN_BANNER_SERVERS = ("werkzeug", "gunicorn")


class BannerlessRequestHandler(WSGIRequestHandler):
    """The development server (`python app.py`) without its version banner."""

    def version_string(self) -> str:
        return SERVER_BANNER


def inline_script_hashes(html: str) -> list[str]:
    """CSP hashes of the executable inline scripts of a rendered page (JSON data blocks excluded)."""
    import base64
    import hashlib
    import re

    hashes = []
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        if not body.strip() or "application/json" in attrs:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def content_security_policy(script_hashes: list[str], tile_url: str | None = None) -> str:
    connect = ["'self'"]
    img = ["'self'", "data:", "blob:"]
    if tile_url:
        origin = urlparse(tile_url.replace("{", "").replace("}", ""))
        connect.append(f"{origin.scheme}://{origin.netloc}")
        img.append(f"{origin.scheme}://{origin.netloc}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],  # Plotly and Dash set inline styles
        "img-src": img,
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "worker-src": ["'self'", "blob:"],  # MapLibre's web workers
        "child-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


# status → (JSON error code, page title, French message): JSON for Dash and the API, a page otherwise.
ERRORS = {
    403: ("forbidden", "Accès refusé", "Votre profil ne permet pas d'accéder à cette ressource."),
    404: ("not_found", "Page introuvable", "Cette adresse ne correspond à aucune page."),
    405: ("method_not_allowed", "Méthode non autorisée", "Méthode HTTP non autorisée pour cette adresse."),
    413: ("payload_too_large", "Requête trop volumineuse", "Requête trop volumineuse."),
    429: ("rate_limited", "Trop de tentatives",
          "Trop de tentatives. Merci de patienter une minute avant de réessayer."),
    500: ("internal", "Erreur interne",
          "Une erreur interne est survenue. Elle a été enregistrée ; merci de réessayer."),
}


def error_page(status: int, title: str, message: str):
    """A French error page (or JSON for Dash and API calls) answered from a view."""
    if wants_json():
        return jsonify(error=ERRORS.get(status, ("error",))[0], message=message), status
    return render_template("error.html", title=title, message=message, status=status), status


def _error_handler(status: int, code: str, title: str, message: str):
    def handle(_err):
        headers = {"Retry-After": "60"} if status == 429 else {}
        if wants_json():
            return jsonify(error=code, message=message), status, headers
        return render_template("error.html", title=title, message=message, status=status), status, headers
    return handle


def install(server: Flask, *, secure_cookies: bool) -> None:
    """Security headers on every response, error pages in French, the CSRF cookie for Dash.

    The CSP itself is `EMEUSE_CSP` in the config, set by the factory once Dash is fully set up.
    """

    @server.after_request
    def _headers(response):
        csp = server.config.get("EMEUSE_CSP")
        if csp:
            response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if not request.environ.get("SERVER_SOFTWARE", "").lower().startswith(OWN_BANNER_SERVERS):
            response.headers["Server"] = SERVER_BANNER
        if secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if g.get("set_csrf_cookie"):
            response.set_cookie(CSRF_COOKIE, generate_csrf(), secure=secure_cookies, httponly=False,
                                samesite="Strict", path="/")
        return response

    server.register_error_handler(CSRFError, _error_handler(
        400, "csrf", "Formulaire expiré",
        "Le formulaire a expiré ou n'a pas pu être vérifié. Merci de recharger la page."))
    for status, (code, title, message) in ERRORS.items():
        server.register_error_handler(status, _error_handler(status, code, title, message))

    @server.before_request
    def _mark_csrf_cookie():
        # Pages and callbacks of a signed-in session carry a fresh token for dash-renderer.
        if not request.path.startswith(STATIC_PREFIXES + COOKIELESS_PREFIXES):
            g.set_csrf_cookie = True
