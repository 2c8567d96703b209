"""Évaluation: what the programme changed — impact estimates with their uncertainty, one section per service."""
from __future__ import annotations

import dash
from dash import dcc, html

from components.ids import EVALUATION_SECTIONS
from components.stat_card import stats_slot
from data.models import Dataset
from pages._shell import dashboard_page

PAGE = "evaluation"
SECTIONS_ID = EVALUATION_SECTIONS
dash.register_page(__name__, path="/evaluation", name="Évaluation", title="Évaluation — e-Meuse Santé", order=65,
                   dataset=Dataset.PROGRAMME.value)


def layout(**query) -> html.Div:
    def body(_filters):
        return html.Div([
            stats_slot(PAGE),
            dcc.Loading(html.Div(id=SECTIONS_ID), type="dot", delay_show=300),
        ])

    return dashboard_page(query, page=PAGE, title="Évaluation : ce que le programme a changé",
                          dataset=Dataset.PROGRAMME.value, body=body, live=False,
                          subtitle="Estimations d'impact de chaque service avec leur intervalle de confiance ; "
                                   "chaque méthode et ses limites sont sur la page Méthodes.")
