"""A chart panel: title, figure with its text alternative, and its data as a table with exports.

The callback fills two outputs: `<id>-graph.figure` and `<id>-data.children` (caption, table and
export links, built by `panel_data`). Exports are links to /export/<table>.<csv|xlsx>?<filters>,
computed again on the server with the caller's rights.

A table's rows travel as compact JSON (columns, rows of formatted cells) in a `dcc.Store`; the
browser builds the <table> from it (`assets/tables.js`, wired in callbacks/common.py). Sent as Dash
components, 200 rows were ~180 KB of markup per response and most of the callback's time.
"""
from __future__ import annotations

from datetime import date, datetime

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components.about import sources_line
from components.formatting import PLOTLY_LOCALE, PLOTLY_LOCALES, fmt_date, fmt_datetime, fmt_number, plural
from components.map_patch import map_state_id

# French axes: the vendored `fr` locale, with French month abbreviations (« juin », « juil. », « déc. »)
GRAPH_CONFIG = {"locale": PLOTLY_LOCALE, "locales": PLOTLY_LOCALES, "displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                "toImageButtonOptions": {"format": "png", "scale": 2}}
MAP_CONFIG = {**GRAPH_CONFIG, "scrollZoom": True}
TABLE_ROWS = 200


def graph_id(panel_id: str) -> str:
    return f"{panel_id}-graph"


def data_id(panel_id: str) -> str:
    return f"{panel_id}-data"


def panel(panel_id: str, title: str, *, graph: bool = True, is_map: bool = False, height: int = 380,
          help_text: str | None = None, extra: list | None = None, width: int = 12) -> dbc.Col:
    body = []
    if help_text:
        body.append(html.P(help_text, className="small text-muted"))
    if extra:
        body.extend(extra)
    if graph:
        body.append(html.Figure([
            dcc.Loading(dcc.Graph(id=graph_id(panel_id), config=MAP_CONFIG if is_map else GRAPH_CONFIG,
                                  style={"height": f"{height}px"}, figure={"data": [], "layout": {}}),
                        type="dot", delay_show=300),
        ], className="mb-0"))
        if is_map:  # what the map holds, so that its callback can send only what changed (components/map_patch.py)
            body.append(dcc.Store(id=map_state_id(graph_id(panel_id))))
    body.append(dcc.Loading(html.Div(id=data_id(panel_id)), type="dot", delay_show=300))
    return dbc.Col(dbc.Card([
        dbc.CardHeader(html.H2(title, className="h5 mb-0")),
        dbc.CardBody(body),
    ], className="shadow-sm h-100", id=panel_id), lg=width, className="mb-4")


def _cell(value) -> str:
    if value is None or (not isinstance(value, (str, list, tuple, dict)) and pd.isna(value)):  # NaN, NA, NaT
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return fmt_number(value)
    if isinstance(value, float):  # as precise as the view rounded it (2,46 never reads « 2,5 »), at least 1 decimal
        if value.is_integer() and abs(value) >= 100:
            return fmt_number(value, 0)
        return fmt_number(value, 1 if round(value, 1) == round(value, 2) else 2)
    if isinstance(value, datetime):  # stored UTC (naive) or aware: shown on the one clock, Europe/Paris
        return fmt_datetime(value)
    if isinstance(value, date):
        return fmt_date(value)
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return fmt_number(int(value))
        if isinstance(value, np.floating):
            return _cell(float(value))
    except ImportError:  # pragma: no cover
        pass
    return str(value)


TABLE_DATA = "table-data"  # pattern-matching id types: the rows (store) and where the browser draws them
TABLE_BODY = "table-body"


def table_payload(df: pd.DataFrame, *, caption: str, limit: int = TABLE_ROWS) -> dict:
    """Columns, which of them are numeric (right-aligned), and the first `limit` rows as French text."""
    return {
        "caption": caption,
        "columns": [str(c) for c in df.columns],
        "numeric": [bool(pd.api.types.is_numeric_dtype(df[c])) for c in df.columns],
        "rows": [[_cell(v) for v in row] for row in df.head(limit).itertuples(index=False)],
    }


def data_table(df: pd.DataFrame, *, caption: str, key: str, limit: int = TABLE_ROWS) -> html.Div:
    """A scrollable region holding the table's rows; `key` is unique on the page."""
    return html.Div([
        dcc.Store(id={"type": TABLE_DATA, "key": key}, data=table_payload(df, caption=caption, limit=limit)),
        html.Div(id={"type": TABLE_BODY, "key": key}),
    ], className="table-responsive data-table", tabIndex=0, role="region", **{"aria-label": caption})


def export_links(table_key: str, query: str) -> html.Div:
    return html.Div([
        html.Span("Exporter : ", className="small text-muted me-1"),
        html.A("CSV", href=f"/export/{table_key}.csv{query}", className="btn btn-outline-primary btn-sm me-1",
               id=f"export-{table_key}-csv", download=""),
        html.A("XLSX", href=f"/export/{table_key}.xlsx{query}", className="btn btn-outline-primary btn-sm",
               id=f"export-{table_key}-xlsx", download=""),
    ], className="mt-2 export-links")


def panel_data(*, caption: str, table: pd.DataFrame | None = None, table_key: str | None = None,
               query: str = "", table_title: str = "Données du graphique", open_table: bool = False) -> list:
    """The text alternative of the chart, then its data (collapsed) and the export links."""
    out: list = [html.P(caption, className="small mt-2 mb-2 chart-caption")] if caption else []
    if table is not None:
        if table.empty:
            out.append(html.P("Aucune ligne pour ce filtre.", className="small text-muted"))
        else:
            more = (f" — {fmt_number(TABLE_ROWS)} premières lignes sur {plural(len(table), 'ligne')}, "
                    "toutes dans l'export" if len(table) > TABLE_ROWS else "")
            out.append(html.Details([
                html.Summary(f"{table_title} ({plural(len(table), 'ligne')}){more}", className="small"),
                data_table(table, caption=table_title, key=table_key or table_title),
            ], open=open_table))
    if table_key and table is not None and not table.empty:
        out.append(export_links(table_key, query))
    return out


def view_table(table, *, caption: str | None = None, query: str = "", sources: bool = True) -> list:
    """A view's table (data.views.base.TableView) under its chart: caption, rows, export links, and its sources
    line (`sources=False` where the panel's map already says them)."""
    out = panel_data(caption=caption if caption is not None else table.caption, table=table.frame,
                     table_key=table.key, query=query, table_title=table.title, open_table=table.open)
    return out + (sources_line(table.provenance, table.key) if sources else [])


def map_data(view_map) -> list:
    """A map's text alternative and its sources line (data.views.base.MapView)."""
    return panel_data(caption=view_map.caption) + sources_line(view_map.provenance, view_map.key)
