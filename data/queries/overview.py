"""Overview page: headline KPIs of each feed and GP density on the map (aggregated in SQL)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters, Period
from data.indicators import indicator
from data.models import (
    BiologyDaily,
    Commune,
    Dataset,
    Departement,
    HealthProfessional,
    Level,
    MobileDaily,
    Site,
    TeleconsultationDaily,
)
from data.queries.common import Area, area_for, frame, month_start
from data.secrecy import Cell, protect_1d, protected_total
from data.terminology import GP_PROFESSION, GP_SPECIALTY

if TYPE_CHECKING:
    from data.views.trends import Comparison

PER_INHABITANTS = 10_000


@dataclass(frozen=True)
class Kpi:
    """A headline figure; a value hidden by statistical secrecy is None with its `*_label` set."""

    key: str
    label: str
    dataset: str
    value: float | None
    previous: float | None
    unit: str
    decimals: int
    last_day: date | None
    value_label: str | None = None
    previous_label: str | None = None
    comparison: Comparison | None = None  # decided by the view (data/views/trends.py)
    covers: str | None = None  # the area the figure covers, when a filter finer than a département is set
    provenance: Any = field(default=None, compare=False)  # data.views.provenance.Provenance, set by the view

    @property
    def change_pct(self) -> float | None:
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / self.previous * 100


FIRST_DAY_ROLLUPS = {"teleconsultations": TeleconsultationDaily, "poc_tests": BiologyDaily,
                     "mobile_consultations": MobileDaily}


FEED_GAP_MONTHS = 3  # a run of more empty months than this separates stray old events from the feed


def first_days(session: Session) -> dict[str, date | None]:
    """The first day each flow KPI's dataset has data (whole feed, every territory): before it, no comparison.

    It is the first day of the feed's current run of months: months with data separated by more than
    FEED_GAP_MONTHS empty months start a new run, so a stray event dated years back (a device's clock,
    a late re-delivery) does not make a period before the feed's real start look comparable, while a
    slow launch or a short outage does not move the start."""
    return {key: _feed_start(session, rollup) for key, rollup in FIRST_DAY_ROLLUPS.items()}


def _feed_start(session: Session, rollup) -> date | None:
    month = month_start(session, rollup.day)
    firsts = session.scalars(select(func.min(rollup.day)).group_by(month).order_by(func.min(rollup.day))).all()
    start = None
    for i, first in enumerate(firsts):
        if i == 0 or _month_index(first) - _month_index(firsts[i - 1]) > FEED_GAP_MONTHS + 1:
            start = first
    return start


def _month_index(day: date) -> int:
    return day.year * 12 + day.month


def _two_periods(rows, deps: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """(département, now, before) rows as two dicts, every requested département present in both."""
    return ({d: 0 for d in deps} | {d: int(a) for d, a, _ in rows},
            {d: 0 for d in deps} | {d: int(b) for d, _, b in rows})


def _site_sums(session: Session, rollup, column, deps: tuple[str, ...], periods: tuple[Period, Period],
               *where) -> tuple[dict[str, int], dict[str, int]]:
    """Sums of a site rollup column per département for two periods, in one pass over the rollup
    (every requested département present in both)."""
    now, before = periods
    stmt = (select(Commune.departement_code,
                   func.coalesce(func.sum(column).filter(rollup.day.between(now.start, now.end)), 0),
                   func.coalesce(func.sum(column).filter(rollup.day.between(before.start, before.end)), 0))
            .join(Site, Site.id == rollup.site_id)
            .join(Commune, Commune.insee == Site.commune_insee)
            .where(Commune.departement_code.in_(deps), rollup.day.between(min(now.start, before.start),
                                                                          max(now.end, before.end)), *where)
            .group_by(Commune.departement_code))
    return _two_periods(session.execute(stmt).all(), deps)


def _site_last_day(session: Session, rollup, deps: tuple[str, ...], until: date) -> date | None:
    """Last day with data at a site of the départements up to `until`, the period's end (a figure of a past month
    never says it has data after it), read from the rollup's site × day index."""
    sites = select(Site.id).join(Commune, Commune.insee == Site.commune_insee).where(Commune.departement_code.in_(deps))
    return session.scalar(select(func.max(rollup.day)).where(rollup.site_id.in_(sites), rollup.day <= until))


