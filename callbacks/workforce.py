"""Professionnels de santé callbacks: filters, profession and scale → the workforce view, presented.

The cards (headline figures, note) first; their `ready` store then triggers the map, charts and tables,
which read the same cached view.
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
from components.charts import series_bars
from components.map_patch import map_state_id
from components.maps import view_map_answer
from components.panel import data_id, graph_id, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.workforce import workforce_options
from pages._shell import note_id, ready_id
from server.cache import page_view
from server.health import geojson_url

PAGE = "workforce"
MAP = graph_id(f"{PAGE}-map")
map_click_filters_commune(MAP)
SAMPLE = (*SAMPLE_FILTERS, "medecin_gp", "epci")


def _view(scope, departements, month_from, month_to, epci, commune, profession, scale):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    profession, scale = read_controls(PAGE, profession, scale)
    return page_view(PAGE, scope=scope, filters=filters,
                     options=workforce_options(profession=profession, scale=scale))


@callback(
    Output(stats_id(PAGE), "children"), Output(note_id(PAGE), "children"), Output(ready_id(PAGE), "data"),
    *FILTER_INPUTS, *control_inputs(PAGE),
)
@guarded(dataset=Dataset.WORKFORCE.value, sample_args=SAMPLE, has_data=lambda result: result[0] is not None)
def workforce_cards(departements, month_from, month_to, epci, commune, profession, scale, *, scope):
    view = _view(scope, departements, month_from, month_to, epci, commune, profession, scale)
    return stat_cards(view.stats), note_box(view.note), view_ready()


@callback(
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(graph_id(f"{PAGE}-ages"), "figure"), Output(data_id(f"{PAGE}-ages"), "children"),
    Output(graph_id(f"{PAGE}-flows"), "figure"), Output(data_id(f"{PAGE}-flows"), "children"),
    Output(map_state_id(MAP), "data"),
    Input(ready_id(PAGE), "data"), *FILTER_STATES, *control_states(PAGE), State(map_state_id(MAP), "data"),
)
@guarded(dataset=Dataset.WORKFORCE.value, sample_args=(SAMPLE_READY, *SAMPLE, None),
         has_data=lambda result: bool(result[0]["data"]) and bool(result[2]["data"]))
def workforce_figures(_ready, departements, month_from, month_to, epci, commune, profession, scale, map_state=None,
                      *, scope):
    """The map as a Patch of its values when only they changed (another profession), else whole."""
    view = _view(scope, departements, month_from, month_to, epci, commune, profession, scale)
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    figure, state = view_map_answer(view.map, map_state, scope=scope, geojson_url=geojson_url, tile_url=tile_url)
    return (
        figure,
        view_table(view.density_table, query=view.query),
        series_bars(view.ages, y_title="Professionnels", horizontal=True, height=480),
        view_table(view.ages_table, query=view.query),
        series_bars(view.flows, y_title=view.label, stacked=False),
        view_table(view.flows_table, query=view.query),
        state,
    )
