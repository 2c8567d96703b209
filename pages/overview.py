"""Vue d'ensemble: is the programme active and reaching people?"""
from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.filters import filter_bar
from components.page import denied, page_header
from data.filters import parse_filters
from data.geography import departement_names
from server.auth import current_scope
from server.database import db_session
from settings import get_settings

dash.register_page(__name__, path="/", name="Vue d'ensemble", title="Vue d'ensemble — e-Meuse Santé",
                   order=0, dataset=None)


def layout(**query) -> html.Div:
    scope = current_scope()
    if scope is None:
        return denied()
    territory = get_settings().departements
    filters = parse_filters(query, today=date.today(), territory=territory)
    deps = {code: name for code, name in departement_names(db_session()).items() if code in scope.departements}
    return html.Div([
        page_header("Vue d'ensemble",
                    "Activité du programme e-Meuse Santé sur la période choisie, comparée à la période "
                    "précédente de même durée."),
        filter_bar(filters=filters, departements=deps),
        dcc.Loading(html.Div(id=ids.OVERVIEW_KPIS, className="mb-2"), type="dot"),
        dbc.Card([
            dbc.CardHeader(html.H2("Densité de médecins généralistes par commune", className="h5 mb-0")),
            dbc.CardBody([
                dcc.Loading(dcc.Graph(id=ids.OVERVIEW_MAP, config={"locale": "fr", "displaylogo": False,
                                                                    "scrollZoom": True},
                                      style={"height": "560px"}), type="dot"),
                html.P(id=ids.OVERVIEW_MAP_CAPTION, className="small text-muted mt-2 mb-0",
                       **{"aria-live": "polite"}),
            ]),
        ], className="shadow-sm mb-4"),
    ])
