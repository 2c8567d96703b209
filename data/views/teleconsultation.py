"""Téléconsultation: headline figures, sessions per week, activity per site (per département at summary)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

import data.views.grid as grid
from data.access import AccessScope
from data.filters import Filters
from data.formatting import fmt_number, plural
from data.models import Dataset
from data.queries import teleconsultation as q
from data.queries.common import numeric
from data.queries.completeness import BASELINE_DAYS
from data.secrecy import published_rate
from data.views.base import (
    SECRET_NOTE,
    Detail,
    MapView,
    PointLayer,
    SizeScale,
    Stat,
    TableView,
    commune_name,
    departement_counts,
    departement_points,
    detail_for,
    focus,
    labelled,
    map_context,
    period_months,
    register_view,
    stat,
    territory_bounds,
)
from data.views.completeness import teleconsultation_incomplete
from data.views.series import WeeklySeries, weekly_series

NAME = "teleconsultation"
WEEKLY_TABLE, SITES_TABLE = "teleconsultation-hebdo", "teleconsultation-sites"
WEEKLY_COLUMNS = {"week": "Semaine du", "group": "Spécialité / département", "completed": "Réalisées",
                  "not_completed": "Non abouties"}
SUMMARY_SITES_COLUMNS = {"name": "Département", "sessions": "Séances", "completed": "Réalisées",
                         "completion_pct": "Taux de réalisation (%)", "failure_pct": "Échecs techniques (%)",
                         "hours": "Temps médical (h)", "share_75_plus_pct": "Patients de 75 ans et plus (%)"}
SITES_COLUMNS = {"name": "Site / département", "kind": "Type", "commune": "Commune", "insee": "Code INSEE",
                 "sessions": "Séances", "completed": "Réalisées", "completion_pct": "Taux de réalisation (%)",
                 "failure_pct": "Échecs techniques (%)", "hours": "Temps médical (h)",
                 "share_75_plus_pct": "Patients de 75 ans et plus (%)"}


@dataclass(frozen=True)
class TeleconsultationView:
    detail: Detail
    stats: tuple[Stat, ...]
    weekly: WeeklySeries
    weekly_table: TableView
    map: MapView
    sites_table: TableView
    note: str | None
    query: str
    incomplete: str | None = None  # « données incomplètes : … » when equipped sites went silent


def pct(v: float | None) -> str:
    return "—" if v is None else f"{fmt_number(v, 1)}\u00a0%"


def _stats(s: q.TeleconsultationSummary, detail: Detail) -> tuple[Stat, ...]:
    return (
        stat("tc-completed", detail.secret(s.completed),
             f"sur {detail.secret(s.sessions)} programmées",
             hidden=s.completed is None),
        stat("tc-completion", pct(s.completion_pct),
             f"échecs techniques {pct(s.failure_pct)} · patients absents {pct(s.no_show_pct)} · "
             f"annulations {pct(s.cancelled_pct)}"),
        stat("tc-median", "—" if s.median_minutes is None else f"{fmt_number(s.median_minutes, 0)} min",
             f"patients de 75 ans et plus : {pct(s.share_75_plus_pct)}"),
        stat("tc-ehpad", f"{detail.count(s.ehpads_active)} / {detail.count(s.ehpads_total)}",
             "temps médical apporté : " + ("—" if s.ehpad_hours_per_100_residents_month is None else
                                           f"{fmt_number(s.ehpad_hours_per_100_residents_month, 1)} h par mois "
                                           "pour 100 résidents")),
    )


def options_from_args(_args: Mapping[str, str], _filters: Filters) -> None:
    return None


def _months(filters: Filters) -> dict[str, tuple]:
    """Every figure reads sessions of the period only, and « données incomplètes » the 4 weeks before its last
    7 days (a silent site's usual volume): the page's cache entry is versioned by those months."""
    return {Dataset.TELECONSULTATION.value: period_months(filters, before_days=BASELINE_DAYS)}


@register_view(NAME, dataset=Dataset.TELECONSULTATION.value, datasets=(Dataset.TELECONSULTATION.value,),
               options=options_from_args, months=_months, live=True,
               tables={WEEKLY_TABLE: "Téléconsultations par semaine", SITES_TABLE: "Activité par site"})
def teleconsultation_view(session: Session, *, scope: AccessScope, filters: Filters,
                          options: None = None) -> TeleconsultationView:
    detail = detail_for(scope, filters, Dataset.TELECONSULTATION)
    if detail.summary:
        return _summary_view(session, scope, filters, detail)
    query = filters.to_query()
    summary = q.summary(session, scope=scope, filters=filters)
    weekly = q.weekly(session, scope=scope, filters=filters)
    sites = q.by_site(session, scope=scope, filters=filters)
    series = weekly_series(weekly, x="week", group="group", value="completed")
    weekly_caption = _weekly_caption(weekly, detail, summary)
    return TeleconsultationView(
        detail=detail, stats=_stats(summary, detail) if summary else (),
        weekly=series,
        weekly_table=TableView(WEEKLY_TABLE, "Données du graphique", labelled(weekly, WEEKLY_COLUMNS),
                               caption=weekly_caption),
        map=_map(session, detail, sites if map_context(filters, detail) == filters
                 else q.by_site(session, scope=scope, filters=map_context(filters, detail)), filters),
        sites_table=TableView(SITES_TABLE, "Activité par site", labelled(sites, SITES_COLUMNS),
                              caption="Aucun site actif pour ce filtre." if sites.empty else
                              "Séances, taux de réalisation et d'échec, temps médical et part des 75 ans et plus, "
                              "par site."),
        note=detail.note, query=query,
        incomplete=teleconsultation_incomplete(session, detail=detail, period=filters.period))


def _weekly_caption(df: pd.DataFrame, detail: Detail, summary: q.TeleconsultationSummary | None) -> str:
    """Detail level: totals from the headline figure."""
    if df.empty or summary is None:
        return "Aucune séance pour ce filtre."
    done = numeric(df["completed"])
    weeks = df["week"].nunique()
    top = done.groupby(df["group"]).sum().sort_values(ascending=False)
    mean = fmt_number(summary.completed / weeks, 0) if summary.completed is not None and weeks else "—"
    return (f"{plural(weeks, 'semaine')} ; en moyenne {mean} séances réalisées par semaine"
            f". Premier groupe : {top.index[0]} ({detail.counted(int(top.iloc[0]), 'séance')} réalisées).")


def _map(session: Session, detail: Detail, sites: pd.DataFrame, filters: Filters) -> MapView:
    """Detail level: one circle per site (the summary view draws départements); a chosen commune is
    outlined and framed on, among the sites around it."""
    if detail.none:
        return MapView(None, (), ((), ()), "Aucun site pour ce filtre.")
    if sites.empty:
        return MapView(None, (), territory_bounds(session, detail.area.departements),
                       "Aucun site actif pour ce filtre.")
    done = numeric(sites["completed"]).fillna(0)
    scale = SizeScale(base=8, span=34, top=max(done.max(), 1))
    text = tuple(f"<b>{n}</b><br>{k + ' · ' if k else ''}{c}<br>{plural(v, 'séance réalisée', 'séances réalisées')}<br>"
                 f"réalisation {pct(p)}" for n, k, c, v, p in zip(sites["name"], sites["kind"], sites["commune"],
                                                                   sites["completed"], sites["completion_pct"],
                                                                   strict=True))
    layer = PointLayer("Sites (surface ∝ séances réalisées)", tuple(sites["lat"]), tuple(sites["lon"]), text,
                       colour="#0072B2", opacity=0.7, size=scale.sizes(done), customdata=tuple(sites["insee"]),
                       size_legend=scale.legend("Séances réalisées"))
    top = sites.loc[done.idxmax()]
    bounds, highlight = focus(session, detail, filters, territory_bounds(session, detail.area.departements))
    chosen = f" La commune choisie, {commune_name(session, highlight)}, est entourée." if highlight else ""
    return MapView(None, (layer,), bounds,
                   f"Carte de {detail.counted(len(sites), 'site')} ayant eu des séances. Le plus actif : "
                   f"{top['name']} ({fmt_number(int(done.max()))} séances réalisées).{chosen}", highlight=highlight)


MONTHLY_COLUMNS = {"month": "Mois", "group": "Département", "completed": "Réalisées", "not_completed": "Non abouties"}


def _summary_view(session: Session, scope: AccessScope, filters: Filters, detail: Detail) -> TeleconsultationView:
    """Every count from the publication grid (département × month × status): the cards, the monthly
    chart, the table, the map and the export are sums of the same published cells."""
    deps = detail.area.departements
    names = departement_points(session, deps).set_index("code")["name"]
    grids = grid.teleconsultation_grids(session, deps, filters.period)
    sessions, old = grids["sessions"], grids["old"]
    done = {"completed"}
    others = {k for _, _, k in sessions.cells} - done
    base = q.summary(session, scope=scope, filters=filters)  # median duration, EHPAD reach: no count of people

    def figures(dep_set) -> dict:
        total, completed = sessions.total(deps=dep_set), sessions.total(deps=dep_set, categories=done)
        return {"sessions": total, "completed": completed,
                "completion_pct": published_rate(completed, total),
                "failure_pct": published_rate(sessions.total(deps=dep_set, categories={"technical_failure"}), total),
                "no_show_pct": published_rate(sessions.total(deps=dep_set, categories={"no_show"}), total),
                "cancelled_pct": published_rate(sessions.total(deps=dep_set, categories={"cancelled"}), total),
                "share_75_plus_pct": published_rate(old.total(deps=dep_set), completed)}

    every = figures(deps)
    summary = q.TeleconsultationSummary(
        sessions=grid.value_or_none(every["sessions"]), completed=grid.value_or_none(every["completed"]),
        completion_pct=every["completion_pct"], failure_pct=every["failure_pct"], no_show_pct=every["no_show_pct"],
        cancelled_pct=every["cancelled_pct"], median_minutes=base.median_minutes if base else None,
        share_75_plus_pct=every["share_75_plus_pct"], ehpads_active=base.ehpads_active if base else 0,
        ehpads_total=base.ehpads_total if base else 0,
        ehpad_hours_per_100_residents_month=base.ehpad_hours_per_100_residents_month if base else None, summary=True)
    per_dep = pd.DataFrame([{"name": names[d], **{k: grid.shown(v) if hasattr(v, "small") else v
                                                  for k, v in figures({d}).items()}} for d in deps])
    month_keys = grid.months(filters.period)
    monthly = pd.DataFrame([
        {"month": grid.month_label(m), "group": names[d],
         "completed": grid.shown(sessions.total(deps={d}, periods={m}, categories=done)),
         "not_completed": grid.shown(sessions.total(deps={d}, periods={m}, categories=others))}
        for m in month_keys for d in deps])
    series = WeeklySeries(tuple(grid.month_label(m) for m in month_keys), tuple(
        (names[d], tuple(grid.value_or_none(sessions.total(deps={d}, periods={m}, categories=done))
                         for m in month_keys)) for d in deps),
        masked=any(isinstance(v, str) for v in monthly["completed"]), x_title="Mois")
    completed_by_dep = {d: sessions.total(deps={d}, categories=done) for d in deps}
    area = departement_counts({d: grid.shown(completed_by_dep[d]) for d in deps}, noun="séances réalisées",
                              none="Aucune séance", hover="%{z:,.0f} séances réalisées sur la période",
                              title="Séances réalisées")
    caption = (f"{plural(len(month_keys), 'mois', 'mois')} ; {detail.secret(summary.completed)} séances "
               "réalisées (niveau « synthèse » : par département et par mois, valeurs publiées après perturbation "
               "statistique)." + (f" {SECRET_NOTE}" if series.masked else ""))
    return TeleconsultationView(
        detail=detail, stats=_stats(summary, detail), weekly=series,
        weekly_table=TableView(WEEKLY_TABLE, "Données du graphique (par mois)",
                               labelled(monthly, MONTHLY_COLUMNS), caption=caption),
        map=MapView(area, (), territory_bounds(session, deps),
                    "Carte par département (niveau « synthèse ») : séances réalisées sur la période — "
                    + " ; ".join(f"{names[d]} : {detail.count(grid.shown(completed_by_dep[d]))}" for d in deps) + "."),
        sites_table=TableView(SITES_TABLE, "Activité par département", labelled(per_dep, SUMMARY_SITES_COLUMNS),
                              caption="Séances et taux par département (niveau « synthèse »), calculés sur les "
                                      "valeurs publiées."),
        note=detail.note, query=filters.to_query(),
        incomplete=teleconsultation_incomplete(session, detail=detail, period=filters.period))
