"""Page views on a streaming replica while events arrive: where each view was computed, how long it waited, the lag.

    python -m bench.replica_load --seconds 30 --rate 20 --wait 0.25

Starts its own primary and replica (bench/replica.py, ports 5441–5449), fills one month of demo data, then for
SECONDS: one thread posts RATE teleconsultation sessions per second (one request each, yesterday's month) through
the app's ingestion API, one thread asks the current month's teleconsultation page view in a loop (each ingestion
changes its key: a fresh computation), one samples the replica's lag. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from bench import replica as rep


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) >= 2 else (values[0] if values else 0.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20, help="ingestion requests per second")
    parser.add_argument("--wait", type=float, default=0.25, help="REPLICA_WAIT_SECONDS")
    args = parser.parse_args(argv)
    if not rep.available():
        parser.exit(2, "PostgreSQL 15 server binaries not found\n")
    from app import create_app
    from data import admin, demo, replication
    from data.access import full_scope
    from data.db import make_engine, make_session_factory, session_scope, upgrade
    from data.filters import Filters
    from server import database
    from server.cache import page_view

    p_port = rep.free_port()
    r_port = rep.free_port(exclude=(p_port,))
    clusters = []
    try:
        primary = rep.init_primary(rep.new_dir("emeuse-bench-primary-"), p_port)
        clusters.append(primary)
        admin_engine = create_engine(primary.url(), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text('CREATE DATABASE "emeuse"'))
        standby = rep.start_replica(primary.url("emeuse"), rep.new_dir("emeuse-bench-replica-"), r_port)
        clusters.append(standby)
        rep.wait_until_streaming(admin_engine)
        admin_engine.dispose()
        engine = make_engine(primary.url("emeuse"))
        upgrade(engine)
        yesterday = date.today() - timedelta(days=1)
        with session_scope(make_session_factory(engine)) as session:
            demo.generate(session, end=yesterday.replace(day=1) - timedelta(days=1), years=0,
                          departements=("52", "54", "55"))
            source = admin.create_source(session, actor=None, name="Banc réplique", feed_kind="teleconsultation")
            key = admin.issue_key(session, actor=None, source_id=source.id)
        engine.dispose()
        app = create_app({"database_url": primary.url("emeuse"), "database_read_url": standby.url("emeuse"),
                          "demo_on_first_start": False, "env": "test", "secret_key": "bench-" + "x" * 40,
                          "replica_wait_seconds": args.wait, "api_rate_limit": "100000 per minute"})
        replica_engine = app.extensions["emeuse.read_engine"]
        where: list[tuple[str, float]] = []
        original = database.view_session

        def timed_view_session(lsn):
            t0 = time.perf_counter()
            session = original(lsn)
            where.append(("replica" if session.get_bind() is replica_engine else "primary",
                          time.perf_counter() - t0))
            return session
        database.view_session = timed_view_session
        stop = threading.Event()
        sent, lags, views = [0], [], [0]
        started = datetime.combine(yesterday, dtime(10, 0), ZoneInfo("Europe/Paris")).isoformat()

        def ingest():
            client = app.test_client()
            while not stop.is_set():
                t0 = time.perf_counter()
                client.post("/api/v1/teleconsultation/sessions", headers={"X-API-Key": key}, json={
                    "event_id": f"BENCH-{uuid.uuid4().hex}", "site_code": "EHPAD-55-BLANPAIN", "started_at": started,
                    "duration_min": 20, "specialty": "geriatrie", "requester_type": "infirmier",
                    "patient_age_band": "85+", "patient_commune": "55029", "status": "completed",
                    "outcome": "follow_up"})
                sent[0] += 1
                time.sleep(max(0.0, 1 / args.rate - (time.perf_counter() - t0)))

        def read():
            scope = full_scope(("52", "54", "55"))
            filters = Filters((), yesterday.replace(day=1), yesterday.replace(day=1), date.today())
            while not stop.is_set():
                with app.test_request_context():
                    page_view("teleconsultation", scope=scope, filters=filters, options=None, exact=True)
                views[0] += 1

        def sample():
            factory_p, factory_r = app.extensions["emeuse.sessions"], app.extensions["emeuse.read_sessions"]
            while not stop.is_set():
                with factory_p() as p, factory_r() as r:
                    lag = replication.replication_lag(p, r)
                lags.append((lag.bytes, lag.seconds))
                time.sleep(0.1)

        threads = [threading.Thread(target=f, daemon=True) for f in (ingest, read, sample)]
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        database.view_session = original
        on_replica = [w for s, w in where if s == "replica"]
        on_primary = [w for s, w in where if s == "primary"]
        lag_bytes = [b for b, _ in lags]
        lag_seconds = [s for _, s in lags]
        print(f"{args.seconds:.0f} s, {sent[0]} ingestion requests ({sent[0] / args.seconds:.1f}/s), "
              f"REPLICA_WAIT_SECONDS={args.wait}")
        print(f"page views asked {views[0]}, computed {len(where)} (cache hits {views[0] - len(where)}): "
              f"{len(on_replica)} on the replica, {len(on_primary)} on the primary (replica behind after the wait)")
        if on_replica:
            print(f"  wait before a replica computation: median {statistics.median(on_replica) * 1000:.1f} ms, "
                  f"p95 {_pct(on_replica, 95) * 1000:.1f} ms")
        if lags:
            print(f"replica lag ({len(lags)} samples): bytes median {statistics.median(lag_bytes):.0f}, "
                  f"p95 {_pct(lag_bytes, 95):.0f}, max {max(lag_bytes)}; seconds median "
                  f"{statistics.median(lag_seconds):.3f}, p95 {_pct(lag_seconds, 95):.3f}, max {max(lag_seconds):.3f}")
        for name in ("emeuse.engine", "emeuse.read_engine"):
            app.extensions[name].dispose()
    finally:
        for cluster in reversed(clusters):
            cluster.remove()


if __name__ == "__main__":
    main()
