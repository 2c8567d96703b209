"""Checks on accepted events: a doubt is stored as a flag beside the event, never instead of it.

An impossible event (a future moment, a result before its sample, a duration out of range) is refused by
the schemas; a possible but doubtful one is accepted and flagged here, in the ingestion's transaction:
a biology value outside the physiological limits of its test (data/terminology.py), one hashed RPPS
received at two communes. A flag is unique per event and check, so a re-delivery never makes a second one.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.formatting import fmt_number
from data.ingestion.schemas import FieldError
from data.models import FeedSource, QualityFlag
from data.terminology import BIOLOGY_BY_LOINC

IMPLAUSIBLE_VALUE, DUPLICATE_RPPS = "implausible_value", "duplicate_rpps"
CHECK_LABELS = {IMPLAUSIBLE_VALUE: "Valeur hors des limites physiologiques",
                DUPLICATE_RPPS: "Même professionnel (RPPS) dans deux communes"}


@dataclass(frozen=True)
class Flag:
    """A doubt about one accepted event: the check, the field it is about, a French message, the value."""

    source_event_id: str
    check_code: str
    field: str
    message: str
    value: str | None = None

    def warning(self) -> dict:
        """The item's warning in the API answer (same shape as a rejection's error)."""
        return FieldError(field=self.field, reason=self.check_code, message=self.message).model_dump()


def _number(value: float) -> str:
    """A measured value as written by the device, in French: 14.2 → « 14,2 », 10.0 → « 10 »."""
    decimals = 0 if float(value).is_integer() else min(len(repr(float(value)).split(".")[1]), 3)
    return fmt_number(value, decimals)


def biology_flags(rows: Iterable[dict]) -> list[Flag]:
    """Results whose value lies outside the physiological limits of their LOINC code."""
    flags = []
    for row in rows:
        test = BIOLOGY_BY_LOINC.get(row["loinc"])
        if test is None or test.plausible_low <= row["value"] <= test.plausible_high:
            continue
        value = f"{_number(row['value'])} {test.unit}"
        flags.append(Flag(row["source_event_id"], IMPLAUSIBLE_VALUE, "value",
                          f"{test.label} : {value} hors des limites physiologiques ({_number(test.plausible_low)} à "
                          f"{_number(test.plausible_high)} {test.unit}) ; résultat enregistré, à vérifier "
                          "(erreur d'unité, d'automate ou de saisie ?)", value))
    return flags


def practitioner_flags(moves: Iterable[tuple[dict, str]]) -> list[Flag]:
    """Events that put a known practitioner (same hashed RPPS) at another commune than the one on record."""
    return [Flag(row["source_event_id"], DUPLICATE_RPPS, "commune",
                 f"même numéro RPPS haché reçu pour deux communes : {before} puis {row['commune_insee']} ; la fiche "
                 "suit le dernier envoi (déménagement ou doublon, à vérifier)", f"{before} → {row['commune_insee']}")
            for row, before in moves]


def store(session: Session, *, source: FeedSource, feed_kind: str, event_table: str, flags: list[Flag],
          flagged_at: datetime) -> None:
    """Write the flags in the caller's transaction; one already stored (same event and check) is kept as it is."""
    if not flags:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(QualityFlag).on_conflict_do_nothing(
        index_elements=["source_id", "event_table", "source_event_id", "check_code"])
    session.connection().execute(statement, [
        {"source_id": source.id, "feed_kind": feed_kind, "event_table": event_table,
         "source_event_id": f.source_event_id, "check_code": f.check_code, "message": f.message,
         "value": (f.value or "")[:200] or None, "flagged_at": flagged_at} for f in flags])
