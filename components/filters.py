"""Shared filter bar (départements, period): labelled, keyboard-reachable controls."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from data.filters import Filters, month_label, month_options

# French texts of Dash's dropdown (its defaults are English).
DROPDOWN_LABELS_FR = {
    "select_all": "Tout sélectionner", "deselect_all": "Tout désélectionner",
    "selected_count": "{num_selected} sélectionnés", "search": "Rechercher",
    "clear_search": "Effacer la recherche", "clear_selection": "Effacer la sélection",
    "no_options_found": "Aucune option trouvée",
}


def filter_bar(*, filters: Filters, departements: dict[str, str]) -> html.Section:
    months = [{"label": month_label(m), "value": m.strftime("%Y-%m")} for m in month_options(filters.today)]
    return html.Section(dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col([
            html.Label("Départements", htmlFor=ids.FILTER_DEPARTEMENTS, className="form-label"),
            dcc.Dropdown(id=ids.FILTER_DEPARTEMENTS, multi=True,
                         options=[{"label": f"{name} ({code})", "value": code}
                                  for code, name in departements.items()],
                         value=list(filters.departements), placeholder="Tout le territoire",
                         searchable=True, clearable=True, labels=DROPDOWN_LABELS_FR),
        ], md=6),
        dbc.Col([
            html.Label("Du", htmlFor=ids.FILTER_MONTH_FROM, className="form-label"),
            dcc.Dropdown(id=ids.FILTER_MONTH_FROM, options=months, clearable=False, labels=DROPDOWN_LABELS_FR,
                         value=filters.month_from.strftime("%Y-%m")),
        ], md=3),
        dbc.Col([
            html.Label("Au", htmlFor=ids.FILTER_MONTH_TO, className="form-label"),
            dcc.Dropdown(id=ids.FILTER_MONTH_TO, options=months, clearable=False, labels=DROPDOWN_LABELS_FR,
                         value=filters.month_to.strftime("%Y-%m")),
        ], md=3),
    ], className="g-3")), className="mb-3 filter-bar"), role="search",
                        **{"aria-label": "Filtres"})
