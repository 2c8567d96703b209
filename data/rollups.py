"""Rollup tables: rebuilt from raw events in SQL (ingestion keeps them current incrementally)."""
from __future__ import annotations

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from data.models import (
    BiologyDaily,
    BiologyResult,
    MobileDaily,
    MobileStop,
    TeleconsultationDaily,
    TeleconsultationDuration,
    TeleconsultationPatientMonthly,
    TeleconsultationSession,
)
from data.terminology import AGE_BANDS_75_PLUS


def _minutes_between(later, earlier):
    """Portable minute difference between two timestamp columns (SQLite and PostgreSQL)."""
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def _month_start(session: Session, day_col):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day_col, "start of month")
    return func.date_trunc("month", day_col).cast(day_col.type)


def rebuild_all(session: Session) -> dict[str, int]:
    """Recompute every rollup from the raw event tables; returns rows written per rollup."""
    dialect = session.get_bind().dialect.name
    out = {}
    tc = TeleconsultationSession
    session.execute(delete(TeleconsultationDaily))
    session.execute(insert(TeleconsultationDaily).from_select(
        ["day", "site_id", "specialty", "status", "sessions", "minutes", "patients_75_plus"],
        select(tc.day, tc.site_id, tc.specialty, tc.status, func.count(),
               func.coalesce(func.sum(tc.duration_min), 0),
               func.sum(case((tc.patient_age_band.in_(AGE_BANDS_75_PLUS), 1), else_=0)))
        .group_by(tc.day, tc.site_id, tc.specialty, tc.status),
    ))
    out["teleconsultation_daily"] = session.scalar(select(func.count()).select_from(TeleconsultationDaily))

    session.execute(delete(TeleconsultationDuration))
    session.execute(insert(TeleconsultationDuration).from_select(
        ["day", "site_id", "duration_min", "sessions"],
        select(tc.day, tc.site_id, tc.duration_min, func.count())
        .where(tc.status == "completed", tc.duration_min.is_not(None))
        .group_by(tc.day, tc.site_id, tc.duration_min),
    ))
    out["teleconsultation_duration"] = session.scalar(select(func.count()).select_from(TeleconsultationDuration))

    month = _month_start(session, tc.day)
    session.execute(delete(TeleconsultationPatientMonthly))
    session.execute(insert(TeleconsultationPatientMonthly).from_select(
        ["month", "commune_insee", "sessions"],
        select(month, tc.patient_commune_insee, func.count())
        .where(tc.status == "completed", tc.patient_commune_insee.is_not(None))
        .group_by(month, tc.patient_commune_insee),
    ))
    out["teleconsultation_commune_monthly"] = session.scalar(
        select(func.count()).select_from(TeleconsultationPatientMonthly))

    b = BiologyResult
    if dialect == "sqlite":
        s2r = _minutes_between(b.resulted_at, b.sampled_at)
        r2l = _minutes_between(b.transmitted_at, b.resulted_at)
    else:
        s2r = func.extract("epoch", b.resulted_at - b.sampled_at) / 60.0
        r2l = func.extract("epoch", b.transmitted_at - b.resulted_at) / 60.0
    session.execute(delete(BiologyDaily))
    session.execute(insert(BiologyDaily).from_select(
        ["day", "site_id", "loinc", "tests", "abnormal", "sample_to_result_min", "result_to_lab_min",
         "transmitted"],
        select(b.day, b.site_id, b.loinc, func.count(),
               func.sum(case((b.abnormal, 1), else_=0)),
               func.sum(s2r),
               func.coalesce(func.sum(r2l), literal(0.0)),
               func.count(b.transmitted_at))
        .group_by(b.day, b.site_id, b.loinc),
    ))
    out["biology_daily"] = session.scalar(select(func.count()).select_from(BiologyDaily))

    m = MobileStop
    session.execute(delete(MobileDaily))
    session.execute(insert(MobileDaily).from_select(
        ["day", "unit_id", "commune_insee", "status", "stops", "slots_offered", "consultations",
         "new_patients"],
        select(m.day, m.unit_id, m.commune_insee, m.status, func.count(), func.sum(m.slots_offered),
               func.sum(m.consultations), func.sum(m.new_patients))
        .group_by(m.day, m.unit_id, m.commune_insee, m.status),
    ))
    out["mobile_daily"] = session.scalar(select(func.count()).select_from(MobileDaily))
    return out
