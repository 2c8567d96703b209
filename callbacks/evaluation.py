"""Évaluation callbacks: filters → the evaluation view, presented section by section.

The cards (every section's headline figures) and the note first; their `ready` store then triggers the
sections (charts, tables, sentences where data are too few), which read the same cached view. Nothing is
decided here: each section comes from its builder in data/views/ at the caller's level.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from callbacks._access import guarded, rendered_text
from callbacks.common import (
    FILTER_INPUTS,
    FILTER_STATES,
    SAMPLE_FILTERS,
    SAMPLE_READY,
    note_box,
    read_filters,
    view_ready,
)
from components.charts import evaluation_chart
from components.ids import EVALUATION_SECTIONS as SECTIONS_ID
from components.panel import GRAPH_CONFIG, graph_id, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.evaluation import EvaluationOptions
from pages._shell import note_id, ready_id
from server.cache import page_view

PAGE = "evaluation"
SAMPLE = SAMPLE_FILTERS


def _view(scope, departements, month_from, month_to, epci, commune):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    return page_view(PAGE, scope=scope, filters=filters, options=EvaluationOptions())


def _chart(chart, query: str) -> dbc.Col:
    panel_id = f"{PAGE}-{chart.key}"
    return dbc.Col(dbc.Card([
        dbc.CardHeader(html.H3(chart.title, className="h6 mb-0")),
        dbc.CardBody([
            html.Figure(dcc.Graph(id=graph_id(panel_id), figure=evaluation_chart(chart), config=GRAPH_CONFIG,
                                  style={"height": "400px"}), className="mb-0"),
            *view_table(chart.table, caption=chart.caption, query=query),
        ]),
    ], className="shadow-sm h-100", id=panel_id), lg=12, className="mb-4")


def _section(section, query: str) -> html.Section:
    body = [html.H2(section.title, className="h4 mt-2"), html.P(section.intro, className="text-muted")]
    if section.message:
        body.append(html.Div(section.message, className="alert alert-secondary evaluation-message"))
    for table in section.tables:
        body.append(dbc.Card(dbc.CardBody([html.H3(table.title, className="h6"), *view_table(table, query=query)]),
                             className="shadow-sm mb-4", id=f"{PAGE}-{table.key}"))
    body.append(dbc.Row([_chart(c, query) for c in section.charts]))
    if section.notes:
        body.append(html.Ul([html.Li(n) for n in section.notes], className="small text-muted"))
    return html.Section(body, id=f"{PAGE}-section-{section.key}", className="evaluation-section mb-4")


@callback(
    Output(stats_id(PAGE), "children"), Output(note_id(PAGE), "children"), Output(ready_id(PAGE), "data"),
    *FILTER_INPUTS,
)
@guarded(dataset=Dataset.PROGRAMME.value, sample_args=SAMPLE,
         has_data=lambda result: "kpi-card" in rendered_text(result[0]))
def evaluation_cards(departements, month_from, month_to, epci, commune, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune)
    return stat_cards(view.stats) or html.Div(), note_box(view.note), view_ready()


@callback(
    Output(SECTIONS_ID, "children"),
    Input(ready_id(PAGE), "data"), *FILTER_STATES,
)
@guarded(dataset=Dataset.PROGRAMME.value, sample_args=(SAMPLE_READY, *SAMPLE),
         has_data=lambda result: "evaluation-section" in rendered_text(result))
def evaluation_sections(_ready, departements, month_from, month_to, epci, commune, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune)
    return [html.Div([_section(s, view.query) for s in view.sections])]  # one child, however many sections
