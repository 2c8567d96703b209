"""Feed simulator: realistic live events for every feed, with a share of malformed ones.

`flask --app app simulate --url http://127.0.0.1:8050 --rate 20 --seconds 60` posts them to a
running instance (loopback), so the dashboard is visibly live and the feed-health view shows rejects.
"""
from __future__ import annotations

import http.client
import json
import math
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Commune, Device, MobileUnit, Site, VehiclePosition
from data.terminology import AGE_BANDS, BIOLOGY_TESTS, REQUESTER_TYPES, SPECIALTIES

MALFORMATIONS: list[tuple[str, Callable[[dict], dict]]] = [
    ("no time zone", lambda e: {**e, **{k: v[:19] for k, v in e.items() if k.endswith("_at") and v}}),
    ("unknown field", lambda e: {**e, "commentaire": "saisie libre"}),
    ("missing field", lambda e: {k: v for k, v in e.items() if k != next(iter(k for k in e if k != "event_id"))}),
    ("future", lambda e: {**e, **{k: (datetime.now(UTC) + timedelta(days=3)).isoformat()
                                  for k in e if k.endswith("_at") and e[k]}}),
    ("bad code", lambda e: {**e, **{k: "???" for k in ("specialty", "loinc", "qc_status", "unit_code") if k in e}}),
]


@dataclass
class World:
    """What the events may refer to: read once from the database."""

    sites: list[str]
    devices: list[tuple[str, str]]  # (serial, model)
    units: list[str]
    communes: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    # where each vehicle was last seen (unit code → lat, lon): a new position is a short move from it
    whereabouts: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, seed: int = 7) -> World:
        return cls(sites=list(session.scalars(select(Site.code).where(Site.teleconsultation.is_(True)))),
                   devices=[(serial, model) for serial, model in session.execute(select(Device.serial, Device.model))],
                   units=list(session.scalars(select(MobileUnit.code))),
                   communes=list(session.scalars(select(Commune.insee))), rng=random.Random(seed),
                   whereabouts=_last_positions(session))


def _last_positions(session: Session) -> dict[str, tuple[float, float]]:
    vp = VehiclePosition
    latest = select(vp.unit_id, func.max(vp.recorded_at).label("at")).group_by(vp.unit_id).subquery()
    rows = session.execute(select(MobileUnit.code, vp.lat, vp.lon).join(vp, vp.unit_id == MobileUnit.id)
                           .join(latest, (latest.c.unit_id == vp.unit_id) & (latest.c.at == vp.recorded_at))).all()
    return {code: (lat, lon) for code, lat, lon in rows}


def _now(minutes_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).replace(microsecond=0).isoformat()


def teleconsultation(w: World, n: int) -> dict:
    r = w.rng
    status = r.choices(["completed", "cancelled", "no_show", "technical_failure"], [88, 5, 3, 4])[0]
    done = status == "completed"
    return {"event_id": f"SIM-TC-{n}-{r.getrandbits(32):08x}", "site_code": r.choice(w.sites), "started_at": _now(60),
            "duration_min": r.randint(8, 45) if done else None, "specialty": r.choice(list(SPECIALTIES)),
            "requester_type": r.choice(REQUESTER_TYPES), "patient_age_band": r.choice(AGE_BANDS),
            "patient_commune": r.choice(w.communes), "status": status,
            "outcome": r.choice(["resolved", "follow_up", "referral", "emergency_transfer"]) if done else None}


def biology(w: World, n: int) -> dict:
    r = w.rng
    serial, model = r.choice(w.devices)
    tests = [t for t in BIOLOGY_TESTS if {"CoaguChek Pro II": {"inr"}, "Afinion 2": {"crp", "hba1c"}}.get(
        model, {"hb", "k", "creat"}).__contains__(t.key)]
    test = r.choice(tests)
    value = round(r.uniform(test.ref_low * 0.7, test.ref_high * 1.3) if test.ref_low else r.uniform(0, 15), 1)
    return {"event_id": f"SIM-BIO-{n}-{r.getrandbits(32):08x}", "device_serial": serial, "loinc": test.loinc,
            "value": value, "unit": test.unit, "sampled_at": _now(20), "resulted_at": _now(12),
            "transmitted_at": _now(5)}


def device_status(w: World, n: int) -> dict:
    r = w.rng
    return {"event_id": f"SIM-DEV-{n}-{r.getrandbits(32):08x}", "device_serial": r.choice(w.devices)[0],
            "recorded_at": _now(1), "battery_pct": r.randint(20, 100),
            "qc_status": r.choices(["passed", "failed"], [97, 3])[0]}


