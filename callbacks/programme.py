"""Programme callbacks: experiment and filters → indicators against targets over time."""
from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback, html

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, note_box, read_filters
from components.charts import empty_figure, line_figure
from components.formatting import fmt_date, fmt_measure, fmt_number
from components.panel import data_id, graph_id, panel_data
from components.stat_card import stat_card, stat_row, stats_id
from data.models import Dataset
from data.queries import programme as q
from data.queries.common import TABLES, area_for, labelled, note_for, numeric
from data.terminology import EXPERIMENTS
from pages._shell import note_id
from server.cache import cached
from server.database import db_session

PAGE = "programme"


def chart(df: pd.DataFrame) -> dict:
    """One line per territory (and indicator), its target dotted in the same colour."""
    if df.empty:
        return empty_figure()
    df = df.assign(value=numeric(df["value"]), series=df["indicator_label"] + " — " + df["territory"]
                   if df["indicator"].nunique() > 1 else df["territory"])
    periods = sorted(df["period_end"].unique())
    x = [p.isoformat() for p in periods]
    series, targets = {}, {}
    for name, part in df.groupby("series", sort=True):
        by_period = dict(zip(part["period_end"], part["value"], strict=True))
        series[name] = [None if by_period.get(p) is None or by_period.get(p) != by_period.get(p) else
                        float(by_period[p]) for p in periods]
        targets[name] = float(part["target"].iloc[-1]) if part["target"].notna().any() else None
    unit = df["unit"].iloc[0]
    return line_figure(x, series, y_title=unit, targets=targets, height=420)


def stats(df: pd.DataFrame):
    if df.empty:
        return None
    latest = df.sort_values("period_end").groupby(["indicator", "territory"]).tail(1)
    cards = []
    for row in latest.itertuples(index=False):
        value = row.value if isinstance(row.value, str) else fmt_measure(row.value)
        reached = {"oui": "cible atteinte", "non": "cible non atteinte"}.get(row.reached, "non évaluable")
        goal = "au plus" if row.objective == "baisse" else "au moins"
        cards.append(stat_card(f"prog-{row.indicator}-{row.territory}".replace(" ", "-"),
                               f"{row.indicator_label} — {row.territory}", f"{value} {row.unit}",
                               f"au {fmt_date(row.period_end)} ; cible : {goal} {fmt_measure(row.target)} — "
                               f"{reached}"))
    return stat_row(cards)


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-chart"), "figure"), Output(data_id(f"{PAGE}-chart"), "children"),
    Output(note_id(PAGE), "children"),
    *FILTER_INPUTS, Input(f"{PAGE}-experiment", "value"),
)
@guarded(dataset=Dataset.PROGRAMME.value, sample_args=(*SAMPLE_FILTERS, "teleconsultation"),
         has_data=lambda result: bool(result[1]["data"]))
def update_programme(departements, month_from, month_to, epci, commune, experiment, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    experiment = experiment if experiment in EXPERIMENTS else next(iter(EXPERIMENTS))
    session = db_session()
    df = cached(f"{PAGE}.indicators", scope=scope, params=(filters, experiment), datasets=[Dataset.PROGRAMME.value],
                compute=lambda: q.indicators(session, scope=scope, filters=filters, experiment=experiment))
    spec = TABLES["programme-indicateurs"]
    caption = (f"{EXPERIMENTS[experiment]} : {fmt_number(df['indicator'].nunique())} indicateur(s), "
               f"{fmt_number(df['territory'].nunique())} territoire(s), {fmt_number(df['period_end'].nunique())} "
               "période(s) ; la cible est en pointillés de la même couleur." if not df.empty
               else "Aucune valeur pour ce filtre.")
    return (stats(df) or html.Div(), chart(df),
            panel_data(caption=caption, table=labelled(spec, df), table_key=spec.key,
                       query=filters.to_query() + f"&experience={experiment}"),
            note_box(note_for(area_for(scope, filters, Dataset.PROGRAMME), filters)))
