"""A KPI card: value, change over the previous period (or why there is none, as the view decided), freshness."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.about import about
from components.formatting import fmt_date, fmt_number
from data.queries.overview import Kpi

SECRET_NOTE = "Valeur masquée (secret statistique : effectif de 1 à 10 ou recoupement possible)."


def kpi_card(kpi: Kpi) -> dbc.Card:
    value = kpi.value_label or fmt_number(kpi.value, kpi.decimals)
    c = kpi.comparison
    trend = [html.Span(c.trend, className="kpi-trend me-1"),
             html.Span(f"({c.detail})" if c.pct is not None else f": {c.detail}")] if c else []
    return dbc.Card(
        dbc.CardBody([
            html.Div([html.H2(kpi.label, className="kpi-label h6 text-muted mb-0"),
                      *about(kpi.key, kpi.label, kpi.provenance)],
                     className="d-flex justify-content-between gap-2 mb-2"),
            html.P(value, className="kpi-value display-6 mb-1", id=f"kpi-{kpi.key}",
                   title=SECRET_NOTE if kpi.value_label else None),
            html.P(trend, className="small mb-1"),
            html.P(kpi.covers, className="small text-muted mb-1 kpi-covers") if kpi.covers else None,
            html.P(f"Dernière donnée : {fmt_date(kpi.last_day)}", className="small text-muted mb-0"),
        ]),
        className="kpi-card h-100 shadow-sm",
    )


def kpi_row(kpis: list[Kpi]) -> html.Div:
    if not kpis:
        return html.Div(dbc.Alert("Aucun indicateur n'est accessible pour ce filtre.", color="secondary"))
    return dbc.Row([dbc.Col(kpi_card(k), xs=6, xl=3, className="mb-3") for k in kpis])  # two a row on a phone
