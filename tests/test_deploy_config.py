"""The deployment files: docker-compose.yml (read as YAML, and by `docker compose config` when available)
and deploy/haproxy.cfg (checked by `haproxy -c` when installed; CI installs it)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
REQUIRED_ENV = {"SECRET_KEY": "k" * 40, "SECRECY_KEY": "s" * 40, "POSTGRES_PASSWORD": "p", "SMTP_HOST": "mail",
                "PUBLIC_BASE_URL": "https://example.fr", "REPLICATION_PASSWORD": "r"}


def test_two_app_instances_behind_the_load_balancer_and_nothing_else_published():
    apps = [name for name, s in SERVICES.items() if "gunicorn" in " ".join(s.get("command", []))]
    assert sorted(apps) == ["app1", "app2"]
    lb = SERVICES["lb"]
    assert {"APP1_ADDR": "app1:8000", "APP2_ADDR": "app2:8000"}.items() <= lb["environment"].items()
    assert any(v.startswith("./deploy/haproxy.cfg:") for v in lb["volumes"])
    published = {name for name, s in SERVICES.items() if s.get("ports")}
    assert published == {"lb"} and all(p.startswith("127.0.0.1:") for p in lb["ports"])


def test_instances_share_the_database_and_redis_and_start_after_one_migration():
    envs = [SERVICES[name]["environment"] for name in ("app1", "app2", "worker")]
    for key in ("DATABASE_URL", "DATABASE_READ_URL", "REDIS_URL", "SECRET_KEY", "SECRECY_KEY"):
        assert len({env[key] for env in envs}) == 1, key  # one value for every process
    assert "init-db" in SERVICES["migrate"]["command"]
    for name in ("app1", "app2", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "init-db" not in " ".join(SERVICES[name]["command"])


def test_one_worker_and_the_replica_only_with_its_profile():
    workers = [name for name, s in SERVICES.items() if s.get("command") == ["flask", "--app", "app", "worker"]]
    assert workers == ["worker"] and "deploy" not in SERVICES["worker"]
    profiled = {name: s["profiles"] for name, s in SERVICES.items() if "profiles" in s}
    assert profiled == {"db-replica": ["replica"]}
    script = (ROOT / "deploy" / "postgres" / "replica-entrypoint.sh").read_text(encoding="utf-8")
    assert "pg_basebackup" in script and " -R " in script


def _compose() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.parametrize("profiles", ["", "replica"])
def test_docker_compose_accepts_the_file(profiles):
    compose = _compose()
    if compose is None:
        pytest.skip("neither `docker compose` nor docker-compose installed")
    env = {**os.environ, **REQUIRED_ENV, "COMPOSE_PROFILES": profiles}
    result = subprocess.run([*compose, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], env=env,
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("second", [True, False], ids=["two-instances", "one-instance"])
def test_haproxy_accepts_its_configuration(tmp_path, second):
    from bench.cluster import haproxy_path

    if haproxy_path() is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is required in CI (.ci/run installs it)")
        pytest.skip("haproxy not installed")
    env = {**os.environ, "LB_BIND": "127.0.0.1:65080", "STATS_BIND": "127.0.0.1:65404", "APP1_ADDR": "127.0.0.1:1"}
    env.pop("APP2_ADDR", None)
    if second:
        env["APP2_ADDR"] = "127.0.0.1:2"
    result = subprocess.run([haproxy_path(), "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")], env=env,
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr
