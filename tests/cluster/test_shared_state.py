"""Two app instances (A, B) behind HAProxy share their state through PostgreSQL and Redis: a session opened
on A is valid on B (and its sign-out on B ends it on A), an ingestion through A refreshes B's cached
views, and sign-in limits and lockouts count the attempts made on both."""
from __future__ import annotations

import json
import random
import re
import time
import uuid

import pytest
import requests

from bench.dashboard import page_requests
from data import admin, demo, simulator
from data.db import make_session_factory, session_scope
from tests.cluster.conftest import start_cluster
from tests.conftest import _postgres_url

pytestmark = pytest.mark.skipif(_postgres_url() is None,
                                reason="several instances share PostgreSQL: DATABASE_URL=postgresql+psycopg://...")

LOGIN_LIMIT = 6  # sign-in attempts per minute and address, counted in Redis
LIVE_MAX_AGE = 3  # seconds a live view may be served old (LIVE_VIEW_MAX_AGE_SECONDS, 10 by default)


@pytest.fixture(scope="module")
def cluster(database_url, demo_counts, tmp_path_factory):
    # one gunicorn worker per instance: what a per-process cache or counter would hold is one instance's
    c = start_cluster(database_url, workers=1, worker_process=False, log_dir=tmp_path_factory.mktemp("cluster"),
                      env={"LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
                           "LIVE_VIEW_MAX_AGE_SECONDS": str(LIVE_MAX_AGE)})
    yield c
    c.stop()


def _admin_account() -> tuple[str, str]:
    account = next(a for a in demo.demo_accounts() if a.role == "admin")
    return account.email, account.password


def _csrf(http: requests.Session, base: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', http.get(base + "/login").text).group(1)


def _sign_in(http: requests.Session, base: str, email: str, password: str, *, ip: str | None = None,
             token: str | None = None) -> int:
    headers = {"X-Forwarded-For": ip} if ip else {}
    response = http.post(base + "/login", data={"email": email, "password": password,
                                                "csrf_token": token or _csrf(http, base)},
                         headers=headers, allow_redirects=False)
    return response.status_code


def test_a_session_opened_on_one_instance_is_valid_on_the_other(cluster):
    a, b = (n.url for n in cluster.nodes)
    http = requests.Session()
    assert _sign_in(http, a, *_admin_account()) == 302
    assert http.get(b + "/flux", allow_redirects=False).status_code == 200
    copied = requests.Session()
    copied.cookies.update(http.cookies)  # the same cookie, kept after the sign-out below
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(b + "/logout").text).group(1)
    assert http.post(b + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302
    # signed out on B: the server-side session is revoked for A too
    response = copied.get(a + "/flux", allow_redirects=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _quality_row(http: requests.Session, base: str, body: dict, source: str) -> list[str]:
    response = http.post(base + "/_dash-update-component", json=body,
                         headers={"X-CSRFToken": http.cookies.get("_csrf_token", "")})
    assert response.status_code == 200
    tables = re.findall(r'"rows":(\[\[.*?\]\])', response.text)
    rows = [row for t in tables for row in json.loads(t) if row and row[0] == source]
    assert rows, f"{source} not in the feeds tables"
    return rows[0]


def test_an_ingestion_through_one_instance_refreshes_the_other_instances_views(cluster, app, engine):
    a, b = (n.url for n in cluster.nodes)
    name = f"Passerelle grappe {uuid.uuid4().hex[:6]}"
    with session_scope(make_session_factory(engine)) as session:
        source = admin.create_source(session, actor=None, name=name, feed_kind="teleconsultation")
        key = admin.issue_key(session, actor=None, source_id=source.id)
        world = simulator.World.load(session, seed=random.randrange(2**31))
    _cards, figures = page_requests(app.extensions["emeuse.dash"])
    http = requests.Session()
    assert _sign_in(http, b, *_admin_account()) == 302

    def send(count: int) -> None:
        events = [simulator.teleconsultation(world, i) for i in range(count)]
        status = simulator.post(a + "/api/v1/teleconsultation/sessions", key, {"events": events})
        assert status == 201

    send(3)
    first = _quality_row(http, b, figures["feeds"], name)
    assert _quality_row(http, b, figures["feeds"], name) == first  # B's cached view, unchanged
    sent = time.monotonic()
    send(4)  # through A: the version it bumps is read by B
    # /flux is a live page: B may serve its view computed before the batch for LIVE_MAX_AGE seconds, no longer
    seen = [(time.monotonic() - sent, int(_quality_row(http, b, figures["feeds"], name)[2]))]
    while seen[-1][1] != int(first[2]) + 4 and seen[-1][0] < LIVE_MAX_AGE + 5:
        time.sleep(0.25)
        seen.append((time.monotonic() - sent, int(_quality_row(http, b, figures["feeds"], name)[2])))
    assert seen[-1][1] == int(first[2]) + 4, seen
    assert all(count in (int(first[2]), int(first[2]) + 4) for _, count in seen), seen


def test_sign_in_attempts_on_both_instances_count_against_one_limit(cluster):
    a, b = (n.url for n in cluster.nodes)
    ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    http = requests.Session()
    token = _csrf(http, a)
    statuses = [_sign_in(http, (a, b)[i % 2], f"inconnu{i}-{uuid.uuid4().hex[:6]}@example.fr", "faux", ip=ip,
                         token=token) for i in range(LOGIN_LIMIT + 2)]
    # each instance alone saw 4 attempts, under the limit; together they passed it
    assert statuses == [401] * LOGIN_LIMIT + [429, 429]


def test_failures_on_both_instances_add_up_to_a_lockout(cluster):
    a, b = (n.url for n in cluster.nodes)
    email, password = _admin_account()
    ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    http = requests.Session()
    token = _csrf(http, a)
    failures = [_sign_in(http, base, email, "mauvais mot de passe", ip=ip, token=token) for base in (a, a, a, b, b)]
    assert failures == [401] * 5
    locked = http.post(a + "/login", data={"email": email, "password": password, "csrf_token": token},
                       headers={"X-Forwarded-For": ip}, allow_redirects=False)
    assert locked.status_code == 429 and "checs de connexion pour ce compte" in locked.text
    # the right password from another address still signs in: the lockout is per (account, address)
    assert _sign_in(requests.Session(), b, email, password) == 302


def test_the_load_balancer_sends_requests_to_both_instances(cluster):
    before = {name: int(row["stot"]) for name, row in cluster.server_stats().items()}
    for _ in range(6):
        assert requests.get(cluster.url + "/healthz", timeout=5).status_code == 200
    after = {name: int(row["stot"]) for name, row in cluster.server_stats().items()}
    assert set(after) == {"app1", "app2"}
    assert all(after[name] - before[name] == 3 for name in after)  # round robin
