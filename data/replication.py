"""WAL positions of a PostgreSQL primary and of its streaming replica (plain functions on sessions).

A position is an integer (bytes since 0/0, `pg_wal_lsn_diff(lsn, '0/0')`), so positions compare and subtract.
SQLite has no WAL positions: every function answers None there.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def current_lsn(session: Session) -> int | None:
    """The primary's WAL write position: every transaction committed before the call lies at or below it."""
    if not _postgres(session):
        return None
    return int(session.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")).scalar())


def replay_lsn(session: Session) -> int | None:
    """How far a replica has replayed the primary's WAL (None: not a replica in recovery)."""
    if not _postgres(session):
        return None
    value = session.execute(text("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')")).scalar()
    return None if value is None else int(value)


def wait_for_replay(session: Session, lsn: int, *, timeout: float, poll: float = 0.01) -> bool:
    """True once the replica behind `session` has replayed `lsn` (within `timeout` seconds), else False.

    Each check is its own statement: under READ COMMITTED the next query of the session takes a snapshot
    after it, so it sees every transaction committed at or below `lsn`."""
    deadline = time.monotonic() + timeout
    while True:
        replayed = replay_lsn(session)
        if replayed is not None and replayed >= lsn:
            return True
        if replayed is None or time.monotonic() >= deadline:
            return False
        time.sleep(poll)


@dataclass(frozen=True)
class Lag:
    """How far a replica is behind its primary."""

    bytes: int  # WAL written on the primary and not yet replayed
    seconds: float  # 0 when everything is replayed, else the age of the last replayed transaction
    in_recovery: bool  # False: the read URL does not point at a replica (promoted, or misconfigured)


def replication_lag(primary: Session, replica: Session) -> Lag | None:
    """The replica's lag behind the primary, measured from both sides (no monitoring role needed)."""
    if not (_postgres(primary) and _postgres(replica)):
        return None
    written = current_lsn(primary)
    row = replica.execute(text(
        "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0'), "
        "extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())")).one()
    in_recovery, replayed, age = bool(row[0]), row[1], row[2]
    if not in_recovery or replayed is None:
        return Lag(0, 0.0, False)
    behind = max(0, written - int(replayed))
    return Lag(behind, 0.0 if behind == 0 or age is None else max(0.0, float(age)), True)
