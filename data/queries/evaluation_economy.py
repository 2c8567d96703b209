"""SQL of the evaluation's economy sections: trips per commune, places of care, POC turnaround histograms,
active GPs per quarter and study-grant holders. Aggregation in SQL on the rollups (the turnaround histogram:
a GROUP BY on the results' minutes, a few hundred rows); data/evaluation_economy.py computes on the frames."""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Integer, and_, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from data.filters import Period
from data.models import (
    BiologyDaily,
    BiologyResult,
    Commune,
    HealthProfessional,
    MobileDaily,
    ProgrammeIndicatorValue,
    Site,
    TeleconsultationPatientMonthly,
)
from data.queries.common import Area, frame
from data.queries.workforce import profession_clause

GRANT_EXPERIMENT, GRANT_INDICATOR = "installation_etudiants", "boursiers_installes"
HOSPITAL_KIND = "hopital"


def trips_by_commune(session: Session, *, area: Area, period: Period) -> pd.DataFrame:
    """Per commune of the area: completed teleconsultations of its patients (monthly rollup, the months the
    period touches) and consultations at mobile office stops there (daily rollup, the period's days)."""
    cols = ["insee", "name", "departement", "lat", "lon", "teleconsultations", "mobile"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    tm, md = TeleconsultationPatientMonthly, MobileDaily
    tele = dict(session.execute(
        select(tm.commune_insee, func.sum(tm.sessions))
        .where(tm.month.between(period.start.replace(day=1), period.end), area.covers(tm.commune_insee))
        .group_by(tm.commune_insee)).all())
    mobile = dict(session.execute(
        select(md.commune_insee, func.sum(md.consultations))
        .where(md.status == "completed", md.day.between(period.start, period.end), area.covers(md.commune_insee))
        .group_by(md.commune_insee)).all())
    codes = sorted(c for c in set(tele) | set(mobile) if (tele.get(c) or 0) + (mobile.get(c) or 0) > 0)
    if not codes:
        return pd.DataFrame(columns=cols)
    rows = session.execute(select(Commune.insee, Commune.name, Commune.departement_code, Commune.lat, Commune.lon)
                           .where(Commune.insee.in_(codes)).order_by(Commune.insee)).all()
    df = frame(rows, columns=cols[:5])
    df["teleconsultations"] = df["insee"].map(lambda c: int(tele.get(c) or 0))
    df["mobile"] = df["insee"].map(lambda c: int(mobile.get(c) or 0))
    return df


def places_of_care(session: Session, *, on: date) -> pd.DataFrame:
    """Where a patient would otherwise go: each commune with a GP in activity on `on`, and each referral
    hospital (site of kind « hopital »), anywhere in the territory (a patient crosses département borders)."""
    hp = HealthProfessional
    gp = (select(Commune.lat, Commune.lon, literal("gp").label("kind"))
          .where(Commune.insee.in_(select(hp.commune_insee).where(
              profession_clause("medecin_gp"), hp.activity_start <= on,
              or_(hp.activity_end.is_(None), hp.activity_end > on)))))
    hospital = (select(Commune.lat, Commune.lon, literal("hopital").label("kind"))
                .join(Site, Site.commune_insee == Commune.insee).where(Site.kind == HOSPITAL_KIND))
    return frame(session.execute(gp.union_all(hospital)).all(), columns=["lat", "lon", "kind"])


def _minutes(session: Session):
    """Whole minutes from sample to result, portable (SQLite julianday, PostgreSQL epoch)."""
    br = BiologyResult
    if session.get_bind().dialect.name == "sqlite":
        delta = (func.julianday(br.resulted_at) - func.julianday(br.sampled_at)) * 1440.0
    else:
        delta = func.extract("epoch", br.resulted_at - br.sampled_at) / 60.0
    return cast(func.round(delta), Integer)


def turnaround_histogram(session: Session, *, area: Area, period: Period, by_site: bool) -> pd.DataFrame:
    """Results per (département or site) and whole minute from sample to result, over the period."""
    br = BiologyResult
    minutes = _minutes(session).label("minutes")
    group = (br.site_id if by_site else Commune.departement_code).label("unit")
    stmt = (select(group, minutes, func.count()).select_from(br).join(Site, Site.id == br.site_id)
            .join(Commune, Commune.insee == Site.commune_insee)
            .where(area.covers(Site.commune_insee), br.day.between(period.start, period.end))
            .group_by(group, minutes))
    df = frame(session.execute(stmt).all(), columns=["unit", "minutes", "results"])
    df["results"] = df["results"].astype(int)
    return df


def biology_by_site(session: Session, *, area: Area, period: Period) -> pd.DataFrame:
    """Detail level: each EHPAD's tests and abnormal results over the period (daily rollup)."""
    bd = BiologyDaily
    rows = session.execute(
        select(Site.id, Site.name, Commune.name, Commune.departement_code, func.sum(bd.tests), func.sum(bd.abnormal))
        .select_from(bd).join(Site, Site.id == bd.site_id).join(Commune, Commune.insee == Site.commune_insee)
        .where(area.covers(Site.commune_insee), bd.day.between(period.start, period.end))
        .group_by(Site.id, Site.name, Commune.name, Commune.departement_code).order_by(Site.name)).all()
    df = frame(rows, columns=["site_id", "site", "commune", "departement", "tests", "abnormal"])
    df[["tests", "abnormal"]] = df[["tests", "abnormal"]].fillna(0).astype(int)
    return df


def active_gps(session: Session, *, area: Area, days: list[date]) -> dict[tuple[str, date], int]:
    """General practitioners in activity on each day, per département of the area (exact counts)."""
    hp = HealthProfessional
    out: dict[tuple[str, date], int] = {(d, day): 0 for d in area.departements for day in days}
    if area.empty or not days:
        return out
    for day in days:
        rows = session.execute(
            select(Commune.departement_code, func.count()).select_from(hp)
            .join(Commune, Commune.insee == hp.commune_insee)
            .where(profession_clause("medecin_gp"), area.covers(hp.commune_insee), hp.activity_start <= day,
                   or_(hp.activity_end.is_(None), hp.activity_end > day))
            .group_by(Commune.departement_code)).all()
        for dep, n in rows:
            out[(dep, day)] = int(n)
    return out


def population(session: Session, *, area: Area) -> dict[str, int]:
    """Inhabitants of the area per département (municipal population)."""
    rows = session.execute(select(Commune.departement_code, func.sum(Commune.population))
                           .where(area.covers(Commune.insee)).group_by(Commune.departement_code)).all()
    return {d: int(p or 0) for d, p in rows}


def grant_holders(session: Session, *, departements: tuple[str, ...], until: date) -> pd.DataFrame:
    """Study-grant holders settled (programme indicator, a stock at each quarter's end) per département."""
    piv = ProgrammeIndicatorValue
    rows = session.execute(
        select(piv.departement_code, piv.period_end, func.sum(piv.value))
        .where(and_(piv.experiment == GRANT_EXPERIMENT, piv.indicator == GRANT_INDICATOR,
                    piv.territory_level == "departement", piv.departement_code.in_(departements),
                    piv.period_end <= until))
        .group_by(piv.departement_code, piv.period_end).order_by(piv.departement_code, piv.period_end)).all()
    return frame(rows, columns=["departement", "period_end", "holders"])
