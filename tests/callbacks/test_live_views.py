"""Live views served a few seconds old (LIVE_VIEW_MAX_AGE_SECONDS): at most that old, never another scope's, never
for an export or a non-live page, computed once per version however many polls ask, and the page says so."""
from __future__ import annotations

import dataclasses
import re
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callbacks.teleconsultation import teleconsultation_cards
from data.access import AccessScope, full_scope
from data.filters import Filters
from data.views import VIEWS
from server import cache as view_cache
from server.cache import COMPUTE_CLAIM_SECONDS, bump, page_view, view_as_of
from server.extensions import cache
from tests.api.conftest import unique
from tests.conftest import count_computations

TERRITORY = ("52", "54", "55")
PARIS = ZoneInfo("Europe/Paris")
MAX_AGE = 30.0


@pytest.fixture()
def live(app, monkeypatch):
    """The app with live views served up to MAX_AGE seconds old, and a clock the test moves."""
    monkeypatch.setattr(app.config["EMEUSE_SETTINGS"], "live_view_max_age_seconds", MAX_AGE)
    clock = [time.time()]
    monkeypatch.setattr(view_cache, "_now", lambda: clock[0])
    with app.app_context():
        cache.clear()  # no latest view left by another test, stamped by its clock
    yield clock
    with app.app_context():
        cache.clear()


@pytest.fixture(scope="module")
def send(engine, demo_counts, app):
    """POST to the teleconsultation feed with a source of this module's own."""
    from data import admin
    from data.db import make_session_factory, session_scope

    with session_scope(make_session_factory(engine)) as s:
        source = admin.create_source(s, actor=None, name=f"Test vues en direct {unique()}",
                                     feed_kind="teleconsultation")
        key = admin.issue_key(s, actor=None, source_id=source.id)
    client = app.test_client()
    return lambda path, body: client.post(f"/api/v1/{path}", json=body, headers={"X-API-Key": key})


@pytest.fixture()
def computed(monkeypatch):
    """The views computed (not served from the cache) during the test, by name."""
    return count_computations(monkeypatch, ("teleconsultation", "programme"))


def _completed(view) -> int:
    return int(re.sub(r"\D", "", next(s for s in view.stats if s.key == "tc-completed").value))


def _current() -> Filters:
    yesterday = date.today() - timedelta(days=1)
    return Filters((), yesterday.replace(day=1), yesterday.replace(day=1), date.today())


def _ingest_one(send) -> None:
    yesterday = date.today() - timedelta(days=1)
    response = send("teleconsultation/sessions", {
        "event_id": unique("TC-LIVE"), "site_code": "EHPAD-55-BLANPAIN",
        "started_at": datetime(yesterday.year, yesterday.month, yesterday.day, 10, tzinfo=PARIS).isoformat(),
        "duration_min": 20, "specialty": "geriatrie", "requester_type": "infirmier", "patient_age_band": "85+",
        "patient_commune": "55029", "status": "completed", "outcome": "follow_up"})
    assert response.status_code == 201, response.get_json()


def test_a_live_view_is_served_at_most_max_age_old_then_recomputed_with_the_new_event(app, send, live, computed):
    scope, filters = full_scope(TERRITORY), _current()
    with app.test_request_context():
        before = _completed(page_view("teleconsultation", scope=scope, filters=filters, options=None))
    _ingest_one(send)
    live[0] += MAX_AGE - 1
    with app.test_request_context():
        served = _completed(page_view("teleconsultation", scope=scope, filters=filters, options=None))
        as_of = view_as_of()
    assert served == before and computed == ["teleconsultation"]  # the latest view, not recomputed
    assert as_of is not None and live[0] - as_of == pytest.approx(MAX_AGE - 1, abs=0.01)
    with app.test_request_context():  # an export always reads the last committed change
        exported = _completed(page_view("teleconsultation", scope=scope, filters=filters, options=None, exact=True))
        assert view_as_of() is None
    assert exported == before + 1
    live[0] += 2  # older than MAX_AGE: recomputed
    with app.test_request_context():
        after = _completed(page_view("teleconsultation", scope=scope, filters=filters, options=None))
        assert view_as_of() is None
    assert after == before + 1


