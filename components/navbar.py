"""Top navigation built from the page registry, filtered by what the user may see."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

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


def navbar(*, scope: AccessScope, user_name: str, query: str = "") -> dbc.Navbar:
    who = ROLE_LABELS.get(scope.role, scope.role)
    if scope.college:
        who = f"{who} — {COLLEGES.get(scope.college, scope.college)}"
    links = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"] + query, active="exact",
                                     className="nav-page-link"))
             for p in visible_pages(scope)]
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("e-Meuse Santé", href="/" + query),
            dbc.Nav(links, navbar=True, className="me-auto", id="main-nav"),
            html.Span([html.Span(user_name, className="fw-semibold"), html.Br(),
                       html.Small(who)], className="navbar-text text-light text-end me-3 lh-sm"),
            dbc.Button("Mon compte", href="/compte", external_link=True, color="light", size="sm",
                       outline=True, className="me-2", id="account-link"),
            dbc.Button("Se déconnecter", href="/logout", external_link=True, color="light", size="sm",
                       outline=True, id="logout-link"),
        ], fluid=True),
        color="dark", dark=True, className="mb-3", tag="header",
    )
