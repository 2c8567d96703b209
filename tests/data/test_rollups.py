"""Rollups agree with the raw events they summarise (demo data)."""
from __future__ import annotations

from sqlalchemy import func, select

from data.models import (
    BiologyDaily,
    BiologyResult,
    MobileDaily,
    MobileStop,
    TeleconsultationDaily,
    TeleconsultationPatientMonthly,
    TeleconsultationSession,
)


def test_teleconsultation_rollups_match_raw(db):
    raw = dict(db.execute(select(TeleconsultationSession.status, func.count())
                          .group_by(TeleconsultationSession.status)).all())
    rolled = dict(db.execute(select(TeleconsultationDaily.status, func.sum(TeleconsultationDaily.sessions))
                             .group_by(TeleconsultationDaily.status)).all())
    assert raw == rolled
    with_commune = db.scalar(select(func.count()).where(TeleconsultationSession.status == "completed",
                                                        TeleconsultationSession.patient_commune_insee.is_not(None)))
    # a session sent without the patient's commune (optional in the feed) is in no commune's row
    assert db.scalar(select(func.sum(TeleconsultationPatientMonthly.sessions))) == with_commune
    minutes = db.scalar(select(func.sum(TeleconsultationSession.duration_min)))
    assert db.scalar(select(func.sum(TeleconsultationDaily.minutes))) == minutes


def test_biology_and_mobile_rollups_match_raw(db):
    assert db.scalar(select(func.sum(BiologyDaily.tests))) == db.scalar(
        select(func.count()).select_from(BiologyResult))
    assert db.scalar(select(func.sum(BiologyDaily.abnormal))) == db.scalar(
        select(func.count()).select_from(BiologyResult).where(BiologyResult.abnormal))
    assert db.scalar(select(func.sum(MobileDaily.consultations))) == db.scalar(
        select(func.sum(MobileStop.consultations)))
