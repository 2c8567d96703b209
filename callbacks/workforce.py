"""Professionnels de santé callbacks: filters, profession and scale → the workforce view, presented."""
from __future__ import annotations

from dash import Output, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, map_click_filters_commune, note_box, read_filters
from callbacks.url_state import control_inputs, read_controls
from components.charts import series_bars
from components.maps import view_map
from components.panel import data_id, graph_id, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.workforce import workforce_options
from pages._shell import note_id
from server.cache import page_view
from server.database import db_session
from server.health import geojson_url

PAGE = "workforce"
map_click_filters_commune(graph_id(f"{PAGE}-map"))


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(graph_id(f"{PAGE}-ages"), "figure"), Output(data_id(f"{PAGE}-ages"), "children"),
    Output(graph_id(f"{PAGE}-flows"), "figure"), Output(data_id(f"{PAGE}-flows"), "children"),
    Output(note_id(PAGE), "children"),
    *FILTER_INPUTS, *control_inputs(PAGE),
)
@guarded(dataset=Dataset.WORKFORCE.value, sample_args=(*SAMPLE_FILTERS, "medecin_gp", "epci"),
         has_data=lambda result: bool(result[1]["data"]) and bool(result[3]["data"]))
def update_workforce(departements, month_from, month_to, epci, commune, profession, scale, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    profession, scale = read_controls(PAGE, profession, scale)
    view = page_view(PAGE, session=db_session(), scope=scope, filters=filters,
                     options=workforce_options(profession=profession, scale=scale))
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    return (
        stat_cards(view.stats),
        view_map(view.map, geojson_url=geojson_url, tile_url=tile_url),
        view_table(view.density_table, query=view.query),
        series_bars(view.ages, y_title="Professionnels", horizontal=True, height=480),
        view_table(view.ages_table, query=view.query),
        series_bars(view.flows, y_title=view.label, stacked=False),
        view_table(view.flows_table, query=view.query),
        note_box(view.note),
    )
