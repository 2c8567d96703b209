"""Database lifetime on the Flask side: one engine per app, one session per request.

With `DATABASE_READ_URL` (a streaming replica of `DATABASE_URL`) a second engine serves the dashboard's
reads: `view_session(lsn)` is the replica's session of the request once the replica has replayed `lsn`
(waiting at most `REPLICA_WAIT_SECONDS`), else the primary's. Everything that writes (ingestion, admin,
audit, sessions, alert state, report claims) and everything not computed by a page view uses `db_session()`.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from data import demo, replication
from data.db import make_engine, make_session_factory, session_scope, upgrade
from data.geography import fill_ring_if_empty
from data.models import SchemaInfo, User
from settings import Settings

log = logging.getLogger(__name__)


def init_app(app: Flask, settings: Settings) -> None:
    engines = [make_engine(settings.database_url)]
    app.extensions["emeuse.engine"] = engines[0]
    app.extensions["emeuse.sessions"] = make_session_factory(engines[0])
    if settings.database_read_url:
        engines.append(make_engine(settings.database_read_url))
        app.extensions["emeuse.read_engine"] = engines[1]
        app.extensions["emeuse.read_sessions"] = make_session_factory(engines[1])
    # gunicorn --preload forks workers after the app (and its pool) exists: a child must not reuse the
    # parent's connections; dispose(close=False) drops them from its pool without closing them for the parent.
    os.register_at_fork(after_in_child=lambda: [e.dispose(close=False) for e in engines])
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    """The current request's session on the primary, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["emeuse.sessions"]()
    return g.db_session


def has_replica(app: Flask | None = None) -> bool:
    return "emeuse.read_sessions" in (app or current_app).extensions


def replica_session() -> Session | None:
    """The current request's session on the replica (None without DATABASE_READ_URL); read only."""
    factory = current_app.extensions.get("emeuse.read_sessions")
    if factory is None:
        return None
    if "read_session" not in g:
        g.read_session = factory()
    return g.read_session


def primary_lsn() -> int | None:
    """The primary's WAL position now (None without a replica: nobody needs it), on a pooled connection."""
    if not has_replica():
        return None
    with current_app.extensions["emeuse.sessions"]() as session:
        return replication.current_lsn(session)


def view_session(lsn: int | None) -> Session:
    """Where to compute a page view whose cache key claims the data of WAL position `lsn` (None: unknown, so the
    primary's position now): the replica once it has replayed it, else — replica behind or down — the primary."""
    replica = replica_session()
    if replica is None:
        return db_session()
    try:
        required = lsn if lsn is not None else replication.current_lsn(db_session())
        if replication.wait_for_replay(replica, required,
                                       timeout=current_app.config["EMEUSE_SETTINGS"].replica_wait_seconds):
            return replica
    except (OperationalError, DBAPIError) as exc:
        log.warning("replica unavailable, reading the primary: %s", type(exc).__name__)
        g.pop("read_session").close()
    return db_session()


def _caught_up_replica(app: Flask) -> Session | None:
    """A new replica session that has replayed everything the primary had committed when asked (else None)."""
    factory = app.extensions.get("emeuse.read_sessions")
    if factory is None:
        return None
    with app.extensions["emeuse.sessions"]() as primary:
        lsn = replication.current_lsn(primary)
    replica = factory()
    try:
        if replication.wait_for_replay(replica, lsn, timeout=app.config["EMEUSE_SETTINGS"].replica_wait_seconds):
            return replica
    except (OperationalError, DBAPIError) as exc:
        log.warning("replica unavailable, reading the primary: %s", type(exc).__name__)
    replica.close()
    return None


@contextmanager
def reader(app: Flask) -> Iterator[Session]:
    """A session for a long read outside page views (a report's content): the replica once it has replayed what
    the primary had committed at the start, else the primary; its own session, closed after (never written)."""
    session = _caught_up_replica(app) or app.extensions["emeuse.sessions"]()
    try:
        yield session
    finally:
        session.close()


def _close_session(_exc: BaseException | None) -> None:
    for name in ("db_session", "read_session"):
        session = g.pop(name, None)
        if session is not None:
            session.close()


def prepare_database(app: Flask, settings: Settings) -> bool:
    """Migrate, then fill an empty database with demo data if allowed (`python app.py`, `flask init-db`); True if so."""
    engine = app.extensions["emeuse.engine"]
    upgrade(engine)
    with session_scope(app.extensions["emeuse.sessions"]) as session:
        fill_ring_if_empty(session, departements=settings.departements, geo_dir=settings.geo_dir)
    if not settings.demo_on_first_start:
        return False
    with session_scope(app.extensions["emeuse.sessions"]) as session:
        has_users = session.scalar(select(func.count()).select_from(User))
        if has_users or session.get(SchemaInfo, "demo") is not None:
            return False
        t0 = time.perf_counter()
        counts = demo.generate(session, seed=settings.demo_seed, years=settings.demo_years,
                               departements=settings.departements, live_tail=demo.LIVE_TAIL_EVENTS)
    log.warning("demo data generated in %.1f s (%d teleconsultation sessions)",
                time.perf_counter() - t0, counts.get("teleconsultation_session", 0))
    return True
