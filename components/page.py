"""Page furniture: header, access-denied and empty states."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def page_header(title: str, subtitle: str | None = None) -> html.Div:
    return html.Div([html.H1(title, className="h3 mb-1"),
                     html.P(subtitle, className="text-muted") if subtitle else None], className="mb-3")


def denied() -> html.Div:
    return html.Div(dbc.Alert([html.H1("Accès refusé", className="h4"),
                               html.P("Votre profil ne permet pas de consulter cette page. "
                                      "Contactez un administrateur du consortium si vous pensez que c'est une erreur.",
                                      className="mb-0")], color="warning"), id="access-denied")


def empty_state(message: str = "Aucune donnée pour ce filtre.") -> dbc.Alert:
    return dbc.Alert(message, color="light", className="border")
