"""A KPI card: value, change over the previous period, freshness."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.formatting import fmt_change, fmt_date, fmt_number
from data.queries.overview import Kpi

# Arrow + words, so the direction never relies on colour alone.
TREND_UP, TREND_DOWN, TREND_FLAT = "▲ en hausse", "▼ en baisse", "● stable"


def trend_words(pct: float | None) -> str:
    if pct is None:
        return "pas de période de comparaison"
    if abs(pct) < 0.5:
        return TREND_FLAT
    return TREND_UP if pct > 0 else TREND_DOWN


SECRET_NOTE = "Valeur masquée (secret statistique : effectif de 1 à 10 ou recoupement possible)."


def kpi_card(kpi: Kpi) -> dbc.Card:
    pct = kpi.change_pct
    value = kpi.value_label or fmt_number(kpi.value, kpi.decimals)
    previous = kpi.previous_label or fmt_number(kpi.previous, kpi.decimals)
    return dbc.Card(
        dbc.CardBody([
            html.H2(kpi.label, className="kpi-label h6 text-muted"),
            html.P(value, className="kpi-value display-6 mb-1", id=f"kpi-{kpi.key}",
                   title=SECRET_NOTE if kpi.value_label else None),
            html.P([html.Span(trend_words(pct) if not (kpi.value_label or kpi.previous_label)
                              else "évolution masquée (secret statistique)", className="kpi-trend me-1"),
                    html.Span(f"({fmt_change(pct)} vs période précédente : {previous})")],
                   className="small mb-1"),
            html.P(f"Dernière donnée : {fmt_date(kpi.last_day)}", className="small text-muted mb-0"),
        ]),
        className="kpi-card h-100 shadow-sm",
    )


def kpi_row(kpis: list[Kpi]) -> html.Div:
    if not kpis:
        return html.Div(dbc.Alert("Aucun indicateur n'est accessible pour ce filtre.", color="secondary"))
    return dbc.Row([dbc.Col(kpi_card(k), md=6, xl=3, className="mb-3") for k in kpis])
