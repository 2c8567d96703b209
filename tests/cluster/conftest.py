"""Real app instances (gunicorn) behind HAProxy on loopback, sharing the test database and Redis
(bench/cluster.py). PostgreSQL only (SQLite is one file on one host); skipped without haproxy or Redis
outside CI, where their absence is an error. TEST_REDIS_URL (default redis://127.0.0.1:6379/13) names
the Redis database; each cluster keeps its keys under its own prefix."""
from __future__ import annotations

import os
import socket

import pytest

from bench.cluster import Cluster, haproxy_path
from tests.conftest import _postgres_url

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the cluster tests: .ci/run installs haproxy and starts Redis)")
    pytest.skip(reason)


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start_cluster(database_url: str, **kw) -> Cluster:
    if _postgres_url() is None:
        pytest.skip("several instances share PostgreSQL: DATABASE_URL=postgresql+psycopg://...")
    if haproxy_path() is None:
        _unavailable("haproxy is not installed")
    if not _redis_up():
        _unavailable(f"Redis does not answer at {REDIS_URL}")
    *apps, lb, stats = free_ports(4)
    return Cluster(database_url, REDIS_URL, app_ports=tuple(apps), lb_port=lb, stats_port=stats, **kw).start()
