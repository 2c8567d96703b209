"""Several app instances behind HAProxy on loopback, sharing one PostgreSQL database and Redis.

    python -m bench.cluster --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        --redis redis://127.0.0.1:6379/14          # make cluster: demo data, then serves until Ctrl-C

Each instance is a gunicorn master ("app:create_app()", --preload) in its own process group on its own
port; HAProxy (deploy/haproxy.cfg, the file docker-compose.yml uses) balances them round robin with a
health check on GET /healthz and sends a request whose connection failed or got no answer again to the
other instance; one alerts/reports worker (`flask --app app worker`) runs beside them. `Cluster.kill(i)`
kills an instance's whole process group with SIGKILL (a host lost), `Cluster.restart(i)` starts it again
on the same port. Used by the load test (bench/loadtest.py), the failover run (bench/failover.py) and the
tests in tests/cluster/.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
BIN = Path(sys.executable).parent
# the ports this project's harness uses on loopback (instances 8171–8179, HAProxy and its stats page 8180–8189)
APP_PORTS = tuple(range(8171, 8180))
LB_PORT, STATS_PORT = 8180, 8181
# every instance of one harness signs and reads the same session cookies: one random key per run
# (or the environment's SECRET_KEY)
SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)


def haproxy_path() -> str | None:
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.path.exists(p)), None)


def port_free(port: int) -> bool:
    """Nobody listens on the port. Connections of a previous run left in TIME_WAIT do not count: gunicorn and
    HAProxy bind with SO_REUSEADDR, and so does this probe (a second run right after the first one is fine)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def get_status(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def wait_for(url: str, seconds: float = 90, *, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if get_status(url) == 200:
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}) before {url} answered")
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {seconds:.0f} s")


