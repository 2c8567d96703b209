"""Programme callbacks: experiment and filters → the programme view, presented.

The cards (headline figures, note) first; their `ready` store then triggers the chart and its table, which
read the same cached view.
"""
from __future__ import annotations

from dash import Input, Output, callback, html

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
from callbacks.url_state import control_inputs, control_states, read_controls
from components.charts import indicator_chart
from components.panel import data_id, graph_id, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.programme import programme_options
from pages._shell import note_id, ready_id
from server.cache import page_view

PAGE = "programme"
SAMPLE = (*SAMPLE_FILTERS, "teleconsultation")


def _view(scope, departements, month_from, month_to, epci, commune, experiment):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    (experiment,) = read_controls(PAGE, experiment)
    return page_view(PAGE, scope=scope, filters=filters, options=programme_options(experiment))


@callback(
    Output(stats_id(PAGE), "children"), Output(note_id(PAGE), "children"), Output(ready_id(PAGE), "data"),
    *FILTER_INPUTS, *control_inputs(PAGE),
)
@guarded(dataset=Dataset.PROGRAMME.value, sample_args=SAMPLE,
         has_data=lambda result: "kpi-card" in rendered_text(result[0]))
def programme_cards(departements, month_from, month_to, epci, commune, experiment, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune, experiment)
    return stat_cards(view.stats) or html.Div(), note_box(view.note), view_ready()


@callback(
    Output(graph_id(f"{PAGE}-chart"), "figure"), Output(data_id(f"{PAGE}-chart"), "children"),
    Input(ready_id(PAGE), "data"), *FILTER_STATES, *control_states(PAGE),
)
@guarded(dataset=Dataset.PROGRAMME.value, sample_args=(SAMPLE_READY, *SAMPLE),
         has_data=lambda result: bool(result[0]["data"]))
def programme_figures(_ready, departements, month_from, month_to, epci, commune, experiment, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune, experiment)
    return indicator_chart(view.chart), view_table(view.table, query=view.query)
