"""A local PostgreSQL streaming replica (pg_basebackup -R), for the tests and for operators' benchmarks.

    python -m bench.replica primary --port 5441 --dir /tmp/emeuse-primary     # a fresh primary cluster (optional)
    python -m bench.replica start --primary postgresql://postgres@127.0.0.1:5441/ --port 5442 --dir /tmp/emeuse-replica
    python -m bench.replica stop --dir /tmp/emeuse-replica                     # and --remove to delete it

`start` copies the given primary with `pg_basebackup -R -X stream` (the primary must accept a replication
connection from this host: `wal_level=replica`, a `replication` line in its pg_hba.conf) into a new cluster
listening on 127.0.0.1:PORT, and starts it as a hot standby; it prints the DATABASE_READ_URL to use.
Run as root, the clusters belong to the `postgres` user (`runuser -u postgres --`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PORTS = range(5441, 5450)  # this project's test clusters (never the shared 5432)


def available() -> bool:
    return all((PG_BIN / tool).exists() for tool in ("initdb", "pg_basebackup", "pg_ctl", "postgres"))


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str]) -> None:
    done = subprocess.run(_as_owner(cmd), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def free_port(exclude: tuple[int, ...] = ()) -> int:
    """A port of PORTS nobody listens on."""
    for port in PORTS:
        if port in exclude:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}–{PORTS.stop - 1}")


def new_dir(prefix: str) -> Path:
    """An empty directory the cluster's owner can use (pytest's tmp dirs are private to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    path.chmod(0o700)
    return path


@dataclass(frozen=True)
class Cluster:
    datadir: Path
    port: int

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> Cluster:
        opts = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1"
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.datadir / "server.log"), "-w",
              "-t", "60", "-o", opts, "start"])
        return self

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            _run([str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)


def init_primary(datadir: Path, port: int) -> Cluster:
    """A new cluster that streams its WAL to replicas (wal_level=replica, replication allowed from 127.0.0.1)."""
    _run([str(PG_BIN / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
          "--locale=C.UTF-8"])
    with open(datadir / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# e-Meuse Santé local primary (bench/replica.py)\nwal_level = replica\nmax_wal_senders = 5\n"
                   "wal_keep_size = 256MB\nfsync = off\nsynchronous_commit = on\nshared_buffers = 32MB\n")
    with open(datadir / "pg_hba.conf", "a", encoding="utf-8") as hba:
        hba.write("host replication postgres 127.0.0.1/32 trust\n")
    return Cluster(datadir, port).start()


def start_replica(primary_url: str, datadir: Path, port: int) -> Cluster:
    """Copy the primary (pg_basebackup -R writes standby.signal and primary_conninfo), start it as a hot standby."""
    url = make_url(primary_url)
    cmd = [str(PG_BIN / "pg_basebackup"), "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
           "-U", url.username or "postgres", "-D", str(datadir), "-R", "-X", "stream", "-c", "fast"]
    env_password = url.password
    if env_password:
        os.environ["PGPASSWORD"] = str(env_password)
    _run(cmd)
    with open(datadir / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# e-Meuse Santé local replica (bench/replica.py)\nhot_standby = on\n"
                   "hot_standby_feedback = on\nmax_standby_streaming_delay = 30s\n")
    return Cluster(datadir, port).start()


def wait_until_streaming(primary_engine, timeout: float = 30.0) -> None:
    """Until the primary sees a replica in `streaming` state."""
    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with primary_engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")).scalar():
                return
        time.sleep(0.1)
    raise RuntimeError("the replica never reached the streaming state")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("primary", help="initialise and start a new primary cluster")
    p.add_argument("--port", type=int, default=5441)
    p.add_argument("--dir", type=Path, required=True)
    r = sub.add_parser("start", help="pg_basebackup a primary into a new replica and start it")
    r.add_argument("--primary", required=True, help="postgresql://user@host:port/ of the primary")
    r.add_argument("--port", type=int, default=5442)
    r.add_argument("--dir", type=Path, required=True)
    s = sub.add_parser("stop", help="stop a cluster started here")
    s.add_argument("--dir", type=Path, required=True)
    s.add_argument("--remove", action="store_true", help="and delete its directory")
    args = parser.parse_args(argv)
    if not available():
        parser.exit(2, f"PostgreSQL 15 server binaries not found in {PG_BIN} (apt-get install postgresql-15)\n")
    if args.command == "stop":
        cluster = Cluster(args.dir, 0)
        cluster.remove() if args.remove else cluster.stop()
        print(f"stopped {args.dir}")
        return
    if args.dir.exists() and any(args.dir.iterdir()):
        parser.exit(2, f"{args.dir} is not empty\n")
    args.dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(args.dir, "postgres", "postgres")
    args.dir.chmod(0o700)
    if args.command == "primary":
        cluster = init_primary(args.dir, args.port)
        print(f"primary on 127.0.0.1:{args.port} ({args.dir}); DATABASE_URL={cluster.url('emeuse')} "
              f"after `createdb -h 127.0.0.1 -p {args.port} -U postgres emeuse`")
        return
    cluster = start_replica(args.primary, args.dir, args.port)
    database = make_url(args.primary).database or "emeuse"
    print(f"replica of {make_url(args.primary).render_as_string()} on 127.0.0.1:{args.port} ({args.dir})")
    print(f"DATABASE_READ_URL={cluster.url(database)}")


if __name__ == "__main__":
    main()
