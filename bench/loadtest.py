"""Load test on loopback: app instances (gunicorn) behind HAProxy, locust users, the feed simulator ingesting.

    python -m bench.loadtest --users 50 --workers 4 --rate 100 --seconds 90
    make loadtest                      # the same, SQLite; POSTGRES=postgresql+psycopg://... REDIS=redis://... for the
                                       # production engines (a throwaway database; Redis for cache and limits)
    make loadtest INSTANCES=2 USERS=200 LOAD_RATE=500 POSTGRES=... REDIS=...   # two instances (bench/cluster.py)

Everything listens on 127.0.0.1 and stops by itself after --seconds. Prints, per request kind, the
count, failures, median, 95th and 99th percentiles (ms) and throughput seen by the users, the time the
same kinds spent inside gunicorn (access log), the simulator's delivery (sent, stored, duplicated, lost by
event id) and the load average; when the aggregated p95 passes 300 ms, where app1's workers spend it
(py-spy, mid-run).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIVE_PAGES = {"overview", "teleconsultation", "mobile", "biology", "feeds"}
PATHS = {"overview": "/", "teleconsultation": "/teleconsultation", "mobile": "/cabinets-mobiles",
         "biology": "/biologie", "workforce": "/professionnels", "coverage": "/couverture",
         "programme": "/programme", "feeds": "/flux"}


def fill(url: str) -> None:
    """Demo data up to yesterday (two years), and the live tail of a first start."""
    from data import demo
    from data.db import make_engine, make_session_factory, session_scope, upgrade

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        demo.generate(session, end=date.today() - timedelta(days=1), live_tail=demo.LIVE_TAIL_EVENTS)
    engine.dispose()


def write_plan(url: str, plan_path: Path) -> None:
    """The requests each page sends (its cards callback, then its figures callback), for the locust users."""
    from app import create_app
    from bench.dashboard import page_requests
    from data import demo

    server = create_app({"database_url": url, "demo_on_first_start": False})
    cards, figures = page_requests(server.extensions["emeuse.dash"])
    accounts = [[a.email, a.password] for a in demo.demo_accounts() if a.role in ("admin", "ars")]
    plan = {"accounts": accounts,
            "pages": {p: {"path": PATHS[p], "body": b, "figures": figures.get(p), "live": p in LIVE_PAGES}
                      for p, b in cards.items()}}
    plan_path.write_text(json.dumps(plan), encoding="utf-8")


def report(stats_csv: Path) -> None:
    rows = list(csv.DictReader(stats_csv.open(encoding="utf-8")))
    print(f"{'request (client side, through HAProxy)':40} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'req/s':>7}")
    for row in rows:
        print(f"{row['Name'][:40]:40} {int(row['Request Count']):7d} {int(row['Failure Count']):5d} "
              f"{float(row['50%']):7.0f} {float(row['95%']):7.0f} {float(row['99%']):7.0f} "
              f"{float(row['Requests/s']):7.1f}")


# every simulated user signs in from 127.0.0.1: the per-address sign-in limit would stop all but ten a minute
LOAD_LIMITS = {"LOGIN_RATE_LIMIT": "100000 per minute", "API_RATE_LIMIT": "1000000 per minute"}


def failures(failures_csv: Path, top: int = 8) -> None:
    """The users' failed requests by kind and error (locust's failures file)."""
    if not failures_csv.exists():
        return
    rows = sorted(csv.DictReader(failures_csv.open(encoding="utf-8")), key=lambda r: -int(r["Occurrences"]))
    for row in rows[:top]:
        print(f"  failed: {row['Occurrences']:>6} × {row['Method']} {row['Name']}: {row['Error'][:90]}")


def _kind(method: str, path: str) -> str:
    if path.startswith("/api/"):
        return f"{method} /api/v1/… (feeds)"
    if path.startswith(("/_dash-update-component", "/_dash-layout", "/login")):
        return f"{method} {path}"
    if path.startswith(("/_dash-component-suites", "/assets", "/geo")):
        return f"{method} static"
    return f"{method} page"


def server_times(log_dir: Path) -> None:
    """Time spent inside gunicorn per request kind (its access log, %(M)s ms): beside the client's figures,
    the difference is time waiting (HAProxy queue, gunicorn backlog) rather than working."""
    times: dict[str, list[float]] = {}
    for log in sorted(log_dir.glob("app*-access.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[3].isdigit():
                times.setdefault(_kind(parts[0], parts[1]), []).append(float(parts[3]))
    print(f"{'request (server side, gunicorn)':40} {'count':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for kind, values in sorted(times.items()):
        values.sort()
        print(f"{kind[:40]:40} {len(values):7d} {values[len(values) // 2]:7.0f} "
              f"{values[int(len(values) * 0.95)]:7.0f} {values[-1]:7.0f}")


def profile(pids: list[int], seconds: int, out: Path) -> subprocess.Popen | None:
    """py-spy record (raw collapsed stacks, idle included: waiting on the database counts) of each worker."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("# py-spy not installed (requirements-bench.txt): no profile")
        return None
    return [subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50",
                              "--idle", "--nonblocking", "--format", "raw", "--output", str(out) + f".{pid}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in pids]


def profile_report(out: Path, top: int = 18) -> None:
    """Share of the time spent serving requests, per function (inclusive), from py-spy's collapsed stacks."""
    inclusive: dict[str, int] = {}
    total = 0
    for path in out.parent.glob(out.name + ".*"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if "handle_request" not in stack or not count.isdigit():
                continue  # a worker waiting for a connection
            total += int(count)
            for frame in set(stack.split(";")):
                inclusive[frame] = inclusive.get(frame, 0) + int(count)
    if not total:
        print("# profile: no samples")
        return
    print(f"# where a worker's request time goes (py-spy, {total} samples inside requests; inclusive share):")
    keep = [(n, f) for f, n in inclusive.items() if any(k in f for k in (
        "(callbacks/", "(data/", "(server/", "(components/", "(pages/", "psycopg/cursor.py", "(app.py",
        "flask_caching", "redis/connection.py", "orjson", "flask_compress", "dash/dash.py", "plotly"))]
    for n, frame in sorted(keep, reverse=True)[:top]:
        print(f"  {100 * n / total:5.1f} %  {frame[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--instances", type=int, default=1, help="app instances behind HAProxy")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (>1: gthread)")
    parser.add_argument("--rate", type=float, default=100.0, help="events per second sent by the simulator")
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--postgres", help="PostgreSQL server for a throwaway database (default: SQLite file)")
    parser.add_argument("--redis", help="Redis URL for the shared cache and rate limits")
    parser.add_argument("--spawn-rate", type=float, default=0,
                        help="users started per second (default users/40: 200 users sign in over 40 s; each sign-in "
                             "is a deliberate scrypt hash)")
    parser.add_argument("--batch-seconds", type=float, default=1.0,
                        help="simulator: events of each window sent as one batch per endpoint (0: one request each)")
    parser.add_argument("--profile", type=int, default=20,
                        help="seconds of py-spy on app1's workers mid-run when p95 passes 300 ms (0: never)")
    parser.add_argument("--steady", action="store_true",
                        help="figures from the moment every user has signed in (locust --reset-stats): the steady "
                             "state, without the sign-in ramp's scrypt hashes")
    parser.add_argument("--locust", default=str(ROOT / ".venv-load" / "bin" / "locust"))
    args = parser.parse_args()
    if not Path(args.locust).exists():
        raise SystemExit(f"{args.locust} not found: make loadtest installs it (requirements-load.txt)")
    if args.instances > 1 and not (args.postgres and args.redis):
        raise SystemExit("several instances share PostgreSQL and Redis: give --postgres and --redis")

    import psutil

    from bench.cluster import Cluster, throwaway_database
    from data import simulator
    from data.db import make_engine, make_session_factory, session_scope

    work = Path(tempfile.mkdtemp(prefix="emeuse-load-"))
    url, drop = (throwaway_database(args.postgres) if args.postgres
                 else (f"sqlite:///{work / 'load.sqlite3'}", lambda: None))
    cluster = Cluster(url, args.redis, instances=args.instances, workers=args.workers, threads=args.threads,
                      access_log=True, log_dir=work,
                      env=LOAD_LIMITS)
    spies = None
    try:
        t0 = time.perf_counter()
        fill(url)
        write_plan(url, work / "plan.json")
        print(f"# data ready in {time.perf_counter() - t0:.0f} s; {args.users} users through HAProxy, "
              f"{args.instances} instance(s) × {args.workers} gunicorn workers × {args.threads} thread(s), "
              f"simulator {args.rate:g} events/s (batches every {args.batch_seconds:g} s), {args.seconds} s, "
              f"{os.cpu_count()} CPU, {'PostgreSQL' if args.postgres else 'SQLite'}"
              f"{' + Redis' if args.redis else ''}; load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
              f"{'; figures after the ramp (steady state)' if args.steady else ''}")
        cluster.start()
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as session:
            keys = simulator.simulator_keys(session)
            world = simulator.World.load(session)
        result: dict = {}
        feeder = threading.Thread(target=lambda: result.setdefault("d", simulator.run(
            base_url=cluster.url, keys=keys, world=world, rate=args.rate, seconds=args.seconds,
            batch_seconds=args.batch_seconds, log=lambda _: None)), daemon=True)
        env = {**os.environ, "EMEUSE_LOAD_PLAN": str(work / "plan.json")}
        spawn = args.spawn_rate or max(1, args.users // 40)
        locust = subprocess.Popen([args.locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u",
                                   str(args.users), "-r", str(spawn), "-t", f"{args.seconds}s",
                                   "--host", cluster.url, "--csv", str(work / "load"), "--only-summary",
                                   "--loglevel", "WARNING", *(["--reset-stats"] if args.steady else [])],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        feeder.start()
        if args.profile:
            time.sleep(min(args.seconds / 2, 30))  # users ramped up
            pids = [p.pid for p in psutil.Process(cluster.nodes[0].proc.pid).children()]
            spies = profile(pids, args.profile, work / "profile")
        _, errors = locust.communicate(timeout=args.seconds + 180)
        feeder.join(timeout=args.seconds + 300)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        report(work / "load_stats.csv")
        failures(work / "load_failures.csv")
        print(f"HAProxy: answers ≥ 500 or aborted (status, termination state), requests sent again: "
              f"{cluster.lb_summary() or 'none'}")
        print("HAProxy timers p50/p95 ms (Tw queue, Tc connect, Tr instance answer, Ta total): "
              + ", ".join(f"{k} {a}/{b}" for k, (a, b) in cluster.lb_timers().items()))
        server_times(work)
        for node in cluster.nodes:
            sizes = [p.memory_info().rss / 2**20 for p in psutil.Process(node.proc.pid).children()]
            print(f"{node.name}: resident memory per worker " + ", ".join(f"{s:.0f} MiB" for s in sizes))
        delivery: simulator.Delivery = result["d"]
        with session_scope(make_session_factory(engine)) as session:
            stored, duplicated, lost = simulator.stored_counts(session, delivery.well_formed)
        engine.dispose()
        print("simulator: " + delivery.summary(args.seconds))
        print(f"simulator delivery: {len(delivery.well_formed)} well-formed events sent, {stored} stored, "
              f"{duplicated} duplicated, {lost} lost (by event id)")
        print(f"# load average at the end (1, 5, 15 min): {load}")
        rows = {r["Name"]: r for r in csv.DictReader((work / "load_stats.csv").open(encoding="utf-8"))}
        p95 = float(rows.get("Aggregated", {}).get("95%", 0) or 0)
        if spies:
            for spy in spies:
                spy.wait(timeout=args.profile + 60)
            if p95 > 300:
                profile_report(work / "profile")
            else:
                print(f"# aggregated p95 {p95:.0f} ms ≤ 300 ms: profile not shown")
        if locust.returncode not in (0, 1):  # 1: some requests failed (reported above)
            print(errors[-2000:])
    finally:
        cluster.stop()
        drop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
