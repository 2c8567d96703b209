"""Programme: each experiment's indicators against their targets, over time, by territory."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.panel import panel
from components.stat_card import stats_slot
from components.url_state import initial_values
from data.models import Dataset
from data.terminology import EXPERIMENTS
from pages._shell import dashboard_page

PAGE = "programme"
dash.register_page(__name__, path="/programme", name="Programme", title="Programme — e-Meuse Santé", order=60,
                   dataset=Dataset.PROGRAMME.value)


def layout(**query) -> html.Div:
    experiment = initial_values(PAGE, query)[f"{PAGE}-experiment"]  # through its codec (components/url_state.py)

    def body(_filters):
        return html.Div([
            dbc.Row(dbc.Col([dbc.Label("Expérimentation", html_for=f"{PAGE}-experiment"),
                             dbc.Select(id=f"{PAGE}-experiment", value=experiment,
                                        options=[{"label": v, "value": k} for k, v in EXPERIMENTS.items()])], md=6),
                    className="mb-3"),
            stats_slot(PAGE),
            dbc.Row([panel(f"{PAGE}-chart", "Valeur de l'indicateur et cible, par territoire", width=12,
                           height=420)]),
        ])

    return dashboard_page(query, page=PAGE, title="Évaluation du programme", dataset=Dataset.PROGRAMME.value,
                          body=body, live=False,
                          subtitle="Indicateurs d'évaluation de chaque expérimentation, comparés à leur cible.")
