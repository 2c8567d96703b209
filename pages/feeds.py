"""Flux: health of every feed source — last event, rate, rejects and their reasons."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.panel import panel
from components.stat_card import stats_slot
from data.models import Dataset
from data.views.quality import METHOD as QUALITY_METHOD
from pages._shell import dashboard_page

PAGE = "feeds"
dash.register_page(__name__, path="/flux", name="Flux", title="Santé des flux — e-Meuse Santé", order=70,
                   dataset=Dataset.FEEDS.value)


def _body(_filters) -> html.Div:
    return html.Div([
        stats_slot(PAGE),
        html.P(id=ids.FEEDS_REPLICA, className="small text-muted", **{"aria-live": "polite"}),
        dbc.Row([
            panel(f"{PAGE}-sources", "Sources", graph=False,
                  help_text="Une source est « silencieuse » si elle n'a rien envoyé depuis 24 heures."),
            panel(f"{PAGE}-hourly", "Événements reçus par heure (48 dernières heures)", width=7),
            panel(f"{PAGE}-rejects", "Refus par motif (7 derniers jours)", width=5),
        ]),
        _quality_section(),
        _completeness_section(),
    ])


def _quality_section() -> html.Section:
    """« Qualité des données »: score per source, flags by check, latest flagged events (callbacks/feeds.py)."""
    return html.Section([
        html.H2("Qualité des données", className="h4 mt-2 mb-3"),
        dbc.Row([
            panel(f"{PAGE}-quality", "Score de qualité (7 derniers jours)", graph=False, help_text=QUALITY_METHOD),
            panel(f"{PAGE}-checks", "Signalements par contrôle (7 derniers jours)", graph=False),
            panel(f"{PAGE}-flags", "Derniers événements signalés", graph=False),
        ]),
    ], id=f"{PAGE}-quality-section", **{"aria-label": "Qualité des données"})


def _completeness_section() -> html.Section:
    """Whether every device, site and mobile stop that owed a report sent it, and in time (DHIS2 semantics)."""
    return html.Section([
        html.H2("Complétude et ponctualité (7 derniers jours)", className="h4 mt-2"),
        html.P(id=ids.FEEDS_COMPLETENESS_WINDOW, className="small text-muted"),
        html.Div(id=ids.FEEDS_COMPLETENESS_CARDS, className="stats-slot", **{"aria-live": "polite"}),
        dbc.Row([
            panel(ids.FEEDS_COMPLETENESS_DEPARTEMENTS, "Complétude par flux et par département", graph=False),
            panel(ids.FEEDS_COMPLETENESS_MISSING, "Rapports manquants", graph=False),
            panel(ids.FEEDS_COMPLETENESS_ITEMS, "Complétude par automate, site et véhicule", graph=False),
        ]),
    ], id=f"{ids.FEEDS_COMPLETENESS}-section", **{"aria-label": "Complétude et ponctualité des rapports"})


def layout(**query) -> html.Div:
    return dashboard_page(query, page=PAGE, title="Santé des flux", dataset=Dataset.FEEDS.value, body=_body,
                          show_filters=False,
                          subtitle="Ce que chaque émetteur a envoyé, ce qui a été refusé et pourquoi, sur tout le "
                                   "programme (les filtres de territoire ne s'appliquent pas aux flux).")
