"""Overview callbacks: filters (and the live timer) → the overview view: KPIs and the GP-density map."""
from __future__ import annotations

from dash import Input, Output, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, map_click_filters_commune, read_filters, updated_at
from components import ids
from components.kpi_card import kpi_row
from components.live import interval_id, stamp_id
from components.maps import view_map
from server.cache import page_view
from server.database import db_session
from server.health import geojson_url

map_click_filters_commune(ids.OVERVIEW_MAP)


@callback(
    Output(ids.OVERVIEW_KPIS, "children"),
    Output(ids.OVERVIEW_MAP, "figure"),
    Output(ids.OVERVIEW_MAP_CAPTION, "children"),
    Output(stamp_id("overview"), "children"),
    *FILTER_INPUTS,
    Input(interval_id("overview"), "n_intervals"),
)
@guarded(dataset=None, sample_args=(*SAMPLE_FILTERS, 0),
         has_data=lambda result: bool(result[1]["data"]) or "kpi-" in str(result[0]))
def update_overview(departements, month_from, month_to, epci, commune, _tick, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    view = page_view("overview", session=db_session(), scope=scope, filters=filters, options=None)
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    return (kpi_row(list(view.kpis)), view_map(view.map, geojson_url=geojson_url, tile_url=tile_url),
            view.map.caption, updated_at())
