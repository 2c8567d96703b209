"""Failover: users and the feed simulator through HAProxy while one instance is killed with SIGKILL and
restarted. The simulator re-sends unanswered batches with the same event ids: nothing lost, nothing
stored twice (counted by event id in the database). Bounded: about a minute."""
from __future__ import annotations

import pytest

from bench.dashboard import page_requests
from bench.failover import HttpUsers, run_failover
from bench.loadtest import PATHS
from data import demo
from tests.cluster.conftest import start_cluster
from tests.conftest import _postgres_url

pytestmark = pytest.mark.skipif(_postgres_url() is None,
                                reason="several instances share PostgreSQL: DATABASE_URL=postgresql+psycopg://...")


@pytest.fixture(scope="module")
def cluster(database_url, demo_counts, tmp_path_factory):
    # no alerts/reports worker here: it would queue and try mails in the database later tests read
    c = start_cluster(database_url, workers=2, worker_process=False, log_dir=tmp_path_factory.mktemp("cluster"))
    yield c
    c.stop()


def test_killing_an_instance_mid_run_loses_and_duplicates_no_event(cluster, app):
    cards, figures = page_requests(app.extensions["emeuse.dash"])
    plan = {"accounts": [[a.email, a.password] for a in demo.demo_accounts() if a.role in ("admin", "ars")],
            "pages": {p: {"path": PATHS[p], "body": b, "figures": figures.get(p)} for p, b in cards.items()
                      if p in ("overview", "feeds", "biology")}}
    users = HttpUsers(cluster.url, plan, count=6).start()
    try:
        # teleconsultation sessions only: device reports stamped now would end the silence of demo devices
        # that later tests (alerts) rely on
        report = run_failover(cluster, seconds=20, rate=30, kill_at=6, down_for=4, users_counts=users.counts,
                              paths=("teleconsultation/sessions",))
    finally:
        users.stop()
    requests_all, errors_all = users.counts()
    print("\n".join(report.lines()))
    assert cluster.nodes[0].starts == 2 and "DOWN" in report.backends_seen  # killed, seen down, back
    assert report.sent == 20 * 30 and report.well_formed > 0
    assert report.lost == 0 and report.duplicated == 0 and report.stored == report.well_formed
    assert report.given_up == 0
    assert requests_all > 0
