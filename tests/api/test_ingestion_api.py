"""The feeds API over HTTP: both forms, every rejection reason, batches, idempotency, limits."""
from __future__ import annotations

import copy
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from data.ingestion.examples import fhir_examples, json_examples
from data.ingestion.pipeline import ENDPOINTS
from data.ingestion.rows import PARIS
from data.models import (
    BiologyDaily,
    BiologyResult,
    FeedHourly,
    HealthProfessional,
    MobileDaily,
    MobileStop,
    RejectedPayload,
    TeleconsultationDaily,
    TeleconsultationSession,
)
from tests.api.conftest import unique


def _with_ids(example: dict, suffix: str) -> dict:
    item = copy.deepcopy(example)
    for key in ("event_id",):
        item[key] = f"{item[key]}-{suffix}"
    if "rpps_hash" in item:
        item["rpps_hash"] = (suffix * 64)[:64] if all(c in "0123456789abcdef" for c in suffix) else item["rpps_hash"]
    return item


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_every_endpoint_accepts_its_json_example_then_sees_a_duplicate(post, path):
    item = json_examples(suffix=unique())[path]
    if path == "workforce/practitioners":
        item["rpps_hash"] = unique("").replace("-", "").ljust(64, "a")[:64]
    first = post(path, item)
    assert first.status_code == 201, first.json
    assert first.json["items"][0]["status"] == "accepted"
    again = post(path, item)
    assert again.status_code == 200 and again.json["items"][0]["status"] == "duplicate"


@pytest.mark.parametrize("path", [p for p in ENDPOINTS if p in fhir_examples()])
def test_every_feed_accepts_its_fhir_example(post, path, db):
    resource = fhir_examples(suffix=unique())[path]
    if path == "workforce/practitioners":
        resource["entry"][0]["resource"]["identifier"][0]["value"] = str(10_000_000_000 + hash(unique()) % 10**9)
    r = post("fhir", resource, kind=path.split("/")[0])
    assert r.status_code == 201, r.json
    assert [i["status"] for i in r.json["items"]] == ["accepted"]


def test_fhir_maps_values_and_terminology(post, db):
    obs = fhir_examples(suffix=unique())["biology/results"]
    r = post("fhir", obs, kind="biology")
    assert r.status_code == 201
    row = db.scalar(select(BiologyResult).where(BiologyResult.source_event_id == obs["identifier"][0]["value"]))
    assert (row.loinc, row.value, row.unit, row.abnormal) == ("2823-3", 5.6, "mmol/L", True)
    wrong_unit = copy.deepcopy(obs)
    wrong_unit["identifier"][0]["value"] = unique()
    wrong_unit["valueQuantity"]["code"] = "mg/dL"
    r = post("fhir", wrong_unit, kind="biology")
    assert r.status_code == 422
    assert r.json["items"][0]["errors"][0] == {"field": "unit", "reason": "ucum_unit_mismatch",
                                               "message": r.json["items"][0]["errors"][0]["message"]}
    not_lab = copy.deepcopy(obs)
    not_lab["category"][0]["coding"][0]["code"] = "vital-signs"
    assert post("fhir", not_lab, kind="biology").json["items"][0]["errors"][0]["reason"] == "not_laboratory"
    broken = {"resourceType": "Observation", "status": "final", "code": "pas-un-CodeableConcept"}
    r = post("fhir", broken, kind="biology")
    assert r.status_code == 422 and r.json["items"][0]["errors"][0]["reason"] == "fhir_structure"
    wrong_feed = fhir_examples(suffix=unique())["teleconsultation/sessions"]
    assert post("fhir", wrong_feed, kind="biology").json["items"][0]["errors"][0]["reason"] == "resource_not_for_feed"


NOW = datetime.now(UTC)


