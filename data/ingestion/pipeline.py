"""The ingestion pipeline: validate each item, store the good ones idempotently, keep every reject.

One call handles one request (a single event or a batch) in the caller's transaction: valid items
are inserted with `ON CONFLICT DO NOTHING` on (source, event id) — so a re-delivery, even a
concurrent one, never makes a second row — rollups are updated for exactly the rows inserted, and
rejected items are stored verbatim with the field at fault. The caller commits once; any database
error rolls the whole request back (nothing partial), and the sender retries.
"""
from __future__ import annotations

import json
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.ingestion import fhir, schemas
from data.models import (
    BiologyDaily,
    BiologyResult,
    Commune,
    Device,
    DeviceStatus,
    FeedHourly,
    FeedSource,
    HealthProfessional,
    MobileDaily,
    MobileStop,
    MobileUnit,
    ProgrammeIndicatorValue,
    RejectedPayload,
    Site,
    TeleconsultationDaily,
    TeleconsultationDuration,
    TeleconsultationPatientMonthly,
    TeleconsultationSession,
    VehiclePosition,
)
from data.terminology import AGE_BANDS_75_PLUS, BIOLOGY_BY_LOINC

PARIS = ZoneInfo("Europe/Paris")
MAX_BATCH = 5000

FRENCH_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu",
    "literal_error": "valeur non autorisée",
    "string_pattern_mismatch": "format invalide",
    "string_too_long": "texte trop long",
    "string_too_short": "texte vide ou trop court",
    "string_type": "texte attendu",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "greater_than_equal": "valeur trop petite",
    "greater_than": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
    "timezone_aware": "le fuseau horaire est obligatoire (ex. 2026-11-03T09:30:00+01:00)",
    "datetime_parsing": "date-heure invalide (ISO 8601 attendu)",
    "datetime_from_date_parsing": "date-heure invalide (ISO 8601 attendu)",
    "datetime_type": "date-heure attendue (ISO 8601)",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "model_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
}