def position(w: World, n: int) -> dict:
    """A vehicle's GPS fix a short move (a few hundred metres) from where it was last seen."""
    r = w.rng
    unit = r.choice(w.units)
    lat, lon = w.whereabouts.get(unit) or (r.uniform(47.9, 48.6), r.uniform(4.9, 5.6))
    lat, lon = round(lat + r.uniform(-0.003, 0.003), 5), round(lon + r.uniform(-0.004, 0.004), 5)
    w.whereabouts[unit] = (lat, lon)
    return {"event_id": f"SIM-POS-{n}-{r.getrandbits(32):08x}", "unit_code": unit, "recorded_at": _now(0.5),
            "lat": lat, "lon": lon}


GENERATORS: dict[str, tuple[str, Callable[[World, int], dict], int]] = {
    # path → (feed kind, generator, weight)
    "teleconsultation/sessions": ("teleconsultation", teleconsultation, 5),
    "biology/results": ("biology", biology, 4),
    "biology/device-status": ("biology", device_status, 1),
    "mobile/positions": ("mobile", position, 2),
}


def next_event(w: World, n: int, malformed_share: float,
               paths: tuple[str, ...] | None = None) -> tuple[str, dict, str | None]:
    """(path, payload, malformation or None); `paths` limits the endpoints (all by default)."""
    paths = list(paths or GENERATORS)
    path = w.rng.choices(paths, [GENERATORS[p][2] for p in paths])[0]
    event = GENERATORS[path][1](w, n)
    if w.rng.random() < malformed_share:
        name, spoil = w.rng.choice(MALFORMATIONS)
        return path, spoil(event), name
    return path, event, None


def post(url: str, key: str, payload, timeout: float = 10) -> int | None:
    """The HTTP status of the answer, None when there was none (connection refused or cut, time-out)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except (OSError, http.client.HTTPException):  # refused, reset, closed without an answer, timed out
        return None


# Answers after which a batch is sent again, the same events with the same ids (ingestion is idempotent):
# no answer, rate limited, or the server/load balancer could not process it now.
RETRY_STATUSES = frozenset({None, 429, 500, 502, 503, 504})
# the table each endpoint's well-formed events are stored in (lost/duplicated counts by event id)
TABLES = {"teleconsultation/sessions": "teleconsultation_session", "biology/results": "biology_result",
          "biology/device-status": "device_status", "mobile/positions": "vehicle_position"}


@dataclass
class Delivery:
    """What the simulator sent and how it was answered."""

    statuses: Counter = field(default_factory=Counter)  # final answer of each request (None: never answered)
    sent: int = 0  # distinct events generated and sent (each counted once, whatever its retries)
    requests: int = 0  # HTTP requests, retries included
    retried: int = 0  # requests sent again after no answer or a 429/5xx
    given_up: int = 0  # events of batches still unanswered after every retry
    # (table, event id) of every well-formed event sent: each must be stored exactly once
    well_formed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self, seconds: float) -> str:
        return (f"{self.sent} événements en {self.requests} requêtes ({self.sent / seconds:.1f} événements/s), "
                f"{self.retried} renvois, {self.given_up} abandonnés, statuts HTTP {dict(self.statuses)}")


def deliver(url: str, key: str, payload, *, retries: int = 6, backoff: float = 0.25,
            timeout: float = 30) -> tuple[int | None, int]:
    """Post until answered: the same body again after no answer or a 429/5xx, waiting backoff·2ⁿ (≤ 4 s)
    between tries, at most `retries` more times. Returns (last status, requests sent)."""
    attempt = 0
    while True:
        status = post(url, key, payload, timeout)
        attempt += 1
        if status not in RETRY_STATUSES or attempt > retries:
            return status, attempt
        time.sleep(min(4.0, backoff * 2 ** (attempt - 1)))


def run(*, base_url: str, keys: dict[str, str], world: World, rate: float, seconds: float,
        malformed_share: float = 0.05, batch_seconds: float = 0.0, retries: int = 6,
        paths: tuple[str, ...] | None = None, log: Callable[[str], None] = print) -> Delivery:
    """Send about `rate` events per second for `seconds` (bounded); returns what was sent and answered.

    `batch_seconds` = 0: one request per event, one after the other (a device posting as events occur).
    `batch_seconds` > 0: every `batch_seconds`, the events of that window grouped by endpoint, one batch
    request per endpoint, the endpoints in parallel (gateways that forward what they collected); a batch
    left unanswered (or answered 429/5xx) is sent again with the same event ids, `retries` times at most.
    """
    if batch_seconds <= 0:
        return _run_each(base_url=base_url, keys=keys, world=world, rate=rate, seconds=seconds,
                         malformed_share=malformed_share, log=log)
    from concurrent.futures import ThreadPoolExecutor

    delivery = Delivery()
    start = time.monotonic()
    n = 0
    windows = max(1, math.ceil(seconds / batch_seconds))  # a fixed number of windows: rate × seconds events
    with ThreadPoolExecutor(max_workers=len(GENERATORS)) as pool:
        for window in range(1, windows + 1):
            batches: dict[str, list[dict]] = {}
            while n < window * batch_seconds * rate:
                n += 1
                path, payload, spoiled = next_event(world, n, malformed_share, paths)
                batches.setdefault(path, []).append(payload)
                if spoiled is None:
                    delivery.well_formed.append((TABLES[path], payload["event_id"]))
            futures = [pool.submit(deliver, f"{base_url.rstrip('/')}/api/v1/{path}", keys[GENERATORS[path][0]],
                                   {"events": items}, retries=retries) for path, items in batches.items()]
            for future, items in zip(futures, batches.values(), strict=True):
                status, attempts = future.result()
                delivery.statuses[status] += 1
                delivery.requests += attempts
                delivery.retried += attempts - 1
                delivery.sent += len(items)
                if status in RETRY_STATUSES:
                    delivery.given_up += len(items)
            if window % max(1, int(10 / batch_seconds)) == 0:
                log(f"{delivery.sent} événements envoyés en {delivery.requests} requêtes : {dict(delivery.statuses)}")
            delay = start + window * batch_seconds - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return delivery


def _run_each(*, base_url, keys, world, rate, seconds, malformed_share, log) -> Delivery:
    delivery = Delivery()
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        n += 1
        path, payload, spoiled = next_event(world, n, malformed_share)
        status = post(f"{base_url.rstrip('/')}/api/v1/{path}", keys[GENERATORS[path][0]], payload)
        delivery.statuses[status] += 1
        delivery.requests += 1
        delivery.sent += 1
        if spoiled is None:
            delivery.well_formed.append((TABLES[path], payload["event_id"]))
        if n % max(1, int(rate * 10)) == 0:
            log(f"{n} événements envoyés : {dict(delivery.statuses)}")
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return delivery


def simulator_keys(session: Session) -> dict[str, str]:
    """A key per feed kind for the simulator's own sources (made on first use; a new key replaces the last)."""
    from data import admin
    from data.models import FeedSource

    keys = {}
    for kind in ("teleconsultation", "biology", "mobile"):
        name = f"Simulateur — {kind}"
        source = session.scalar(select(FeedSource).where(FeedSource.name == name)) or admin.create_source(
            session, actor=None, name=name, feed_kind=kind)
        keys[kind] = admin.issue_key(session, actor=None, source_id=source.id)
    return keys