@pytest.mark.parametrize("path,change,field,reason", [
    ("teleconsultation/sessions", {"started_at": "2026-01-05T10:00:00"}, "started_at", "timezone_aware"),
    ("teleconsultation/sessions", {"started_at": (NOW + timedelta(days=2)).isoformat()}, "started_at",
     "future_timestamp"),
    ("teleconsultation/sessions", {"site_code": "EHPAD-INCONNU"}, "site_code", "unknown_site"),
    ("teleconsultation/sessions", {"patient_commune": "75056"}, "patient_commune", "unknown_commune"),
    ("teleconsultation/sessions", {"status": "termine"}, "status", "literal_error"),
    ("teleconsultation/sessions", {"outcome": None}, "outcome", "outcome_required"),
    ("teleconsultation/sessions", {"couleur": "bleu"}, "couleur", "extra_forbidden"),
    ("teleconsultation/sessions", {"duration_min": "longue"}, "duration_min", "int_parsing"),
    ("biology/results", {"loinc": "2345-7"}, "loinc", "unknown_loinc"),
    ("biology/results", {"unit": "mmol/L"}, "unit", "ucum_unit_mismatch"),
    ("biology/results", {"abnormal": False}, "abnormal", "inconsistent_abnormal_flag"),
    ("biology/results", {"device_serial": "POC-FANTOME"}, "device_serial", "unknown_device"),
    ("biology/results", {"value": "NaN"}, "value", "not_finite"),
    ("biology/results", {"resulted_at": "2026-01-01T00:00:00+01:00"}, "resulted_at", "result_before_sample"),
    ("biology/device-status", {"battery_pct": 140}, "battery_pct", "less_than_equal"),
    ("mobile/stops", {"consultations": 30}, "consultations", "more_consultations_than_slots"),
    ("mobile/stops", {"unit_code": "CMM-99"}, "unit_code", "unknown_unit"),
    ("mobile/positions", {"lat": 43.3, "lon": 5.4}, "lat", "position_out_of_area"),
    ("workforce/practitioners", {"rpps_hash": "10101010101"}, "rpps_hash", "string_pattern_mismatch"),
    ("workforce/practitioners", {"activity_end": "2001-01-01"}, "activity_end", "end_before_start"),
    ("programme/indicators", {"territory_code": "75"}, "territory_code", "unknown_territory"),
    ("programme/indicators", {"experiment": "inconnue"}, "experiment", "literal_error"),
])
def test_each_rejection_names_the_field_and_is_kept_verbatim(post, db, path, change, field, reason):
    item = {**json_examples(suffix=unique())[path], **change}
    r = post(path, item)
    assert r.status_code == 422, r.json
    error = r.json["items"][0]["errors"][0]
    assert (error["field"], error["reason"]) == (field, reason)
    assert error["message"] and r.json["rejected"] == 1
    stored = db.scalar(select(RejectedPayload).where(RejectedPayload.payload.contains(item["event_id"])))
    assert stored is not None and (stored.field_path, stored.reason) == (field, reason)
    assert item["event_id"] in stored.payload


def test_partial_batch_keeps_the_valid_items(post, db):
    good = [json_examples(suffix=unique())["teleconsultation/sessions"] for _ in range(3)]
    bad = {**json_examples(suffix=unique())["teleconsultation/sessions"], "specialty": "astrologie"}
    r = post("teleconsultation/sessions", {"events": [good[0], bad, good[1], good[2], good[0]]})
    assert r.status_code == 207
    assert [i["status"] for i in r.json["items"]] == ["accepted", "rejected", "accepted", "accepted", "duplicate"]
    assert (r.json["accepted"], r.json["rejected"], r.json["duplicates"]) == (3, 1, 1)
    ids = [g["event_id"] for g in good]
    assert db.scalar(select(func.count()).select_from(TeleconsultationSession)
                     .where(TeleconsultationSession.source_event_id.in_(ids))) == 3


def test_unreadable_bodies_are_400_and_kept(client, api_keys, db):
    headers = {"X-API-Key": api_keys["biology"], "Content-Type": "application/json"}
    r = client.post("/api/v1/biology/results", data="{pas du json", headers=headers)
    assert r.status_code == 400 and r.json["error"] == "invalid_json"
    assert db.scalar(select(RejectedPayload).where(RejectedPayload.payload == "{pas du json")) is not None
    assert client.post("/api/v1/biology/results", json=[], headers=headers).json["error"] == "empty_batch"
    assert client.post("/api/v1/biology/results", json=42, headers=headers).json["error"] == "invalid_body"


