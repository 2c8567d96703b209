"""Couverture (ARS) callbacks: filters, threshold, 65+ option and layers → the coverage view, presented.

The cards (headline figures, note) first; their `ready` store then triggers the map and the table of
under-served communes, which read the same cached view.
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
    view_ready,
)
from callbacks.url_state import control_inputs, control_states, read_controls
from components.map_patch import map_state_id
from components.maps import view_map_answer
from components.panel import data_id, graph_id, map_data, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.coverage import coverage_options
from pages._shell import note_id, ready_id
from server.cache import page_view
from server.health import geojson_url

PAGE = "coverage"
MAP = graph_id(f"{PAGE}-map")
map_click_filters_commune(MAP)
SAMPLE = (*SAMPLE_FILTERS, "2,5", ["65"], ["teleconsultation"])


def _view(scope, departements, month_from, month_to, epci, commune, threshold, exclude, layers, sort):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    threshold, exclude, layers, sort = read_controls(PAGE, threshold, exclude, layers, sort)
    options = coverage_options(filters=filters, threshold=threshold, exclude_65_plus="65" in exclude, layers=layers,
                               sort=sort)
    return page_view(PAGE, scope=scope, filters=filters, options=options)


@callback(
    Output(stats_id(PAGE), "children"), Output(note_id(PAGE), "children"), Output(ready_id(PAGE), "data"),
    *FILTER_INPUTS, *control_inputs(PAGE),
)
@guarded(dataset=Dataset.COVERAGE.value, sample_args=SAMPLE, has_data=lambda result: result[0] is not None)
def coverage_cards(departements, month_from, month_to, epci, commune, threshold, exclude, layers, sort="habitants",
                   *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune, threshold, exclude, layers, sort)
    return stat_cards(view.stats), note_box(view.note), view_ready()


@callback(
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(data_id(f"{PAGE}-under"), "children"), Output(data_id(f"{PAGE}-under-epci"), "children"),
    Output(map_state_id(MAP), "data"),
    Input(ready_id(PAGE), "data"), *FILTER_STATES, *control_states(PAGE), State(map_state_id(MAP), "data"),
)
@guarded(dataset=Dataset.COVERAGE.value, sample_args=(SAMPLE_READY, *SAMPLE, "habitants", None),
         has_data=lambda result: len(result[0]["data"]) >= 2)
def coverage_figures(_ready, departements, month_from, month_to, epci, commune, threshold, exclude, layers,
                     sort="habitants", map_state=None, *, scope):
    """The map as a Patch of its values when only they changed (threshold, 65+ option, layers toggled), else whole."""
    view = _view(scope, departements, month_from, month_to, epci, commune, threshold, exclude, layers, sort)
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    figure, state = view_map_answer(view.map, map_state, scope=scope, geojson_url=geojson_url, tile_url=tile_url)
    return (
        figure,
        map_data(view.map),
        view_table(view.under, query=view.query, sources=False),
        view_table(view.under_epci, query=view.query, sources=False) if view.under_epci is not None else None,
        state,
    )
