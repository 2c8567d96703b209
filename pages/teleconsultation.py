"""Téléconsultation: activity by site and specialty, rates, EHPAD reach, medical time in EHPAD."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.panel import panel
from components.stat_card import stats_slot
from data.models import Dataset
from pages._shell import dashboard_page

PAGE = "teleconsultation"
dash.register_page(__name__, path="/teleconsultation", name="Téléconsultation",
                   title="Téléconsultation — e-Meuse Santé", order=10, dataset=Dataset.TELECONSULTATION.value)


def _body(_filters) -> html.Div:
    return html.Div([
        stats_slot(PAGE),
        dbc.Row([
            panel(f"{PAGE}-weekly", "Séances réalisées par semaine (par mois au niveau « synthèse »)", width=12,
                  help_text="Séances abouties chaque semaine (du lundi), par spécialité ; au niveau « synthèse », "
                            "chaque mois, par département ; les séances non abouties (annulées, patient absent, "
                            "échec technique) sont dans le tableau."),
            panel(f"{PAGE}-map", "Sites de téléconsultation", is_map=True, height=520, width=12,
                  help_text="Au niveau « détail », chaque site est un cercle dont la surface suit le nombre de "
                            "séances réalisées (cliquez sur un site pour filtrer sur sa commune) ; au niveau "
                            "« synthèse », chaque département est coloré selon ses séances réalisées."),
        ]),
    ])


def layout(**query) -> html.Div:
    return dashboard_page(query, page=PAGE, title="Téléconsultation", dataset=Dataset.TELECONSULTATION.value,
                          body=_body, subtitle="Séances en EHPAD, centres de santé et pharmacies : activité, "
                                               "taux de réalisation, public âgé et temps médical apporté.")
