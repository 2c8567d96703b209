"""Load test on loopback: gunicorn with several workers, simulated users, the feed simulator ingesting.

    python -m bench.loadtest --users 50 --workers 4 --rate 100 --seconds 90
    make loadtest                      # the same, SQLite; POSTGRES=postgresql+psycopg://... REDIS=redis://... for the
                                       # production engines (a throwaway database; Redis for cache and limits)

Everything listens on 127.0.0.1 and stops by itself after --seconds. Prints, per request kind, the
count, failures, median and 95th percentile (ms) and throughput, then the simulator's delivery.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIVE_PAGES = {"overview", "teleconsultation", "mobile", "biology", "feeds"}
PATHS = {"overview": "/", "teleconsultation": "/teleconsultation", "mobile": "/cabinets-mobiles",
         "biology": "/biologie", "workforce": "/professionnels", "coverage": "/couverture",
         "programme": "/programme", "feeds": "/flux"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, plan_path: Path) -> None:
    """Demo data up to yesterday, and the requests each page sends (written for the locust users)."""
    from app import create_app
    from bench.dashboard import page_requests
    from data import demo
    from data.db import make_engine, make_session_factory, session_scope, upgrade

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        demo.generate(session, end=date.today() - timedelta(days=1), live_tail=demo.LIVE_TAIL_EVENTS)
    engine.dispose()
    server = create_app({"database_url": url, "demo_on_first_start": False})
    bodies = page_requests(server.extensions["emeuse.dash"])
    accounts = [[a.email, a.password] for a in demo.demo_accounts() if a.role in ("admin", "ars")]
    plan = {"accounts": accounts,
            "pages": {p: {"path": PATHS[p], "body": b, "live": p in LIVE_PAGES} for p, b in bodies.items()}}
    plan_path.write_text(json.dumps(plan), encoding="utf-8")


def _wait_up(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz")


def report(stats_csv: Path) -> None:
    rows = list(csv.DictReader(stats_csv.open(encoding="utf-8")))
    print(f"{'request':34} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7}")
    for row in rows:
        print(f"{row['Name'][:34]:34} {int(row['Request Count']):7d} {int(row['Failure Count']):5d} "
              f"{float(row['50%']):7.0f} {float(row['95%']):7.0f} {float(row['Requests/s']):7.1f}")


def workers_rss(master_pid: int) -> None:
    """Resident memory of each gunicorn worker at the end of the run."""
    import psutil

    sizes = [p.memory_info().rss / 2**20 for p in psutil.Process(master_pid).children()]
    print("resident memory per worker: " + ", ".join(f"{s:.0f} MiB" for s in sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second sent by the simulator")
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--postgres", help="PostgreSQL server for a throwaway database (default: SQLite file)")
    parser.add_argument("--redis", help="Redis URL for the shared cache and rate limits")
    parser.add_argument("--batch-seconds", type=float, default=1.0,
                        help="simulator: events of each window sent as one batch per endpoint (0: one request each)")
    parser.add_argument("--locust", default=str(ROOT / ".venv-load" / "bin" / "locust"))
    args = parser.parse_args()
    if not Path(args.locust).exists():
        raise SystemExit(f"{args.locust} not found: make loadtest installs it (requirements-load.txt)")

    from bench.ingestion import _database

    work = Path(tempfile.mkdtemp(prefix="emeuse-load-"))
    url, drop = _database(args.postgres) if args.postgres else (f"sqlite:///{work / 'load.sqlite3'}", lambda: None)
    procs: list[subprocess.Popen] = []
    try:
        t0 = time.perf_counter()
        prepare(url, work / "plan.json")
        print(f"# data ready in {time.perf_counter() - t0:.0f} s; {args.users} users, {args.workers} gunicorn workers, "
              f"simulator {args.rate:g} events/s (batches every {args.batch_seconds:g} s), {args.seconds} s, "
              f"{os.cpu_count()} CPU, "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}{' + Redis' if args.redis else ''}")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-test-" + "k" * 40, "DEMO_ON_FIRST_START": "0",
               "LOGIN_RATE_LIMIT": "100000 per minute", "API_RATE_LIMIT": "1000000 per minute",
               "EMEUSE_LOAD_PLAN": str(work / "plan.json")}
        if args.redis:
            env["REDIS_URL"] = args.redis
        bin_dir = Path(sys.executable).parent
        procs.append(subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", str(args.workers), "--bind",
                                       f"127.0.0.1:{port}", "--preload", "--log-level", "warning", "app:create_app()"],
                                      cwd=ROOT, env=env))
        _wait_up(base)
        simulator = subprocess.Popen([str(bin_dir / "flask"), "--app", "app", "simulate", "--url", base, "--rate",
                                      str(args.rate), "--seconds", str(args.seconds), "--batch-seconds",
                                      str(args.batch_seconds)], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, text=True)
        procs.append(simulator)
        locust = subprocess.run([args.locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u",
                                 str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{args.seconds}s",
                                 "--host", base, "--csv", str(work / "load"), "--only-summary", "--loglevel",
                                 "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=args.seconds + 120)
        out, _ = simulator.communicate(timeout=args.seconds + 60)
        report(work / "load_stats.csv")
        workers_rss(procs[0].pid)
        print("simulator: " + (out.strip().splitlines() or ["no output"])[-1])
        if locust.returncode not in (0, 1):  # 1: some requests failed (reported above)
            print(locust.stderr[-2000:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
        drop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
