"""Overview callbacks: filters (and the live timer) → the overview view: KPIs, then the GP-density map.

The KPI cards first; their `ready` store then triggers the map, which reads the same cached view.
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
    read_filters,
    updated_at,
    view_ready,
)
from components import ids
from components.kpi_card import kpi_row
from components.live import interval_id, stamp_id
from components.map_patch import map_state_id
from components.maps import view_map_answer
from pages._shell import ready_id
from server.cache import page_view
from server.health import geojson_url

PAGE = "overview"
map_click_filters_commune(ids.OVERVIEW_MAP)


def _view(scope, departements, month_from, month_to, epci, commune):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    return page_view(PAGE, scope=scope, filters=filters, options=None)


@callback(
    Output(ids.OVERVIEW_KPIS, "children"), Output(stamp_id(PAGE), "children"), Output(ready_id(PAGE), "data"),
    *FILTER_INPUTS, Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=None, sample_args=(*SAMPLE_FILTERS, 0), has_data=lambda result: "kpi-" in str(result[0]))
def overview_cards(departements, month_from, month_to, epci, commune, _tick, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune)
    return kpi_row(list(view.kpis)), updated_at(), view_ready()


@callback(
    Output(ids.OVERVIEW_MAP, "figure"), Output(ids.OVERVIEW_MAP_CAPTION, "children"),
    Output(map_state_id(ids.OVERVIEW_MAP), "data"),
    Input(ready_id(PAGE), "data"), *FILTER_STATES, State(map_state_id(ids.OVERVIEW_MAP), "data"),
)
@guarded(dataset=None, sample_args=(SAMPLE_READY, *SAMPLE_FILTERS, None),
         has_data=lambda result: isinstance(result[0], dict) and bool(result[0].get("data")
                                                                       or result[0].get("operations")))
def overview_figures(_ready, departements, month_from, month_to, epci, commune, map_state=None, *, scope):
    """The map as a Patch of its values when a live poll changed only them, else whole."""
    view = _view(scope, departements, month_from, month_to, epci, commune)
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    sources = f" {view.map.provenance.line}." if view.map.provenance is not None else ""
    figure, state = view_map_answer(view.map, map_state, scope=scope, geojson_url=geojson_url, tile_url=tile_url)
    return figure, view.map.caption + sources, state
