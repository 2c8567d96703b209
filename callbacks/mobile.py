"""Cabinets mobiles callbacks: filters (and the live timer) → the mobile view, presented."""
from __future__ import annotations

from dash import Input, Output, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import (
    FILTER_INPUTS,
    SAMPLE_FILTERS,
    map_click_filters_commune,
    note_box,
    read_filters,
    updated_at,
)
from components.charts import series_bars
from components.live import interval_id, stamp_id
from components.maps import view_map
from components.panel import data_id, graph_id, panel_data, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.mobile import current_options
from pages._shell import note_id
from server.cache import page_view
from server.database import db_session
from server.health import geojson_url

PAGE = "mobile"
map_click_filters_commune(graph_id(f"{PAGE}-map"))


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(graph_id(f"{PAGE}-weekly"), "figure"), Output(data_id(f"{PAGE}-weekly"), "children"),
    Output(data_id(f"{PAGE}-communes"), "children"), Output(data_id(f"{PAGE}-tour"), "children"),
    Output(note_id(PAGE), "children"), Output(stamp_id(PAGE), "children"),
    *FILTER_INPUTS, Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.MOBILE.value, sample_args=(["52"], *SAMPLE_FILTERS[1:], 0),  # the vehicles tour 52
         has_data=lambda result: bool(result[1]["data"]) and bool(result[3]["data"]))
def update_mobile(departements, month_from, month_to, epci, commune, _tick, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    view = page_view(PAGE, session=db_session(), scope=scope, filters=filters, options=current_options())
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    return (
        stat_cards(view.stats),
        view_map(view.map, geojson_url=geojson_url, tile_url=tile_url),
        panel_data(caption=view.map.caption) + view_table(view.vehicles_table, caption="", query=view.query),
        series_bars(view.weekly, y_title="Arrêts", x_title="Semaine du", height=500),
        view_table(view.weekly_table, query=view.query),
        view_table(view.communes_table, query=view.query),
        view_table(view.tour_table, query=view.query),
        note_box(view.note),
        updated_at(),
    )
