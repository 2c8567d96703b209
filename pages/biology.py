"""Biologie délocalisée (EHPAD): tests, abnormal results, turnaround, device health."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.panel import panel
from components.stat_card import stats_slot
from data.models import Dataset
from pages._shell import dashboard_page

PAGE = "biology"
dash.register_page(__name__, path="/biologie", name="Biologie délocalisée",
                   title="Biologie délocalisée — e-Meuse Santé", order=30, dataset=Dataset.BIOLOGY.value)


def _body(_filters) -> html.Div:
    return html.Div([
        stats_slot(PAGE),
        dbc.Row([
            panel(f"{PAGE}-devices", "Automates à surveiller", graph=False,
                  help_text="Un automate est en alerte si son dernier contrôle qualité a échoué ou s'il n'a "
                            "envoyé aucun rapport d'état depuis 48 heures."),
            panel(f"{PAGE}-weekly", "Analyses par semaine (par mois au niveau « synthèse ») et par examen", width=12),
            panel(f"{PAGE}-sites", "Par EHPAD et par examen : taux d'anormaux et délais", width=12, height=420),
        ]),
    ])


def layout(**query) -> html.Div:
    return dashboard_page(query, page=PAGE, title="Biologie délocalisée en EHPAD", dataset=Dataset.BIOLOGY.value,
                          body=_body, subtitle="Analyses réalisées au lit du résident : volumes, résultats "
                                               "anormaux, délais et état des automates.")