def test_keys_missing_wrong_feed_revoked(client, api_keys, post, engine):
    item = json_examples(suffix=unique())["biology/results"]
    assert client.post("/api/v1/biology/results", json=item).status_code == 401
    r = client.post("/api/v1/biology/results", json=item, headers={"X-API-Key": "emk_00000000_faux"})
    assert r.status_code == 401 and r.json["error"] == "invalid_api_key"
    r = post("biology/results", item, key=api_keys["teleconsultation"])
    assert r.status_code == 403 and r.json["error"] == "wrong_feed"
    from data import admin
    from data.db import make_session_factory, session_scope

    with session_scope(make_session_factory(engine)) as s:
        source = admin.create_source(s, actor=None, name=f"révocable {unique()}", feed_kind="biology")
        key = admin.issue_key(s, actor=None, source_id=source.id)
    assert post("biology/results", item, key=key).status_code == 201
    with session_scope(make_session_factory(engine)) as s:
        admin.revoke_key(s, actor=None, source_id=source.id)
    assert post("biology/results", json_examples(suffix=unique())["biology/results"], key=key).status_code == 401


def test_site_scoped_key_refuses_other_sites(client, engine):
    from data import admin
    from data.db import make_session_factory, session_scope

    with session_scope(make_session_factory(engine)) as s:
        source = admin.create_source(s, actor=None, name=f"EHPAD Ligny {unique()}", feed_kind="teleconsultation",
                                     site_codes=["EHPAD-55-LIGNY"])
        key = admin.issue_key(s, actor=None, source_id=source.id)
    item = json_examples(suffix=unique())["teleconsultation/sessions"]  # at Blanpain-Couchot
    r = client.post("/api/v1/teleconsultation/sessions", json=item, headers={"X-API-Key": key})
    assert r.json["items"][0]["errors"][0]["reason"] == "site_not_allowed"
    ok = client.post("/api/v1/teleconsultation/sessions", json={**item, "site_code": "EHPAD-55-LIGNY"},
                     headers={"X-API-Key": key})
    assert ok.status_code == 201


def test_rollups_follow_ingestion_and_stop_updates(post, db):
    tc = json_examples(suffix=unique())["teleconsultation/sessions"]
    day = datetime.fromisoformat(tc["started_at"]).astimezone(PARIS).date()  # rollup days are Paris days

    def tc_sessions():
        db.expire_all()
        return db.scalar(select(func.coalesce(func.sum(TeleconsultationDaily.sessions), 0)).where(
            TeleconsultationDaily.day == day, TeleconsultationDaily.specialty == "geriatrie",
            TeleconsultationDaily.status == "completed"))

    before = tc_sessions()
    post("teleconsultation/sessions", tc)
    post("teleconsultation/sessions", tc)  # duplicate: counted once
    assert tc_sessions() == before + 1

    stop = json_examples(suffix=unique())["mobile/stops"]
    planned = {**stop, "status": "planned", "actual_arrival": None, "actual_departure": None, "consultations": 0,
               "new_patients": 0}

    def consultations():
        db.expire_all()
        return db.scalar(select(func.coalesce(func.sum(MobileDaily.consultations), 0)).where(
            MobileDaily.commune_insee == "52250", MobileDaily.status == "completed"))

    base = consultations()
    assert post("mobile/stops", planned).json["items"][0]["status"] == "accepted"
    r = post("mobile/stops", stop)  # the same stop, now done
    assert r.status_code == 201 and r.json["items"][0]["status"] == "updated"
    assert consultations() == base + 10
    assert db.scalar(select(func.count()).select_from(MobileStop)
                     .where(MobileStop.source_event_id == stop["event_id"])) == 1
    assert post("mobile/stops", stop).json["items"][0]["status"] == "duplicate"
    assert consultations() == base + 10
    bio = json_examples(suffix=unique())["biology/results"]
    tests_before = db.scalar(select(func.coalesce(func.sum(BiologyDaily.tests), 0)))
    post("biology/results", bio)
    db.expire_all()
    assert db.scalar(select(func.sum(BiologyDaily.tests))) == tests_before + 1


