"""Top navigation built from the page registry, filtered by what the user may see."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.alerts import header_badge
from components.url_state import PAGE_CONTROLS, nav_link_id
from data.access import COLLEGES, AccessScope

ROLE_LABELS = {"member": "Membre", "ars": "Officier ARS", "admin": "Administrateur"}


def visible_pages(scope: AccessScope) -> list[dict]:
    """Registered pages in menu order that this scope may open (custom key `dataset`)."""
    pages = []
    for page in dash.page_registry.values():
        if page.get("nav") is False:
            continue
        if scope.can_open(page.get("dataset"), page.get("roles")):
            pages.append(page)
    return sorted(pages, key=lambda p: p.get("order", 100))


def _link_id(page: dict) -> dict:
    """Links to pages with the filter bar get a pattern id: callbacks/url_state.py sets their href."""
    name = page["module"].rsplit(".", 1)[-1]
    return {"id": nav_link_id(name, page["relative_path"])} if name in PAGE_CONTROLS else {}


def logout_form(csrf_token: str) -> html.Form:
    """Sign-out is a POST with the CSRF token (a GET link could be triggered by any page or prefetch)."""
    return html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=csrf_token, id="logout-csrf"),
        dbc.Button("Se déconnecter", type="submit", color="light", size="sm", outline=True, id="logout-link"),
    ], method="POST", action="/logout", className="d-inline m-0")


def navbar(*, scope: AccessScope, user_name: str, csrf_token: str, query: str = "") -> html.Header:
    """Two tiers from the lg breakpoint: brand and account on top, the pages below (wrapping). Below lg,
    one line: the brand and a « Menu » toggler that opens the account block and the pages
    (callbacks/layout.py)."""
    who = ROLE_LABELS.get(scope.role, scope.role)
    if scope.college:
        who = f"{who} — {COLLEGES.get(scope.college, scope.college)}"
    links = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"] + query, active="exact",
                                     className="nav-page-link", **_link_id(p)))
             for p in visible_pages(scope)]
    toggler = html.Button([html.Span(className="navbar-toggler-icon"), html.Span("Menu", className="ms-2")],
                          id=ids.NAV_TOGGLER, type="button", className="navbar-toggler ms-auto d-lg-none",
                          **{"aria-controls": f"{ids.NAV_ACCOUNT} {ids.NAV_PAGES}", "aria-expanded": "false"})
    top = dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("e-Meuse Santé", href="/" + query,
                            id=nav_link_id("overview", "/", slot="brand")),
            toggler,
            dbc.Collapse(html.Div([
                html.Span([html.Span(user_name, className="fw-semibold"), html.Br(), html.Small(who)],
                          className="navbar-text text-light text-lg-end me-3 lh-sm py-0"),
                header_badge(),
                dbc.Button("Mon compte", href="/compte", external_link=True, color="light", size="sm",
                           outline=True, className="me-2", id="account-link"),
                logout_form(csrf_token),
            ], className="d-flex align-items-center ms-lg-auto flex-wrap gap-2 py-2 py-lg-0"),
                id=ids.NAV_ACCOUNT, is_open=False, navbar=True),
        ], fluid=True),
        color="dark", dark=True, expand="lg", className="py-1",
    )
    pages = html.Nav(dbc.Container(dbc.Collapse(dbc.Nav(links, pills=True, className="flex-wrap py-1", id="main-nav"),
                                                id=ids.NAV_PAGES, is_open=False, navbar=True), fluid=True),
                     className="page-nav navbar-expand-lg border-bottom mb-3",
                     **{"aria-label": "Pages du tableau de bord"})
    return html.Header([top, pages])
