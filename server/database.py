"""Database lifetime on the Flask side: one engine per app, one session per request."""
from __future__ import annotations

import logging
import os
import time

from flask import Flask, current_app, g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import demo
from data.db import make_engine, make_session_factory, session_scope, upgrade
from data.geography import fill_ring_if_empty
from data.models import SchemaInfo, User
from settings import Settings

log = logging.getLogger(__name__)


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    # gunicorn --preload forks workers after the app (and its pool) exists: a child must not reuse the
    # parent's connections; dispose(close=False) drops them from its pool without closing them for the parent.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    app.extensions["emeuse.engine"] = engine
    app.extensions["emeuse.sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    """The current request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["emeuse.sessions"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
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
