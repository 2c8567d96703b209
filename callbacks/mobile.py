"""Cabinets mobiles callbacks: filters (and the live timer) → figures, vehicle map, tables."""
from __future__ import annotations

import math

import pandas as pd
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
from components.charts import bar_figure, empty_figure, points_map
from components.formatting import fmt_number
from components.live import interval_id, stamp_id
from components.panel import data_id, graph_id, panel_data
from components.stat_card import stat_card, stat_row, stats_id
from data.models import Dataset
from data.queries import mobile as q
from data.queries.common import TABLES, area_for, labelled, note_for, numeric
from pages._shell import note_id
from server.cache import cached
from server.database import db_session
from server.health import geojson_url

PAGE = "mobile"
DATASETS = [Dataset.MOBILE.value]
map_click_filters_commune(graph_id(f"{PAGE}-map"))


def stats(s: q.MobileSummary | None):
    if s is None:
        return None
    secret = "< 11"
    return stat_row([
        stat_card("mob-stops", "Arrêts réalisés", f"{fmt_number(s.stops_completed)} / {fmt_number(s.stops_scheduled)}",
                  f"programmés sur la période ; {fmt_number(s.stops_cancelled)} annulés ; "
                  f"{fmt_number(s.stops_upcoming_14d)} prévus dans les 14 jours"),
        stat_card("mob-consultations", "Consultations",
                  secret if s.consultations is None else fmt_number(s.consultations),
                  f"dont nouveaux patients : {secret if s.new_patients is None else fmt_number(s.new_patients)} · "
                  f"{fmt_number(s.consultations_per_stop, 1)} par arrêt", hidden=s.consultations is None),
        stat_card("mob-slots", "Créneaux utilisés",
                  "—" if s.slot_use_pct is None else f"{fmt_number(s.slot_use_pct, 1)}\u00a0%",
                  "consultations rapportées aux créneaux offerts lors des arrêts réalisés"),
        stat_card("mob-reach", "Communes desservies", fmt_number(s.communes_served),
                  f"{fmt_number(s.population_served)} habitants ; à moins de 10 km d'un arrêt : "
                  f"{fmt_number(s.population_within[10.0])}, à moins de 20 km : "
                  f"{fmt_number(s.population_within[20.0])}"),
    ])


def weekly_figure(df: pd.DataFrame) -> dict:
    if df.empty:
        return empty_figure()
    pivot = df.pivot_table(index="week", columns="status", values="stops", aggfunc="sum").fillna(0).sort_index()
    order = [s for s in q.STATUS_LABELS.values() if s in pivot.columns]
    return bar_figure([w.isoformat() for w in pivot.index], {s: pivot[s].tolist() for s in order},
                      y_title="Arrêts", x_title="Semaine du", height=500)


def map_figure(communes: pd.DataFrame, vehicles: pd.DataFrame, *, tile_url: str | None) -> dict:
    if communes.empty and vehicles.empty:
        return empty_figure()
    layers = []
    if not communes.empty:
        c = numeric(communes["consultations"]).fillna(0)
        top = max(c.max(), 1)
        layers.append({"name": "Communes desservies (surface ∝ consultations)", "lat": communes["lat"].tolist(),
                       "lon": communes["lon"].tolist(), "size": [7 + 26 * math.sqrt(v / top) for v in c],
                       "customdata": communes["insee"].tolist(), "colour": "#009E73", "opacity": 0.75,
                       "text": [f"<b>{n}</b><br>{fmt_number(s)} arrêts · {v if isinstance(v, str) else fmt_number(v)} "
                                f"consultations<br>{fmt_number(p)} habitants"
                                for n, s, v, p in zip(communes["name"], communes["stops"], communes["consultations"],
                                                      communes["population"], strict=True)]})
    if not vehicles.empty:
        layers.append({"name": "Véhicules (dernière position)", "lat": vehicles["lat"].tolist(),
                       "lon": vehicles["lon"].tolist(), "size": 16, "colour": "#D55E00", "opacity": 1.0,
                       "text": [f"<b>{u}</b><br>relevée le {t:%d/%m/%Y à %H:%M} UTC<br>prochain arrêt : {n or '—'}"
                                for u, t, n in zip(vehicles["unit"], vehicles["recorded_at"], vehicles["next_stop"],
                                                   strict=True)]})
    # vehicles differ from communes by size, colour, legend and hover text, not by colour alone
    return points_map(layers, tile_url=tile_url, geojson_url=geojson_url())


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(graph_id(f"{PAGE}-weekly"), "figure"), Output(data_id(f"{PAGE}-weekly"), "children"),
    Output(data_id(f"{PAGE}-communes"), "children"),
    Output(note_id(PAGE), "children"), Output(stamp_id(PAGE), "children"),
    *FILTER_INPUTS, Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.MOBILE.value, sample_args=(["52"], *SAMPLE_FILTERS[1:], 0),  # the vehicles tour 52
         has_data=lambda result: bool(result[1]["data"]) and bool(result[3]["data"]))
def update_mobile(departements, month_from, month_to, epci, commune, _tick, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    session = db_session()

    def get(name, compute):
        return cached(f"{PAGE}.{name}", scope=scope, params=(filters,), datasets=DATASETS, compute=compute)

    summary = get("summary", lambda: q.summary(session, scope=scope, filters=filters))
    weekly = get("weekly", lambda: q.weekly(session, scope=scope, filters=filters))
    communes = get("communes", lambda: q.communes_served(session, scope=scope, filters=filters))
    vehicles = get("vehicles", lambda: q.vehicles(session, scope=scope, filters=filters))
    query = filters.to_query()
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    veh_spec, weekly_spec, com_spec = (TABLES["cabinets-mobiles-vehicules"], TABLES["cabinets-mobiles-hebdo"],
                                       TABLES["cabinets-mobiles-communes"])
    stops_done = numeric(weekly.loc[weekly["status"] == q.STATUS_LABELS["completed"], "stops"]).sum() \
        if not weekly.empty else 0
    return (
        stats(summary),
        map_figure(communes, vehicles, tile_url=tile_url),
        panel_data(caption=f"{fmt_number(len(vehicles))} véhicules localisés ; {fmt_number(len(communes))} "
                           f"communes ou départements desservis sur la période.",
                   table=labelled(veh_spec, vehicles), table_key=veh_spec.key, query=query,
                   table_title="Dernière position des véhicules"),
        weekly_figure(weekly),
        panel_data(caption=f"{fmt_number(stops_done)} arrêts réalisés sur {fmt_number(weekly['week'].nunique())} "
                           "semaines." if not weekly.empty else "Aucun arrêt pour ce filtre.",
                   table=labelled(weekly_spec, weekly), table_key=weekly_spec.key, query=query),
        panel_data(caption="Consultations, nouveaux patients et utilisation des créneaux dans chaque commune "
                           "desservie.", table=labelled(com_spec, communes).drop(columns=["Latitude", "Longitude"]),
                   table_key=com_spec.key, query=query, table_title="Communes desservies", open_table=True),
        note_box(note_for(area_for(scope, filters, Dataset.MOBILE), filters)),
        updated_at(),
    )
