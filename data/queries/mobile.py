"""Cabinets médicaux mobiles: vehicles, stops planned vs done, communes served, population reached."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.geography import pairwise_km
from data.models import Commune, Dataset, Departement, MobileDaily, MobileStop, MobileUnit, VehiclePosition
from data.queries.common import Area, area_for, frame, protect_column, protect_table, rate, weekly_sums
from data.secrecy import is_small

MD = MobileDaily
REACH_KM = (10.0, 20.0)
STATUS_LABELS = {"completed": "Réalisés", "cancelled": "Annulés", "planned": "Programmés (à venir)"}


@dataclass(frozen=True)
class MobileSummary:
    stops_scheduled: int
    stops_completed: int
    stops_cancelled: int
    stops_upcoming_14d: int
    communes_served: int
    population_served: int
    consultations: int | None
    new_patients: int | None
    consultations_per_stop: float | None
    slot_use_pct: float | None
    population_within: dict[float, int]
    summary: bool


def _served(session: Session, area: Area, filters: Filters):
    return (select(MD.commune_insee).where(MD.commune_insee.in_(area.communes()), MD.status == "completed",
                                           MD.day.between(filters.period.start, filters.period.end))
            .group_by(MD.commune_insee).having(func.sum(MD.stops) > 0))


def population_within(session: Session, served: list[str], departements: tuple[str, ...]) -> dict[float, int]:
    """Inhabitants of the communes (of the départements) within each reach of a served commune."""
    rows = session.execute(select(Commune.insee, Commune.population, Commune.lat, Commune.lon)
                           .where(Commune.departement_code.in_(departements))).all()
    if not rows or not served:
        return {r: 0 for r in REACH_KM}
    df = frame(rows, columns=["insee", "population", "lat", "lon"])
    stops = df[df["insee"].isin(served)]
    # distances from every commune to every served one (communes × stops, small)
    d = pairwise_km(df["lat"].to_numpy(float), df["lon"].to_numpy(float), stops["lat"].to_numpy(float),
                    stops["lon"].to_numpy(float))
    nearest = d.min(axis=1)
    return {r: int(df.loc[nearest <= r, "population"].sum()) for r in REACH_KM}


def summary(session: Session, *, scope: AccessScope, filters: Filters) -> MobileSummary | None:
    area = area_for(scope, filters, Dataset.MOBILE)
    if area.empty:
        return None
    p = filters.period
    rows = dict((s, (int(n or 0), int(sl or 0), int(c or 0), int(np_ or 0))) for s, n, sl, c, np_ in session.execute(
        select(MD.status, func.sum(MD.stops), func.sum(MD.slots_offered), func.sum(MD.consultations),
               func.sum(MD.new_patients))
        .where(MD.commune_insee.in_(area.communes()), MD.day.between(p.start, p.end)).group_by(MD.status)))
    done = rows.get("completed", (0, 0, 0, 0))
    cancelled = rows.get("cancelled", (0, 0, 0, 0))
    upcoming = session.scalar(select(func.coalesce(func.sum(MD.stops), 0)).where(
        MD.commune_insee.in_(area.communes()), MD.status == "planned",
        MD.day.between(filters.today, filters.today + timedelta(days=14))))
    served = list(session.scalars(_served(session, area, filters)))
    population = session.scalar(select(func.coalesce(func.sum(Commune.population), 0))
                                 .where(Commune.insee.in_(served))) if served else 0
    consultations, new = done[2], done[3]
    hide = area.summary
    return MobileSummary(
        stops_scheduled=sum(v[0] for v in rows.values()), stops_completed=done[0], stops_cancelled=cancelled[0],
        stops_upcoming_14d=int(upcoming or 0), communes_served=len(served), population_served=int(population),
        consultations=None if hide and is_small(consultations) else consultations,
        new_patients=None if hide and is_small(new) else new,
        consultations_per_stop=consultations / done[0] if done[0] else None,
        slot_use_pct=rate(consultations, done[1]),
        population_within=population_within(session, served, area.departements), summary=area.summary)


def weekly(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """Stops per week and status (scheduled, done, cancelled) and consultations."""
    area = area_for(scope, filters, Dataset.MOBILE)
    cols = ["week", "status", "stops", "consultations"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    df = weekly_sums(session, MD.day, MD.status, (func.sum(MD.stops), func.sum(MD.consultations)),
                     (MD.commune_insee.in_(area.communes()), MD.day.between(filters.period.start, filters.period.end)),
                     cols)
    if df.empty:
        return df
    df["status"] = df["status"].map(lambda s: STATUS_LABELS.get(s, s))
    if area.summary:
        df = protect_table(df, "week", "status", "consultations")
    return df


def communes_served(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """Communes with completed stops (detail) or départements (summary)."""
    area = area_for(scope, filters, Dataset.MOBILE)
    cols = ["name", "population", "stops", "consultations", "new_patients", "per_stop", "slot_use_pct", "lat", "lon",
            "insee"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    measures = (func.sum(MD.stops), func.sum(MD.consultations), func.sum(MD.new_patients),
                func.sum(MD.slots_offered))
    where = (MD.commune_insee.in_(area.communes()), MD.status == "completed",
             MD.day.between(filters.period.start, filters.period.end))
    if area.summary:
        served = _served(session, area, filters).subquery()
        pops = dict(session.execute(select(Departement.name, func.sum(Commune.population))
                                    .join(Departement, Departement.code == Commune.departement_code)
                                    .where(Commune.insee.in_(select(served.c.commune_insee)))
                                    .group_by(Departement.name)).all())
        rows = session.execute(
            select(Departement.name, *measures, func.avg(Commune.lat), func.avg(Commune.lon))
            .join(Commune, Commune.insee == MD.commune_insee)
            .join(Departement, Departement.code == Commune.departement_code)
            .where(*where).group_by(Departement.name).order_by(Departement.name)).all()
        df = pd.DataFrame([(n, pops.get(n, 0), *m, la, lo, None) for n, *m, la, lo in rows],
                          columns=["name", "population", "stops", "consultations", "new_patients", "slots", "lat",
                                   "lon", "insee"])
    else:
        rows = session.execute(
            select(Commune.name, Commune.population, *measures, Commune.lat, Commune.lon, Commune.insee)
            .join(Commune, Commune.insee == MD.commune_insee).where(*where)
            .group_by(Commune.insee, Commune.name, Commune.population, Commune.lat, Commune.lon)
            .having(func.sum(MD.stops) > 0).order_by(Commune.name)).all()
        df = frame(rows, columns=["name", "population", "stops", "consultations", "new_patients", "slots",
                                         "lat", "lon", "insee"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df[["stops", "consultations", "new_patients", "slots"]] = df[["stops", "consultations", "new_patients",
                                                                  "slots"]].astype(int)
    df["per_stop"] = (df["consultations"] / df["stops"].where(df["stops"] > 0)).round(1)
    df["slot_use_pct"] = (df["consultations"] / df["slots"].where(df["slots"] > 0) * 100).round(1)
    if area.summary:
        df = protect_column(protect_column(df, "consultations"), "new_patients")
    return df[cols]


def vehicles(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """Last known position of each vehicle of the visible départements (detail level: the view decides)."""
    area = area_for(scope, filters, Dataset.MOBILE)
    cols = ["unit_id", "unit", "recorded_at", "lat", "lon"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    vp = VehiclePosition
    # one row per vehicle: its latest position (positions sent in the same second: the last received)
    ranked = select(vp.unit_id, vp.recorded_at, vp.lat, vp.lon, func.row_number().over(
        partition_by=vp.unit_id, order_by=(vp.recorded_at.desc(), vp.id.desc())).label("rank")).subquery()
    rows = session.execute(
        select(MobileUnit.id, MobileUnit.name, ranked.c.recorded_at, ranked.c.lat, ranked.c.lon)
        .join(ranked, and_(ranked.c.unit_id == MobileUnit.id, ranked.c.rank == 1))
        .where(MobileUnit.departement_code.in_(area.departements)).order_by(MobileUnit.name)).all()
    return frame(rows, columns=cols)


def units(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """The vehicles of the visible départements (id, name)."""
    area = area_for(scope, filters, Dataset.MOBILE)
    if area.empty:
        return pd.DataFrame(columns=["unit_id", "unit"])
    return frame(session.execute(select(MobileUnit.id, MobileUnit.name)
                                 .where(MobileUnit.departement_code.in_(area.departements))
                                 .order_by(MobileUnit.name)).all(), columns=["unit_id", "unit"])


DAY_STOP_COLUMNS = ["unit_id", "unit", "commune", "insee", "planned_arrival", "planned_departure", "actual_arrival",
                    "actual_departure", "status"]


def day_stops(session: Session, *, scope: AccessScope, filters: Filters, day: date) -> pd.DataFrame:
    """Every stop of one day of the vehicles of the visible départements, in tour order (whole tours: the
    EPCI and commune filters do not cut a vehicle's day)."""
    area = area_for(scope, filters, Dataset.MOBILE)
    if area.empty:
        return pd.DataFrame(columns=DAY_STOP_COLUMNS)
    ms = MobileStop
    rows = session.execute(
        select(MobileUnit.id, MobileUnit.name, Commune.name, Commune.insee, ms.planned_arrival, ms.planned_departure,
               ms.actual_arrival, ms.actual_departure, ms.status)
        .join(MobileUnit, MobileUnit.id == ms.unit_id).join(Commune, Commune.insee == ms.commune_insee)
        .where(ms.day == day, MobileUnit.departement_code.in_(area.departements),
               Commune.departement_code.in_(area.departements))
        .order_by(MobileUnit.name, ms.planned_arrival)).all()
    return frame(rows, columns=DAY_STOP_COLUMNS)


def next_planned(session: Session, *, unit_ids: list[int], after_day: date) -> dict[int, tuple[str, datetime]]:
    """Each vehicle's first planned stop after `after_day`: unit id → (commune, planned arrival)."""
    if not unit_ids:
        return {}
    ms = MobileStop
    ranked = (select(ms.unit_id, ms.commune_insee, ms.planned_arrival, func.row_number().over(
        partition_by=ms.unit_id, order_by=ms.planned_arrival).label("rank"))
        .where(ms.unit_id.in_(unit_ids), ms.day > after_day, ms.status == "planned").subquery())
    rows = session.execute(select(ranked.c.unit_id, Commune.name, ranked.c.planned_arrival)
                           .join(Commune, Commune.insee == ranked.c.commune_insee).where(ranked.c.rank == 1)).all()
    return {unit_id: (name, at) for unit_id, name, at in rows}


def commune_points(session: Session, *, departements: tuple[str, ...]) -> pd.DataFrame:
    """Name and centre of every commune of the départements (to name where a vehicle is)."""
    return frame(session.execute(select(Commune.name, Commune.lat, Commune.lon)
                                 .where(Commune.departement_code.in_(departements))).all(),
                 columns=["name", "lat", "lon"])
