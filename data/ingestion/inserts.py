"""Dialect-specific writes (SQLite and PostgreSQL): idempotent event inserts, rollup upserts, updates.

Events are inserted with `ON CONFLICT (source, event id) DO NOTHING … RETURNING`, so only rows really
inserted come back and a re-delivery, even a concurrent one, never makes a second row. On PostgreSQL the
partitioned event tables (data/partitions.py) claim the event's key in `event_key` from a trigger, which
skips a re-delivered row (and it does not come back either); there the statement says `ON CONFLICT DO
NOTHING` without a target, which a partitioned table (unique key including its day) accepts as well.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.models import HealthProfessional


def upsert_add(session: Session, model, keys: list[str], rows: Iterable[dict]) -> None:
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
                f"ON CONFLICT DO NOTHING RETURNING source_event_id")


def insert_new(session: Session, model, rows: list[dict]) -> set[str]:
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


RECEIPT_TIMES = ("received_at", "confirmed_at")  # when the feed told us, not what it told


def update_changed(session: Session, model, rows: list[dict]) -> list[tuple[dict, dict]]:
    """For updatable events re-sent with new content: update the row; returns the (old, new) row pairs."""
    ids = [r["source_event_id"] for r in rows]
    existing = {r.source_event_id: r for r in session.scalars(select(model).where(
        model.source_id == rows[0]["source_id"], model.source_event_id.in_(ids)))}
    changed = []
    for row in rows:
        old = existing.get(row["source_event_id"])
        if old is None:
            continue
        before = {c: getattr(old, c) for c in row if c not in RECEIPT_TIMES}
        if all(before[c] == row[c] for c in before):
            continue  # a re-delivery: neither its receipt nor its confirmation time moves
        if row.get("confirmed_at") and getattr(old, "confirmed_at", None):
            row = {**row, "confirmed_at": old.confirmed_at}  # a correction after confirmation keeps its first time
        changed.append((before, row))
        session.execute(update(model).where(model.id == old.id).values(**row))
    return changed


def upsert_practitioners(session: Session, rows: list[dict]) -> tuple[set[str], set[str], list[tuple[dict, str]]]:
    """Workforce records are keyed by the hashed RPPS: a new event about a known practitioner updates
    the record, in the batch's order (a practitioner new to the database is inserted by its first event,
    updated by the next ones). Returns the event ids inserted, those that updated a record, and the moves:
    (event row, commune on record before it) for each event that put the practitioner at another commune."""
    if not rows:
        return set(), set(), []
    existing = {p.rpps_hash: (p.id, p.source_id, p.source_event_id, p.commune_insee) for p in session.scalars(
        select(HealthProfessional).where(HealthProfessional.rpps_hash.in_([r["rpps_hash"] for r in rows])))}
    commune = {rpps: current[3] for rpps, current in existing.items()}  # as the batch goes, in its order
    fresh: dict[str, dict] = {}
    later: list[dict] = []  # events about a practitioner first seen earlier in this batch
    updated: set[str] = set()
    moves: list[tuple[dict, str]] = []

    def moved(row: dict) -> None:
        before = commune.get(row["rpps_hash"])
        if before is not None and before != row["commune_insee"]:
            moves.append((row, before))
        commune[row["rpps_hash"]] = row["commune_insee"]

    for row in rows:
        current = existing.get(row["rpps_hash"])
        if current is None:
            if row["rpps_hash"] in fresh:
                later.append(row)
            else:
                fresh[row["rpps_hash"]] = row
        elif (current[1], current[2]) != (row["source_id"], row["source_event_id"]):
            session.execute(update(HealthProfessional).where(HealthProfessional.id == current[0]).values(**row))
            updated.add(row["source_event_id"])
            moved(row)
    inserted: set[str] = set()
    if fresh:
        ins = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(
            HealthProfessional)
        inserted = set(session.scalars(ins.on_conflict_do_nothing().returning(HealthProfessional.source_event_id),
                                       list(fresh.values())).all())
        for row in fresh.values():
            commune.setdefault(row["rpps_hash"], row["commune_insee"])
    for row in later:
        session.execute(update(HealthProfessional).where(HealthProfessional.rpps_hash == row["rpps_hash"])
                        .values(**row))
        updated.add(row["source_event_id"])
        moved(row)
    return inserted, updated, moves
