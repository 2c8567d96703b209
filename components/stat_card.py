"""Headline figures of a page: a value, what it means, a second line of context, and its « ? »."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.about import about
from components.kpi_card import SECRET_NOTE


def stat_card(key: str, label: str, value: str, detail: str | None = None, *, hidden: bool = False,
              provenance=None, ref: str | None = None) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div([html.H2(label, className="kpi-label h6 text-muted mb-0"),
                  *about(key, label, provenance, ref=ref)], className="d-flex justify-content-between gap-2 mb-2"),
        html.P(value, className="kpi-value h3 mb-1", id=f"stat-{key}", title=SECRET_NOTE if hidden else None),
        html.P(detail, className="small text-muted mb-0") if detail else None,
    ]), className="kpi-card h-100 shadow-sm"), xs=6, xl=3, className="mb-3")  # two a row on a phone


def stat_row(cards: list) -> dbc.Row:
    return dbc.Row(cards)


def stat_cards(stats) -> dbc.Row | None:
    """A view's headline figures (data.views.base.Stat) as a row of cards."""
    if not stats:
        return None
    return stat_row([stat_card(s.key, s.label, s.value, s.detail, hidden=s.hidden, provenance=s.provenance,
                               ref=s.ref) for s in stats])


def stats_id(page: str) -> str:
    """Id of the row of headline figures a page's callback fills."""
    return f"{page}-stats"


def stats_slot(page: str) -> html.Div:
    """Where the cards callback puts the headline figures: no loading overlay (dcc.Loading hides its children
    while any of them waits for a callback, which kept painted cards invisible), a reserved height instead."""
    return html.Div(id=stats_id(page), className="stats-slot", **{"aria-live": "polite"})
