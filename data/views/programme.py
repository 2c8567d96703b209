"""Programme: each experiment's indicators against their targets (départements only at summary level)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.formatting import fmt_date, fmt_measure, plural
from data.indicators import programme_indicator_key
from data.models import Dataset
from data.queries import programme as q
from data.queries.common import numeric
from data.terminology import EXPERIMENTS
from data.url_codecs import choice
from data.views.base import Detail, Stat, TableView, detail_for, labelled, register_view, stat

NAME = "programme"
TABLE = "programme-indicateurs"
COLUMNS = {"experiment_label": "Expérimentation", "indicator_label": "Indicateur", "territory": "Territoire",
           "period_end": "Fin de période", "value": "Valeur", "target": "Cible", "unit": "Unité",
           "objective": "Objectif", "reached": "Cible atteinte"}


@dataclass(frozen=True)
class ProgrammeOptions:
    experiment: str

    def in_words(self) -> tuple[tuple[str, str], ...]:
        return (("Expérimentation", EXPERIMENTS[self.experiment]),)

    def to_query(self) -> str:
        return f"&experience={self.experiment}"


EXPERIMENT = choice(EXPERIMENTS)  # URL parameter `experience` (bound to the control in components/url_state.py)


def programme_options(experiment=None) -> ProgrammeOptions:
    return ProgrammeOptions(EXPERIMENT.decode(experiment))


def options_from_args(args: Mapping[str, str], _filters: Filters) -> ProgrammeOptions:
    return programme_options(args.get("experience"))


@dataclass(frozen=True)
class IndicatorChart:
    """One line per territory (and indicator) over the periods, with its target."""

    x: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    targets: tuple[tuple[str, float | None], ...]
    unit: str

    @property
    def empty(self) -> bool:
        return not self.x


@dataclass(frozen=True)
class ProgrammeView:
    detail: Detail
    options: ProgrammeOptions
    stats: tuple[Stat, ...]
    chart: IndicatorChart
    table: TableView
    note: str | None
    query: str


@register_view(NAME, dataset=Dataset.PROGRAMME.value, datasets=(Dataset.PROGRAMME.value,), options=options_from_args,
               tables={TABLE: "Indicateurs des expérimentations"})
def programme_view(session: Session, *, scope: AccessScope, filters: Filters,
                   options: ProgrammeOptions) -> ProgrammeView:
    detail = detail_for(scope, filters, Dataset.PROGRAMME)
    df = q.indicators(session, scope=scope, filters=filters, experiment=options.experiment)
    caption = (f"{EXPERIMENTS[options.experiment]} : {plural(df['indicator'].nunique(), 'indicateur')}, "
               f"{plural(df['territory'].nunique(), 'territoire')}, "
               f"{plural(df['period_end'].nunique(), 'période')} ; la cible est en pointillés de la même "
               "couleur." if not df.empty else "Aucune valeur pour ce filtre.")
    return ProgrammeView(detail, options, _stats(df), _chart(df),
                         TableView(TABLE, "Données du graphique", labelled(df, COLUMNS), caption=caption),
                         detail.note, filters.to_query() + options.to_query())


def _stats(df: pd.DataFrame) -> tuple[Stat, ...]:
    if df.empty:
        return ()
    latest = df.sort_values("period_end").groupby(["indicator", "territory"]).tail(1)
    out = []
    for row in latest.itertuples(index=False):
        value = row.value if isinstance(row.value, str) else fmt_measure(row.value)
        reached = {"oui": "cible atteinte", "non": "cible non atteinte"}.get(row.reached, "non évaluable")
        goal = "au plus" if row.objective == "baisse" else "au moins"
        out.append(stat(f"prog-{row.indicator}-{row.territory}".replace(" ", "-"), f"{value} {row.unit}",
                        f"au {fmt_date(row.period_end)} ; cible : {goal} {fmt_measure(row.target)} — {reached}",
                        hidden=isinstance(row.value, str), indicator=programme_indicator_key(row.indicator),
                        indicator_name=row.indicator_label, territory=row.territory))
    return tuple(out)


def _chart(df: pd.DataFrame) -> IndicatorChart:
    if df.empty:
        return IndicatorChart((), (), (), "")
    df = df.assign(value=numeric(df["value"]), series=df["indicator_label"] + " — " + df["territory"]
                   if df["indicator"].nunique() > 1 else df["territory"])
    periods = sorted(df["period_end"].unique())
    series, targets = [], []
    for name, part in df.groupby("series", sort=True):
        by_period = dict(zip(part["period_end"], part["value"], strict=True))
        series.append((name, tuple(None if by_period.get(p) is None or by_period[p] != by_period[p] else
                                   float(by_period[p]) for p in periods)))
        targets.append((name, float(part["target"].iloc[-1]) if part["target"].notna().any() else None))
    return IndicatorChart(tuple(p.isoformat() for p in periods), tuple(series), tuple(targets), df["unit"].iloc[0])


