"""Biologie délocalisée callbacks: filters (and the live timer) → figures, device alerts, tables."""
from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, note_box, read_filters, updated_at
from components.charts import bar_figure, empty_figure
from components.formatting import fmt_number
from components.live import interval_id, stamp_id
from components.panel import data_id, graph_id, panel_data
from components.stat_card import stat_card, stat_row, stats_id
from data.models import Dataset
from data.queries import biology as q
from data.queries.common import TABLES, area_for, labelled, note_for, numeric
from data.users import utcnow
from pages._shell import note_id
from server.cache import cached
from server.database import db_session

PAGE = "biology"
DATASETS = [Dataset.BIOLOGY.value]


def _pct(v):
    return "—" if v is None else f"{fmt_number(v, 1)}\u00a0%"


def _min(v):
    return "—" if v is None else f"{fmt_number(v, 1)} min"


def stats(s: q.BiologySummary | None):
    if s is None:
        return None
    return stat_row([
        stat_card("bio-tests", "Analyses réalisées", "< 11" if s.tests is None else fmt_number(s.tests),
                  f"dans {fmt_number(s.sites)} EHPAD", hidden=s.tests is None),
        stat_card("bio-abnormal", "Résultats anormaux", _pct(s.abnormal_pct), "hors des valeurs de référence"),
        stat_card("bio-turnaround", "Délai prélèvement → résultat", _min(s.sample_to_result_min),
                  f"résultat → laboratoire : {_min(s.result_to_lab_min)} ; transmis : {_pct(s.transmitted_pct)}"),
        stat_card("bio-devices", "Automates en alerte", f"{fmt_number(s.devices_alert)} / {fmt_number(s.devices)}",
                  "contrôle qualité en échec ou silencieux depuis 48 h"),
    ])


def weekly_figure(df: pd.DataFrame) -> dict:
    if df.empty:
        return empty_figure()
    pivot = (df.assign(tests=numeric(df["tests"])).pivot_table(index="week", columns="test", values="tests",
                                                                aggfunc="sum").sort_index())
    order = pivot.sum().sort_values(ascending=False).index
    return bar_figure([w.isoformat() for w in pivot.index],
                      {t: [None if v != v else float(v) for v in pivot[t]] for t in order},
                      y_title="Analyses", x_title="Semaine du")


def sites_figure(df: pd.DataFrame) -> dict:
    """Abnormal rate per test, one bar group per EHPAD (or département)."""
    if df.empty:
        return empty_figure()
    pivot = df.pivot_table(index="site", columns="test", values="abnormal_pct", aggfunc="first")
    return bar_figure(pivot.index.tolist(), {t: [None if v != v else float(v) for v in pivot[t]]
                                             for t in pivot.columns},
                      y_title="Résultats anormaux (%)", stacked=False, height=420, hover_format=",.1f")


@callback(
    Output(stats_id(PAGE), "children"),
    Output(data_id(f"{PAGE}-devices"), "children"),
    Output(graph_id(f"{PAGE}-weekly"), "figure"), Output(data_id(f"{PAGE}-weekly"), "children"),
    Output(graph_id(f"{PAGE}-sites"), "figure"), Output(data_id(f"{PAGE}-sites"), "children"),
    Output(note_id(PAGE), "children"), Output(stamp_id(PAGE), "children"),
    *FILTER_INPUTS, Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.BIOLOGY.value, sample_args=(*SAMPLE_FILTERS, 0),
         has_data=lambda result: bool(result[2]["data"]) and bool(result[4]["data"]))
def update_biology(departements, month_from, month_to, epci, commune, _tick, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    session = db_session()
    now = utcnow().replace(minute=0, second=0, microsecond=0)  # device state changes by the hour

    def get(name, compute, extra=()):
        return cached(f"{PAGE}.{name}", scope=scope, params=(filters, *extra), datasets=DATASETS, compute=compute)

    summary = get("summary", lambda: q.summary(session, scope=scope, filters=filters, now=now), (now,))
    devices = get("devices", lambda: q.devices(session, scope=scope, filters=filters, now=now), (now,))
    weekly = get("weekly", lambda: q.weekly(session, scope=scope, filters=filters))
    sites = get("sites", lambda: q.by_site_test(session, scope=scope, filters=filters))
    query = filters.to_query()
    dev_spec, weekly_spec, sites_spec = TABLES["biologie-automates"], TABLES["biologie-hebdo"], TABLES["biologie-sites"]
    alerts = devices[devices["alert"]] if not devices.empty else devices
    return (
        stats(summary),
        panel_data(caption=(f"{fmt_number(len(alerts))} en alerte sur {fmt_number(len(devices))} "
                            + ("départements." if area_for(scope, filters, Dataset.BIOLOGY).summary else "automates.")
                            ) if not devices.empty else "Aucun automate pour ce filtre.",
                   table=labelled(dev_spec, devices), table_key=dev_spec.key,
                   query=query, table_title="État des automates (alertes en premier)", open_table=True),
        weekly_figure(weekly),
        panel_data(caption=weekly_caption(weekly), table=labelled(weekly_spec, weekly), table_key=weekly_spec.key,
                   query=query),
        sites_figure(sites),
        panel_data(caption="Part des résultats hors des valeurs de référence, par examen ; délais moyens dans le "
                           "tableau.", table=labelled(sites_spec, sites), table_key=sites_spec.key, query=query),
        note_box(note_for(area_for(scope, filters, Dataset.BIOLOGY), filters)),
        updated_at(),
    )


def weekly_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "Aucune analyse pour ce filtre."
    tests = numeric(df["tests"])
    per_test = tests.groupby(df["test"]).sum().sort_values(ascending=False)
    return (f"{fmt_number(tests.sum())} analyses sur {fmt_number(df['week'].nunique())} semaines ; examen le plus "
            f"fréquent : {per_test.index[0]} ({fmt_number(per_test.iloc[0])})."
            + (" Des effectifs sont masqués (secret statistique)." if tests.isna().any() else ""))
