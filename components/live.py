"""Live refresh: a timer the user can pause, and the time of the last update.

The figures keep `uirevision`, so a refresh never resets the user's zoom or legend selection.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

REFRESH_SECONDS = 60


def interval_id(page: str) -> dict:
    return {"type": "live-interval", "page": page}


def switch_id(page: str) -> dict:
    return {"type": "live-switch", "page": page}


def stamp_id(page: str) -> str:
    return f"{page}-updated"


def live_controls(page: str, seconds: int = REFRESH_SECONDS) -> html.Div:
    return html.Div([
        dcc.Interval(id=interval_id(page), interval=seconds * 1000, n_intervals=0),
        dbc.Switch(id=switch_id(page), value=True, className="me-3 mb-0",
                   label=f"Actualisation automatique (toutes les {seconds} s)"),
        html.Span(id=stamp_id(page), className="small text-muted", **{"aria-live": "polite"}),
    ], className="d-flex align-items-center flex-wrap mb-3 live-controls")
