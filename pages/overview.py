"""Vue d'ensemble: is the programme active and reaching people?"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.map_patch import map_state_id
from components.panel import MAP_CONFIG
from data.indicators import indicator
from data.views.provenance import MAP_KEYS
from pages._shell import dashboard_page

dash.register_page(__name__, path="/", name="Vue d'ensemble", title="Vue d'ensemble — e-Meuse Santé",
                   order=0, dataset=None)


def _body(_filters) -> html.Div:
    return html.Div([
        html.Div(id=ids.OVERVIEW_KPIS, className="stats-slot mb-2", **{"aria-live": "polite"}),  # no overlay
        dbc.Card([
            dbc.CardHeader(html.H2("Densité de médecins généralistes par commune", className="h5 mb-0")),
            dbc.CardBody([
                html.Figure([
                    dcc.Loading(dcc.Graph(id=ids.OVERVIEW_MAP, config=MAP_CONFIG, style={"height": "560px"}),
                                type="dot", delay_show=300),
                    dcc.Store(id=map_state_id(ids.OVERVIEW_MAP)),
                    html.Figcaption(id=ids.OVERVIEW_MAP_CAPTION, className="small text-muted mt-2 mb-0",
                                    **{"aria-live": "polite"}),
                ], className="mb-0"),
                html.A("Méthode de la carte", href=indicator(MAP_KEYS["overview"]).anchor,
                       className="small about-link"),
            ]),
        ], className="shadow-sm mb-4"),
    ])


def layout(**query) -> html.Div:
    return dashboard_page(query, page="overview", title="Vue d'ensemble", dataset=None, body=_body,
                          subtitle="Activité du programme e-Meuse Santé sur la période choisie, comparée à la "
                                   "période précédente de même durée. Cliquez sur une commune de la carte pour "
                                   "filtrer.")
