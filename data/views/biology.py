"""Biologie délocalisée: tests, abnormal rates, turnaround, device health (per département at summary)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

import data.views.grid as grid
from data.access import AccessScope
from data.filters import Filters
from data.formatting import fmt_number, plural
from data.models import Dataset
from data.queries import biology as q
from data.queries import quality
from data.queries.common import numeric
from data.secrecy import published_rate
from data.users import utcnow
from data.views.base import (
    SECRET_NOTE,
    Detail,
    Stat,
    TableView,
    departement_points,
    detail_for,
    labelled,
    register_view,
    stat,
)
from data.views.completeness import biology_incomplete
from data.views.series import WeeklySeries, weekly_series

NAME = "biology"
DEVICES_TABLE, WEEKLY_TABLE, SITES_TABLE = "biologie-automates", "biologie-hebdo", "biologie-sites"
DEVICE_COLUMNS = {"site": "EHPAD", "serial": "Automate", "model": "Modèle",
                  "last_seen": "Dernier rapport d'état (heure de Paris)",
                  "qc_status": "Dernier contrôle qualité", "battery_pct": "Batterie (%)", "error_code": "Erreur",
                  "state": "État"}
SUMMARY_DEVICE_COLUMNS = {"site": "Département", "devices": "Automates", "alerts": "Automates en alerte"}
WEEKLY_COLUMNS = {"week": "Semaine du", "test": "Examen", "tests": "Analyses", "abnormal": "Résultats anormaux"}
SITES_COLUMNS = {"site": "EHPAD / département", "test": "Examen", "tests": "Analyses", "abnormal": "Anormaux",
                 "abnormal_pct": "Anormaux (%)", "sample_to_result_min": "Prélèvement → résultat (min, moyenne)",
                 "result_to_lab_min": "Résultat → laboratoire (min, moyenne)", "transmitted_pct": "Transmis (%)"}


@dataclass(frozen=True)
class BiologyOptions:
    now: datetime  # device state changes by the hour: one view per hour


def biology_options(now: datetime | None = None) -> BiologyOptions:
    return BiologyOptions((now or utcnow()).replace(minute=0, second=0, microsecond=0))


def options_from_args(_args: Mapping[str, str], _filters: Filters) -> BiologyOptions:
    return biology_options()


@dataclass(frozen=True)
class BiologyView:
    detail: Detail
    stats: tuple[Stat, ...]
    devices_table: TableView
    weekly: WeeklySeries
    weekly_table: TableView
    sites: WeeklySeries  # abnormal rate per site (or département) and test
    sites_table: TableView
    note: str | None
    query: str
    incomplete: str | None = None  # « données incomplètes : … » when devices lacked reports over the period


def _implausible_words(n: int, detail: Detail) -> str:
    """The flagged values among the results: counted at detail; at summary only said (a count from the raw
    selection, outside the protected grid, could be differenced)."""
    if not n:
        return ""
    if detail.summary:
        return ", dont des valeurs hors des limites physiologiques signalées"
    return ", dont " + plural(n, "valeur hors des limites physiologiques signalée",
                              "valeurs hors des limites physiologiques signalées")


def pct(v) -> str:
    return "—" if v is None else f"{fmt_number(v, 1)}\u00a0%"


def minutes(v) -> str:
    return "—" if v is None else f"{fmt_number(v, 1)} min"


@register_view(NAME, dataset=Dataset.BIOLOGY.value, datasets=(Dataset.BIOLOGY.value,), options=options_from_args,
               live=True,
               tables={DEVICES_TABLE: "État des automates", WEEKLY_TABLE: "Analyses par semaine et par examen",
                       SITES_TABLE: "Analyses par EHPAD et par examen"})
def biology_view(session: Session, *, scope: AccessScope, filters: Filters, options: BiologyOptions) -> BiologyView:
    detail = detail_for(scope, filters, Dataset.BIOLOGY)
    summary = q.summary(session, scope=scope, filters=filters, now=options.now)
    devices = q.devices(session, scope=scope, filters=filters, now=options.now)
    if detail.summary and summary:  # weekly and per-site rollups are not read: the grid has them
        summary, weekly, sites = _from_grid(session, detail, filters, summary)
    else:
        weekly = q.weekly(session, scope=scope, filters=filters)
        sites = q.by_site_test(session, scope=scope, filters=filters)
    c = detail.count
    stats = (
        stat("bio-tests", detail.secret(summary.tests),
             f"dans {detail.counted(summary.sites, 'EHPAD', 'EHPAD')}", hidden=summary.tests is None),
        stat("bio-abnormal", pct(summary.abnormal_pct),
             "hors des valeurs de référence" + _implausible_words(
                 quality.implausible_results(session, scope=scope, filters=filters), detail)),
        stat("bio-turnaround", minutes(summary.sample_to_result_min),
             f"résultat → laboratoire : {minutes(summary.result_to_lab_min)} ; transmis : "
             f"{pct(summary.transmitted_pct)}"),
        stat("bio-devices", f"{c(summary.devices_alert)} / {c(summary.devices)}",
             "contrôle qualité en échec ou silencieux depuis 48 h"),
    ) if summary else ()
    if detail.summary and not devices.empty:
        devices = devices.assign(devices=devices["devices"].map(c), alerts=devices["alerts"].map(c))
    devices_caption = (f"{c(summary.devices_alert)} en alerte sur {detail.counted(summary.devices, 'automate')}"
                       + (f" ({detail.scale_words})" if detail.summary else "") + "."
                       if summary and summary.devices else "Aucun automate pour ce filtre.")
    series = weekly_series(weekly, x="week" if not detail.summary else "month_key", group="test", value="tests",
                           x_title="Mois" if detail.summary else "Semaine du",
                           x_labels=dict(zip(weekly["month_key"], weekly["month"], strict=True))
                           if detail.summary and not weekly.empty else None)
    # the exams in the weekly chart's order, so each keeps its colour and fill pattern from one chart to the
    # other (a black-and-white print tells them apart by pattern only)
    weekly_order = [name for name, _ in series.series]
    by_site = weekly_series(sites, x="site", group="test", value="abnormal_pct",
                            order=weekly_order + sorted(set(sites["test"]) - set(weekly_order)) if not sites.empty
                            else None)
    return BiologyView(
        detail=detail, stats=stats,
        devices_table=TableView(DEVICES_TABLE, "État des automates (alertes en premier)",
                                labelled(devices, SUMMARY_DEVICE_COLUMNS if detail.summary else DEVICE_COLUMNS),
                                caption=devices_caption, open=True),
        weekly=series,
        weekly_table=TableView(WEEKLY_TABLE, "Données du graphique",
                               labelled(weekly, MONTHLY_COLUMNS if detail.summary else WEEKLY_COLUMNS),
                               caption=_weekly_caption(weekly, detail, summary)),
        sites=by_site,
        sites_table=TableView(SITES_TABLE, "Données du graphique", labelled(sites, SITES_COLUMNS),
                              caption="Part des résultats hors des valeurs de référence, par examen"
                                      + (" et par département" if detail.summary else " et par EHPAD")
                                      + " ; délais moyens dans le tableau."),
        note=detail.note, query=filters.to_query(),
        incomplete=biology_incomplete(session, detail=detail, period=filters.period) if not detail.none else None)


MONTHLY_COLUMNS = {"month": "Mois", "test": "Examen", "tests": "Analyses", "abnormal": "Résultats anormaux"}


def _from_grid(session: Session, detail: Detail, filters: Filters, summary: q.BiologySummary):
    """Summary level: tests, abnormal and transmitted results from the publication grid (département ×
    month × test); mean turnaround times are the cells' means weighted by their published counts."""
    deps = detail.area.departements
    names = departement_points(session, deps).set_index("code")["name"]
    g = grid.biology_grids(session, deps, filters.period)
    tests, abnormal, sent = g["tests"], g["abnormal"], g["transmitted"]
    s2r, r2l = g["s2r_mean"], g["r2l_mean"]
    summary = replace(summary, tests=grid.value_or_none(tests.total()),
                      abnormal_pct=published_rate(abnormal.total(), tests.total()),
                      transmitted_pct=published_rate(sent.total(), tests.total()),
                      sample_to_result_min=grid.weighted_mean(s2r, tests),
                      result_to_lab_min=grid.weighted_mean(r2l, sent))
    month_keys = grid.months(filters.period)
    loincs = sorted({k for _, _, k in tests.cells})
    monthly = pd.DataFrame([{"month_key": m, "month": grid.month_label(m), "test": q.test_label(t),
                             "tests": grid.shown(tests.total(periods={m}, categories={t})),
                             "abnormal": grid.shown(abnormal.total(periods={m}, categories={t}))}
                            for m in month_keys for t in loincs],
                           columns=["month_key", "month", "test", "tests", "abnormal"])
    rows = []
    for d in deps:
        for t in loincs:
            n, a, tr = (x.total(deps={d}, categories={t}) for x in (tests, abnormal, sent))
            if not n.value and not n.small:
                continue
            mean_s2r = grid.weighted_mean(s2r, tests, deps={d}, categories={t})
            mean_r2l = grid.weighted_mean(r2l, sent, deps={d}, categories={t})
            rows.append({"site": names[d], "test": q.test_label(t), "tests": grid.shown(n), "abnormal": grid.shown(a),
                         "abnormal_pct": published_rate(a, n),
                         "sample_to_result_min": None if mean_s2r is None else round(mean_s2r, 1),
                         "result_to_lab_min": None if mean_r2l is None else round(mean_r2l, 1),
                         "transmitted_pct": published_rate(tr, n)})
    return summary, monthly, pd.DataFrame(rows, columns=list(SITES_COLUMNS))


def _weekly_caption(df: pd.DataFrame, detail: Detail, summary: q.BiologySummary | None) -> str:
    """The total is the headline figure's (hidden cells of the table are not summed into a partial total)."""
    if df.empty or summary is None:
        return "Aucune analyse pour ce filtre."
    tests = numeric(df["tests"])
    per_test = tests.groupby(df["test"]).sum().sort_values(ascending=False)
    total = detail.counted_secret(summary.tests, "analyse")
    periods = (plural(df["month"].nunique(), "mois", "mois") if detail.summary  # periods: not secret
               else plural(df["week"].nunique(), "semaine"))
    return (f"{total} sur {periods} ; "
            f"examen le plus fréquent : {per_test.index[0]} ({detail.count(int(per_test.iloc[0]))})."
            + (f" {SECRET_NOTE}" if tests.isna().any() else "")
            + (" Niveau « synthèse » : par mois, valeurs publiées après perturbation statistique." if detail.summary
               else ""))
