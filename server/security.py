"""Security headers (CSP that lets Dash, Plotly and MapLibre run), CSRF cookie for Dash, error pages."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, generate_csrf

from server.guard import wants_json

CSRF_COOKIE = "_csrf_token"  # read by dash-renderer and sent back as the X-CSRFToken header
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/geo/", "/_favicon.ico")


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
        if secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if g.get("set_csrf_cookie"):
            response.set_cookie(CSRF_COOKIE, generate_csrf(), secure=secure_cookies, httponly=False,
                                samesite="Strict", path="/")
        return response

    @server.errorhandler(CSRFError)
    def _csrf_error(_err):
        message = "Le formulaire a expiré ou n'a pas pu être vérifié. Merci de recharger la page."
        if wants_json():
            return jsonify(error="csrf", message=message), 400
        return render_template("error.html", title="Formulaire expiré", message=message, status=400), 400

    @server.errorhandler(429)
    def _too_many(_err):
        message = "Trop de tentatives. Merci de patienter une minute avant de réessayer."
        if wants_json():
            return jsonify(error="rate_limited", message=message), 429, {"Retry-After": "60"}
        return render_template("error.html", title="Trop de tentatives", message=message, status=429), 429

    @server.errorhandler(413)
    def _too_large(_err):
        message = "Requête trop volumineuse."
        if wants_json():
            return jsonify(error="payload_too_large", message=message), 413
        return render_template("error.html", title="Requête trop volumineuse", message=message, status=413), 413

    @server.errorhandler(405)
    def _method(_err):
        message = "Méthode HTTP non autorisée pour cette adresse."
        if wants_json():
            return jsonify(error="method_not_allowed", message=message), 405
        return render_template("error.html", title="Méthode non autorisée", message=message, status=405), 405

    @server.errorhandler(404)
    def _not_found(_err):
        if wants_json():
            return jsonify(error="not_found", message="Ressource introuvable."), 404
        return render_template("error.html", title="Page introuvable",
                               message="Cette adresse ne correspond à aucune page.", status=404), 404

    @server.errorhandler(500)
    def _server_error(_err):
        message = "Une erreur interne est survenue. Elle a été enregistrée ; merci de réessayer."
        if wants_json():
            return jsonify(error="internal", message=message), 500
        return render_template("error.html", title="Erreur interne", message=message, status=500), 500

    @server.before_request
    def _mark_csrf_cookie():
        # Pages and callbacks of a signed-in session carry a fresh token for dash-renderer.
        if not request.path.startswith(STATIC_PREFIXES):
            g.set_csrf_cookie = True