def stored_counts(session: Session, events: list[tuple[str, str]]) -> tuple[int, int, int]:
    """(stored, duplicated, lost) of well-formed events sent, counted by event id in their tables: stored
    are the events found at least once, duplicated the rows beyond the first of an id, lost those not found."""
    from sqlalchemy import bindparam, text

    by_table: dict[str, set[str]] = {}
    for table, event_id in events:
        by_table.setdefault(table, set()).add(event_id)
    stored = duplicated = 0
    for table, ids in by_table.items():
        assert table in TABLES.values()
        query = text(f"SELECT source_event_id, count(*) FROM {table} WHERE source_event_id IN :ids "
                     "GROUP BY source_event_id").bindparams(bindparam("ids", expanding=True))
        chunk = sorted(ids)
        for i in range(0, len(chunk), 5000):
            for _id, n in session.execute(query, {"ids": chunk[i:i + 5000]}):
                stored += 1
                duplicated += n - 1
    return stored, duplicated, sum(len(ids) for ids in by_table.values()) - stored


def feed_in_process(session: Session, *, world: World, sources: dict, count: int,
                    malformed_share: float = 0.05) -> Counter:
    """Feed `count` events through the ingestion pipeline directly (no HTTP), one batch per endpoint.

    `sources` maps a feed kind to its FeedSource. Returns the items' statuses (accepted, rejected...).
    """
    from data.ingestion.pipeline import ENDPOINTS, ingest

    batches: dict[str, list[dict]] = {}
    for n in range(1, count + 1):
        path, payload, _spoiled = next_event(world, n, malformed_share)
        batches.setdefault(path, []).append(payload)
    statuses: Counter = Counter()
    for path, items in batches.items():
        result = ingest(session, source=sources[GENERATORS[path][0]], endpoint=ENDPOINTS[path], items=items)
        statuses.update(item["status"] for item in result.items)
    return statuses

