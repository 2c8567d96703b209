"""The ingestion pipeline: validate each item, store the good ones idempotently, keep every reject.

One call handles one request (a single event or a batch) in the caller's transaction: valid items
are inserted with `ON CONFLICT DO NOTHING` on (source, event id) — so a re-delivery, even a
concurrent one, never makes a second row — rollups are updated for exactly the rows inserted, and
rejected items are stored verbatim with the field at fault. The caller commits once; any database
error rolls the whole request back (nothing partial), and the sender retries.
Rows are built in `rows`, written by `inserts` (SQLite / PostgreSQL), rollups kept by `rollup_increments`.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from data.ingestion import fhir, inserts, quality, rollup_increments, schemas
from data.ingestion.rows import (
    Context,
    ItemRejected,
    biology_row,
    device_status_row,
    ehpad_activity_row,
    indicator_row,
    mobile_stop_row,
    position_row,
    practitioner_row,
    teleconsultation_row,
    validation_errors,
)
from data.models import (
    BiologyResult,
    DeviceStatus,
    EhpadActivity,
    FeedHourly,
    FeedSource,
    HealthProfessional,
    MobileStop,
    ProgrammeIndicatorValue,
    RejectedPayload,
    TeleconsultationSession,
    VehiclePosition,
)

MAX_BATCH = 5000
log = logging.getLogger(__name__)
UNPROCESSABLE = "événement illisible (valeur hors des limites traitées) : vérifiez ses dates et ses nombres"


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
             TeleconsultationSession, teleconsultation_row, rollup_increments.teleconsultation,
             ("teleconsultation", "coverage")),
    Endpoint("mobile/stops", "mobile", schemas.MobileStopIn, MobileStop, mobile_stop_row, rollup_increments.mobile,
             ("mobile", "coverage"), updatable=True),
    Endpoint("mobile/positions", "mobile", schemas.VehiclePositionIn, VehiclePosition, position_row, None,
             ("mobile",)),
    Endpoint("biology/results", "biology", schemas.BiologyResultIn, BiologyResult, biology_row,
             rollup_increments.biology, ("biology",)),
    Endpoint("biology/device-status", "biology", schemas.DeviceStatusIn, DeviceStatus, device_status_row, None,
             ("biology",)),
    Endpoint("workforce/practitioners", "workforce", schemas.PractitionerIn, HealthProfessional, practitioner_row,
             None, ("workforce", "coverage")),
    Endpoint("programme/indicators", "programme", schemas.IndicatorValueIn, ProgrammeIndicatorValue, indicator_row,
             None, ("programme",)),
    Endpoint("programme/ehpad-activity", "programme", schemas.EhpadActivityIn, EhpadActivity, ehpad_activity_row,
             None, ("programme",), updatable=True),
)}


# --- the request ---------------------------------------------------------------------------------

def reject(session: Session, *, source: FeedSource | None, feed_kind: str, payload: Any, error: schemas.FieldError,
           received_at: datetime) -> None:
    """Keep a refused payload verbatim with its reason."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)
    session.add(RejectedPayload(source_id=source.id if source else None, feed_kind=feed_kind, received_at=received_at,
                                field_path=error.field[:200], reason=error.reason[:100], message=error.message,
                                payload=text))


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
    # dataset → the months (of the events' `day`) whose data changed; None: the dataset as a whole changed
    touched: dict[str, frozenset[date] | None] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "updated": self.updated, "duplicates": self.duplicates,
                "rejected": self.rejected, "items": self.items}


def _check(ctx: Context, endpoint: Endpoint, item: Any, window: schemas.TimeWindow):
    """(validated model, row) or the item's errors. Any failure of one item other than the database's
    is that item's rejection, so it can never fail the rest of its batch."""
    try:
        model = endpoint.schema.model_validate(item, context={"window": window})
        return model, endpoint.to_row(ctx, model), []
    except ValidationError as err:
        return None, None, validation_errors(err)
    except ItemRejected as err:
        return None, None, [err.error]
    except SQLAlchemyError:
        raise  # the database failed: the whole request is rolled back and answered 503
    except Exception:
        log.exception("ingestion: item of %s refused by an unexpected error", endpoint.name)
        return None, None, [schemas.FieldError(field="(objet)", reason="unprocessable_item", message=UNPROCESSABLE)]


