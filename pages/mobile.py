"""Cabinets médicaux mobiles: where the vehicles are, stops planned vs done, who they reach."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.panel import panel
from components.stat_card import stats_slot
from data.models import Dataset
from pages._shell import dashboard_page

PAGE = "mobile"
dash.register_page(__name__, path="/cabinets-mobiles", name="Cabinets mobiles",
                   title="Cabinets médicaux mobiles — e-Meuse Santé", order=20, dataset=Dataset.MOBILE.value)


TOUR_HELP = ("Au niveau « détail » : pour chaque véhicule, les arrêts du jour programmés, en cours, réalisés ou "
             "annulés, avec les heures prévues, réelles et estimées (heure de Paris) et le retard. Au niveau "
             "« synthèse » : le nombre d'arrêts du jour par département.")


def _body(_filters) -> html.Div:
    return html.Div([
        stats_slot(PAGE),
        dbc.Row([
            panel(f"{PAGE}-map", "Véhicules et communes desservies", is_map=True, height=520, width=7,
                  help_text="Au niveau « détail » : dernière position connue de chaque véhicule (points orange) et "
                            "communes où un arrêt a eu lieu sur la période (cercles, surface ∝ consultations) ; "
                            "cliquez sur une commune pour filtrer. Au niveau « synthèse » : consultations par "
                            "département."),
            panel(f"{PAGE}-weekly", "Arrêts par semaine (par mois au niveau « synthèse ») : réalisés, "
                                           "annulés", width=5, height=520),
        ]),
        dbc.Row([panel(f"{PAGE}-tour", "Tournée du jour", graph=False, help_text=TOUR_HELP)]),
        dbc.Row([panel(f"{PAGE}-communes", "Communes desservies", graph=False)]),
    ])


def layout(**query) -> html.Div:
    return dashboard_page(query, page=PAGE, title="Cabinets médicaux mobiles", dataset=Dataset.MOBILE.value,
                          body=_body, subtitle="Tournées des cabinets mobiles dans les villages : positions, "
                                               "arrêts, consultations et population atteinte.")
