"""Shared filter bar (départements, EPCI, commune, period): labelled, keyboard-reachable controls."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from data.filters import Filters, month_label, month_options

ALL = "tous"  # option value meaning "no EPCI / commune filter" (dbc.Select reserves "" for its placeholder)
ALL_EPCI = "Tous les EPCI"
ALL_COMMUNES = "Toutes les communes"


def epci_select_options(epcis: dict[str, str]) -> list[dict]:
    return [{"label": ALL_EPCI, "value": ALL}] + [{"label": n, "value": c} for c, n in epcis.items()]


def commune_select_options(communes: dict[str, str]) -> list[dict]:
    return [{"label": ALL_COMMUNES, "value": ALL}] + [{"label": n, "value": c} for c, n in communes.items()]


def filter_bar(*, filters: Filters, departements: dict[str, str], epcis: dict[str, str] | None = None,
               communes: dict[str, str] | None = None) -> html.Section:
    """Native, labelled controls (checkboxes and selects): keyboard- and screen-reader-friendly."""
    months = [{"label": month_label(m), "value": m.strftime("%Y-%m")} for m in month_options(filters.today)]
    return html.Section(dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col(html.Fieldset([
            html.Legend("Départements (aucun coché : tout votre territoire)", className="form-label fs-6"),
            dbc.Checklist(id=ids.FILTER_DEPARTEMENTS, inline=True,
                          options=[{"label": f"{name} ({code})", "value": code}
                                   for code, name in departements.items()],
                          value=list(filters.departements)),
        ]), lg=4),
        dbc.Col([
            dbc.Label("EPCI", html_for=ids.FILTER_EPCI),
            dbc.Select(id=ids.FILTER_EPCI, options=epci_select_options(epcis or {}), value=filters.epci or ALL),
        ], md=6, lg=2),
        dbc.Col([
            dbc.Label("Commune (ou clic sur la carte)", html_for=ids.FILTER_COMMUNE),
            dbc.Select(id=ids.FILTER_COMMUNE, options=commune_select_options(communes or {}),
                       value=filters.commune or ALL),
        ], md=6, lg=2),
        dbc.Col([
            dbc.Label("Du", html_for=ids.FILTER_MONTH_FROM),
            dbc.Select(id=ids.FILTER_MONTH_FROM, options=months, value=filters.month_from.strftime("%Y-%m")),
        ], md=6, lg=2),
        dbc.Col([
            dbc.Label("Au", html_for=ids.FILTER_MONTH_TO),
            dbc.Select(id=ids.FILTER_MONTH_TO, options=months, value=filters.month_to.strftime("%Y-%m")),
        ], md=6, lg=2),
    ], className="g-3")), className="mb-3 filter-bar"), role="search", **{"aria-label": "Filtres"})