def test_the_latest_view_of_one_scope_is_never_served_to_another(app, live):
    """Attack: the ARS computes the live page; a summary college asking the same filters right after a bump must
    get its own view (the latest entry is keyed by scope as the versioned one is)."""
    filters = _current()
    ars = full_scope(TERRITORY)
    usagers = AccessScope(1, "member", "usagers", frozenset(TERRITORY), (("teleconsultation", "summary"),))
    with app.test_request_context():
        detail = page_view("teleconsultation", scope=ars, filters=filters, options=None)
        bump("teleconsultation", [filters.period.start])
        summary = page_view("teleconsultation", scope=usagers, filters=filters, options=None)
        assert view_as_of() is None  # computed: there was no latest view for this scope
    assert summary is not detail and summary != detail
    assert getattr(detail, "sites_table", None) != getattr(summary, "sites_table", None)


def test_a_page_that_does_not_poll_is_never_served_old(app, live, computed):
    scope, filters = full_scope(TERRITORY), _current()
    options = VIEWS["programme"].options({}, filters)
    assert not VIEWS["programme"].live
    with app.test_request_context():
        page_view("programme", scope=scope, filters=filters, options=options)
        bump("programme")
        page_view("programme", scope=scope, filters=filters, options=options)
        assert view_as_of() is None
    assert computed == ["programme", "programme"]


def test_one_computation_per_version_however_many_polls_ask_at_once(app, live, computed, monkeypatch):
    """Past MAX_AGE, the first poll claims the computation; the others serve the latest view meanwhile instead of
    all recomputing at once (the claim is a cache `add`: shared through Redis by every instance)."""
    scope, filters = full_scope(TERRITORY), _current()
    with app.test_request_context():
        page_view("teleconsultation", scope=scope, filters=filters, options=None)
        bump("teleconsultation", [filters.period.start])
    live[0] += MAX_AGE + 1
    started, release = threading.Event(), threading.Event()
    spec = VIEWS["teleconsultation"]

    def slow(session, **kwargs):
        started.set()
        release.wait(10)
        return spec.compute(session, **kwargs)
    monkeypatch.setitem(VIEWS, "teleconsultation", dataclasses.replace(spec, compute=slow))

    def first():
        with app.test_request_context():
            page_view("teleconsultation", scope=scope, filters=filters, options=None)
    worker = threading.Thread(target=first)
    worker.start()
    assert started.wait(10)
    ages = []
    for _ in range(5):  # polls while the first computes: served the latest view, none computes
        with app.test_request_context():
            page_view("teleconsultation", scope=scope, filters=filters, options=None)
            ages.append(view_as_of())
    release.set()
    worker.join(10)
    assert computed == ["teleconsultation", "teleconsultation"]  # the first view, then the claimed one
    assert all(a is not None for a in ages)
    with app.test_request_context():  # the claimed computation is now the versioned entry: a plain hit
        page_view("teleconsultation", scope=scope, filters=filters, options=None)
        assert view_as_of() is None
    assert computed == ["teleconsultation", "teleconsultation"]


def test_a_failed_computation_releases_its_claim_and_a_view_older_than_a_claim_is_never_served(app, live,
                                                                                              monkeypatch):
    scope, filters = full_scope(TERRITORY), _current()
    with app.test_request_context():
        page_view("teleconsultation", scope=scope, filters=filters, options=None)
        bump("teleconsultation", [filters.period.start])
    live[0] += MAX_AGE + 1
    spec = VIEWS["teleconsultation"]

    def broken(session, **kwargs):
        raise RuntimeError("query failed")
    monkeypatch.setitem(VIEWS, "teleconsultation", dataclasses.replace(spec, compute=broken))
    with app.test_request_context(), pytest.raises(RuntimeError):
        page_view("teleconsultation", scope=scope, filters=filters, options=None)
    with app.test_request_context(), pytest.raises(RuntimeError):  # claim released: this poll computes again
        page_view("teleconsultation", scope=scope, filters=filters, options=None)
    monkeypatch.setitem(VIEWS, "teleconsultation", spec)
    live[0] += COMPUTE_CLAIM_SECONDS  # the latest view is now older than one claim: computed, never served
    with app.test_request_context():
        page_view("teleconsultation", scope=scope, filters=filters, options=None)
        assert view_as_of() is None


def test_the_live_page_says_when_its_figures_date_from(as_user, live):
    args = (["52", "54", "55"], None, None, None, None, 0)
    with as_user("ars@demo.e-meuse-sante.fr"):
        fresh = teleconsultation_cards(*args)[2]
        bump("teleconsultation")
        live[0] += 5
        served = teleconsultation_cards(*args)[2]
    assert fresh.startswith("Mis à jour à ")
    moment = datetime.fromtimestamp(live[0] - 5, PARIS).strftime("%H:%M:%S")
    assert served == f"Données de {moment} (heure de Paris)"
