"""A real streaming replica (tests/conftest.py `streaming_replica`): dashboard reads go to it, writes to the
primary, a cached page never claims a version its data does not have, and /flux shows the lag."""
from __future__ import annotations

import re
import time as pytime
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from data import admin, demo
from data.access import AccessScope, full_scope
from data.db import make_engine, make_session_factory, session_scope, upgrade
from data.filters import Filters, add_months
from server.cache import bump, page_view

TERRITORY = ("52", "54", "55")
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def replicated(streaming_replica):
    """An app on the local primary with DATABASE_READ_URL on its replica, one month of demo data, an API key."""
    from app import create_app

    engine = make_engine(streaming_replica.primary_url)
    upgrade(engine)
    last_month_end = (date.today() - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    with session_scope(make_session_factory(engine)) as session:  # the month before yesterday's
        demo.generate(session, seed=demo.DEFAULT_SEED, end=last_month_end, years=0, departements=TERRITORY)
        source = admin.create_source(session, actor=None, name="Réplique TC", feed_kind="teleconsultation")
        key = admin.issue_key(session, actor=None, source_id=source.id)
    engine.dispose()
    app = create_app({"database_url": streaming_replica.primary_url,
                      "database_read_url": streaming_replica.replica_url, "demo_on_first_start": False,
                      "env": "test", "secret_key": "test-secret-key-" + "x" * 32, "replica_wait_seconds": 0.25,
                      "login_rate_limit": "1000 per minute",
                      # exact versions: what a key claims is tested here (the live pages' delay in test_live_views)
                      "live_view_max_age_seconds": 0})
    app.config.update(TESTING=True)
    yield app, key
    for name in ("emeuse.engine", "emeuse.read_engine"):
        app.extensions[name].dispose()


@pytest.fixture()
def replay(streaming_replica):
    """Pause / resume WAL replay on the replica (resumed after the test whatever happens)."""
    engine = make_engine(streaming_replica.replica_url)

    def call(function: str) -> None:
        with engine.connect() as conn:
            conn.execute(text(f"SELECT {function}()"))
            conn.commit()

    yield call
    call("pg_wal_replay_resume")
    engine.dispose()


def _filters() -> Filters:
    """The demo's month and yesterday's."""
    yesterday = date.today() - timedelta(days=1)
    return Filters((), add_months(yesterday, -1), yesterday.replace(day=1), date.today())


def _completed(view) -> int:
    card = next(s for s in view.stats if s.key == "tc-completed")
    return int(re.sub(r"\D", "", card.value))


def _session(client, key: str) -> None:
    started = datetime.combine(date.today() - timedelta(days=1), time(10, 0), PARIS)
    response = client.post("/api/v1/teleconsultation/sessions", headers={"X-API-Key": key}, json={
        "event_id": f"REPL-{uuid.uuid4().hex[:10]}", "site_code": "EHPAD-55-BLANPAIN",
        "started_at": started.isoformat(), "duration_min": 20, "specialty": "geriatrie",
        "requester_type": "infirmier", "patient_age_band": "85+", "patient_commune": "55029", "status": "completed",
        "outcome": "follow_up"})
    assert response.status_code == 201, response.get_data(as_text=True)


def _server(session) -> tuple[int, bool]:
    return tuple(session.execute(text("SELECT inet_server_port(), pg_is_in_recovery()")).one())


def _scope(role: str):
    """Detail on everything (a new role: a cache key of its own, the same figures)."""
    base = full_scope(TERRITORY)
    return AccessScope(None, role, None, base.departements, base.levels)


def test_views_are_read_on_the_replica_and_writes_go_to_the_primary(replicated, streaming_replica, replay):
    app, _ = replicated
    with app.test_request_context():
        from server.database import db_session, primary_lsn, view_session

        bump("teleconsultation")  # as an ingestion does: the version records the primary's WAL position
        assert _server(db_session()) == (streaming_replica.primary.port, False)
        assert _server(view_session(primary_lsn())) == (streaming_replica.replica.port, True)
        before = _completed(page_view("teleconsultation", scope=_scope("admin"), filters=_filters(), options=None))
    # replay paused: a completed session written behind the cache's back (no version bump) reaches the primary
    # only; a view asked under a new key (claiming nothing newer) is computed on the replica, without it
    replay("pg_wal_replay_pause")
    with app.test_request_context():
        from server.database import db_session

        session = db_session()
        site = session.execute(text("SELECT id FROM site WHERE code = 'EHPAD-55-BLANPAIN'")).scalar()
        session.execute(text(
            "INSERT INTO rollup_teleconsultation_daily (day, site_id, specialty, status, sessions, minutes, "
            "patients_75_plus) VALUES (:d, :s, 'zz-replica', 'completed', 1, 20, 1)"),
            {"s": site, "d": date.today() - timedelta(days=1)})
        session.commit()
        primary = _completed(page_view("teleconsultation", scope=_scope("ars"), filters=_filters(), options=None,
                                       session=db_session()))
    with app.test_request_context():
        replica = _completed(page_view("teleconsultation", scope=_scope("member"), filters=_filters(),
                                       options=None))
    replay("pg_wal_replay_resume")
    with app.test_request_context():
        from server.database import db_session

        db_session().execute(text("DELETE FROM rollup_teleconsultation_daily WHERE specialty = 'zz-replica'"))
        db_session().commit()
    assert (before, primary, replica) == (before, before + 1, before)


def test_a_lagging_replica_never_serves_an_old_figure_under_a_new_version(replicated, replay):
    """The attack: replay paused, an event ingested (committed on the primary, version bumped), then the page: its
    new cache key claims the event, so the figure must count it (the replica is behind: read the primary)."""
    app, key = replicated
    scope = full_scope(TERRITORY)
    client = app.test_client()
    with app.test_request_context():
        before = _completed(page_view("teleconsultation", scope=scope, filters=_filters(), options=None))
    replay("pg_wal_replay_pause")
    _session(client, key)
    with app.test_request_context():
        during = _completed(page_view("teleconsultation", scope=scope, filters=_filters(), options=None))
    assert during == before + 1
    replay("pg_wal_replay_resume")
    with app.test_request_context():  # the entry stored under the new key is the right one
        assert _completed(page_view("teleconsultation", scope=scope, filters=_filters(), options=None)) == during


def _feeds_line(app) -> str:
    from flask_login import login_user

    from callbacks.feeds import feeds_cards
    from data.users import get_by_email
    from server.auth import LoginUser
    from server.database import db_session

    with app.test_request_context("/_dash-update-component", method="POST"):
        login_user(LoginUser(get_by_email(db_session(), email="admin@demo.e-meuse-sante.fr")))
        line = feeds_cards(0)[3]
    return line.children


def _caught_up_line(app) -> str:
    """The line once the replica has replayed everything (background WAL — autovacuum, checkpoints — may keep it
    a few bytes behind for a moment)."""
    for _ in range(200):
        line = _feeds_line(app)
        if "à jour" in line:
            return line
        pytime.sleep(0.05)
    return line


def test_flux_shows_the_replication_lag(replicated, replay):
    app, key = replicated
    assert _caught_up_line(app) == "Réplique de lecture à jour (retard : 0 octet, 0 s)."
    replay("pg_wal_replay_pause")
    _session(app.test_client(), key)
    behind = _feeds_line(app)
    assert re.fullmatch(r"Réplique de lecture : retard de \d[\d\u202f,]* (octets|ko|Mo) de journal \(WAL\) non "
                        r"rejoué, \d+,\d s[.—].*", behind), behind
    replay("pg_wal_replay_resume")
    assert _caught_up_line(app) == "Réplique de lecture à jour (retard : 0 octet, 0 s)."


def test_reports_read_their_content_on_a_replica_that_has_caught_up(replicated, streaming_replica, replay):
    """A report's content (server/database.py `reader`) is read on the replica once it has replayed everything
    committed before the report started, else on the primary."""
    from server.database import reader

    app, key = replicated
    with app.app_context(), reader(app) as session:
        assert _server(session) == (streaming_replica.replica.port, True)
    replay("pg_wal_replay_pause")
    _session(app.test_client(), key)
    with app.app_context(), reader(app) as session:
        assert _server(session) == (streaming_replica.primary.port, False)


def test_a_replica_down_is_skipped(replicated, streaming_replica):
    """Replica stopped: views are computed on the primary, and /flux says the replica cannot be reached."""
    app, _ = replicated
    streaming_replica.replica.stop()
    try:
        with app.test_request_context():
            from server.database import view_session

            assert _server(view_session(0)) == (streaming_replica.primary.port, False)
        with app.test_request_context():
            view = page_view("teleconsultation", scope=_scope("replica-down"), filters=_filters(), options=None)
        assert _completed(view) > 0
        assert _feeds_line(app).startswith("Réplique de lecture injoignable")
    finally:
        streaming_replica.replica.start()
