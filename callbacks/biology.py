"""Biologie délocalisée callbacks: filters (and the live timer) → the biology view, presented.

The cards (headline figures, note, time stamp) first; their `ready` store then triggers the tables and
figures, which read the same cached view.
"""
from __future__ import annotations

from dash import Input, Output, callback

from callbacks._access import guarded
from callbacks.common import (
    FILTER_INPUTS,
    FILTER_STATES,
    SAMPLE_FILTERS,
    SAMPLE_READY,
    note_box,
    read_filters,
    updated_at,
    view_ready,
)
from components.charts import series_bars
from components.live import interval_id, stamp_id
from components.panel import data_id, graph_id, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.biology import biology_options
from pages._shell import note_id, ready_id
from server.cache import page_view

PAGE = "biology"


def _view(scope, departements, month_from, month_to, epci, commune):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    return page_view(PAGE, scope=scope, filters=filters, options=biology_options())


@callback(
    Output(stats_id(PAGE), "children"), Output(note_id(PAGE), "children"), Output(stamp_id(PAGE), "children"),
    Output(ready_id(PAGE), "data"),
    *FILTER_INPUTS, Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.BIOLOGY.value, sample_args=(*SAMPLE_FILTERS, 0),
         has_data=lambda result: result[0] is not None)
def biology_cards(departements, month_from, month_to, epci, commune, _tick, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune)
    return stat_cards(view.stats), note_box(view.note, view.incomplete), updated_at(), view_ready()


@callback(
    Output(data_id(f"{PAGE}-devices"), "children"),
    Output(graph_id(f"{PAGE}-weekly"), "figure"), Output(data_id(f"{PAGE}-weekly"), "children"),
    Output(graph_id(f"{PAGE}-sites"), "figure"), Output(data_id(f"{PAGE}-sites"), "children"),
    Input(ready_id(PAGE), "data"), *FILTER_STATES,
)
@guarded(dataset=Dataset.BIOLOGY.value, sample_args=(SAMPLE_READY, *SAMPLE_FILTERS),
         has_data=lambda result: bool(result[1]["data"]) and bool(result[3]["data"]))
def biology_figures(_ready, departements, month_from, month_to, epci, commune, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune)
    return (
        view_table(view.devices_table, query=view.query),
        series_bars(view.weekly, y_title="Analyses", x_title="Semaine du"),
        view_table(view.weekly_table, query=view.query),
        series_bars(view.sites, y_title="Résultats anormaux (%)", stacked=False, height=420, hover_format=",.1f"),
        view_table(view.sites_table, query=view.query),
    )
