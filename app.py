"""Application factory: Flask server + Dash pages, built only by `create_app()` (gunicorn, the flask CLI)."""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html
from flask import Flask

from settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent
log = logging.getLogger(__name__)

INDEX_STRING = """<!DOCTYPE html>
<html lang="fr">
  <head>
    {%metas%}
    <title>{%title%}</title>
    {%favicon%}
    {%css%}
  </head>
  <body>
    <a class="visually-hidden-focusable skip-link" href="#contenu">Aller au contenu</a>
    {%app_entry%}
    <footer>
      {%config%}
      {%scripts%}
      {%renderer%}
    </footer>
  </body>
</html>"""

def _flask_config(settings: Settings) -> dict:
    return {
        "SECRET_KEY": settings.effective_secret_key,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.is_production,
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=settings.session_idle_minutes),
        "WTF_CSRF_TIME_LIMIT": 3600,
        "CACHE_TYPE": "RedisCache" if settings.redis_url else "SimpleCache",
        "CACHE_REDIS_URL": settings.redis_url,
        "CACHE_DEFAULT_TIMEOUT": 300,
        "CACHE_KEY_PREFIX": settings.redis_prefix,
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "application/javascript", "application/json",
                               "application/geo+json"],
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": settings.redis_prefix.rstrip(":"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
        "EMEUSE_SETTINGS": settings,
    }


def app_layout():
    """Per-request shell: navigation for the signed-in user, then the current page."""
    from flask_login import current_user
    from flask_wtf.csrf import generate_csrf

    from components.navbar import navbar
    from components.url_state import NAV_MEMORY
    from server.auth import current_scope

    scope = current_scope()
    store = dcc.Store(id=NAV_MEMORY, storage_type="session")  # the menu links' memory (callbacks/url_state.py)
    if scope is None:
        return html.Div([store, dash.page_container])
    return html.Div([
        navbar(scope=scope, user_name=current_user.full_name, csrf_token=generate_csrf()),
        html.Main(dbc.Container(dash.page_container, fluid=True), id="contenu", tabIndex="-1"),
        store,
    ])


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Flask server with its Dash app; touches no data (`python app.py` and `flask init-db` prepare it).

    `overrides` replaces settings fields (tests). Dash supports one app per process: the callbacks
    registered with the global `dash.callback` go to the first app set up and later ones serve none.
    """
    settings = get_settings() if not overrides else Settings(**{**get_settings().model_dump(), **overrides})
    logging.basicConfig(level=logging.INFO if settings.debug else logging.WARNING)

    from server import (
        account,
        api,
        auth,
        callback_requests,
        cli,
        database,
        exports,
        guard,
        health,
        reports,
        security,
        sessions,
    )
    from server.extensions import cache, compress, csrf, limiter, login_manager

    server = Flask(__name__, template_folder=str(ROOT / "server" / "templates"))
    server.config.update(_flask_config(settings))
    server.session_interface = sessions.BrowserSessionInterface()
    from data.formatting import fmt_datetime

    server.add_template_filter(fmt_datetime, "paris")  # templates show times on the one clock (Europe/Paris)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,
                                   x_host=settings.proxy_hops)
    login_manager.init_app(server)
    guard.install(server)  # first: anonymous requests are answered 401/redirect before anything else
    csrf.init_app(server)
    limiter.init_app(server)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Merci de vous connecter pour accéder à cette page."
    cache.init_app(server)
    compress.init_app(server)
    database.init_app(server, settings)
    server.register_blueprint(auth.bp)
    server.register_blueprint(account.bp)
    server.register_blueprint(health.bp)
    server.register_blueprint(exports.bp)
    reports.register(server)
    api.register(server)
    cli.register(server)

    import callbacks  # noqa: F401 - registers every callback with dash.callback, for the Dash app below

    dash_app = Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        title="e-Meuse Santé",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        csrf_token_name=security.CSRF_COOKIE,
        csrf_header_name="X-CSRFToken",
    )
    dash_app.index_string = INDEX_STRING
    dash_app.layout = app_layout
    security.install(server, secure_cookies=settings.is_production)
    # Let Dash finish its first-request set-up now (callbacks, pages router, their inline scripts),
    # through a public request that needs no database, so the CSP can hash every inline script the page will carry.
    server.test_client().get("/_favicon.ico")
    callback_requests.install(server, dash_app.callback_map)
    if all("_pages_" in output for output in dash_app.callback_map):
        log.warning("no callbacks: an earlier Dash app of this process took them (build one app per process)")
    _guard_page_layouts()
    with server.test_request_context("/"):
        hashes = set(dash_app.csp_hashes()) | set(security.inline_script_hashes(dash_app.index()))
    server.config["EMEUSE_CSP"] = security.content_security_policy(sorted(hashes), settings.map_tile_url)
    server.extensions["emeuse.dash"] = dash_app
    return server


def _guard_page_layouts() -> None:
    """Every page layout checks the caller's scope first (Dash navigation does not pass the guard)."""
    from components.page import denied
    from server.auth import current_scope
    from server.refusals import note_refusal

    for page in dash.page_registry.values():
        layout = page["layout"]
        if getattr(layout, "emeuse_guarded", False) or not callable(layout):
            continue

        def guarded(*args, _layout=layout, _dataset=page.get("dataset"), _roles=page.get("roles"),
                    _path=page.get("path"), **kwargs):
            scope = current_scope()
            if scope is None or not scope.can_open(_dataset, _roles):
                if scope is not None:
                    note_refusal("page", _path, dataset=_dataset, roles=_roles)
                return denied()
            return _layout(*args, **kwargs)

        guarded.emeuse_guarded = True
        page["layout"] = guarded


def demo_logins_text() -> str:
    from data.demo import demo_accounts

    lines = ["Comptes de démonstration (base de démo uniquement) :"]
    lines += [f"  {a.email:<42} {a.password:<28} {a.role}" + (f" ({a.college})" if a.college else "")
              for a in demo_accounts()]
    return "\n".join(lines)


if __name__ == "__main__":
    from server.database import prepare_database

    server = create_app()
    prepare_database(server, server.config["EMEUSE_SETTINGS"])
    port = int(os.environ.get("PORT", "8050"))
    print(demo_logins_text(), flush=True)
    print(f"e-Meuse Santé : http://127.0.0.1:{port}", flush=True)
    from server.security import BannerlessRequestHandler

    server.run(host="127.0.0.1", port=port, debug=get_settings().debug, request_handler=BannerlessRequestHandler)