def test_practitioner_record_is_updated_by_a_new_event(post, db):
    item = json_examples(suffix=unique())["workforce/practitioners"]
    item["rpps_hash"] = unique("").replace("-", "").ljust(64, "b")[:64]
    assert post("workforce/practitioners", item).json["items"][0]["status"] == "accepted"
    leaving = {**item, "event_id": unique(), "activity_end": "2026-10-31"}
    assert post("workforce/practitioners", leaving).json["items"][0]["status"] == "updated"
    db.expire_all()
    rows = db.scalars(select(HealthProfessional).where(HealthProfessional.rpps_hash == item["rpps_hash"])).all()
    assert len(rows) == 1 and str(rows[0].activity_end) == "2026-10-31"


def test_same_practitioner_twice_in_a_batch_is_updated_in_order(post, db):
    first = json_examples(suffix=unique())["workforce/practitioners"]
    first["rpps_hash"] = unique("").replace("-", "").ljust(64, "c")[:64]
    moved = {**first, "event_id": unique(), "commune": "55533"}
    leaving = {**moved, "event_id": unique(), "activity_end": "2026-10-31"}
    r = post("workforce/practitioners", {"events": [first, moved, leaving]})
    assert r.status_code == 201, r.json
    assert [i["status"] for i in r.json["items"]] == ["accepted", "updated", "updated"]
    assert (r.json["accepted"], r.json["updated"], r.json["duplicates"]) == (1, 2, 0)
    db.expire_all()
    rows = db.scalars(select(HealthProfessional).where(HealthProfessional.rpps_hash == first["rpps_hash"])).all()
    assert len(rows) == 1
    assert (rows[0].commune_insee, str(rows[0].activity_end), rows[0].source_event_id) == (
        "55533", "2026-10-31", leaving["event_id"])


def test_concurrent_redelivery_makes_one_row(app, api_keys, db):
    item = json_examples(suffix=unique())["biology/results"]
    statuses, errors = [], []

    def send():
        try:
            r = app.test_client().post("/api/v1/biology/results", json=item,
                                       headers={"X-API-Key": api_keys["biology"]})
            statuses.append((r.status_code, r.json["items"][0]["status"]))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    codes = [s for s in statuses if s[0] != 503]
    assert sorted(s for _, s in codes).count("accepted") == 1, statuses
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(BiologyResult)
                     .where(BiologyResult.source_event_id == item["event_id"])) == 1


def test_database_failure_mid_batch_keeps_nothing_and_retry_succeeds(post, db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from data.ingestion import rollup_increments
    from data.models import TeleconsultationPatientMonthly

    items = [json_examples(suffix=unique())["teleconsultation/sessions"] for _ in range(4)]
    items.append({**json_examples(suffix=unique())["teleconsultation/sessions"], "status": "??"})
    real = rollup_increments.upsert_add

    def failing(session, model, keys, rows):
        if model is TeleconsultationPatientMonthly:  # after the events were inserted
            raise OperationalError("INSERT ...", {}, Exception("disk I/O error"))
        return real(session, model, keys, rows)

    monkeypatch.setattr(rollup_increments, "upsert_add", failing)
    r = post("teleconsultation/sessions", items)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5" and r.json["error"] == "database_unavailable"
    ids = [i["event_id"] for i in items]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(TeleconsultationSession)
                     .where(TeleconsultationSession.source_event_id.in_(ids))) == 0
    assert db.scalar(select(func.count()).select_from(RejectedPayload)
                     .where(RejectedPayload.payload.contains(ids[-1]))) == 0  # nothing partial at all
    monkeypatch.setattr(rollup_increments, "upsert_add", real)
    r = post("teleconsultation/sessions", items)
    assert r.status_code == 207 and r.json["accepted"] == 4 and r.json["rejected"] == 1


def test_size_and_batch_limits(client, api_keys):
    headers = {"X-API-Key": api_keys["teleconsultation"], "Content-Type": "application/json"}
    big = b"[" + b",".join([b'{"event_id": "x"}'] * 400_000) + b"]"
    r = client.post("/api/v1/teleconsultation/sessions", data=big, headers=headers)
    assert r.status_code == 413 and r.is_json
    many = [{"event_id": f"e{i}"} for i in range(5001)]
    r = client.post("/api/v1/teleconsultation/sessions", json=many, headers=headers)
    assert r.status_code == 413 and r.json["error"] == "batch_too_large"


