"""Professionnels de santé: density, age structure, arrivals and departures, projected retirements,
study-grant holders against GP departures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.models import Commune, Dataset, Departement, Epci, HealthProfessional, ProgrammeIndicatorValue
from data.queries.common import area_for, frame, protect_column
from data.secrecy import is_small
from data.terminology import GP_PROFESSION, GP_SPECIALTY, PROFESSIONS

HP = HealthProfessional
PER = 10_000
RETIREMENT_AGE = 67          # professionals aged 62+ at the period's end are expected to stop within five years
RETIRE_WITHIN_YEARS = 5
SCALES = {"commune": "Commune", "epci": "EPCI", "departement": "Département"}
PROFESSION_CHOICES = {"medecin_gp": "Médecins généralistes", "medecin_spe": "Médecins spécialistes",
                      **{k: v for k, v in PROFESSIONS.items() if k != "medecin"}}
AGE_BANDS = ((0, 34, "moins de 35 ans"), (35, 44, "35–44 ans"), (45, 54, "45–54 ans"), (55, 59, "55–59 ans"),
             (60, 64, "60–64 ans"), (65, 69, "65–69 ans"), (70, 200, "70 ans et plus"))


def profession_params(args) -> dict:
    profession = args.get("profession")
    return {"profession": profession if profession in PROFESSION_CHOICES else "medecin_gp"}


def density_params(args) -> dict:
    scale = args.get("echelle")
    return {**profession_params(args), "scale": scale if scale in SCALES else "commune"}


def profession_clause(profession: str):
    if profession == "medecin_gp":
        return and_(HP.profession == GP_PROFESSION, HP.specialty == GP_SPECIALTY)
    if profession == "medecin_spe":
        return and_(HP.profession == GP_PROFESSION, HP.specialty != GP_SPECIALTY)
    return HP.profession == profession


def active_on(day: date):
    return and_(HP.activity_start <= day, or_(HP.activity_end.is_(None), HP.activity_end > day))


def density(session: Session, *, scope: AccessScope, filters: Filters, profession: str = "medecin_gp",
            scale: str = "commune") -> pd.DataFrame:
    """One row per territory unit at the chosen scale (département only at summary level)."""
    area = area_for(scope, filters, Dataset.WORKFORCE)
    cols = ["area_code", "area_name", "population", "count", "density", "aged_60_plus_pct"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    scale = "departement" if area.summary else scale if scale in SCALES else "commune"
    on = filters.period.end
    unit, name = {"commune": (Commune.insee, Commune.name), "epci": (Commune.epci_code, Epci.name),
                  "departement": (Commune.departement_code, Departement.name)}[scale]
    counts = (select(HP.commune_insee, func.count().label("n"),
                     func.sum(case((HP.birth_year <= on.year - 60, 1), else_=0)).label("old"))
              .where(profession_clause(profession), active_on(on)).group_by(HP.commune_insee).subquery())
    stmt = (select(unit, func.coalesce(name, "EPCI inconnu"), func.sum(Commune.population),
                   func.coalesce(func.sum(counts.c.n), 0), func.coalesce(func.sum(counts.c.old), 0))
            .select_from(Commune).outerjoin(counts, counts.c.commune_insee == Commune.insee)
            .outerjoin(Epci, Epci.code == Commune.epci_code)
            .join(Departement, Departement.code == Commune.departement_code)
            .where(area.covers(Commune.insee)).group_by(unit, name).order_by(unit))
    df = frame(session.execute(stmt).all(), columns=["area_code", "area_name", "population", "count", "old"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df[["population", "count", "old"]] = df[["population", "count", "old"]].astype(int)
    df["density"] = (df["count"] / df["population"].where(df["population"] > 0) * PER).round(2)
    df["aged_60_plus_pct"] = (df["old"] / df["count"].where(df["count"] > 0) * 100).round(1)
    if area.summary:
        df = protect_column(df, "count")
        hidden = df["count"].map(lambda v: isinstance(v, str))
        df.loc[hidden, ["density", "aged_60_plus_pct"]] = float("nan")
        df.loc[df["old"].map(is_small), "aged_60_plus_pct"] = float("nan")
    return df[cols]


def density_by_commune(session: Session, *, scope: AccessScope, filters: Filters, profession: str,
                       scale: str) -> pd.DataFrame:
    """For the map: each commune of the area with the value of its unit at the scale (codes, values)."""
    area = area_for(scope, filters, Dataset.WORKFORCE)
    if area.empty:
        return pd.DataFrame(columns=["insee", "lat", "lon", "area_code"])
    scale = "departement" if area.summary else scale if scale in SCALES else "commune"
    unit = {"commune": Commune.insee, "epci": Commune.epci_code, "departement": Commune.departement_code}[scale]
    rows = session.execute(select(Commune.insee, Commune.lat, Commune.lon, unit)
                           .where(area.covers(Commune.insee)).order_by(Commune.insee)).all()
    return frame(rows, columns=["insee", "lat", "lon", "area_code"])


def _band(age: int) -> str:
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)


def age_structure(session: Session, *, scope: AccessScope, filters: Filters,
                  profession: str = "medecin_gp") -> pd.DataFrame:
    area = area_for(scope, filters, Dataset.WORKFORCE)
    if area.empty:
        return pd.DataFrame(columns=["band", "count", "share_pct"])
    on = filters.period.end
    rows = session.execute(select(HP.birth_year, func.count()).where(
        profession_clause(profession), active_on(on), area.covers(HP.commune_insee)).group_by(HP.birth_year)).all()
    counts = {label: 0 for _, _, label in AGE_BANDS}
    for year, n in rows:
        counts[_band(on.year - year)] += n
    total = sum(counts.values())
    df = pd.DataFrame({"band": list(counts), "count": list(counts.values())})
    df["share_pct"] = (df["count"] / total * 100).round(1) if total else float("nan")
    if area.summary:
        df = protect_column(df, "count")
        df.loc[df["count"].map(lambda v: isinstance(v, str)), "share_pct"] = float("nan")
    return df


def flows(session: Session, *, scope: AccessScope, filters: Filters, profession: str = "medecin_gp") -> pd.DataFrame:
    """Arrivals (activity start) and departures (activity end) per quarter of the period."""
    area = area_for(scope, filters, Dataset.WORKFORCE)
    if area.empty:
        return pd.DataFrame(columns=["quarter", "arrivals", "departures", "net"])
    p = filters.period
    base = (profession_clause(profession), area.covers(HP.commune_insee))
    arrivals = session.execute(select(HP.activity_start, func.count()).where(
        *base, HP.activity_start.between(p.start, p.end)).group_by(HP.activity_start)).all()
    departures = session.execute(select(HP.activity_end, func.count()).where(
        *base, HP.activity_end.between(p.start, p.end)).group_by(HP.activity_end)).all()

    def quarter(d: date) -> str:
        return f"T{(d.month - 1) // 3 + 1} {d.year}"

    quarters: dict[str, list[int]] = {}
    d = date(p.start.year, 3 * ((p.start.month - 1) // 3) + 1, 1)
    while d <= p.end:
        quarters[quarter(d)] = [0, 0]
        d = date(d.year + (d.month + 3 > 12), (d.month + 2) % 12 + 1, 1)
    for day, n in arrivals:
        quarters[quarter(day)][0] += n
    for day, n in departures:
        quarters[quarter(day)][1] += n
    df = pd.DataFrame([(q, a, b, a - b) for q, (a, b) in quarters.items()],
                      columns=["quarter", "arrivals", "departures", "net"])
    if area.summary:
        df = protect_column(protect_column(df, "arrivals"), "departures")
        hidden = df["arrivals"].map(lambda v: isinstance(v, str)) | df["departures"].map(lambda v: isinstance(v, str))
        df["net"] = df["net"].astype(object)
        df.loc[hidden, "net"] = "s"
    return df


@dataclass(frozen=True)
class Retirements:
    """The page's headline figures for one profession (the page's profession control)."""

    active: int | None            # professionals of the profession active at the period's end
    retiring: int | None          # of them, aged 62+ at the period's end (stopping within five years)
    density_now: float | None
    density_after: float | None   # if none of them is replaced
    departures: int | None        # departures of the profession during the period
    grant_holders: float | None   # study-grant holders settled (latest programme figure), None if not visible
    grant_period_end: date | None
    summary: bool


def retirements(session: Session, *, scope: AccessScope, filters: Filters,
                profession: str = "medecin_gp") -> Retirements | None:
    area = area_for(scope, filters, Dataset.WORKFORCE)
    if area.empty:
        return None
    on, p = filters.period.end, filters.period
    chosen = profession_clause(profession if profession in PROFESSION_CHOICES else "medecin_gp")
    population = session.scalar(select(func.coalesce(func.sum(Commune.population), 0))
                                .where(area.covers(Commune.insee)))
    active, retiring = session.execute(select(
        func.count(), func.coalesce(func.sum(case(
            (HP.birth_year <= on.year - (RETIREMENT_AGE - RETIRE_WITHIN_YEARS), 1), else_=0)), 0))
        .where(chosen, active_on(on), area.covers(HP.commune_insee))).one()
    departures = session.scalar(select(func.count()).where(chosen, area.covers(HP.commune_insee),
                                                           HP.activity_end.between(p.start, p.end)))
    active, retiring = int(active), int(retiring)
    grants, grant_end = None, None
    if scope.can_see(Dataset.PROGRAMME):
        piv = ProgrammeIndicatorValue
        latest = session.scalar(select(func.max(piv.period_end)).where(
            piv.experiment == "installation_etudiants", piv.indicator == "boursiers_installes",
            piv.departement_code.in_(area.departements), piv.period_end <= on))
        if latest:
            grants = session.scalar(select(func.sum(piv.value)).where(
                piv.experiment == "installation_etudiants", piv.indicator == "boursiers_installes",
                piv.departement_code.in_(area.departements), piv.period_end == latest))
            grant_end = latest

    def hide(n: int) -> int | None:
        return None if area.summary and is_small(n) else n

    per = PER / population if population else None
    return Retirements(active=hide(active), retiring=hide(retiring), density_now=active * per if per else None,
                       density_after=(active - retiring) * per if per and hide(retiring) is not None else None,
                       departures=hide(int(departures)), grant_holders=grants, grant_period_end=grant_end,
                       summary=area.summary)
