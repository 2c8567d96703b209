"""Ingestion throughput through the API vs a bare SQLAlchemy bulk insert of the same rows.

    python -m bench.ingestion                      # SQLite (temporary file)
    python -m bench.ingestion --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python -m bench.ingestion --postgres … --pg-schema both --postgres-only   # partitioned (event_key) vs plain

Prints one line per measurement (events/second) and the ratios computed from the same run.
The API is driven in-process through Flask's test client (no network), so the figures are the
application's own cost: authentication, JSON parsing, validation, idempotent insert, rollups,
feed statistics, commit.
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from data import admin, demo
from data.db import make_engine, make_session_factory, session_scope, upgrade
from data.ingestion import rows as ingestion_rows
from data.ingestion import schemas
from data.ingestion.examples import json_examples
from data.models import FeedSource, TeleconsultationSession

REPEATS = 3


def _items(n: int) -> list[dict]:
    base = json_examples()["teleconsultation/sessions"]
    return [{**base, "event_id": f"B-{uuid.uuid4().hex}"} for _ in range(n)]


def _database(url: str | None) -> tuple[str, callable]:
    if url is None:
        path = tempfile.mkdtemp() + "/bench.sqlite3"
        return f"sqlite:///{path}", lambda: None
    name = f"emeuse_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def run(url: str, label: str, total: int, revision: str = "head") -> dict[str, float]:
    from app import create_app

    engine = make_engine(url)
    upgrade(engine, revision)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        demo.generate(s, end=date(2026, 10, 31), years=1, departements=("55",))
        source = admin.create_source(s, actor=None, name="bench", feed_kind="teleconsultation")
        key = admin.issue_key(s, actor=None, source_id=source.id)
    server = create_app({"database_url": url, "demo_on_first_start": False, "env": "test",
                         "api_rate_limit": "1000000 per minute"})
    client = server.test_client()
    headers = {"X-API-Key": key}
    figures: dict[str, float] = {}

    def timed(name: str, batch: int) -> None:
        requests = max(1, total // batch)
        rates = []
        for _ in range(REPEATS):
            payloads = [_items(batch) for _ in range(requests)]
            start = time.perf_counter()
            for body in payloads:
                r = client.post("/api/v1/teleconsultation/sessions", json=body if batch > 1 else body[0],
                                headers=headers)
                assert r.status_code == 201, r.get_data(as_text=True)[:300]
            rates.append(requests * batch / (time.perf_counter() - start))
        figures[name] = statistics.median(rates)
        print(f"{label:10} {name:28} {requests * batch:6d} events  {figures[name]:10.0f} events/s "
              f"(median of {REPEATS})")

    timed("api single event", 1)
    timed("api batch of 100", 100)
    timed("api batch of 1000", 1000)

    # the same kind of rows, already validated and mapped, inserted bare (batches of 1000, one commit each)
    rates = []
    for _ in range(REPEATS):
        with factory() as s:
            src = s.get(FeedSource, source.id)
            ctx = ingestion_rows.Context(s, src, received_at=datetime.now())
            rows = [ingestion_rows.teleconsultation_row(ctx, schemas.TeleconsultationSessionIn.model_validate(item))
                    for item in _items(total)]
        start = time.perf_counter()
        for i in range(0, len(rows), 1000):
            with engine.begin() as conn:
                conn.execute(insert(TeleconsultationSession), rows[i:i + 1000])
        rates.append(len(rows) / (time.perf_counter() - start))
    figures["bare bulk insert (1000)"] = statistics.median(rates)
    print(f"{label:10} {'bare bulk insert (1000/tx)':28} {len(rows):6d} rows    "
          f"{figures['bare bulk insert (1000)']:10.0f} rows/s (median of {REPEATS})")
    for name in ("api single event", "api batch of 100", "api batch of 1000"):
        print(f"{label:10} ratio {name} / bare bulk insert = {figures[name] / figures['bare bulk insert (1000)']:.2f}")
    engine.dispose()
    return figures


def run_on_new_database(server_url: str | None, label: str, total: int, revision: str = "head") -> None:
    """Measure on a throwaway database (SQLite file, or a new database on `server_url`), then drop it."""
    url, drop = _database(server_url)
    try:
        run(url, label, total, revision)
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="PostgreSQL server URL (a throwaway database is created on it)")
    parser.add_argument("--events", type=int, default=5000, help="events per measurement")
    parser.add_argument("--postgres-only", action="store_true", help="with --postgres: skip the SQLite run")
    parser.add_argument("--pg-schema", choices=("partitioned", "unpartitioned", "both"), default="partitioned",
                        help="with --postgres: event tables partitioned by month (head, keys in event_key) or "
                             "plain (revision 0012), or both")
    args = parser.parse_args()
    schemas_ = {"partitioned": [("postgresql", "head")], "unpartitioned": [("pg-plain", "0012")],
                "both": [("postgresql", "head"), ("pg-plain", "0012")]}[args.pg_schema]
    targets = ([] if args.postgres_only else [("sqlite", None, "head")]) + (
        [(label, args.postgres, revision) for label, revision in schemas_] if args.postgres else [])
    for engine_label, server_url, revision in targets:
        # a process per engine, each with the one app Dash supports per process
        child = multiprocessing.get_context("spawn").Process(target=run_on_new_database,
                                                             args=(server_url, engine_label, args.events, revision))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(child.exitcode)


if __name__ == "__main__":
    main()
