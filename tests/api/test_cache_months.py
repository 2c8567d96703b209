"""Cache versions per (dataset, month): an ingestion invalidates the months its events fall in (both months of a
correction that moves an event), never a past period's figures, and never leaves a stale figure for its month."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from data.access import full_scope
from data.filters import Filters
from data.views import VIEWS
from server.cache import page_view, read_versions
from tests.api.conftest import unique
from tests.conftest import count_computations

TERRITORY = ("52", "54", "55")
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture()
def computed(monkeypatch):
    """The names of the views computed (not served from the cache) during the test."""
    return count_computations(monkeypatch, ("teleconsultation", "mobile"))


def _completed(view) -> int:
    return int(re.sub(r"\D", "", next(s for s in view.stats if s.key == "tc-completed").value))


def _at(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour, 0), PARIS).isoformat()


def test_todays_events_keep_past_periods_cached_and_refresh_their_month(app, post, computed):
    yesterday = date.today() - timedelta(days=1)
    current = Filters((), yesterday.replace(day=1), yesterday.replace(day=1), date.today())
    past = Filters((), date(2025, 1, 1), date(2025, 6, 1), date.today())
    scope = full_scope(TERRITORY)
    with app.test_request_context():
        past_before = page_view("teleconsultation", scope=scope, filters=past, options=None)
        current_before = _completed(page_view("teleconsultation", scope=scope, filters=current, options=None))
        mobile_before = page_view("mobile", scope=scope, filters=past, options=VIEWS["mobile"].options({}, past))
    computed.clear()
    response = post("teleconsultation/sessions", {
        "event_id": unique("TC-MONTH"), "site_code": "EHPAD-55-BLANPAIN", "started_at": _at(yesterday),
        "duration_min": 20, "specialty": "geriatrie", "requester_type": "infirmier", "patient_age_band": "85+",
        "patient_commune": "55029", "status": "completed", "outcome": "follow_up"})
    assert response.status_code == 201, response.get_json()
    with app.test_request_context():
        past_after = page_view("teleconsultation", scope=scope, filters=past, options=None)
        assert computed == []  # the past year's view: a hit
        current_after = _completed(page_view("teleconsultation", scope=scope, filters=current, options=None))
        assert computed == ["teleconsultation"]  # yesterday's month: recomputed, with the new session
        page_view("mobile", scope=scope, filters=past, options=VIEWS["mobile"].options({}, past))
    assert past_after.stats == past_before.stats
    assert current_after == current_before + 1
    assert computed == ["teleconsultation"]  # mobile read as a whole, untouched by a teleconsultation event
    assert mobile_before is not None


def test_a_correction_moving_a_stop_between_months_invalidates_both(app, post):
    march, april, may = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
    event = unique("CMM-MOVE")

    def stop(day: date) -> dict:
        return {"event_id": event, "unit_code": "CMM-52-NORD", "commune": "52250", "planned_arrival": _at(day, 9),
                "planned_departure": _at(day, 12), "actual_arrival": _at(day, 9), "actual_departure": _at(day, 12),
                "status": "completed", "slots_offered": 12, "consultations": 10, "new_patients": 2}

    def versions(month: date) -> str:
        return read_versions({"mobile": (month,)}).text

    assert post("mobile/stops", stop(date(2026, 3, 10))).status_code == 201
    with app.app_context():
        before = {m: versions(m) for m in (march, april, may)}
    assert post("mobile/stops", stop(date(2026, 4, 14))).get_json()["items"][0]["status"] == "updated"
    with app.app_context():
        after = {m: versions(m) for m in (march, april, may)}
        whole = read_versions(["mobile"]).text
    assert after[march] != before[march] and after[april] != before[april]
    assert after[may] == before[may]
    assert post("mobile/stops", stop(date(2026, 4, 14))).get_json()["items"][0]["status"] == "duplicate"
    with app.app_context():  # a re-delivery changes no month (the feeds page still learns of it)
        assert {m: versions(m) for m in (march, april, may)} == after
        assert read_versions(["mobile"]).text != whole


def test_a_view_reads_every_version_in_one_round_trip(app, monkeypatch):
    """get_many for the versions (the months of the period included), then get for the entry: two round trips."""
    from server.extensions import cache

    past = Filters((), date(2025, 1, 1), date(2025, 12, 1), date.today())
    scope = full_scope(TERRITORY)
    with app.test_request_context():
        page_view("teleconsultation", scope=scope, filters=past, options=None)
        calls = []
        for method in ("get", "get_many", "set", "set_many", "add"):
            original = getattr(cache, method)
            monkeypatch.setattr(cache, method, lambda *a, _m=method, _o=original, **k: calls.append(_m) or _o(*a, **k))
        page_view("teleconsultation", scope=scope, filters=past, options=None)
    assert calls == ["get_many", "get"]
    assert len(VIEWS["teleconsultation"].dependencies(past)["teleconsultation"]) == 13  # Dec 2024 (baseline) → Dec 2025


def test_views_without_months_depend_on_whole_datasets():
    """Views reading latest states, trailing windows or all-time figures carry whole-dataset versions."""
    past = Filters((), date(2025, 1, 1), date(2025, 6, 1), date.today())
    for name, spec in VIEWS.items():
        deps = spec.dependencies(past)
        if name == "teleconsultation":
            assert deps["teleconsultation"][0] == date(2024, 12, 1) and deps["teleconsultation"][-1] == date(2025, 6, 1)
        else:
            assert all(months is None for months in deps.values()), name


def test_a_bundles_changes_are_merged_whole_wins():
    """A FHIR Bundle mixing endpoints: months add up per dataset; a dataset changed as a whole stays whole."""
    from data.ingestion.pipeline import IngestResult, merge_touched

    march, april = date(2026, 3, 1), date(2026, 4, 1)
    whole = IngestResult(1, 0, 0, 0, [], touched={"workforce": None, "coverage": None})
    tc = IngestResult(1, 0, 0, 0, [], touched={"teleconsultation": frozenset({march}), "coverage": frozenset({march})})
    tc2 = IngestResult(1, 0, 0, 0, [], touched={"teleconsultation": frozenset({april})})
    expected = {"workforce": None, "coverage": None, "teleconsultation": frozenset({march, april})}
    assert merge_touched([whole, tc, tc2]) == expected
    assert merge_touched([tc, tc2, whole]) == expected
