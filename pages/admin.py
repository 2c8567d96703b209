"""Administration: users, grants matrix, feed sources and API keys, audit log."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import request

from components.admin import (
    audit_rows,
    audit_tab,
    grant_rows,
    grants_tab,
    source_rows,
    sources_tab,
    user_rows,
    users_tab,
)
from components.page import page_header
from data import admin
from data.audit import AuditQuery
from data.geography import departement_names
from server.auth import current_scope
from server.database import db_session

dash.register_page(__name__, path="/admin", name="Administration", title="Administration — e-Meuse Santé",
                   order=90, dataset=None, roles=("admin",))


def layout(**_query) -> html.Div:
    from flask_login import current_user

    actor = admin.Actor(current_scope(), current_user.email, request.remote_addr)
    session = db_session()
    deps = departement_names(session)
    sections = [
        ("utilisateurs", "Utilisateurs", users_tab(user_rows(admin.list_users(session, actor=actor)), deps)),
        ("droits", "Droits d'accès", grants_tab(grant_rows(admin.grants_matrix(session, actor=actor)))),
        ("sources", "Sources et clés d'API", sources_tab(source_rows(admin.list_sources(session, actor=actor)))),
        ("audit", "Journal d'audit",
         audit_tab(audit_rows(admin.audit_search(session, actor=actor, query=AuditQuery(limit=200))))),
    ]
    return html.Div([
        page_header("Administration", "Comptes, droits d'accès des collèges, sources de flux et journal d'audit."),
        html.Nav(dbc.Nav([dbc.NavLink(title, href=f"#{anchor}", external_link=True) for anchor, title, _ in sections],
                         pills=True), className="mb-3", **{"aria-label": "Sections de l'administration"}),
        *[html.Section([html.H2(title, className="h4 mt-4"), body], id=anchor, className="mb-5")
          for anchor, title, body in sections],
    ])
