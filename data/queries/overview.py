"""Overview page: headline KPIs of each feed and GP density on the map (aggregated in SQL)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters, Period
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
from data.terminology import GP_PROFESSION, GP_SPECIALTY

PER_INHABITANTS = 10_000


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    dataset: str
    value: float | None
    previous: float | None
    unit: str
    decimals: int
    last_day: date | None

    @property
    def change_pct(self) -> float | None:
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / self.previous * 100


def _site_sum(session: Session, rollup, column, deps: tuple[str, ...], period: Period, *where) -> int:
    stmt = (select(func.coalesce(func.sum(column), 0))
            .join(Site, Site.id == rollup.site_id)
            .join(Commune, Commune.insee == Site.commune_insee)
            .where(Commune.departement_code.in_(deps), rollup.day.between(period.start, period.end), *where))
    return int(session.scalar(stmt))


def _site_last_day(session: Session, rollup, deps: tuple[str, ...]) -> date | None:
    stmt = (select(func.max(rollup.day)).join(Site, Site.id == rollup.site_id)
            .join(Commune, Commune.insee == Site.commune_insee)
            .where(Commune.departement_code.in_(deps)))
    return session.scalar(stmt)


def _mobile_sum(session: Session, deps: tuple[str, ...], period: Period) -> int:
    stmt = (select(func.coalesce(func.sum(MobileDaily.consultations), 0))
            .join(Commune, Commune.insee == MobileDaily.commune_insee)
            .where(Commune.departement_code.in_(deps), MobileDaily.status == "completed",
                   MobileDaily.day.between(period.start, period.end)))
    return int(session.scalar(stmt))


def _active_on(day: date):
    return and_(HealthProfessional.activity_start <= day,
                or_(HealthProfessional.activity_end.is_(None), HealthProfessional.activity_end > day))


def _is_gp():
    return and_(HealthProfessional.profession == GP_PROFESSION, HealthProfessional.specialty == GP_SPECIALTY)


def gp_count(session: Session, *, scope: AccessScope, departements: tuple[str, ...], on: date) -> int:
    deps = scope.restrict(departements)
    stmt = (select(func.count()).select_from(HealthProfessional)
            .join(Commune, Commune.insee == HealthProfessional.commune_insee)
            .where(Commune.departement_code.in_(deps), _is_gp(), _active_on(on)))
    return int(session.scalar(stmt))


def population(session: Session, *, scope: AccessScope, departements: tuple[str, ...]) -> int:
    deps = scope.restrict(departements)
    return int(session.scalar(select(func.coalesce(func.sum(Commune.population), 0))
                              .where(Commune.departement_code.in_(deps))))


def overview_kpis(session: Session, *, scope: AccessScope, filters: Filters) -> list[Kpi]:
    """Headline figures the caller may see, each with the same-length period before it."""
    deps = scope.restrict(filters.departements)
    period, prev = filters.period, filters.period.previous()
    out: list[Kpi] = []
    if not deps:
        return out
    if scope.can_see(Dataset.TELECONSULTATION):
        done = TeleconsultationDaily.status == "completed"
        out.append(Kpi("teleconsultations", "Téléconsultations réalisées", Dataset.TELECONSULTATION.value,
                       _site_sum(session, TeleconsultationDaily, TeleconsultationDaily.sessions, deps, period, done),
                       _site_sum(session, TeleconsultationDaily, TeleconsultationDaily.sessions, deps, prev, done),
                       "", 0, _site_last_day(session, TeleconsultationDaily, deps)))
    if scope.can_see(Dataset.BIOLOGY):
        out.append(Kpi("poc_tests", "Analyses de biologie délocalisée", Dataset.BIOLOGY.value,
                       _site_sum(session, BiologyDaily, BiologyDaily.tests, deps, period),
                       _site_sum(session, BiologyDaily, BiologyDaily.tests, deps, prev),
                       "", 0, _site_last_day(session, BiologyDaily, deps)))
    if scope.can_see(Dataset.MOBILE):
        last = session.scalar(select(func.max(MobileDaily.day))
                              .join(Commune, Commune.insee == MobileDaily.commune_insee)
                              .where(Commune.departement_code.in_(deps), MobileDaily.status == "completed"))
        out.append(Kpi("mobile_consultations", "Consultations en cabinet mobile", Dataset.MOBILE.value,
                       _mobile_sum(session, deps, period), _mobile_sum(session, deps, prev), "", 0, last))
    if scope.can_see(Dataset.WORKFORCE):
        pop = population(session, scope=scope, departements=deps)
        now = gp_count(session, scope=scope, departements=deps, on=period.end)
        before = gp_count(session, scope=scope, departements=deps, on=period.start)
        last = session.scalar(select(func.max(HealthProfessional.received_at)))
        out.append(Kpi("gp_density", "Médecins généralistes pour 10 000 habitants", Dataset.WORKFORCE.value,
                       now / pop * PER_INHABITANTS if pop else None,
                       before / pop * PER_INHABITANTS if pop else None,
                       "", 1, last.date() if last else None))
    return out


def gp_density_map(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """GPs per 10,000 inhabitants at the period's end, for each commune of the selection.

    At `detail` level each commune has its own value; at `summary` level every commune carries its
    département's value (département totals only). Columns: insee, name, departement, population,
    gps, density, area_name, lat, lon (a point inside the commune, to frame the map).
    """
    columns = ["insee", "name", "departement", "population", "gps", "density", "area_name", "lat", "lon"]
    deps = scope.restrict(filters.departements)
    level = scope.level(Dataset.WORKFORCE)
    if not deps or level == Level.NONE:
        return pd.DataFrame(columns=columns)
    on = filters.period.end
    gps = (select(HealthProfessional.commune_insee, func.count().label("gps"))
           .where(_is_gp(), _active_on(on)).group_by(HealthProfessional.commune_insee).subquery())
    rows = session.execute(
        select(Commune.insee, Commune.name, Commune.departement_code, Commune.population,
               func.coalesce(gps.c.gps, 0), Departement.name, Commune.lat, Commune.lon)
        .join(Departement, Departement.code == Commune.departement_code)
        .outerjoin(gps, gps.c.commune_insee == Commune.insee)
        .where(Commune.departement_code.in_(deps))
        .order_by(Commune.insee)
    ).all()
    df = pd.DataFrame(rows, columns=["insee", "name", "departement", "population", "gps", "dep_name",
                                     "lat", "lon"])
    if level == Level.SUMMARY:
        totals = df.groupby("departement")[["population", "gps"]].transform("sum")
        df["population"], df["gps"] = totals["population"], totals["gps"]
        df["area_name"] = df["dep_name"]
    else:
        df["area_name"] = df["name"]
    df["density"] = (df["gps"] / df["population"].where(df["population"] > 0) * PER_INHABITANTS).round(2)
    return df[columns]
