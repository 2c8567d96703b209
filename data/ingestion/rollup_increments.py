"""Rollup rows kept in step with the events one request inserts or updates (data/rollups.py rebuilds them)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from data.ingestion.inserts import upsert_add
from data.models import (
    BiologyDaily,
    MobileDaily,
    TeleconsultationDaily,
    TeleconsultationDuration,
    TeleconsultationPatientMonthly,
)
from data.terminology import AGE_BANDS_75_PLUS


def teleconsultation(session: Session, rows: list[dict], sign: int = 1) -> None:
    """Day × site × specialty, durations, month × patient commune; sign -1 takes rows back out."""
    upsert_add(session, TeleconsultationDaily, ["day", "site_id", "specialty", "status"], (
        {"day": r["day"], "site_id": r["site_id"], "specialty": r["specialty"], "status": r["status"],
         "sessions": sign, "minutes": sign * (r["duration_min"] or 0),
         "patients_75_plus": sign * (r["patient_age_band"] in AGE_BANDS_75_PLUS)} for r in rows))
    upsert_add(session, TeleconsultationDuration, ["day", "site_id", "duration_min"], (
        {"day": r["day"], "site_id": r["site_id"], "duration_min": r["duration_min"], "sessions": sign}
        for r in rows if r["status"] == "completed" and r["duration_min"] is not None))
    upsert_add(session, TeleconsultationPatientMonthly, ["month", "commune_insee"], (
        {"month": r["day"].replace(day=1), "commune_insee": r["patient_commune_insee"], "sessions": sign}
        for r in rows if r["status"] == "completed" and r["patient_commune_insee"]))


def biology(session: Session, rows: list[dict], sign: int = 1) -> None:
    """Day × site × test: counts, abnormal results, turnaround minutes; sign -1 takes rows back out."""
    def minutes(later, earlier):
        return (later - earlier).total_seconds() / 60.0

    upsert_add(session, BiologyDaily, ["day", "site_id", "loinc"], (
        {"day": r["day"], "site_id": r["site_id"], "loinc": r["loinc"], "tests": sign,
         "abnormal": sign * int(r["abnormal"]),
         "sample_to_result_min": sign * minutes(r["resulted_at"], r["sampled_at"]),
         "result_to_lab_min": sign * (minutes(r["transmitted_at"], r["resulted_at"]) if r["transmitted_at"] else 0.0),
         "transmitted": sign * (r["transmitted_at"] is not None)} for r in rows))


def mobile(session: Session, rows: list[dict], sign: int = 1) -> None:
    """Day × unit × commune × status: stops, slots, consultations; sign -1 takes rows back out."""
    upsert_add(session, MobileDaily, ["day", "unit_id", "commune_insee", "status"], (
        {"day": r["day"], "unit_id": r["unit_id"], "commune_insee": r["commune_insee"], "status": r["status"],
         "stops": sign, "slots_offered": sign * r["slots_offered"], "consultations": sign * r["consultations"],
         "new_patients": sign * r["new_patients"]} for r in rows))
