"""The feed simulator in batch mode, against the app served over real HTTP on loopback."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from data import simulator
from data.models import BiologyResult, DeviceStatus, RejectedPayload, TeleconsultationSession, VehiclePosition


@pytest.fixture()
def served(app):
    server = make_server("127.0.0.1", 0, app.server if hasattr(app, "server") else app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


TABLES = (TeleconsultationSession, BiologyResult, DeviceStatus, VehiclePosition)


def _counts(db) -> tuple[int, int]:
    """(events stored, payloads rejected)."""
    db.expire_all()
    stored = sum(db.scalar(select(func.count()).select_from(t)) for t in TABLES)
    return stored, db.scalar(select(func.count()).select_from(RejectedPayload))


def test_batches_deliver_the_rate_and_lose_nothing(served, db, api_keys):
    world = simulator.World.load(db, seed=11)
    before = _counts(db)
    delivery = simulator.run(base_url=served, keys=api_keys, world=world, rate=60, seconds=1.0,
                             malformed_share=0.2, batch_seconds=0.5, log=lambda _: None)
    statuses, sent = delivery.statuses, delivery.sent
    assert sent == 60  # two windows of 30 events
    assert set(statuses) <= {201, 207, 422} and sum(statuses.values()) <= 2 * len(simulator.GENERATORS)
    stored, rejected = (a - b for a, b in zip(_counts(db), before, strict=True))
    assert stored + rejected == sent and rejected > 0  # each event stored or kept as a reject: none lost


# teleconsultation sessions only: device reports stamped now would end the demo devices' silence other tests
# rely on (the demo data ends in October)
ONLY_SESSIONS = ("teleconsultation/sessions",)


def _first_answer_lost(wsgi_app, *, processed: bool):
    """The first request of each endpoint answered 503: after its events were stored (`processed`, the
    answer lost on the way back) or before (an instance going down)."""
    seen: set[str] = set()

    def middleware(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/api/") or path in seen:
            return wsgi_app(environ, start_response)
        seen.add(path)
        if processed:
            for _chunk in wsgi_app(environ, lambda *a, **k: None):
                pass
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"lost"]
    return middleware


@pytest.mark.parametrize("processed", [False, True], ids=["refused", "answer-lost"])
def test_unanswered_batches_are_sent_again_with_the_same_ids_and_stored_once(app, db, api_keys, processed):
    server = make_server("127.0.0.1", 0, _first_answer_lost(app.wsgi_app, processed=processed), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        world = simulator.World.load(db, seed=12 + processed)
        delivery = simulator.run(base_url=f"http://127.0.0.1:{server.server_port}", keys=api_keys, world=world,
                                 rate=40, seconds=1.0, malformed_share=0.0, batch_seconds=0.5, retries=3,
                                 paths=ONLY_SESSIONS, log=lambda _: None)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert delivery.retried == 1 and delivery.given_up == 0  # one endpoint, its first batch sent again
    db.expire_all()
    stored, duplicated, lost = simulator.stored_counts(db, delivery.well_formed)
    assert (stored, duplicated, lost) == (delivery.sent, 0, 0)


def test_a_batch_never_answered_is_given_up_after_the_retries():
    import socket

    with socket.socket() as s:  # a port nobody listens on: every try is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    world = simulator.World(sites=["S"], devices=[("D", "Afinion 2")], units=["U"], communes=["55001"])
    delivery = simulator.run(base_url=f"http://127.0.0.1:{port}", keys=dict.fromkeys(("teleconsultation",
                             "biology", "mobile"), "k"), world=world, rate=8, seconds=0.5, malformed_share=0.0,
                             batch_seconds=0.5, retries=2, log=lambda _: None)
    assert delivery.given_up == delivery.sent > 0 and delivery.statuses[None] == delivery.requests // 3
    assert delivery.requests == 3 * sum(delivery.statuses.values())  # one try and two retries each
