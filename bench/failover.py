"""Failover: users and the feed simulator through HAProxy while one app instance is killed (SIGKILL) and
restarted; nothing the simulator sent may be lost or stored twice.

    python -m bench.failover --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        --redis redis://127.0.0.1:6379/14      # make failover: 30 locust users, 60 s, kill at 20 s, back 10 s later

Prints the requests and errors of the users (all, and during the failover window: from the kill until
HAProxy sees the instance up again), then the events sent, stored, duplicated and lost, counted by event
id in the database at the end. tests/cluster/test_failover.py asserts the same property, shorter, with
plain HTTP users (`HttpUsers`) instead of locust.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.cluster import ROOT, Cluster, demo_database


@dataclass
class HttpUsers:
    """`count` signed-in users in threads, each opening a page then its callbacks, about one request a
    second each; every request's (time, ok) is kept."""

    base_url: str
    plan: dict
    count: int = 8
    results: list[tuple[float, bool, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _request(self, http: requests.Session, method: str, path: str, name: str, **kw) -> requests.Response | None:
        try:
            response = http.request(method, self.base_url + path, timeout=30, allow_redirects=False, **kw)
            ok = response.status_code < 400
        except requests.RequestException:
            response, ok = None, False
        self.results.append((time.monotonic(), ok, name))
        return response

    def _user(self, seed: int) -> None:
        rng = random.Random(seed)
        http = requests.Session()
        email, password = rng.choice(self.plan["accounts"])
        form = self._request(http, "GET", "/login", "GET /login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1) if form is not None else ""
        self._request(http, "POST", "/login", "POST /login",
                      data={"email": email, "password": password, "csrf_token": token})
        self._request(http, "GET", "/", "GET page")
        headers = {"X-CSRFToken": http.cookies.get("_csrf_token", "")}
        while not self._stop.is_set():
            page = rng.choice(list(self.plan["pages"]))
            spec = self.plan["pages"][page]
            self._request(http, "GET", spec["path"], "GET page")
            for kind in ("body", "figures"):
                if spec.get(kind):
                    self._request(http, "POST", "/_dash-update-component", f"callback {page}", json=spec[kind],
                                  headers=headers)
            self._stop.wait(rng.uniform(0.5, 1.5))

    def start(self) -> HttpUsers:
        for i in range(self.count):
            thread = threading.Thread(target=self._user, args=(i,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=40)

    def counts(self, start: float = 0.0, end: float = float("inf")) -> tuple[int, int]:
        """(requests, errors) answered between start and end (time.monotonic())."""
        rows = [ok for t, ok, _ in list(self.results) if start <= t <= end]
        return len(rows), rows.count(False)


@dataclass
class FailoverReport:
    requests: int
    errors: int
    window_requests: int
    window_errors: int
    window_seconds: float
    sent: int
    well_formed: int
    stored: int
    duplicated: int
    lost: int
    retried: int
    given_up: int
    statuses: dict
    backends_seen: set[str]
    killed_at: float  # time.monotonic() of the kill, and of HAProxy seeing every instance up again
    back_at: float

    def lines(self) -> list[str]:
        return [f"users: {self.requests} requests, {self.errors} errors; during the failover window "
                f"({self.window_seconds:.1f} s, kill → back up in HAProxy): {self.window_requests} requests, "
                f"{self.window_errors} errors",
                f"simulator: {self.sent} events sent ({self.well_formed} well-formed), {self.retried} batches "
                f"re-sent, {self.given_up} events given up; final HTTP statuses {self.statuses}",
                f"database: {self.stored} stored, {self.duplicated} duplicated, {self.lost} lost "
                f"(by event id); HAProxy states seen for app1: {sorted(self.backends_seen)}"]


def run_failover(cluster: Cluster, *, seconds: float, rate: float, kill_at: float, down_for: float,
                 users_counts, seed: int | None = None, malformed: float = 0.05,
                 paths: tuple[str, ...] | None = None) -> FailoverReport:
    """Simulator in batches through the load balancer for `seconds`; instance 0 SIGKILLed at `kill_at`,
    restarted `down_for` later. `users_counts(start, end)` gives the users' (requests, errors)."""
    from data import simulator
    from data.db import make_engine, make_session_factory, session_scope

    engine = make_engine(cluster.database_url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        keys = simulator.simulator_keys(session)
        world = simulator.World.load(session, seed=seed if seed is not None else time.time_ns() % 2**31)
    result: dict = {}
    feeder = threading.Thread(target=lambda: result.setdefault("d", simulator.run(
        base_url=cluster.url, keys=keys, world=world, rate=rate, seconds=seconds, malformed_share=malformed,
        batch_seconds=1.0, paths=paths, log=lambda _: None)), daemon=True)
    start = time.monotonic()
    feeder.start()
    seen: set[str] = set()
    time.sleep(max(0.0, start + kill_at - time.monotonic()))
    killed_at = time.monotonic()
    cluster.kill(0)
    while time.monotonic() < killed_at + down_for:
        seen.add(cluster.backends().get("app1", "?").split()[0])
        time.sleep(0.2)
    cluster.restart(0)
    cluster.wait_backends(up=len(cluster.nodes), seconds=30)
    back_at = time.monotonic()
    seen.add(cluster.backends().get("app1", "?").split()[0])
    feeder.join(timeout=seconds + 300)
    delivery: simulator.Delivery = result["d"]
    with session_scope(factory) as session:
        stored, duplicated, lost = simulator.stored_counts(session, delivery.well_formed)
    engine.dispose()
    requests_all, errors_all = users_counts(0.0, float("inf"))
    window_requests, window_errors = users_counts(killed_at, back_at)
    return FailoverReport(requests_all, errors_all, window_requests, window_errors, back_at - killed_at,
                          delivery.sent, len(delivery.well_formed), stored, duplicated, lost, delivery.retried,
                          delivery.given_up, {str(k): v for k, v in delivery.statuses.items()}, seen, killed_at,
                          back_at)


class LocustUsers:
    """Locust (headless, its own virtual environment) against the load balancer; counts from its per-second
    history CSV."""

    def __init__(self, locust: str, base_url: str, plan_path: Path, users: int, seconds: float, work: Path):
        self.csv = work / "failover"
        self.offset = time.time() - time.monotonic()  # locust writes wall-clock timestamps
        self.proc = subprocess.Popen(
            [locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users), "-r",
             str(max(1, users // 5)), "-t", f"{int(seconds)}s", "--host", base_url, "--csv", str(self.csv),
             "--csv-full-history", "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, "EMEUSE_LOAD_PLAN": str(plan_path)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout: float) -> None:
        self.proc.communicate(timeout=timeout)

    def counts(self, start: float, end: float) -> tuple[int, int]:
        rows = [r for r in csv.DictReader((self.csv.parent / (self.csv.name + "_stats_history.csv")).open())
                if r["Name"] == "Aggregated"]

        def at(moment: float) -> tuple[int, int]:
            last = (0, 0)
            for r in rows:
                if int(r["Timestamp"]) - self.offset > moment:
                    break
                last = (int(r["Total Request Count"]), int(r["Total Failure Count"]))
            return last

        if end == float("inf"):
            final = list(csv.DictReader((self.csv.parent / (self.csv.name + "_stats.csv")).open()))
            total = next(r for r in final if r["Name"] == "Aggregated")
            return int(total["Request Count"]), int(total["Failure Count"])
        (r0, f0), (r1, f1) = at(start), at(end + 1)
        return r1 - r0, f1 - f0


def main() -> None:
    import shutil
    import tempfile

    from bench.loadtest import LOAD_LIMITS, failures, write_plan

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=100, help="simulator events per second (1 s batches)")
    parser.add_argument("--kill-at", type=float, default=20)
    parser.add_argument("--down", type=float, default=10, help="seconds between the kill and the restart")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--locust", default=str(ROOT / ".venv-load" / "bin" / "locust"))
    args = parser.parse_args()
    if not Path(args.locust).exists():
        raise SystemExit(f"{args.locust} not found: make failover installs it (requirements-load.txt)")
    work = Path(tempfile.mkdtemp(prefix="emeuse-failover-"))
    url, drop = demo_database(args.postgres)
    cluster = Cluster(url, args.redis, workers=args.workers, env=LOAD_LIMITS)
    try:
        write_plan(url, work / "plan.json")
        cluster.start()
        print(f"# {args.users} locust users + simulator {args.rate:g} events/s through HAProxy {cluster.url}, "
              f"{args.seconds:g} s; app1 SIGKILLed at {args.kill_at:g} s, restarted {args.down:g} s later; "
              f"load {os.getloadavg()[0]:.2f}")
        users = LocustUsers(args.locust, cluster.url, work / "plan.json", args.users, args.seconds + 5, work)
        time.sleep(3)  # users signed in before the feed starts
        report = run_failover(cluster, seconds=args.seconds, rate=args.rate, kill_at=args.kill_at,
                              down_for=args.down, users_counts=lambda s, e: (0, 0))
        users.wait(timeout=args.seconds + 120)
        report.requests, report.errors = users.counts(0, float("inf"))
        report.window_requests, report.window_errors = users.counts(report.killed_at, report.back_at)
        print("\n".join(report.lines()))
        failures(work / "failover_failures.csv")
        print(f"HAProxy: answers ≥ 500 or aborted (status, termination state), requests sent again: "
              f"{cluster.lb_summary() or 'none'}")
        print(f"# load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; logs: {cluster.log_dir}")
    finally:
        cluster.stop()
        drop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
