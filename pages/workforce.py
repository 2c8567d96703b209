"""Professionnels de santé: density, age structure, flows, retirements and study-grant holders."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.panel import panel
from components.stat_card import stats_slot
from components.url_state import initial_values
from data.models import Dataset
from data.queries.workforce import PROFESSION_CHOICES, SCALES
from pages._shell import dashboard_page

PAGE = "workforce"
dash.register_page(__name__, path="/professionnels", name="Professionnels de santé",
                   title="Professionnels de santé — e-Meuse Santé", order=40, dataset=Dataset.WORKFORCE.value)


def controls(query: dict) -> dbc.Row:
    """The page's own controls, read from the URL through their codecs (components/url_state.py)."""
    values = initial_values(PAGE, query)
    profession, scale = values[f"{PAGE}-profession"], values[f"{PAGE}-scale"]
    return dbc.Row([
        dbc.Col([dbc.Label("Profession", html_for=f"{PAGE}-profession"),
                 dbc.Select(id=f"{PAGE}-profession", value=profession,
                            options=[{"label": v, "value": k} for k, v in PROFESSION_CHOICES.items()])], md=4),
        dbc.Col(html.Fieldset([html.Legend("Échelle de la carte", className="form-label fs-6"),
                               dbc.RadioItems(id=f"{PAGE}-scale", value=scale, inline=True,
                                              options=[{"label": v, "value": k} for k, v in SCALES.items()])]),
                md=8),
    ], className="mb-3")


def layout(**query) -> html.Div:
    def body(_filters):
        return html.Div([
            controls(query),
            stats_slot(PAGE),
            dbc.Row([
                panel(f"{PAGE}-map", "Densité pour 10 000 habitants", is_map=True, height=520, width=7,
                      help_text="Professionnels en activité à la fin de la période, rapportés à la population "
                                "(recensement). Cliquez sur une commune pour filtrer."),
                panel(f"{PAGE}-ages", "Pyramide des âges", width=5, height=520),
            ]),
            dbc.Row([panel(f"{PAGE}-flows", "Installations et départs par trimestre", width=12)]),
        ])

    return dashboard_page(query, page=PAGE, title="Professionnels de santé", dataset=Dataset.WORKFORCE.value,
                          body=body, live=False,
                          subtitle="Démographie des professionnels (extraction RPPS) : densité, âge, "
                                   "installations, départs et départs à la retraite attendus.")