class ItemRejected(Exception):
    """A rule that needs the database failed for one item."""

    def __init__(self, field_path: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.error = schemas.FieldError(field=field_path, reason=reason, message=message)


def to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def local_day(value: datetime):
    return value.astimezone(PARIS).date()


def validation_errors(err: ValidationError) -> list[schemas.FieldError]:
    out = []
    for e in err.errors():
        ctx = e.get("ctx") or {}
        path = ".".join(str(x) for x in e["loc"]) or ctx.get("field") or "(objet)"
        message = FRENCH_MESSAGES.get(e["type"], e["msg"])
        if e["type"] == "literal_error" and "expected" in ctx:
            message = f"valeur non autorisée (attendu : {ctx['expected']})"
        out.append(schemas.FieldError(field=path, reason=e["type"], message=message))
    return out


# --- the sender's world: what its events may reference ---------------------------------------

REFERENCE_TTL_SECONDS = 60.0
# engine → name → (expiry, value): territory, sites, devices and units change rarely; reloading them
# for every request cost more than the rest of a single-event request.
_REFERENCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_REFERENCE_LOCK = threading.Lock()


def clear_reference_cache() -> None:
    """Forget cached reference data (after the territory, sites or devices change in this process)."""
    with _REFERENCE_LOCK:
        _REFERENCE.clear()


@dataclass
class Context:
    session: Session
    source: FeedSource
    received_at: datetime
    _cache: dict = field(default_factory=dict)

    def _memo(self, key: str, load: Callable[[], Any]):
        if key not in self._cache:
            engine = self.session.get_bind()
            now = time.monotonic()
            with _REFERENCE_LOCK:
                per_engine = _REFERENCE.setdefault(engine, {})
                hit = per_engine.get(key)
            if hit is None or hit[0] < now:
                hit = (now + REFERENCE_TTL_SECONDS, load())
                with _REFERENCE_LOCK:
                    per_engine[key] = hit
            self._cache[key] = hit[1]
        return self._cache[key]

    @property
    def communes(self) -> dict[str, str]:
        """INSEE code → département, for the configured territory."""
        return self._memo("communes", lambda: dict(self.session.execute(
            select(Commune.insee, Commune.departement_code)).all()))

    def commune(self, code: str | None, field_path: str) -> str | None:
        if code is not None and code not in self.communes:
            raise ItemRejected(field_path, "unknown_commune", f"commune {code} inconnue du territoire")
        return code

    def _allowed_site(self, site_code: str, field_path: str) -> None:
        if self.source.site_codes and site_code not in self.source.site_codes:
            raise ItemRejected(field_path, "site_not_allowed", f"le site {site_code} n'appartient pas à cette source")

    def site(self, code: str, field_path: str = "site_code") -> tuple[int, str]:
        sites = self._memo("sites", lambda: {c: (i, ins) for c, i, ins in self.session.execute(
            select(Site.code, Site.id, Site.commune_insee)).all()})
        if code not in sites:
            raise ItemRejected(field_path, "unknown_site", f"site {code} inconnu")
        self._allowed_site(code, field_path)
        return sites[code]

    def device(self, serial: str, field_path: str = "device_serial") -> tuple[int, int]:
        devices = self._memo("devices", lambda: {s: (i, site_id, code) for s, i, site_id, code in self.session.execute(
            select(Device.serial, Device.id, Device.site_id, Site.code).join(Site, Site.id == Device.site_id)).all()})
        if serial not in devices:
            raise ItemRejected(field_path, "unknown_device", f"automate {serial} inconnu")
        device_id, site_id, site_code = devices[serial]
        self._allowed_site(site_code, field_path)
        return device_id, site_id

    def unit(self, code: str, field_path: str = "unit_code") -> int:
        units = self._memo("units", lambda: dict(self.session.execute(select(MobileUnit.code, MobileUnit.id)).all()))
        if code not in units:
            raise ItemRejected(field_path, "unknown_unit", f"cabinet mobile {code} inconnu")
        return units[code]

    def bounds(self) -> tuple[float, float, float, float]:
        """The territory's box with a margin (~30 km): positions outside it are refused."""
        def load():
            lat0, lat1, lon0, lon1 = self.session.execute(select(
                func.min(Commune.lat), func.max(Commune.lat), func.min(Commune.lon), func.max(Commune.lon))).one()
            return lat0 - 0.3, lat1 + 0.3, lon0 - 0.4, lon1 + 0.4
        return self._memo("bounds", load)


# --- one function per endpoint: validated model → database row ---------------------------------

def _common(ctx: Context, item: schemas.EventIn) -> dict:
    return {"source_id": ctx.source.id, "source_event_id": item.event_id, "received_at": ctx.received_at}


def teleconsultation_row(ctx: Context, m: schemas.TeleconsultationSessionIn) -> dict:
    site_id, _ = ctx.site(m.site_code)
    return {**_common(ctx, m), "site_id": site_id, "started_at": to_utc(m.started_at), "day": local_day(m.started_at),
            "duration_min": m.duration_min, "specialty": m.specialty, "requester_type": m.requester_type,
            "patient_age_band": m.patient_age_band,
            "patient_commune_insee": ctx.commune(m.patient_commune, "patient_commune"),
            "status": m.status, "outcome": m.outcome}


def mobile_stop_row(ctx: Context, m: schemas.MobileStopIn) -> dict:
    if m.actual_arrival is None and m.planned_arrival > datetime.now(UTC) + timedelta(days=400):
        raise ItemRejected("planned_arrival", "too_far_ahead", "arrêt prévu plus d'un an à l'avance")
    return {**_common(ctx, m), "unit_id": ctx.unit(m.unit_code), "commune_insee": ctx.commune(m.commune, "commune"),
            "day": local_day(m.planned_arrival), "planned_arrival": to_utc(m.planned_arrival),
            "planned_departure": to_utc(m.planned_departure),
            "actual_arrival": to_utc(m.actual_arrival) if m.actual_arrival else None,
            "actual_departure": to_utc(m.actual_departure) if m.actual_departure else None,
            "status": m.status, "slots_offered": m.slots_offered, "consultations": m.consultations,
            "new_patients": m.new_patients}


def position_row(ctx: Context, m: schemas.VehiclePositionIn) -> dict:
    lat0, lat1, lon0, lon1 = ctx.bounds()
    if not (lat0 <= m.lat <= lat1 and lon0 <= m.lon <= lon1):
        raise ItemRejected("lat", "position_out_of_area", "position hors du territoire du programme")
    return {**_common(ctx, m), "unit_id": ctx.unit(m.unit_code), "recorded_at": to_utc(m.recorded_at),
            "day": local_day(m.recorded_at), "lat": m.lat, "lon": m.lon}


def biology_row(ctx: Context, m: schemas.BiologyResultIn) -> dict:
    test = BIOLOGY_BY_LOINC.get(m.loinc)
    if test is None:
        raise ItemRejected("loinc", "unknown_loinc", f"code LOINC {m.loinc} non autorisé pour la biologie délocalisée")
    if m.unit != test.unit:
        raise ItemRejected("unit", "ucum_unit_mismatch",
                           f"unité {m.unit!r} invalide pour {test.label} : unité UCUM attendue {test.unit!r}")
    device_id, site_id = ctx.device(m.device_serial)
    low = m.ref_low if m.ref_low is not None else test.ref_low
    high = m.ref_high if m.ref_high is not None else test.ref_high
    computed = not (low <= m.value <= high)
    if m.abnormal is not None and m.abnormal != computed:
        raise ItemRejected("abnormal", "inconsistent_abnormal_flag",
                           "l'indicateur d'anomalie contredit la valeur et l'intervalle de référence")
    return {**_common(ctx, m), "device_id": device_id, "site_id": site_id, "loinc": m.loinc, "value": m.value,
            "unit": m.unit, "ref_low": low, "ref_high": high, "abnormal": computed,
            "sampled_at": to_utc(m.sampled_at), "resulted_at": to_utc(m.resulted_at),
            "transmitted_at": to_utc(m.transmitted_at) if m.transmitted_at else None, "day": local_day(m.sampled_at)}


def device_status_row(ctx: Context, m: schemas.DeviceStatusIn) -> dict:
    device_id, _ = ctx.device(m.device_serial)
    return {**_common(ctx, m), "device_id": device_id, "recorded_at": to_utc(m.recorded_at),
            "day": local_day(m.recorded_at), "battery_pct": m.battery_pct, "qc_status": m.qc_status,
            "error_code": m.error_code}


def practitioner_row(ctx: Context, m: schemas.PractitionerIn) -> dict:
    return {**_common(ctx, m), "rpps_hash": m.rpps_hash, "profession": m.profession, "specialty": m.specialty,
            "commune_insee": ctx.commune(m.commune, "commune"), "birth_year": m.birth_year,
            "activity_start": m.activity_start, "activity_end": m.activity_end, "fte": m.fte}


def indicator_row(ctx: Context, m: schemas.IndicatorValueIn) -> dict:
    deps = set(ctx.communes.values())
    if m.territory_level == "departement":
        if m.territory_code not in deps:
            raise ItemRejected("territory_code", "unknown_territory", f"département {m.territory_code} hors territoire")
        dep = m.territory_code
    elif m.territory_level == "commune":
        dep = ctx.communes.get(m.territory_code)
        if dep is None:
            raise ItemRejected("territory_code", "unknown_territory", f"commune {m.territory_code} inconnue")
    else:
        rows = ctx.session.execute(select(Commune.departement_code).where(Commune.epci_code == m.territory_code)).all()
        if not rows:
            raise ItemRejected("territory_code", "unknown_territory", f"EPCI {m.territory_code} inconnu du territoire")
        dep = max({r[0] for r in rows}, key=[r[0] for r in rows].count)
    return {**_common(ctx, m), "experiment": m.experiment, "indicator": m.indicator,
            "territory_level": m.territory_level, "territory_code": m.territory_code, "departement_code": dep,
            "period_start": m.period_start, "period_end": m.period_end, "value": m.value, "target": m.target,
            "unit": m.unit}


# --- rollups kept in step with what was inserted ----------------------------------------------

def _upsert_add(session: Session, model, keys: list[str], rows: Iterable[dict]) -> None:
    """Add each row's measures to the rollup row with the same keys (created when missing)."""
    merged: dict[tuple, list] = {}
    measures: list[str] | None = None
    for row in rows:
        if measures is None:
            measures = [c for c in row if c not in keys]
        k = tuple(row[c] for c in keys)
        values = [row[c] for c in measures]
        current = merged.get(k)
        if current is None:
            merged[k] = values
        else:
            for i, v in enumerate(values):
                current[i] += v
    if not merged:
        return
    stmt = _upsert_statement(session.get_bind().dialect.name, model.__table__, tuple(keys), tuple(measures))
    params = [dict(zip(keys, k, strict=True)) | dict(zip(measures, v, strict=True)) for k, v in merged.items()]
    session.connection().execute(stmt, params)  # Core: no ORM bookkeeping per row


@lru_cache(maxsize=64)
def _upsert_statement(dialect: str, table, keys: tuple[str, ...], measures: tuple[str, ...]):
    """`INSERT … ON CONFLICT (keys) DO UPDATE SET m = m + excluded.m`, built once per rollup."""
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return ins.on_conflict_do_update(index_elements=list(keys), set_={
        c: getattr(table.c, c) + getattr(ins.excluded, c) for c in measures})


def _teleconsultation_rollups(session: Session, rows: list[dict], sign: int = 1) -> None:
    _upsert_add(session, TeleconsultationDaily, ["day", "site_id", "specialty", "status"], (
        {"day": r["day"], "site_id": r["site_id"], "specialty": r["specialty"], "status": r["status"],
         "sessions": sign, "minutes": sign * (r["duration_min"] or 0),
         "patients_75_plus": sign * (r["patient_age_band"] in AGE_BANDS_75_PLUS)} for r in rows))
    _upsert_add(session, TeleconsultationDuration, ["day", "site_id", "duration_min"], (
        {"day": r["day"], "site_id": r["site_id"], "duration_min": r["duration_min"], "sessions": sign}
        for r in rows if r["status"] == "completed" and r["duration_min"] is not None))
    _upsert_add(session, TeleconsultationPatientMonthly, ["month", "commune_insee"], (
        {"month": r["day"].replace(day=1), "commune_insee": r["patient_commune_insee"], "sessions": sign}
        for r in rows if r["status"] == "completed" and r["patient_commune_insee"]))


def _biology_rollups(session: Session, rows: list[dict], sign: int = 1) -> None:
    def minutes(later, earlier):
        return (later - earlier).total_seconds() / 60.0

    _upsert_add(session, BiologyDaily, ["day", "site_id", "loinc"], (
        {"day": r["day"], "site_id": r["site_id"], "loinc": r["loinc"], "tests": sign,
         "abnormal": sign * int(r["abnormal"]),
         "sample_to_result_min": sign * minutes(r["resulted_at"], r["sampled_at"]),
         "result_to_lab_min": sign * (minutes(r["transmitted_at"], r["resulted_at"]) if r["transmitted_at"] else 0.0),
         "transmitted": sign * (r["transmitted_at"] is not None)} for r in rows))


def _mobile_rollups(session: Session, rows: list[dict], sign: int = 1) -> None:
    _upsert_add(session, MobileDaily, ["day", "unit_id", "commune_insee", "status"], (
        {"day": r["day"], "unit_id": r["unit_id"], "commune_insee": r["commune_insee"], "status": r["status"],
         "stops": sign, "slots_offered": sign * r["slots_offered"], "consultations": sign * r["consultations"],
         "new_patients": sign * r["new_patients"]} for r in rows))


@dataclass(frozen=True)
class Endpoint:
    """One kind of event: its schema, its table, how a row is made, the rollups and datasets it feeds."""

    name: str
    feed_kind: str
    schema: type[BaseModel]
    model: Any
    to_row: Callable[[Context, Any], dict]
    rollups: Callable[[Session, list[dict], int], None] | None
    datasets: tuple[str, ...]
    updatable: bool = False  # same event id with new content updates the row (stops progress)


ENDPOINTS: dict[str, Endpoint] = {e.name: e for e in (
    Endpoint("teleconsultation/sessions", "teleconsultation", schemas.TeleconsultationSessionIn,
             TeleconsultationSession, teleconsultation_row, _teleconsultation_rollups,
             ("teleconsultation", "coverage")),
    Endpoint("mobile/stops", "mobile", schemas.MobileStopIn, MobileStop, mobile_stop_row, _mobile_rollups,
             ("mobile", "coverage"), updatable=True),
    Endpoint("mobile/positions", "mobile", schemas.VehiclePositionIn, VehiclePosition, position_row, None,
             ("mobile",)),
    Endpoint("biology/results", "biology", schemas.BiologyResultIn, BiologyResult, biology_row, _biology_rollups,
             ("biology",)),
    Endpoint("biology/device-status", "biology", schemas.DeviceStatusIn, DeviceStatus, device_status_row, None,
             ("biology",)),
    Endpoint("workforce/practitioners", "workforce", schemas.PractitionerIn, HealthProfessional, practitioner_row,
             None, ("workforce", "coverage")),
    Endpoint("programme/indicators", "programme", schemas.IndicatorValueIn, ProgrammeIndicatorValue, indicator_row,
             None, ("programme",)),
)}


# --- the request ---------------------------------------------------------------------------------

def reject(session: Session, *, source: FeedSource | None, feed_kind: str, payload: Any, error: schemas.FieldError,
           received_at: datetime) -> None:
    """Keep a refused payload verbatim with its reason."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)
    session.add(RejectedPayload(source_id=source.id if source else None, feed_kind=feed_kind, received_at=received_at,
                                field_path=error.field[:200], reason=error.reason[:100], message=error.message,
                                payload=text))


def _pg_insert_unnest(session: Session, table, rows: list[dict]) -> set[str]:
    """PostgreSQL: one short statement over arrays (`unnest`), which psycopg adapts in C and caches,
    instead of a statement with thousands of placeholders to parse."""
    cols = tuple(rows[0])
    sql = _unnest_statement(session.get_bind().dialect, table, cols)
    params = {f"p{i}": [row[c] for row in rows] for i, c in enumerate(cols)}
    return set(session.connection().execute(sql, params).scalars().all())


@lru_cache(maxsize=32)
def _unnest_statement(dialect, table, cols: tuple[str, ...]):
    quote = dialect.identifier_preparer.quote
    arrays = ", ".join(f"CAST(:p{i} AS {table.c[c].type.compile(dialect)}[])" for i, c in enumerate(cols))
    return text(f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) "
                f"SELECT * FROM unnest({arrays}) "
                f"ON CONFLICT (source_id, source_event_id) DO NOTHING RETURNING source_event_id")


def _insert_new(session: Session, model, rows: list[dict]) -> set[str]:
    """Insert, skipping (source, event id) pairs already stored; returns the event ids inserted."""
    if not rows:
        return set()
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        return _pg_insert_unnest(session, table, rows)
    # Core executemany with RETURNING (batched "insertmanyvalues"): only rows really inserted come back
    return set(session.connection().execute(_sqlite_insert_statement(table), rows).scalars().all())


@lru_cache(maxsize=32)
def _sqlite_insert_statement(table):
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["source_id", "source_event_id"]).returning(
        table.c.source_event_id)


def _update_changed(session: Session, endpoint: Endpoint, rows: list[dict]) -> list[dict]:
    """For updatable events re-sent with new content: update the row; returns [old, new] pairs flattened."""
    model = endpoint.model
    ids = [r["source_event_id"] for r in rows]
    existing = {r.source_event_id: r for r in session.scalars(select(model).where(
        model.source_id == rows[0]["source_id"], model.source_event_id.in_(ids)))}
    changed = []
    for row in rows:
        old = existing.get(row["source_event_id"])
        if old is None:
            continue
        before = {c: getattr(old, c) for c in row if c != "received_at"}
        if all(before[c] == row[c] for c in before):
            continue
        changed.append((before, row))
        session.execute(update(model).where(model.id == old.id).values(**row))
    return changed


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class IngestResult:
    """What one request did; serialises to the documented `IngestResponse`."""

    accepted: int
    updated: int
    duplicates: int
    rejected: int
    items: list[dict]

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "updated": self.updated, "duplicates": self.duplicates,
                "rejected": self.rejected, "items": self.items}


def ingest(session: Session, *, source: FeedSource, endpoint: Endpoint, items: list[Any],
           received_at: datetime | None = None) -> IngestResult:
    """Validate and store one request's items; the caller commits (or rolls back on error)."""
    received_at = received_at or datetime.now(UTC).replace(tzinfo=None)
    ctx = Context(session, source, received_at)
    results: list[dict] = []  # plain dicts in the hot path; IngestResponse documents their shape
    valid: list[tuple[int, dict]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        event_id = item.get("event_id") if isinstance(item, dict) else None
        try:
            model = endpoint.schema.model_validate(item)
            row = endpoint.to_row(ctx, model)
        except ValidationError as err:
            errors = validation_errors(err)
        except ItemRejected as err:
            errors = [err.error]
        else:
            if row["source_event_id"] in seen:  # twice in the same batch: the later one is a duplicate
                results.append({"index": index, "event_id": model.event_id, "status": "duplicate", "errors": []})
            else:
                seen.add(row["source_event_id"])
                valid.append((index, row))
                results.append({"index": index, "event_id": model.event_id, "status": "accepted", "errors": []})
            continue
        for error in errors[:1]:
            reject(session, source=source, feed_kind=endpoint.feed_kind, payload=item, error=error,
                   received_at=received_at)
        results.append({"index": index, "event_id": event_id if isinstance(event_id, str) else None,
                        "status": "rejected", "errors": [e.model_dump() for e in errors]})

    rows = [row for _, row in valid]
    changed: list[tuple[dict, dict]] = []
    if endpoint.model is HealthProfessional:
        inserted, changed_ids = _upsert_practitioners(session, rows)
    else:
        inserted = _insert_new(session, endpoint.model, rows)
        not_inserted = [r for r in rows if r["source_event_id"] not in inserted]
        changed = _update_changed(session, endpoint, not_inserted) if endpoint.updatable and not_inserted else []
        changed_ids = {new["source_event_id"] for _, new in changed}
    if endpoint.rollups:
        endpoint.rollups(session, [r for r in rows if r["source_event_id"] in inserted], 1)
        if changed:
            endpoint.rollups(session, [old for old, _ in changed], -1)
            endpoint.rollups(session, [new for _, new in changed], 1)
    by_index = dict(valid)
    for result in results:
        if result["status"] == "accepted":
            event = by_index[result["index"]]["source_event_id"]
            if event in changed_ids:
                result["status"] = "updated"
            elif event not in inserted:
                result["status"] = "duplicate"
    counts = defaultdict(int)
    for r in results:
        counts[r["status"]] += 1
    _upsert_add(session, FeedHourly, ["source_id", "hour"], [{
        "source_id": source.id, "hour": _hour(received_at), "accepted": counts["accepted"],
        "updated": counts["updated"], "duplicates": counts["duplicate"], "rejected": counts["rejected"]}])
    source.last_seen_at = received_at
    return IngestResult(accepted=counts["accepted"], updated=counts["updated"], duplicates=counts["duplicate"],
                        rejected=counts["rejected"], items=results)


def ingest_fhir(session: Session, *, source: FeedSource, entries: list[fhir.Mapped],
                received_at: datetime) -> IngestResult:
    """Store a FHIR request's entries, each through its endpoint's `ingest`; refused ones kept; the caller commits."""
    groups: dict[str, list[tuple[int, dict]]] = {}
    items: list[tuple[int, dict]] = []
    for index, entry in enumerate(entries):
        if entry.error is not None:
            reject(session, source=source, feed_kind=source.feed_kind, payload=entry.original, error=entry.error,
                   received_at=received_at)
            items.append((index, {"index": index, "event_id": None, "status": "rejected",
                                  "errors": [entry.error.model_dump()]}))
        else:
            groups.setdefault(entry.endpoint, []).append((index, entry.item))
    refused_early = len(items)
    results = []
    for name, pairs in groups.items():
        result = ingest(session, source=source, endpoint=ENDPOINTS[name], items=[item for _, item in pairs],
                        received_at=received_at)
        for (index, _), item_result in zip(pairs, result.items, strict=True):
            item_result["index"] = index
            items.append((index, item_result))
        results.append(result)
    return IngestResult(
        accepted=sum(r.accepted for r in results), updated=sum(r.updated for r in results),
        duplicates=sum(r.duplicates for r in results), rejected=sum(r.rejected for r in results) + refused_early,
        items=[r for _, r in sorted(items, key=lambda p: p[0])])


def _upsert_practitioners(session: Session, rows: list[dict]) -> tuple[set[str], set[str]]:
    """Workforce records are keyed by the hashed RPPS: a new event about a known practitioner updates
    the record. Returns the event ids inserted and those that updated a record."""
    if not rows:
        return set(), set()
    existing = {p.rpps_hash: (p.id, p.source_id, p.source_event_id) for p in session.scalars(
        select(HealthProfessional).where(HealthProfessional.rpps_hash.in_([r["rpps_hash"] for r in rows])))}
    fresh, updated = [], set()
    for row in rows:
        current = existing.get(row["rpps_hash"])
        if current is None:
            fresh.append(row)
        elif (current[1], current[2]) != (row["source_id"], row["source_event_id"]):
            session.execute(update(HealthProfessional).where(HealthProfessional.id == current[0]).values(**row))
            updated.add(row["source_event_id"])
    inserted: set[str] = set()
    if fresh:
        ins = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(
            HealthProfessional)
        inserted = set(session.scalars(ins.on_conflict_do_nothing().returning(HealthProfessional.source_event_id),
                                       fresh).all())
    return inserted, updated
