"""Monthly partitions of the raw event tables on PostgreSQL; SQLite keeps plain tables.

The append-only, high-volume event tables (`PARTITIONED`) are range-partitioned by `day` (the event's
local date) since migration 0013: one partition per month, `<table>_pYYYYMM`, and a default partition
`<table>_default`, so an insert never fails for want of its month's partition. Mobile stops stay a plain
table: a few rows a day, and a stop's correction may move its day (an update across partitions).

Idempotency across partitions: a unique constraint of a partitioned table must contain the partition key,
so `(source_id, source_event_id, day)` is all a partition can enforce. The event's identity is therefore
claimed in `event_key` (unpartitioned, primary key `(event_table, source_id, source_event_id)`) by a
`BEFORE INSERT` trigger of each partitioned table: `INSERT … ON CONFLICT DO NOTHING` on the key, and the
event row is skipped when the key was already there — whatever month the re-delivery claims, whenever its
partition was created, and for every writer (ingestion, demo, bench, psql). A `DELETE` through the parent
releases its keys; a detached (archived) partition keeps them, so an archived event re-sent stays a no-op.
An event's source, id and day are immutable on these tables (a trigger refuses the update).

`maintain` is the maintenance (the worker runs it every round, `flask --app app partitions` by hand): it
creates the partitions of the next `premake` months, moves rows that fell into the default partition into
their month's new partition, and detaches partitions older than `retention_months` when asked to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, text

PARTITIONED = ("teleconsultation_session", "biology_result", "device_status", "vehicle_position")
KEY_TABLE = "event_key"
PREMAKE_MONTHS = 6
_LOCK = 0x65_6B_70_6D  # advisory lock: one maintenance at a time (two workers, two hosts)
_CHILD = re.compile(r"^(?P<table>[a-z_]+)_(?:p(?P<month>\d{6})|default)$")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def is_partitioned(conn: Connection, table: str) -> bool:
    """Whether `table` is a partitioned table (False on SQLite, and on a PostgreSQL schema before 0013)."""
    if not is_postgres(conn):
        return False
    return conn.scalar(text("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}) is True


def partitions(conn: Connection, table: str) -> dict[date, str]:
    """The month partitions attached to `table`: first day of the month → partition name."""
    names = conn.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:t)"), {"t": table}).all()
    found = {}
    for name in names:
        m = _CHILD.match(name)
        if m and m["month"]:
            found[date(int(m["month"][:4]), int(m["month"][4:]), 1)] = name
    return found


def is_partition_object(name: str | None) -> bool:
    """A table that exists only because of partitioning (children, the key table): not in the models."""
    if not name:
        return False
    if name == KEY_TABLE:
        return True
    m = _CHILD.match(name)
    return bool(m and m["table"] in PARTITIONED)


def _has_default(conn: Connection, table: str) -> bool:
    return conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": default_name(table)}) is True


def create_month(conn: Connection, table: str, month: date) -> str | None:
    """Create `table`'s partition of `month` unless it exists; rows of that month waiting in the default
    partition move into it (the partition is filled first, then attached). Returns the name if created."""
    name = partition_name(table, month)
    if conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": name}):
        return None
    lo, hi = month.isoformat(), add_months(month, 1).isoformat()
    # made apart, then attached: ATTACH PARTITION takes a SHARE UPDATE EXCLUSIVE lock on the parent (inserts go
    # on), where CREATE TABLE … PARTITION OF would take an ACCESS EXCLUSIVE one
    conn.execute(text(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'))
    conn.execute(text(f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_bounds" '
                      f"CHECK (day >= DATE '{lo}' AND day < DATE '{hi}')"))  # the attach need not scan it
    if _has_default(conn, table):
        # the month's rows that waited in the default partition, moved straight from it: the parent's
        # triggers do not fire, the events keep their keys
        conn.execute(text(f'WITH moved AS (DELETE FROM "{default_name(table)}" WHERE day >= :lo AND day < :hi '
                          f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved'),
                     {"lo": month, "hi": add_months(month, 1)})
    conn.execute(text(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (\'{lo}\') TO (\'{hi}\')'))
    conn.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_bounds"'))
    return name


def ensure_range(conn: Connection, first: date, last: date) -> list[str]:
    """Partitions of every month from `first` to `last` for every partitioned table (PostgreSQL only);
    e.g. before a bulk load, so its rows go straight to their months. Returns the partitions created."""
    created = []
    for table in PARTITIONED:
        if not is_partitioned(conn, table):
            continue
        month = month_start(first)
        while month <= last:
            if (name := create_month(conn, table, month)) is not None:
                created.append(name)
            month = add_months(month, 1)
    return created


@dataclass
class Maintenance:
    created: list[str] = field(default_factory=list)
    detached: list[str] = field(default_factory=list)


def maintain(conn: Connection, *, today: date, premake: int = PREMAKE_MONTHS,
             retention_months: int | None = None) -> Maintenance:
    """Create the partitions of this month and the next `premake` months, give the months found in the default
    partition their own partition, and detach partitions ending more than `retention_months` before this
    month (kept as plain tables, to archive then drop). Idempotent; serialised by an advisory lock; waits at
    most a few seconds for a lock (ingestion is never held up behind it: the next round tries again)."""
    done = Maintenance()
    if not is_postgres(conn):
        return done
    conn.execute(text("SET LOCAL lock_timeout = '5s'"))
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    this_month = month_start(today)
    for table in PARTITIONED:
        if not is_partitioned(conn, table):
            continue
        waiting = conn.scalars(text(
            f'SELECT DISTINCT date_trunc(\'month\', day)::date FROM "{default_name(table)}"')).all() \
            if _has_default(conn, table) else []
        oldest_kept = add_months(this_month, -retention_months) if retention_months is not None else date.min
        ahead = {add_months(this_month, n) for n in range(premake + 1)}
        months = sorted({m for m in waiting if m >= oldest_kept} | ahead)
        for month in months:
            if (name := create_month(conn, table, month)) is not None:
                done.created.append(name)
        if retention_months is not None:
            for month, name in sorted(partitions(conn, table).items()):
                if month < oldest_kept:
                    conn.execute(text(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"'))
                    done.detached.append(name)
    return done


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's comparison filter (migrations/env.py, the schema test): the partitions, their indexes and
    `event_key` exist only on PostgreSQL and are not models; there the source key of a partitioned table is
    (source_id, source_event_id, day), the models' (source_id, source_event_id) being held by `event_key`."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    if table is not None and is_partition_object(table.name):
        return False
    if type_ == "unique_constraint" and table is not None and table.name in PARTITIONED:
        if any(c is not None and "day" in c.columns for c in (obj, compare_to)):
            return False
    return True
