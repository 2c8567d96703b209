"""Cabinets mobiles callbacks: filters (and the live timer) → the mobile view, presented.

The cards (headline figures, note, time stamp) first; their `ready` store then triggers the map, chart and
tables, which read the same cached view.
"""
from __future__ import annotations

from dash import Input, Output, State, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import (
    FILTER_INPUTS,
    FILTER_STATES,
    SAMPLE_FILTERS,
    SAMPLE_READY,
    map_click_filters_commune,
    note_box,
    read_filters,
    updated_at,
    view_ready,
)
from components.charts import series_bars
from components.live import interval_id, stamp_id
from components.map_patch import map_state_id
from components.maps import view_map_answer
from components.panel import data_id, graph_id, map_data, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.mobile import current_options
from pages._shell import note_id, ready_id
from server.cache import page_view
from server.health import geojson_url

PAGE = "mobile"
MAP = graph_id(f"{PAGE}-map")
map_click_filters_commune(MAP)
SAMPLE = (["52"], *SAMPLE_FILTERS[1:])  # the vehicles tour 52


def _view(scope, departements, month_from, month_to, epci, commune):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    return page_view(PAGE, scope=scope, filters=filters, options=current_options())


@callback(
    Output(stats_id(PAGE), "children"), Output(note_id(PAGE), "children"), Output(stamp_id(PAGE), "children"),
    Output(ready_id(PAGE), "data"),
    *FILTER_INPUTS, Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.MOBILE.value, sample_args=(*SAMPLE, 0), has_data=lambda result: result[0] is not None)
def mobile_cards(departements, month_from, month_to, epci, commune, _tick, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune)
    return stat_cards(view.stats), note_box(view.note, view.incomplete), updated_at(), view_ready()


@callback(
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(graph_id(f"{PAGE}-weekly"), "figure"), Output(data_id(f"{PAGE}-weekly"), "children"),
    Output(data_id(f"{PAGE}-communes"), "children"), Output(data_id(f"{PAGE}-tour"), "children"),
    Output(map_state_id(MAP), "data"),
    Input(ready_id(PAGE), "data"), *FILTER_STATES, State(map_state_id(MAP), "data"),
)
@guarded(dataset=Dataset.MOBILE.value, sample_args=(SAMPLE_READY, *SAMPLE, None),
         has_data=lambda result: bool(result[0]["data"]) and bool(result[2]["data"]))
def mobile_figures(_ready, departements, month_from, month_to, epci, commune, map_state=None, *, scope):
    """The map as a Patch of what moved when a live poll changed only values (positions, stops), else whole."""
    view = _view(scope, departements, month_from, month_to, epci, commune)
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    figure, state = view_map_answer(view.map, map_state, scope=scope, geojson_url=geojson_url, tile_url=tile_url)
    return (
        figure,
        map_data(view.map) + view_table(view.vehicles_table, caption="", query=view.query, sources=False),
        series_bars(view.weekly, y_title="Arrêts", x_title="Semaine du", height=500),
        view_table(view.weekly_table, query=view.query),
        view_table(view.communes_table, query=view.query),
        view_table(view.tour_table, query=view.query),
        state,
    )
