"""Feed simulator: realistic live events for every feed, with a share of malformed ones.

`flask --app app simulate --url http://127.0.0.1:8050 --rate 20 --seconds 60` posts them to a
running instance (loopback), so the dashboard is visibly live and the feed-health view shows rejects.
"""
from __future__ import annotations

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


def next_event(w: World, n: int, malformed_share: float) -> tuple[str, dict, str | None]:
    """(path, payload, malformation or None)."""
    paths = list(GENERATORS)
    path = w.rng.choices(paths, [GENERATORS[p][2] for p in paths])[0]
    event = GENERATORS[path][1](w, n)
    if w.rng.random() < malformed_share:
        name, spoil = w.rng.choice(MALFORMATIONS)
        return path, spoil(event), name
    return path, event, None


def post(url: str, key: str, payload, timeout: float = 10) -> int:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def run(*, base_url: str, keys: dict[str, str], world: World, rate: float, seconds: float,
        malformed_share: float = 0.05, batch_seconds: float = 0.0,
        log: Callable[[str], None] = print) -> tuple[Counter, int]:
    """Send about `rate` events per second for `seconds` (bounded); returns (HTTP statuses, events sent).

    `batch_seconds` = 0: one request per event, one after the other (a device posting as events occur).
    `batch_seconds` > 0: every `batch_seconds`, the events of that window grouped by endpoint, one batch
    request per endpoint, the endpoints in parallel (gateways that forward what they collected).
    """
    if batch_seconds <= 0:
        return _run_each(base_url=base_url, keys=keys, world=world, rate=rate, seconds=seconds,
                         malformed_share=malformed_share, log=log)
    from concurrent.futures import ThreadPoolExecutor

    statuses: Counter = Counter()
    start = time.monotonic()
    n = sent = 0
    windows = max(1, math.ceil(seconds / batch_seconds))  # a fixed number of windows: rate × seconds events
    with ThreadPoolExecutor(max_workers=len(GENERATORS)) as pool:
        for window in range(1, windows + 1):
            batches: dict[str, list[dict]] = {}
            while n < window * batch_seconds * rate:
                n += 1
                path, payload, _spoiled = next_event(world, n, malformed_share)
                batches.setdefault(path, []).append(payload)
            futures = [pool.submit(post, f"{base_url.rstrip('/')}/api/v1/{path}", keys[GENERATORS[path][0]],
                                   {"events": items}, 30) for path, items in batches.items()]
            for future, items in zip(futures, batches.values(), strict=True):
                statuses[future.result()] += 1
                sent += len(items)
            if window % max(1, int(10 / batch_seconds)) == 0:
                log(f"{sent} événements envoyés en {sum(statuses.values())} requêtes : {dict(statuses)}")
            delay = start + window * batch_seconds - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return statuses, sent


def _run_each(*, base_url, keys, world, rate, seconds, malformed_share, log) -> tuple[Counter, int]:
    statuses: Counter = Counter()
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        n += 1
        path, payload, _spoiled = next_event(world, n, malformed_share)
        statuses[post(f"{base_url.rstrip('/')}/api/v1/{path}", keys[GENERATORS[path][0]], payload)] += 1
        if n % max(1, int(rate * 10)) == 0:
            log(f"{n} événements envoyés : {dict(statuses)}")
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return statuses, n


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