def _mobile_sums(session: Session, deps: tuple[str, ...], periods: tuple[Period, Period],
                 *where) -> tuple[dict[str, int], dict[str, int]]:
    now, before = periods
    md = MobileDaily
    stmt = (select(Commune.departement_code,
                   func.coalesce(func.sum(md.consultations).filter(md.day.between(now.start, now.end)), 0),
                   func.coalesce(func.sum(md.consultations).filter(md.day.between(before.start, before.end)), 0))
            .join(Commune, Commune.insee == md.commune_insee)
            .where(Commune.departement_code.in_(deps), md.status == "completed",
                   md.day.between(min(now.start, before.start), max(now.end, before.end)), *where)
            .group_by(Commune.departement_code))
    return _two_periods(session.execute(stmt).all(), deps)


def _active_on(day: date):
    return and_(HealthProfessional.activity_start <= day,
                or_(HealthProfessional.activity_end.is_(None), HealthProfessional.activity_end > day))


def _is_gp():
    return and_(HealthProfessional.profession == GP_PROFESSION, HealthProfessional.specialty == GP_SPECIALTY)


def gp_counts(session: Session, *, scope: AccessScope, departements: tuple[str, ...], on: date,
              where: tuple = ()) -> dict[str, int]:
    """Active GPs per département on a given day (in the communes `where` keeps, if given)."""
    deps = scope.restrict(departements)
    stmt = (select(Commune.departement_code, func.count()).select_from(HealthProfessional)
            .join(Commune, Commune.insee == HealthProfessional.commune_insee)
            .where(Commune.departement_code.in_(deps), _is_gp(), _active_on(on), *where)
            .group_by(Commune.departement_code))
    return {d: 0 for d in deps} | {d: int(v) for d, v in session.execute(stmt).all()}


def populations(session: Session, *, scope: AccessScope, departements: tuple[str, ...],
                where: tuple = ()) -> dict[str, int]:
    deps = scope.restrict(departements)
    stmt = (select(Commune.departement_code, func.coalesce(func.sum(Commune.population), 0))
            .where(Commune.departement_code.in_(deps), *where).group_by(Commune.departement_code))
    return {d: 0 for d in deps} | {d: int(v) for d, v in session.execute(stmt).all()}


def _publish(cells: dict[str, int], selection: tuple[str, ...], level: Level) -> Cell:
    """The selection's total: plain at `detail`, under statistical secrecy at `summary`.

    At `summary` the suppression is decided on every département the caller may see, whatever the
    selection, so that comparing two selections never isolates a hidden value.
    """
    if level == Level.DETAIL:
        return Cell(sum(cells[d] for d in selection))
    return protected_total(cells, protect_1d(cells), selection)


