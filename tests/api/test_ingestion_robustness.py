"""The ingestion API never answers 500 on input: out-of-range dates, partial FHIR dates, oversized or
mislabelled bodies, database outages. Each bad item is refused on its own (4xx/207) and kept."""
from __future__ import annotations

import copy
import io
import math
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Response

from data.ingestion.examples import fhir_examples, json_examples
from data.models import MobileStop, ProgrammeIndicatorValue, RejectedPayload
from server.api import MAX_BYTES
from tests.api.conftest import unique


def _kept(db, event_id: str) -> RejectedPayload | None:
    db.expire_all()
    return db.scalar(select(RejectedPayload).where(RejectedPayload.payload.contains(event_id)))


EXTREME = ["9999-12-31T22:00:00-12:00", "0001-01-01T01:00:00+14:00", "9999-12-31T23:59:59+00:00",
           "1900-06-01T10:00:00+01:00"]


@pytest.mark.parametrize("moment", EXTREME)
@pytest.mark.parametrize("path,field", [
    ("mobile/stops", "planned_arrival"), ("mobile/stops", "planned_departure"),
    ("teleconsultation/sessions", "started_at"), ("mobile/positions", "recorded_at"),
    ("biology/device-status", "recorded_at"),
])
def test_out_of_range_moments_are_refused_per_item_and_kept(post, db, path, field, moment):
    item = {**json_examples(suffix=unique())[path], field: moment}
    r = post(path, item)
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    error = r.json["items"][0]["errors"][0]
    assert error["field"] == field and error["reason"] in {"timestamp_out_of_range", "future_timestamp",
                                                           "timestamp_too_old"}
    assert error["message"] and _kept(db, item["event_id"]) is not None


@pytest.mark.parametrize("change,field", [
    ({"period_start": "0001-01-01"}, "period_start"),
    ({"period_end": "9999-12-31"}, "period_end"),
    ({"period_start": "1900-01-01", "period_end": "1900-03-31"}, "period_start"),
])
def test_indicator_periods_outside_the_window_are_refused(post, db, change, field):
    item = {**json_examples(suffix=unique())["programme/indicators"], **change}
    r = post("programme/indicators", item)
    assert r.status_code == 422, r.json
    assert r.json["items"][0]["errors"][0]["field"] == field
    assert r.json["items"][0]["errors"][0]["reason"] == "date_out_of_range"
    assert _kept(db, item["event_id"]) is not None
    assert db.scalar(select(func.count()).select_from(ProgrammeIndicatorValue)
                     .where(ProgrammeIndicatorValue.source_event_id == item["event_id"])) == 0


def test_one_bad_stop_in_a_hundred_does_not_lose_the_others(post, db):
    items = [json_examples(suffix=unique())["mobile/stops"] for _ in range(100)]
    items[37].update(planned_arrival="9999-12-31T22:00:00-12:00", planned_departure="9999-12-31T23:00:00-12:00")
    r = post("mobile/stops", {"events": items})
    assert r.status_code == 207, r.get_data(as_text=True)[:300]
    assert (r.json["accepted"], r.json["rejected"]) == (99, 1)
    assert r.json["items"][37]["status"] == "rejected"
    assert r.json["items"][37]["errors"][0]["reason"] == "timestamp_out_of_range"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(MobileStop).where(
        MobileStop.source_event_id.in_([i["event_id"] for i in items]))) == 99
    assert _kept(db, items[37]["event_id"]) is not None


@pytest.mark.parametrize("start", ["2026-11-30", "2026", "2026-11"])
def test_fhir_partial_dates_are_refused_per_resource(post, db, start):
    bad = fhir_examples(suffix=unique())["teleconsultation/sessions"]
    bad["period"]["start"] = start
    r = post("fhir", bad, kind="teleconsultation")
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    assert r.json["items"][0]["errors"][0]["field"].startswith("period.start")
    assert _kept(db, bad["identifier"][0]["value"]) is not None
    good = fhir_examples(suffix=unique())["teleconsultation/sessions"]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": good}, {"resource": copy.deepcopy(bad)}]}
    r = post("fhir", bundle, kind="teleconsultation")
    assert r.status_code == 207, r.get_data(as_text=True)[:300]
    assert [i["status"] for i in r.json["items"]] == ["accepted", "rejected"]
    assert r.json["items"][1]["errors"][0]["field"].startswith("entry.1.resource.period.start")