def ingest(session: Session, *, source: FeedSource, endpoint: Endpoint, items: list[Any],
           received_at: datetime | None = None, window: schemas.TimeWindow = schemas.DEFAULT_WINDOW) -> IngestResult:
    """Validate and store one request's items; the caller commits (or rolls back on error)."""
    received_at = received_at or datetime.now(UTC).replace(tzinfo=None)
    ctx = Context(session, source, received_at)
    results: list[dict] = []  # plain dicts in the hot path; IngestResponse documents their shape
    valid: list[tuple[int, dict]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        event_id = item.get("event_id") if isinstance(item, dict) else None
        model, row, errors = _check(ctx, endpoint, item, window)
        if row is not None:
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
    flags: list[quality.Flag] = []
    if endpoint.model is HealthProfessional:
        inserted, changed_ids, moves = inserts.upsert_practitioners(session, rows)
        flags = quality.practitioner_flags(moves)
    else:
        inserted = inserts.insert_new(session, endpoint.model, rows)
        not_inserted = [r for r in rows if r["source_event_id"] not in inserted]
        changed = (inserts.update_changed(session, endpoint.model, not_inserted)
                   if endpoint.updatable and not_inserted else [])
        changed_ids = {new["source_event_id"] for _, new in changed}
        if endpoint.model is BiologyResult:
            flags = quality.biology_flags(r for r in rows if r["source_event_id"] in inserted)
    quality.store(session, source=source, feed_kind=endpoint.feed_kind, event_table=endpoint.model.__tablename__,
                  flags=flags, flagged_at=received_at)
    warnings: dict[str, list[dict]] = defaultdict(list)
    for flag in flags:
        warnings[flag.source_event_id].append(flag.warning())
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
            if event in warnings and result["status"] != "duplicate":
                result["warnings"] = warnings[event]
    counts = defaultdict(int)
    for r in results:
        counts[r["status"]] += 1
    touched = _touched(endpoint, [r for r in rows if r["source_event_id"] in inserted], changed)
    inserts.upsert_add(session, FeedHourly, ["source_id", "hour"], [{
        "source_id": source.id, "hour": _hour(received_at), "accepted": counts["accepted"],
        "updated": counts["updated"], "duplicates": counts["duplicate"], "rejected": counts["rejected"]}])
    source.last_seen_at = received_at
    return IngestResult(accepted=counts["accepted"], updated=counts["updated"], duplicates=counts["duplicate"],
                        rejected=counts["rejected"], items=results, touched=touched)


def _touched(endpoint: Endpoint, inserted: list[dict], changed: list[tuple[dict, dict]]) -> dict:
    """What the request changed, per dataset of the endpoint: the months of the days of the events inserted and of
    both days of each correction (an event moved from March to April changes both months); events without a day
    (a practitioner, an indicator value, an EHPAD's monthly activity) change their datasets as a whole."""
    if "day" not in endpoint.model.__table__.columns:
        return dict.fromkeys(endpoint.datasets)
    days = [r["day"] for r in inserted] + [row["day"] for pair in changed for row in pair]
    months = frozenset(d.replace(day=1) for d in days)
    return dict.fromkeys(endpoint.datasets, months)


def merge_touched(results: list[IngestResult]) -> dict[str, frozenset[date] | None]:
    """The union of several requests' changes (a dataset changed as a whole by one of them stays whole)."""
    out: dict[str, frozenset[date] | None] = {}
    for result in results:
        for dataset, months in result.touched.items():
            if months is None or (dataset in out and out[dataset] is None):
                out[dataset] = None
            else:
                out[dataset] = (out.get(dataset) or frozenset()) | months
    return out


def ingest_fhir(session: Session, *, source: FeedSource, entries: list[fhir.Mapped],
                received_at: datetime, window: schemas.TimeWindow = schemas.DEFAULT_WINDOW) -> IngestResult:
    """Store a FHIR request's entries, each through its endpoint's `ingest`; refused ones kept; the caller commits."""
    groups: dict[str, list[tuple[int, dict]]] = {}
    items: list[tuple[int, dict]] = []
    for entry in entries:  # each answer carries its entry's index in the Bundle
        index = entry.index
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
                        received_at=received_at, window=window)
        for (index, _), item_result in zip(pairs, result.items, strict=True):
            item_result["index"] = index
            items.append((index, item_result))
        results.append(result)
    return IngestResult(
        accepted=sum(r.accepted for r in results), updated=sum(r.updated for r in results),
        duplicates=sum(r.duplicates for r in results), rejected=sum(r.rejected for r in results) + refused_early,
        items=[r for _, r in sorted(items, key=lambda p: p[0])], touched=merge_touched(results))
