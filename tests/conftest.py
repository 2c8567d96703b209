"""Fixtures: a real database (SQLite always, PostgreSQL when DATABASE_URL points at one) with demo data."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data import demo
from data.db import make_engine, make_session_factory, session_scope, upgrade

DEMO_END = date(2026, 10, 31)  # fixed, so demo figures are known
DEMO_YEARS = 2
TERRITORY = ("52", "54", "55")


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A throwaway database: a new PostgreSQL database when DATABASE_URL names a server, else SQLite."""
    pg = _postgres_url()
    if pg is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    admin_url = make_url(pg).set(database="postgres")
    name = f"emeuse_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_counts(engine) -> dict[str, int]:
    """The demo data set, generated once per test session."""
    with session_scope(make_session_factory(engine)) as session:
        return demo.generate(session, seed=demo.DEFAULT_SEED, end=DEMO_END, years=DEMO_YEARS,
                             departements=TERRITORY)


@pytest.fixture()
def db(engine, demo_counts):
    """A session on the demo database, rolled back after the test."""
    factory = make_session_factory(engine)
    session = factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture(scope="session")
def app(database_url, demo_counts):
    from app import create_app

    server = create_app({"database_url": database_url, "demo_on_first_start": False, "env": "test",
                         "secret_key": "test-secret-key-" + "x" * 32, "login_rate_limit": "1000 per minute",
                         # every view reflects the last change (tests/callbacks/test_live_views.py tests the delay)
                         "live_view_max_age_seconds": 0})
    server.config.update(TESTING=True)
    return server


@pytest.fixture()
def client(app) -> FlaskClient:
    return app.test_client()


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self) -> str:
        import re

        page = self.client.get("/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, email: str, password: str):
        return self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": self.csrf()})

    def logout(self):
        """Sign out as the navbar does: a POST with the page's CSRF token."""
        import re

        page = self.client.get("/logout").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.client.post("/logout", data={"csrf_token": token})

    def login_as(self, who: str):
        account = next(a for a in demo.demo_accounts() if a.email.startswith(who + "@"))
        return self.login(account.email, account.password)


@pytest.fixture()
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture(scope="session")
def streaming_replica():
    """Its own small PostgreSQL primary (wal_level=replica) on a free port of 5441–5449 with a database `emeuse`,
    and a streaming replica of it made by `pg_basebackup -R` on another, both torn down after the session
    (bench/replica.py; never a copy of a shared server). Skipped without PostgreSQL 15's server binaries, fatal
    in CI."""
    from bench import replica

    if not replica.available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL server binaries are required in CI ({replica.PG_BIN}: "
                        "apt-get install postgresql-15)")
        pytest.skip(f"PostgreSQL server binaries not installed ({replica.PG_BIN})")
    primary_port = replica.free_port()
    replica_port = replica.free_port(exclude=(primary_port,))
    clusters = []
    try:
        primary = replica.init_primary(replica.new_dir("emeuse-primary-"), primary_port)
        clusters.append(primary)
        admin = create_engine(primary.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "emeuse"'))
        standby = replica.start_replica(primary.url("emeuse"), replica.new_dir("emeuse-replica-"), replica_port)
        clusters.append(standby)
        replica.wait_until_streaming(admin)
        admin.dispose()
        yield SimpleNamespace(primary=primary, replica=standby, primary_url=primary.url("emeuse"),
                              replica_url=standby.url("emeuse"))
    finally:
        for cluster in reversed(clusters):
            cluster.remove()


def count_computations(monkeypatch, names: tuple[str, ...]) -> list[str]:
    """The names of the page views among `names` computed (not served from the cache) from now on in the test."""
    import dataclasses

    from data.views import VIEWS

    calls: list[str] = []
    for name in names:
        spec = VIEWS[name]

        def compute(session, *, _spec=spec, **kwargs):
            calls.append(_spec.name)
            return _spec.compute(session, **kwargs)
        monkeypatch.setitem(VIEWS, name, dataclasses.replace(spec, compute=compute))
    return calls