def test_fhir_planned_period_out_of_range_is_refused(post, db):
    stop = fhir_examples(suffix=unique())["mobile/stops"]
    stop["extension"][0]["valuePeriod"]["start"] = "0001-01-01T01:00:00+14:00"
    r = post("fhir", stop, kind="mobile")
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    assert _kept(db, stop["identifier"][0]["value"]) is not None


class _Unmeasured:
    """A request body of unknown length, as a chunked transfer reaches the app (no seek, no length)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._data.readline(size)


def _post_chunked(app, path: str, body: bytes, headers: dict) -> Response:
    """The test client always declares a length: build the WSGI call by hand."""
    environ = EnvironBuilder(path=path, method="POST", headers={**headers, "Transfer-Encoding": "chunked"}
                             ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": _Unmeasured(body), "wsgi.input_terminated": True})
    return Response(*run_wsgi_app(app, environ))


@pytest.mark.parametrize("factor", [2, 30])
def test_chunked_body_over_the_limit_is_413_and_kept_truncated(app, api_keys, db, factor):
    marker = unique("BIG")
    body = (b'[{"event_id": "' + marker.encode() + b'"}' + b', {"event_id": "x"}' * (factor * MAX_BYTES // 19) + b"]")
    r = _post_chunked(app, "/api/v1/teleconsultation/sessions", body,
                      {"X-API-Key": api_keys["teleconsultation"], "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["error"] == "payload_too_large", r.get_data()[:300]
    kept = _kept(db, marker)
    assert kept is not None and kept.reason == "payload_too_large"
    assert len(kept.payload) < MAX_BYTES
    assert (str(len(body)) in kept.message) == (factor == 2)  # measured when not too far past the limit


def test_chunked_body_under_the_limit_is_read_whole(app, api_keys):
    import json

    items = [json_examples(suffix=unique())["teleconsultation/sessions"] for _ in range(3)]
    r = _post_chunked(app, "/api/v1/teleconsultation/sessions", json.dumps(items).encode(),
                      {"X-API-Key": api_keys["teleconsultation"], "Content-Type": "application/json"})
    assert r.status_code == 201 and r.json["accepted"] == 3


@pytest.mark.parametrize("extra", [10, 2 * MAX_BYTES])  # the second is past the app's MAX_CONTENT_LENGTH too
def test_declared_length_over_the_limit_is_413_and_kept(client, api_keys, db, extra):
    marker = unique("BIG")
    body = b'{"event_id": "' + marker.encode() + b'", "x": "' + b"a" * (MAX_BYTES + extra) + b'"}'
    r = client.post("/api/v1/biology/results", data=body,
                    headers={"X-API-Key": api_keys["biology"], "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["error"] == "payload_too_large"
    kept = _kept(db, marker)
    assert kept is not None and str(len(body)) in kept.message and len(kept.payload) < MAX_BYTES


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded",
                                          None])
def test_non_json_content_types_are_415_and_kept(client, api_keys, db, content_type):
    item = json_examples(suffix=unique())["biology/results"]
    import json

    headers = {"X-API-Key": api_keys["biology"]}
    if content_type:
        headers["Content-Type"] = content_type
    r = client.post("/api/v1/biology/results", data=json.dumps(item), headers=headers)
    assert r.status_code == 415 and r.is_json and r.json["error"] == "unsupported_media_type"
    kept = _kept(db, item["event_id"])
    assert kept is not None and kept.reason == "unsupported_media_type"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/fhir+json"])
def test_json_content_types_are_accepted(client, api_keys, content_type):
    import json

    item = json_examples(suffix=unique())["biology/results"]
    r = client.post("/api/v1/biology/results", data=json.dumps(item),
                    headers={"X-API-Key": api_keys["biology"], "Content-Type": content_type})
    assert r.status_code == 201, r.json


@pytest.fixture()
def rejects_fail(app):
    """Writes to the rejects table fail as under a database lock (both dialects)."""
    engine = app.extensions["emeuse.engine"]

    def fail(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT") and "rejected_payload" in statement:
            raise OperationalError(statement, parameters, Exception("database is locked"))

    event.listen(engine, "before_cursor_execute", fail)
    yield
    event.remove(engine, "before_cursor_execute", fail)


def test_invalid_json_during_a_database_outage_is_503_and_claims_nothing(client, api_keys, db, rejects_fail):
    marker = unique("NOJSON")
    r = client.post("/api/v1/biology/results", data="{pas du json " + marker,
                    headers={"X-API-Key": api_keys["biology"], "Content-Type": "application/json"})
    assert r.status_code == 503 and r.json["error"] == "database_unavailable" and r.headers["Retry-After"]
    assert "conserv" in r.json["message"] and "renvoyez" in r.json["message"]
    assert _kept(db, marker) is None


def test_wrong_content_type_during_a_database_outage_is_503(client, api_keys, rejects_fail):
    r = client.post("/api/v1/biology/results", data="x", headers={"X-API-Key": api_keys["biology"],
                                                                  "Content-Type": "text/plain"})
    assert r.status_code == 503


# --- junk batches ----------------------------------------------------------------------------------

_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                       st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
_NESTED = st.recursive(_JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                       max_leaves=8)
_OFFSETS = ["", "Z", "+14:00", "-12:00", "+01:00", "+00:00", "+23:59", "-23:59"]
_EDGE_MOMENTS = [f"{d.isoformat()}{o}" for d in (datetime.max, datetime(9999, 12, 31, 22))
                 for o in ("-12:00", "-23:59")]
_EDGE_MOMENTS += [f"{d.isoformat()}{o}" for d in (datetime.min, datetime(1, 1, 1, 1)) for o in ("+14:00", "+23:59")]
_EDGE_MOMENTS += ["1900-06-01T10:00:00+01:00", "2026", "2026-11-30", "2026-11", "T10:00", "2026-02-30T10:00:00Z"]
_MOMENT = st.one_of(st.sampled_from(_EDGE_MOMENTS),
                    st.builds(lambda d, off: d.isoformat() + off, st.datetimes(), st.sampled_from(_OFFSETS)))
_DAY = st.dates().map(lambda d: d.isoformat())
_TIME_FIELDS = {"planned_arrival", "planned_departure", "actual_arrival", "actual_departure", "started_at",
                "recorded_at", "sampled_at", "resulted_at", "transmitted_at"}
_DATE_FIELDS = {"period_start", "period_end", "activity_start", "activity_end"}
PATHS = ["mobile/stops", "teleconsultation/sessions", "biology/results", "programme/indicators",
         "workforce/practitioners", "mobile/positions"]


@st.composite
def _junk_item(draw, path: str):
    item = json_examples(suffix=unique())[path]
    if path == "workforce/practitioners":
        item["rpps_hash"] = unique("").replace("-", "").ljust(64, "c")[:64]
    kind = draw(st.sampled_from(["valid", "valid", "moment", "moment", "moment", "number", "nested", "drop",
                                 "not an object"]))
    if kind == "valid":
        return item
    if kind == "not an object":
        return draw(_NESTED)
    field = draw(st.sampled_from(sorted(k for k in item if k != "event_id")))
    if kind == "moment":
        moments = sorted((_TIME_FIELDS | _DATE_FIELDS) & set(item)) or [field]
        for field in draw(st.lists(st.sampled_from(moments), min_size=1, max_size=3, unique=True)):
            item[field] = draw(_MOMENT if field in _TIME_FIELDS else st.one_of(_DAY, _MOMENT))
    elif kind == "number":
        item[field] = draw(st.one_of(st.integers(min_value=-10**40, max_value=10**40),
                                     st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 2**63])))
    elif kind == "nested":
        item[field] = draw(_NESTED)
    else:
        item.pop(field)
    return item


@pytest.mark.parametrize("path", PATHS)
def test_junk_batches_never_5xx_and_every_item_is_answered_and_every_reject_kept(client, api_keys, db, path):
    import json

    examples: list[str] = []

    @given(batch=st.lists(_junk_item(path), min_size=1, max_size=30))
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(batch):
        body = json.dumps({"events": batch}, allow_nan=True)
        db.expire_all()
        before = db.scalar(select(func.count()).select_from(RejectedPayload))
        r = client.post(f"/api/v1/{path}", data=body,
                        headers={"X-API-Key": api_keys[path.split("/")[0]], "Content-Type": "application/json"})
        assert r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:500], body[:500])
        assert r.status_code in (200, 201, 207, 422), r.json
        out = r.json
        assert out["accepted"] + out["duplicates"] + out["updated"] + out["rejected"] == len(batch)
        assert len(out["items"]) == len(batch)
        db.expire_all()
        assert db.scalar(select(func.count()).select_from(RejectedPayload)) - before == out["rejected"]
        if out["rejected"] and len(examples) < 3:
            bad = next(i for i in out["items"] if i["status"] == "rejected")
            examples.append(f"{path}: {bad['errors'][0]['field']} {bad['errors'][0]['reason']}")

    check()
    print("\n".join(examples))
