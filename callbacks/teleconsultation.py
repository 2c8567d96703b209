"""Téléconsultation callbacks: filters (and the live timer) → headline figures, weekly chart, site map."""
from __future__ import annotations

import math

import pandas as pd
from dash import Input, Output, callback, html
from flask import current_app

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, map_click_filters_commune, read_filters, updated_at
from components.charts import bar_figure, empty_figure, points_map
from components.formatting import fmt_number
from components.live import interval_id, stamp_id
from components.panel import data_id, graph_id, panel_data
from components.stat_card import stat_card, stat_row, stats_id
from data.models import Dataset
from data.queries import teleconsultation as q
from data.queries.common import TABLES, area_for, labelled, note_for, numeric
from pages._shell import note_id
from server.cache import cached
from server.database import db_session
from server.health import geojson_url

PAGE = "teleconsultation"
DATASETS = [Dataset.TELECONSULTATION.value]

map_click_filters_commune(graph_id(f"{PAGE}-map"))


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{fmt_number(v, 1)}\u00a0%"


def stats(s: q.TeleconsultationSummary | None) -> html.Div:
    if s is None:
        return html.Div()
    hidden = s.hidden
    return stat_row([
        stat_card("tc-completed", "Séances réalisées", "< 11" if s.completed is None else fmt_number(s.completed),
                  f"sur {'< 11' if s.sessions is None else fmt_number(s.sessions)} programmées", hidden=hidden),
        stat_card("tc-completion", "Taux de réalisation", _pct(s.completion_pct),
                  f"échecs techniques {_pct(s.failure_pct)} · patients absents {_pct(s.no_show_pct)} · "
                  f"annulations {_pct(s.cancelled_pct)}"),
        stat_card("tc-median", "Durée médiane d'une séance",
                  "—" if s.median_minutes is None else f"{fmt_number(s.median_minutes, 0)} min",
                  f"patients de 75 ans et plus : {_pct(s.share_75_plus_pct)}"),
        stat_card("tc-ehpad", "EHPAD avec téléconsultation active",
                  f"{fmt_number(s.ehpads_active)} / {fmt_number(s.ehpads_total)}",
                  "temps médical apporté : " + ("—" if s.ehpad_hours_per_100_residents_month is None else
                                                f"{fmt_number(s.ehpad_hours_per_100_residents_month, 1)} h "
                                                "par mois pour 100 résidents")),
    ])


def weekly_figure(df: pd.DataFrame) -> dict:
    if df.empty:
        return empty_figure()
    pivot = (df.assign(completed=numeric(df["completed"])).pivot_table(index="week", columns="group",
                                                                          values="completed", aggfunc="sum")
             .sort_index())
    order = pivot.sum().sort_values(ascending=False).index
    weeks = [w.isoformat() for w in pivot.index]
    return bar_figure(weeks, {g: [None if v != v else float(v) for v in pivot[g]] for g in order},
                      y_title="Séances réalisées", x_title="Semaine du")


def weekly_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "Aucune séance pour ce filtre."
    done = numeric(df["completed"])
    per_week = done.groupby(df["week"]).sum()
    top = done.groupby(df["group"]).sum().sort_values(ascending=False)
    return (f"{fmt_number(len(per_week))} semaines ; en moyenne {fmt_number(per_week.mean(), 0)} séances réalisées "
            f"par semaine (de {fmt_number(per_week.min())} à {fmt_number(per_week.max())}). "
            f"Premier groupe : {top.index[0]} ({fmt_number(top.iloc[0])} séances)."
            + (" Des effectifs sont masqués (secret statistique)." if done.isna().any() else ""))


def sites_figure(df: pd.DataFrame, *, tile_url: str | None) -> dict:
    if df.empty:
        return empty_figure()
    done = numeric(df["completed"]).fillna(0)
    biggest = max(done.max(), 1)
    sizes = [8 + 34 * math.sqrt(v / biggest) for v in done]
    text = [f"<b>{n}</b><br>{k + ' · ' if k else ''}{c}<br>{lab if isinstance(lab, str) else fmt_number(lab)} "
            f"séances réalisées<br>réalisation {_pct(p)}"
            for n, k, c, lab, p in zip(df["name"], df["kind"], df["commune"], df["completed"], df["completion_pct"],
                                       strict=True)]
    return points_map([{"name": "Sites (surface ∝ séances réalisées)", "lat": df["lat"].tolist(),
                        "lon": df["lon"].tolist(), "text": text, "size": sizes, "customdata": df.get("insee"),
                        "colour": "#0072B2", "opacity": 0.7}], tile_url=tile_url, geojson_url=geojson_url())


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-weekly"), "figure"), Output(data_id(f"{PAGE}-weekly"), "children"),
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(note_id(PAGE), "children"), Output(stamp_id(PAGE), "children"),
    *FILTER_INPUTS, Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.TELECONSULTATION.value, sample_args=(*SAMPLE_FILTERS, 0),
         has_data=lambda result: bool(result[1]["data"]) and bool(result[3]["data"]))
def update_teleconsultation(departements, month_from, month_to, epci, commune, _tick, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    session = db_session()
    params = (filters,)

    def get(name, compute):
        return cached(f"{PAGE}.{name}", scope=scope, params=params, datasets=DATASETS, compute=compute)

    summary = get("summary", lambda: q.summary(session, scope=scope, filters=filters))
    weekly = get("weekly", lambda: q.weekly(session, scope=scope, filters=filters))
    sites = get("sites", lambda: q.by_site(session, scope=scope, filters=filters))
    query = filters.to_query()
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    weekly_spec, sites_spec = TABLES["teleconsultation-hebdo"], TABLES["teleconsultation-sites"]
    note = note_for(area_for(scope, filters, Dataset.TELECONSULTATION), filters)
    return (
        stats(summary),
        weekly_figure(weekly),
        panel_data(caption=weekly_caption(weekly), table=labelled(weekly_spec, weekly), table_key=weekly_spec.key,
                   query=query),
        sites_figure(sites, tile_url=tile_url),
        panel_data(caption=sites_caption(sites),
                   table=labelled(sites_spec, sites).drop(columns=["Latitude", "Longitude"]),
                   table_key=sites_spec.key, query=query, table_title="Activité par site"),
        html.Div(note, className="alert alert-info small py-2") if note else None,
        updated_at(),
    )


def sites_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "Aucun site actif pour ce filtre."
    done = numeric(df["completed"])
    top = df.loc[done.idxmax()] if done.notna().any() else None
    return (f"Carte de {fmt_number(len(df))} sites ou départements ayant eu des séances. "
            + (f"Le plus actif : {top['name']} ({fmt_number(int(done.max()))} séances réalisées)." if top is not None
               else ""))
