"""« D'où vient ce chiffre ? »: the « ? » of a card (definition and provenance) and a panel's sources line.

The texts come from the registry (data.indicators) and from the provenance the view attached
(data.views.provenance): nothing is decided or computed here.
"""
from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import html

from data.indicators import INDICATORS


def about_id(key: str) -> str:
    """The « ? » button's id (a popover's target: letters, digits and hyphens only)."""
    return "about-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def _provenance_lines(provenance) -> list:
    if provenance is None:
        return []
    rows = [("Sources", provenance.sources_words), ("Données jusqu'au", provenance.last_words),
            ("Période", provenance.period), ("Population", provenance.population),
            ("Secret statistique", provenance.secrecy)]
    return [html.Dl([item for label, text in rows for item in (html.Dt(label), html.Dd(text))],
                    className="about-provenance small mb-2")]


def about(key: str, label: str, provenance, *, ref: str | None = None) -> list:
    """The « ? » button of a card and its popover: definition, formula, provenance, link to the method."""
    entry = INDICATORS.get(ref or key)
    if entry is None:
        return []
    target = about_id(key)
    body = [html.P(entry.definition, className="small mb-2"),
            html.P([html.Strong("Formule : "), entry.formula], className="small mb-2 about-formula"),
            *_provenance_lines(provenance),
            html.A("Méthode complète", href=entry.anchor, className="small about-link")]
    return [
        html.Button("?", id=target, type="button", className="btn btn-outline-secondary btn-sm about-button",
                    title="D'où vient ce chiffre\u00a0?",
                    **{"aria-label": f"Définition et provenance : {label}", "aria-haspopup": "dialog"}),
        dbc.Popover([dbc.PopoverHeader(label), dbc.PopoverBody(body)], target=target, trigger="legacy",
                    placement="bottom", className="about-popover", id=f"{target}-popover"),
    ]


def sources_line(provenance, key: str | None) -> list:
    """Under a chart: « Sources : … · données jusqu'au … » and a link to its Méthodes entry."""
    if provenance is None:
        return []
    entry = INDICATORS.get(key) if key else None
    link = [" · ", html.A("Méthode", href=entry.anchor, className="about-link")] if entry is not None else []
    return [html.P([provenance.line, *link], className="small text-muted mb-1 sources-line")]
