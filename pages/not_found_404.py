"""The page shown for an address that is no page of the dashboard (Dash's own 404 is in English)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

NOT_FOUND_TITLE = "Page introuvable"
dash.register_page(__name__, path="/page-introuvable", name=NOT_FOUND_TITLE,
                   title=f"{NOT_FOUND_TITLE} — e-Meuse Santé", nav=False, dataset=None)


def layout(**_query) -> html.Div:
    return html.Div(dbc.Alert([
        html.H1(f"{NOT_FOUND_TITLE} (erreur 404)", className="h4"),
        html.P("Cette adresse ne correspond à aucune page du tableau de bord : elle a peut-être été mal recopiée, "
               "ou la page a changé de nom.", className="mb-2"),
        html.A("Revenir à la vue d'ensemble", href="/", className="alert-link"),
    ], color="light", className="border"), id="page-not-found")
