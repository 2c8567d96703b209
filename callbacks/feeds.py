"""Flux callbacks: the live timer → sources table (silent ones first), hourly chart, rejects."""
from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback

from callbacks._access import guarded, rendered_text
from callbacks.common import updated_at
from components.charts import bar_figure, empty_figure
from components.formatting import fmt_number
from components.live import interval_id, stamp_id
from components.panel import data_id, graph_id, panel_data
from components.stat_card import stat_card, stat_row, stats_id
from data.models import Dataset
from data.queries import feeds as q
from data.queries.common import TABLES, labelled
from data.users import utcnow
from server.cache import cached
from server.database import db_session

PAGE = "feeds"


def hourly_figure(df: pd.DataFrame) -> dict:
    if df.empty:
        return empty_figure("Aucun événement reçu sur les 48 dernières heures")
    totals = df.assign(total=df["accepted"] + df["updated"] + df["duplicates"]).pivot_table(
        index="hour", columns="kind", values="total", aggfunc="sum").fillna(0).sort_index()
    rejected = df.groupby("hour")["rejected"].sum().reindex(totals.index).fillna(0)
    series = {k: totals[k].tolist() for k in totals.columns}
    series["Refusés (tous flux)"] = rejected.tolist()
    return bar_figure([h.strftime("%Y-%m-%d %H:00") for h in totals.index], series, y_title="Événements par heure")


def rejects_figure(df: pd.DataFrame) -> dict:
    if df.empty:
        return empty_figure("Aucun refus sur les 7 derniers jours")
    by_reason = df.groupby("reason")["count"].sum().sort_values()
    return bar_figure(by_reason.index.tolist(), {"Refus": by_reason.tolist()}, y_title="Refus", horizontal=True)


@callback(
    Output(stats_id(PAGE), "children"), Output(data_id(f"{PAGE}-sources"), "children"),
    Output(graph_id(f"{PAGE}-hourly"), "figure"), Output(data_id(f"{PAGE}-hourly"), "children"),
    Output(graph_id(f"{PAGE}-rejects"), "figure"), Output(data_id(f"{PAGE}-rejects"), "children"),
    Output(stamp_id(PAGE), "children"),
    Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.FEEDS.value, sample_args=(0,),
         has_data=lambda result: "Démo — " in rendered_text(result[1]))
def update_feeds(_tick, *, scope):
    session = db_session()
    now = utcnow().replace(second=0, microsecond=0)  # one cached answer per minute at most

    def get(name, compute):
        return cached(f"{PAGE}.{name}", scope=scope, params=(now,), datasets=[Dataset.FEEDS.value], compute=compute)

    sources = get("sources", lambda: q.sources_table(session, scope=scope, now=now))
    hourly = get("hourly", lambda: q.hourly(session, scope=scope, now=now))
    rejects = get("rejects", lambda: q.rejects(session, scope=scope, now=now))
    s_spec, h_spec, r_spec = TABLES["flux-sources"], TABLES["flux-horaire"], TABLES["flux-refus"]
    silent = int(sources["silent"].astype(bool).sum()) if not sources.empty else 0
    stats = stat_row([
        stat_card("feeds-sources", "Sources déclarées", fmt_number(len(sources))),
        stat_card("feeds-silent", "Sources silencieuses", fmt_number(silent), "rien reçu depuis plus de 24 heures"),
        stat_card("feeds-hour", "Événements (dernière heure)",
                  fmt_number(int(sources["events_last_hour"].sum()) if not sources.empty else 0)),
        stat_card("feeds-rejects", "Refus (7 jours)", fmt_number(int(rejects["count"].sum()) if not rejects.empty
                                                                 else 0)),
    ])
    ordered = sources.sort_values(["silent", "name"], ascending=[False, True]) if not sources.empty else sources
    return (
        stats,
        panel_data(caption=f"{fmt_number(len(sources))} sources, dont {fmt_number(silent)} silencieuses "
                           "(en tête du tableau).", table=labelled(s_spec, ordered), table_key=s_spec.key,
                   table_title="Sources", open_table=True),
        hourly_figure(hourly),
        panel_data(caption=f"{fmt_number(int(hourly[['accepted', 'updated', 'duplicates']].sum().sum()))} "
                           f"événements reçus et {fmt_number(int(hourly['rejected'].sum()))} refusés en 48 heures."
                   if not hourly.empty else "Aucun événement reçu sur les 48 dernières heures.",
                   table=labelled(h_spec, hourly), table_key=h_spec.key),
        rejects_figure(rejects),
        panel_data(caption="Refus par motif et par champ en cause ; chaque charge refusée est conservée telle "
                           "quelle avec son motif.", table=labelled(r_spec, rejects), table_key=r_spec.key),
        updated_at(),
    )