def test_feed_statistics_and_key_use_are_recorded(post, db, api_keys):
    post("programme/indicators", json_examples(suffix=unique())["programme/indicators"])
    db.expire_all()
    hour = db.execute(select(FeedHourly).order_by(FeedHourly.hour.desc())).scalars().first()
    assert hour.accepted >= 1
    assert db.execute(text("SELECT count(*) FROM audit_event WHERE action = 'apikey.use'")).scalar() >= 1


def test_errors_are_json_never_html(client, api_keys):
    assert client.get("/api/v1/biology/results").status_code == 405
    assert client.get("/api/v1/biology/results").is_json
    assert client.get("/api/v1/nope").is_json


def test_openapi_and_docs_are_published(client):
    doc = client.get("/api/v1/openapi.json").json
    assert set(doc["paths"]) == {f"/api/v1/{p}" for p in ENDPOINTS} | {"/api/v1/fhir"}
    assert doc["components"]["securitySchemes"]["ApiKey"]["in"] == "header"
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for path in ENDPOINTS:
        assert f"POST /api/v1/{path}" in page


ENGLISH_PROSE = re.compile(r"\b(the|of|a|an|is|at|with|its|and|or|by|from)\b")


def _descriptions(node, path="doc"):
    """Every human text of an OpenAPI document: descriptions, summaries, titles of its models."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield path + "." + key, value
            else:
                yield from _descriptions(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _descriptions(item, f"{path}[{i}]")


def test_api_documentation_speaks_french(client):
    """Field names stay English; every description a sender reads (OpenAPI and /api/v1/docs) is French."""
    doc = client.get("/api/v1/openapi.json").json
    texts = list(_descriptions(doc))
    assert len(texts) > 60
    english = [(p, t) for p, t in texts if ENGLISH_PROSE.search(t.replace("{\"events\": [...]}", ""))]
    assert english == []
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "Une séance de téléconsultation tenue dans un site." in page
    assert "A teleconsultation session held at a site" not in page
    assert "numéro RPPS haché" in page and "code INSEE de la commune du patient" in page


def test_every_demo_device_and_site_can_report(post, db):
    """Identifiers the schemas accept must cover every stored one (a 44-character serial was refused)."""
    from data.models import Device, Site

    longest = max(db.scalars(select(Device.serial)), key=len)
    item = {**json_examples(suffix=unique())["biology/device-status"], "device_serial": longest}
    assert post("biology/device-status", item).status_code == 201
    site = max(db.scalars(select(Site.code).where(Site.teleconsultation.is_(True))), key=len)
    session = {**json_examples(suffix=unique())["teleconsultation/sessions"], "site_code": site}
    assert post("teleconsultation/sessions", session).status_code == 201


def test_simulator_events_are_valid_unless_spoiled(app, db, post):
    from data import simulator

    world = simulator.World.load(db, seed=3)
    for n in range(60):
        path, payload, spoiled = simulator.next_event(world, n, malformed_share=0.3)
        r = post(path, payload, kind=simulator.GENERATORS[path][0])
        assert (r.status_code == 201) == (spoiled is None), (path, spoiled, r.json)


def test_api_responses_set_no_cookie(client, api_keys, auth):
    """Feed sources are machines authenticated by key: no session or CSRF cookie is ever handed to them."""
    headers = {"X-API-Key": api_keys["teleconsultation"]}
    good = json_examples(suffix=unique())["teleconsultation/sessions"]
    responses = {
        "valid": client.post("/api/v1/teleconsultation/sessions", json=good, headers=headers),
        "invalid": client.post("/api/v1/teleconsultation/sessions", json={**good, "status": "x"}, headers=headers),
        "fhir": client.post("/api/v1/fhir", json={"resourceType": "Patient"}, headers=headers),
        "no key": client.post("/api/v1/teleconsultation/sessions", json=good),
        "openapi": client.get("/api/v1/openapi.json"),
        "docs": client.get("/api/v1/docs"),
    }
    auth.login_as("admin")  # a signed-in browser reading the API page: its session cookie is not refreshed there
    responses["docs, signed in"] = client.get("/api/v1/docs")
    assert {name: r.status_code for name, r in responses.items()} == {
        "valid": 201, "invalid": 422, "fhir": 422, "no key": 401, "openapi": 200, "docs": 200, "docs, signed in": 200}
    assert {name: r.headers.getlist("Set-Cookie") for name, r in responses.items()} == dict.fromkeys(responses, [])
