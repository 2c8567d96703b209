"""Data-quality checks through the API: impossible events rejected (French reason, field at fault, kept),
implausible values and duplicate practitioners accepted but flagged, once."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data import admin
from data.db import make_session_factory, session_scope
from data.ingestion.examples import json_examples
from data.models import BiologyResult, HealthProfessional, QualityFlag, RejectedPayload
from tests.api.conftest import unique


class _At:
    """A moment relative to when the test runs, not to when the module was collected (a long run would age it)."""

    def __init__(self, delta: timedelta) -> None:
        self.delta = delta

    def resolve(self) -> str:
        return (datetime.now(UTC).replace(microsecond=0) + self.delta).isoformat()


def _ago(**delta) -> _At:
    return _At(-timedelta(**delta))


def _ahead(**delta) -> _At:
    return _At(timedelta(**delta))


def _resolved(change: dict) -> dict:
    return {k: v.resolve() if isinstance(v, _At) else v for k, v in change.items()}


@pytest.mark.parametrize("path,change,field,reason,words", [
    # already refused before this issue: kept here as the quality checks' contract
    ("teleconsultation/sessions", {"duration_min": 0}, "duration_min", "greater_than_equal", "trop petite"),
    ("teleconsultation/sessions", {"duration_min": 601}, "duration_min", "less_than_equal", "trop grande"),
    ("teleconsultation/sessions", {"started_at": _ahead(hours=3)}, "started_at",
     "future_timestamp", "dans le futur"),
    ("biology/results", {"sampled_at": _ago(minutes=30), "resulted_at": _ago(minutes=40)}, "resulted_at",
     "result_before_sample", "précède le prélèvement"),
    ("biology/results", {"resulted_at": _ago(minutes=25), "transmitted_at": _ago(minutes=28)}, "transmitted_at",
     "transmitted_before_result", "précède le résultat"),
    ("mobile/stops", {"actual_arrival": _ago(minutes=60), "actual_departure": _ago(minutes=120)}, "actual_departure",
     "departure_before_arrival", "départ réel doit suivre"),
    # slipped through before: impossible durations and times
    ("teleconsultation/sessions", {"started_at": _ago(minutes=20), "duration_min": 90}, "duration_min",
     "session_ends_in_future", "se termine dans le futur"),
    ("biology/results", {"sampled_at": _ago(days=4), "resulted_at": _ago(days=1), "transmitted_at": _ago(hours=20)},
     "resulted_at", "result_too_late", "24 heures"),
    ("mobile/stops", {"planned_arrival": _ago(hours=39), "planned_departure": _ago(hours=30),
                      "actual_arrival": _ago(hours=39), "actual_departure": _ago(hours=2)}, "actual_departure",
     "stop_too_long", "24 heures"),
    ("mobile/stops", {"planned_arrival": _ahead(days=2),
                      "planned_departure": _ahead(days=4), "status": "planned",
                      "actual_arrival": None, "actual_departure": None, "consultations": 0, "new_patients": 0},
     "planned_departure", "stop_too_long", "24 heures"),
    ("mobile/stops", {"status": "planned", "actual_arrival": None, "consultations": 0, "new_patients": 0},
     "actual_departure", "actual_times_not_allowed", "heure réelle"),
])
def test_impossible_events_are_rejected_with_a_french_reason(post, db, path, change, field, reason, words):
    item = {**json_examples(suffix=unique())[path], **_resolved(change)}
    r = post(path, item)
    assert r.status_code == 422, r.json
    error = r.json["items"][0]["errors"][0]
    assert (error["field"], error["reason"]) == (field, reason)
    assert words in error["message"]
    stored = db.scalar(select(RejectedPayload).where(RejectedPayload.payload.contains(item["event_id"])))
    assert stored is not None and (stored.field_path, stored.reason, stored.message) == (field, reason,
                                                                                         error["message"])


def test_a_late_but_possible_result_is_accepted(post):
    item = {**json_examples(suffix=unique())["biology/results"], **_resolved({"sampled_at": _ago(hours=23),
            "resulted_at": _ago(hours=1), "transmitted_at": _ago(minutes=50)})}
    assert post("biology/results", item).status_code == 201


def _flags(db, event_id: str) -> list[QualityFlag]:
    db.expire_all()
    return db.scalars(select(QualityFlag).where(QualityFlag.source_event_id == event_id)).all()


def test_implausible_value_is_accepted_flagged_once(post, db):
    item = {**json_examples(suffix=unique())["biology/results"], "loinc": "2823-3", "value": 14.2,
            "unit": "mmol/L", "ref_low": None, "ref_high": None, "abnormal": None}
    first = post("biology/results", item)
    assert first.status_code == 201, first.json
    answer = first.json["items"][0]
    assert answer["status"] == "accepted"
    assert answer["warnings"] and answer["warnings"][0]["reason"] == "implausible_value"
    assert answer["warnings"][0]["field"] == "value"
    assert db.scalar(select(func.count()).select_from(BiologyResult)
                     .where(BiologyResult.source_event_id == item["event_id"])) == 1
    (flag,) = _flags(db, item["event_id"])
    assert (flag.check_code, flag.feed_kind, flag.event_table) == ("implausible_value", "biology", "biology_result")
    assert "limites physiologiques" in flag.message and "Potassium" in flag.message
    assert "14,2" in flag.message and "1,5" in flag.message and "10" in flag.message
    again = post("biology/results", item)
    assert again.status_code == 200 and again.json["items"][0]["status"] == "duplicate"
    assert len(_flags(db, item["event_id"])) == 1


def test_value_inside_the_plausible_range_is_not_flagged(post, db):
    item = {**json_examples(suffix=unique())["biology/results"], "loinc": "2823-3", "value": 6.8,
            "unit": "mmol/L", "ref_low": None, "ref_high": None, "abnormal": True}
    r = post("biology/results", item)
    assert r.status_code == 201 and "warnings" not in r.json["items"][0]
    assert _flags(db, item["event_id"]) == []


def test_implausible_value_in_fhir_is_flagged_too(post, db):
    from data.ingestion.examples import fhir_examples

    obs = fhir_examples(suffix=unique())["biology/results"]
    obs["valueQuantity"]["value"] = 0.9
    obs.pop("referenceRange", None)
    obs.pop("interpretation", None)
    r = post("fhir", obs, kind="biology")
    assert r.status_code == 201, r.json
    (flag,) = _flags(db, obs["identifier"][0]["value"])
    assert flag.check_code == "implausible_value"


def _workforce_key(engine) -> str:
    with session_scope(make_session_factory(engine)) as s:
        source = admin.create_source(s, actor=None, name=f"Test registre bis {unique()}", feed_kind="workforce")
        return admin.issue_key(s, actor=None, source_id=source.id)


def test_duplicate_rpps_at_a_second_commune_is_flagged_once(post, db, engine):
    first = json_examples(suffix=unique())["workforce/practitioners"]
    first["rpps_hash"] = unique("").replace("-", "").ljust(64, "d")[:64]
    assert post("workforce/practitioners", first).json["items"][0]["status"] == "accepted"
    elsewhere = {**first, "event_id": unique(), "commune": "55029"}
    other_key = _workforce_key(engine)
    r = post("workforce/practitioners", elsewhere, key=other_key)
    assert r.status_code == 201, r.json
    answer = r.json["items"][0]
    assert answer["status"] == "updated" and answer["warnings"][0]["reason"] == "duplicate_rpps"
    (flag,) = _flags(db, elsewhere["event_id"])
    assert flag.check_code == "duplicate_rpps" and flag.event_table == "health_professional"
    assert "55545" in flag.message and "55029" in flag.message
    assert "55545" in flag.value and "55029" in flag.value
    assert post("workforce/practitioners", elsewhere, key=other_key).json["items"][0]["status"] == "duplicate"
    assert len(_flags(db, elsewhere["event_id"])) == 1
    same_commune = {**elsewhere, "event_id": unique(), "fte": 0.5}
    assert post("workforce/practitioners", same_commune, key=other_key).json["items"][0]["status"] == "updated"
    assert _flags(db, same_commune["event_id"]) == []
    db.expire_all()
    assert db.scalar(select(HealthProfessional.commune_insee)
                     .where(HealthProfessional.rpps_hash == first["rpps_hash"])) == "55029"


def test_duplicate_rpps_within_one_batch_is_flagged(post, db):
    first = json_examples(suffix=unique())["workforce/practitioners"]
    first["rpps_hash"] = unique("").replace("-", "").ljust(64, "e")[:64]
    moved = {**first, "event_id": unique(), "commune": "55533"}
    r = post("workforce/practitioners", {"events": [first, moved]})
    assert r.status_code == 201, r.json
    assert "warnings" not in r.json["items"][0] and r.json["items"][1]["warnings"][0]["reason"] == "duplicate_rpps"
    (flag,) = _flags(db, moved["event_id"])
    assert "55545" in flag.message and "55533" in flag.message
