"""Couverture (ARS) callbacks: filters, threshold, 65+ option and layers → the coverage view, presented."""
from __future__ import annotations

from dash import Output, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, map_click_filters_commune, note_box, read_filters
from callbacks.url_state import control_inputs, read_controls
from components.maps import view_map
from components.panel import data_id, graph_id, panel_data, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.coverage import coverage_options
from pages._shell import note_id
from server.cache import page_view
from server.database import db_session
from server.health import geojson_url

PAGE = "coverage"
map_click_filters_commune(graph_id(f"{PAGE}-map"))


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(data_id(f"{PAGE}-under"), "children"),
    Output(note_id(PAGE), "children"),
    *FILTER_INPUTS, *control_inputs(PAGE),
)
@guarded(dataset=Dataset.COVERAGE.value, sample_args=(*SAMPLE_FILTERS, "2,5", ["65"], ["teleconsultation"]),
         has_data=lambda result: len(result[1]["data"]) >= 2)
def update_coverage(departements, month_from, month_to, epci, commune, threshold, exclude, layers, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    threshold, exclude, layers = read_controls(PAGE, threshold, exclude, layers)
    options = coverage_options(filters=filters, threshold=threshold, exclude_65_plus="65" in exclude, layers=layers)
    view = page_view(PAGE, session=db_session(), scope=scope, filters=filters, options=options)
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    return (
        stat_cards(view.stats),
        view_map(view.map, geojson_url=geojson_url, tile_url=tile_url),
        panel_data(caption=view.map.caption),
        view_table(view.under, query=view.query),
        note_box(view.note),
    )
