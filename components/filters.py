"""Shared filter bar (départements, period): labelled, keyboard-reachable controls."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from data.filters import Filters, month_label, month_options


def filter_bar(*, filters: Filters, departements: dict[str, str]) -> html.Section:
    """Native, labelled controls (checkboxes and selects): keyboard- and screen-reader-friendly."""
    months = [{"label": month_label(m), "value": m.strftime("%Y-%m")} for m in month_options(filters.today)]
    return html.Section(dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col(html.Fieldset([
            html.Legend("Départements (aucun coché : tout votre territoire)", className="form-label fs-6"),
            dbc.Checklist(id=ids.FILTER_DEPARTEMENTS, inline=True,
                          options=[{"label": f"{name} ({code})", "value": code}
                                   for code, name in departements.items()],
                          value=list(filters.departements)),
        ]), md=6),
        dbc.Col([
            dbc.Label("Du", html_for=ids.FILTER_MONTH_FROM),
            dbc.Select(id=ids.FILTER_MONTH_FROM, options=months, value=filters.month_from.strftime("%Y-%m")),
        ], md=3),
        dbc.Col([
            dbc.Label("Au", html_for=ids.FILTER_MONTH_TO),
            dbc.Select(id=ids.FILTER_MONTH_TO, options=months, value=filters.month_to.strftime("%Y-%m")),
        ], md=3),
    ], className="g-3")), className="mb-3 filter-bar"), role="search", **{"aria-label": "Filtres"})