def overview_kpis(session: Session, *, scope: AccessScope, filters: Filters,
                  areas: Mapping[Dataset, Area] | None = None) -> list[Kpi]:
    """Headline figures the caller may see, each with the same-length period before it.

    `areas` (the view's decision, per dataset) narrows a figure to the communes of its area (an EPCI, a
    commune: only ever given at `detail` level, where counts are published as they are).
    """
    selection = scope.restrict(filters.departements)

    def within(dataset: Dataset) -> tuple:
        area = (areas or {}).get(dataset)
        if area is None or not (area.epci or area.commune):
            return ()
        if area.summary:
            raise ValueError("an area finer than a département at summary level")
        return (area.covers(Commune.insee),)

    every = scope.restrict(None)  # all the caller's départements: where secrecy is decided
    period, prev = filters.period, filters.period.previous()
    out: list[Kpi] = []
    if not selection:
        return out

    def count_kpi(key, dataset, now_cells, prev_cells, last_day) -> Kpi:
        level = scope.level(dataset)
        now, before = _publish(now_cells, selection, level), _publish(prev_cells, selection, level)
        return Kpi(key, indicator(key).name, dataset.value, now.value, before.value, "", 0, last_day, now.label,
                   before.label)

    if scope.can_see(Dataset.TELECONSULTATION):
        done = TeleconsultationDaily.status == "completed"
        tc = TeleconsultationDaily
        out.append(count_kpi("teleconsultations", Dataset.TELECONSULTATION,
                             *_site_sums(session, tc, tc.sessions, every, (period, prev), done,
                                         *within(Dataset.TELECONSULTATION)),
                             _site_last_day(session, tc, selection, period.end)))
    if scope.can_see(Dataset.BIOLOGY):
        out.append(count_kpi("poc_tests", Dataset.BIOLOGY,
                             *_site_sums(session, BiologyDaily, BiologyDaily.tests, every, (period, prev),
                                         *within(Dataset.BIOLOGY)),
                             _site_last_day(session, BiologyDaily, selection, period.end)))
    if scope.can_see(Dataset.MOBILE):
        last = session.scalar(select(func.max(MobileDaily.day))
                              .join(Commune, Commune.insee == MobileDaily.commune_insee)
                              .where(Commune.departement_code.in_(selection), MobileDaily.status == "completed",
                                     MobileDaily.day <= period.end))
        out.append(count_kpi("mobile_consultations", Dataset.MOBILE,
                             *_mobile_sums(session, every, (period, prev), *within(Dataset.MOBILE)), last))
    if scope.can_see(Dataset.WORKFORCE):
        level = scope.level(Dataset.WORKFORCE)
        area = within(Dataset.WORKFORCE)
        pop = sum(populations(session, scope=scope, departements=selection, where=area).values())
        now = _publish(gp_counts(session, scope=scope, departements=every, on=period.end, where=area),
                       selection, level)
        before = _publish(gp_counts(session, scope=scope, departements=every, on=period.start, where=area),
                          selection, level)
        last = session.scalar(select(func.max(HealthProfessional.received_at)))
        last = min(last.date(), period.end) if last else None  # the registry's extract, as of the period's end

        def density(c: Cell) -> float | None:
            return c.value / pop * PER_INHABITANTS if pop and c.value is not None else None

        out.append(Kpi("gp_density", indicator("gp_density").name, Dataset.WORKFORCE.value,
                       density(now), density(before), "", 1, last,
                       now.label, before.label))
    return out


def gp_density_map(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """GPs per 10,000 inhabitants at the period's end, for each commune of the selection.

    At `detail` level each commune has its own value; at `summary` level every commune carries its
    département's value (département totals only). Columns: insee, name, departement, population,
    gps, density, area_name, lat, lon (a point inside the commune, to frame the map), secret (the
    label shown instead of a count hidden by statistical secrecy, else None).
    """
    columns = ["insee", "name", "departement", "population", "gps", "density", "area_name", "lat", "lon"]
    deps = scope.restrict(filters.departements)
    level = scope.level(Dataset.WORKFORCE)
    if not deps or level == Level.NONE:
        return pd.DataFrame(columns=[*columns, "secret"])
    on = filters.period.end
    gps = (select(HealthProfessional.commune_insee, func.count().label("gps"))
           .where(_is_gp(), _active_on(on)).group_by(HealthProfessional.commune_insee).subquery())
    rows = session.execute(
        select(Commune.insee, Commune.name, Commune.departement_code, Commune.population,
               func.coalesce(gps.c.gps, 0), Departement.name, Commune.lat, Commune.lon)
        .join(Departement, Departement.code == Commune.departement_code)
        .outerjoin(gps, gps.c.commune_insee == Commune.insee)
        .where(Commune.departement_code.in_(deps),
               *([area_for(scope, filters, Dataset.WORKFORCE).covers(Commune.insee)] if level == Level.DETAIL else []))
        .order_by(Commune.insee)
    ).all()
    df = frame(rows, columns=["insee", "name", "departement", "population", "gps", "dep_name", "lat", "lon"])
    df["secret"] = None
    if level == Level.SUMMARY:
        totals = df.groupby("departement")[["population", "gps"]].transform("sum")
        df["population"], df["gps"] = totals["population"], totals["gps"]
        df["area_name"] = df["dep_name"]
        every = scope.restrict(None)
        cells = gp_counts(session, scope=scope, departements=every, on=on)
        labels = protect_1d(cells)
        df["secret"] = df["departement"].map(labels)
    else:
        df["area_name"] = df["name"]
    df["density"] = (df["gps"] / df["population"].where(df["population"] > 0) * PER_INHABITANTS).round(2)
    hidden = df["secret"].notna()
    df.loc[hidden, "density"] = float("nan")
    df.loc[hidden, "gps"] = pd.NA
    return df[columns + ["secret"]]
