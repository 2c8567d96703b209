"""One attacker (HTTP only) and one ledger per test module; a summary of the run is printed at the end."""
from __future__ import annotations

import time

import pytest

from tests.attacks.ledger import Ledger
from tests.attacks.oracle import Oracle
from tests.attacks.truth import Truth


@pytest.fixture(scope="module")
def oracle(app) -> Oracle:
    return Oracle(app)


@pytest.fixture(scope="module")
def ledger(engine, demo_counts) -> Ledger:
    return Ledger(Truth(engine))


@pytest.fixture(scope="module", autouse=True)
def run_summary(request, oracle, ledger):
    t0 = time.perf_counter()
    yield
    print(f"\n== {request.module.__name__}: {time.perf_counter() - t0:.1f} s, {oracle.requests} HTTP requests")
    for tactic in sorted(ledger.attacked):
        print(ledger.report(tactic))