@dataclass
class Instance:
    name: str
    port: int
    proc: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """`instances` gunicorn instances, HAProxy in front, one worker; all on 127.0.0.1, stopped by stop()."""

    database_url: str
    redis_url: str | None
    instances: int = 2
    workers: int = 2  # gunicorn workers per instance
    threads: int = 1  # threads per worker (>1: gthread)
    worker_process: bool = True  # the alerts/reports worker, once
    env: dict[str, str] = field(default_factory=dict)  # extra settings for every process (LOGIN_RATE_LIMIT...)
    access_log: bool = False  # gunicorn access logs with the time taken (%(M)s ms) in log_dir
    app_ports: tuple[int, ...] = APP_PORTS
    lb_port: int = LB_PORT
    stats_port: int = STATS_PORT
    redis_prefix: str = field(default_factory=lambda: f"clus-{os.urandom(4).hex()}:")
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="emeuse-cluster-")))
    nodes: list[Instance] = field(default_factory=list)
    haproxy: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The load balancer: what users and feed sources talk to."""
        return f"http://127.0.0.1:{self.lb_port}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/"

    def process_env(self) -> dict[str, str]:
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": SECRET_KEY, "ENV": "development",
               "DEMO_ON_FIRST_START": "0", "PROXY_HOPS": "1", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "1",
               "WORKER_INTERVAL_SECONDS": "30", **self.env}
        env.pop("REDIS_URL", None)
        if self.redis_url:
            # a prefix of its own: another run (or stack) on the same Redis shares no version, entry or counter
            env["REDIS_URL"], env["REDIS_PREFIX"] = self.redis_url, self.redis_prefix
        return env

    def start(self) -> Cluster:
        if haproxy_path() is None:
            raise RuntimeError("haproxy not found (apt-get install haproxy)")
        if self.instances > min(len(self.app_ports), 9):
            raise ValueError("at most 9 instances")
        busy = [p for p in (*self.app_ports[:self.instances], self.lb_port, self.stats_port) if not port_free(p)]
        if busy:
            raise RuntimeError(f"ports already in use on 127.0.0.1: {busy}")
        self.nodes = [Instance(f"app{i + 1}", self.app_ports[i]) for i in range(self.instances)]
        try:
            for node in self.nodes:
                self._spawn(node)
            for node in self.nodes:
                wait_for(node.url + "/healthz", proc=node.proc)
            self._start_haproxy()
            self.wait_backends(up=len(self.nodes))
            if self.worker_process:
                log = (self.log_dir / "worker.log").open("ab")
                self.worker = subprocess.Popen([str(BIN / "flask"), "--app", "app", "worker"], cwd=ROOT,
                                               env=self.process_env(), stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, node: Instance) -> None:
        args = [str(BIN / "gunicorn"), "--workers", str(self.workers), "--bind", f"127.0.0.1:{node.port}",
                "--preload", "--log-level", "warning", "--forwarded-allow-ips", "127.0.0.1",
                "--graceful-timeout", "5"]
        if self.threads > 1:
            args += ["--threads", str(self.threads)]
        if self.access_log:
            args += ["--access-logfile", str(self.log_dir / f"{node.name}-access.log"), "--access-logformat",
                     '%(m)s %(U)s %(s)s %(M)s']
        log = (self.log_dir / f"{node.name}.log").open("ab")
        # its own process group: kill() takes the master and its workers down at once, like a lost host
        node.proc = subprocess.Popen([*args, "app:create_app()"], cwd=ROOT, env=self.process_env(), stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        node.starts += 1

    def _start_haproxy(self) -> None:
        env = {**os.environ, "LB_BIND": f"127.0.0.1:{self.lb_port}", "STATS_BIND": f"127.0.0.1:{self.stats_port}",
               "APP1_ADDR": f"127.0.0.1:{self.nodes[0].port}"}
        env.pop("APP2_ADDR", None)
        if len(self.nodes) > 1:
            env["APP2_ADDR"] = f"127.0.0.1:{self.nodes[1].port}"
        cfg = HAPROXY_CFG
        if len(self.nodes) > 2:  # the committed file names two servers; more are added to a copy
            extra = "".join(f"    server {n.name} 127.0.0.1:{n.port}\n" for n in self.nodes[2:])
            text = HAPROXY_CFG.read_text(encoding="utf-8").replace(".endif\n", ".endif\n" + extra, 1)
            cfg = self.log_dir / "haproxy.cfg"
            cfg.write_text(text, encoding="utf-8")
        log = (self.log_dir / "haproxy.log").open("ab")
        self.haproxy = subprocess.Popen([haproxy_path(), "-db", "-f", str(cfg)], env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.stats_url, 20, proc=self.haproxy)

    def server_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's figures for each server of the app backend (its stats page as CSV): status, stot..."""
        with urllib.request.urlopen(self.stats_url + ";csv", timeout=3) as r:
            rows = csv.DictReader(io.StringIO(r.read().decode().lstrip("# ")))
            return {row["svname"]: row for row in rows
                    if row["pxname"] == "app" and row["svname"] not in ("BACKEND", "FRONTEND")}

    def backends(self) -> dict[str, str]:
        """HAProxy's view of each server: name → UP / DOWN / ..."""
        return {name: row["status"] for name, row in self.server_stats().items()}

    def wait_backends(self, *, up: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if sum(s.startswith("UP") for s in self.backends().values()) == up:
                return
            time.sleep(0.2)
        raise RuntimeError(f"HAProxy does not see {up} servers up: {self.backends()}")

    def lb_summary(self) -> dict[str, int]:
        """HAProxy's answers ≥ 500 and its aborted requests by status and termination state (its log): e.g.
        `503 SC` no server up, `503 sQ` waited too long in the queue, `502 SH` the instance died answering;
        and `retried` (sent again, `+` when to another instance: redispatched) whatever their answer."""
        counts: dict[str, int] = {}
        path = self.log_dir / "haproxy.log"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []:
            parts = line.split()
            if len(parts) > 10 and parts[5].isdigit() and (int(parts[5]) >= 500 or parts[9][:1] in "CS"):
                key = f"{parts[5]} {parts[9][:2]}"
                counts[key] = counts.get(key, 0) + 1
            if len(parts) > 10 and parts[10].count("/") == 4 and parts[10].rsplit("/", 1)[1] not in ("0", "+0"):
                key = "redispatched" if parts[10].rsplit("/", 1)[1].startswith("+") else "retried"
                counts[key] = counts.get(key, 0) + 1
        return counts

    def lb_timers(self) -> dict[str, tuple[int, int]]:
        """p50 and p95 (ms) of HAProxy's timers over the requests it sent to an instance: Tw waiting in its
        queue for a free slot, Tc connecting, Tr the instance's time to answer headers, Ta the whole request."""
        values: dict[str, list[int]] = {"Tw": [], "Tc": [], "Tr": [], "Ta": []}
        path = self.log_dir / "haproxy.log"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []:
            parts = line.split()
            if len(parts) > 5 and parts[3].startswith("app/") and parts[4].count("/") == 4:
                for name, v in zip(("Tq", "Tw", "Tc", "Tr", "Ta"), parts[4].split("/"), strict=True):
                    if name in values and v.lstrip("+").isdigit():
                        values[name].append(int(v.lstrip("+")))
        return {k: (sorted(v)[len(v) // 2], sorted(v)[int(len(v) * 0.95)]) for k, v in values.items() if v}

    def kill(self, index: int) -> None:
        """SIGKILL the instance's master and workers at once (no graceful shutdown, in-flight requests cut)."""
        node = self.nodes[index]
        if node.proc is not None and node.proc.poll() is None:
            os.killpg(node.proc.pid, signal.SIGKILL)
            node.proc.wait(timeout=10)

    def restart(self, index: int, *, wait: bool = True) -> None:
        node = self.nodes[index]
        deadline = time.monotonic() + 10
        while not port_free(node.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        self._spawn(node)
        if wait:
            wait_for(node.url + "/healthz", proc=node.proc)

    def stop(self) -> None:
        procs = [n.proc for n in self.nodes] + [self.worker, self.haproxy]
        for proc in procs:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            if proc is not None:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def throwaway_database(postgres: str) -> tuple[str, Callable[[], None]]:
    """A new empty PostgreSQL database (clus_…) on the given server: (url, drop)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"clus_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(postgres).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(postgres).set(database=name).render_as_string(hide_password=False), drop


def demo_database(postgres: str) -> tuple[str, Callable[[], None]]:
    """A throwaway database with the load test's demo data (two years up to yesterday): (url, drop)."""
    from bench.loadtest import fill

    url, drop = throwaway_database(postgres)
    try:
        fill(url)
    except BaseException:
        drop()
        raise
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="PostgreSQL server (a throwaway clus_… database)")
    parser.add_argument("--redis", required=True,
                        help="Redis URL shared by the instances (keys under their own prefix)")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    url, drop = demo_database(args.postgres)
    cluster = Cluster(url, args.redis, instances=args.instances, workers=args.workers, threads=args.threads)
    try:
        cluster.start()
        print(f"load balancer {cluster.url} (stats {cluster.stats_url}); instances "
              + ", ".join(n.url for n in cluster.nodes) + f"; logs in {cluster.log_dir}; Ctrl-C stops")
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
        drop()


if __name__ == "__main__":
    main()
