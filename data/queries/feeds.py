"""Feed health per source: last event, events per hour, rejects by reason (read from rollups)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.models import Dataset, FeedHourly, FeedSource, RejectedPayload
from data.queries.common import frame

SILENT_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class SourceHealth:
    source_id: int
    name: str
    feed_kind: str
    key_state: str
    last_seen_at: datetime | None
    events_last_hour: int
    events_per_hour_24h: float
    rejected_24h: int
    rejects_by_reason: dict[str, int]

    def silent(self, now: datetime) -> bool:
        return self.last_seen_at is None or now - self.last_seen_at > SILENT_AFTER


def feed_health(session: Session, *, scope: AccessScope, now: datetime) -> list[SourceHealth]:
    """One line per feed source; nothing for a caller without the `feeds` grant."""
    if not scope.can_see(Dataset.FEEDS):
        return []
    day_ago, hour_ago = now - timedelta(hours=24), now - timedelta(hours=1)
    delivered = FeedHourly.accepted + FeedHourly.updated + FeedHourly.duplicates + FeedHourly.rejected
    per_source = {sid: (int(last or 0), int(day or 0), int(rej or 0)) for sid, last, day, rej in session.execute(
        select(FeedHourly.source_id,
               func.sum(delivered).filter(FeedHourly.hour >= hour_ago.replace(minute=0, second=0, microsecond=0)),
               func.sum(delivered), func.sum(FeedHourly.rejected))
        .where(FeedHourly.hour >= day_ago).group_by(FeedHourly.source_id))}
    reasons: dict[int, dict[str, int]] = {}
    for sid, reason, n in session.execute(
            select(RejectedPayload.source_id, RejectedPayload.reason, func.count())
            .where(RejectedPayload.received_at >= day_ago).group_by(RejectedPayload.source_id, RejectedPayload.reason)):
        reasons.setdefault(sid, {})[reason] = n
    out = []
    for s in session.scalars(select(FeedSource).order_by(FeedSource.feed_kind, FeedSource.name)):
        last_hour, day, rejected = per_source.get(s.id, (0, 0, 0))
        state = "sans clé" if s.key_hash is None else "révoquée" if s.revoked_at else "active"
        out.append(SourceHealth(s.id, s.name, s.feed_kind, state, s.last_seen_at, last_hour, day / 24, rejected,
                                dict(sorted(reasons.get(s.id, {}).items(), key=lambda kv: -kv[1]))))
    return out


# Short French labels of the reasons a payload is refused (the stored reason stays the code).
REASON_LABELS = {
    "missing": "champ manquant", "extra_forbidden": "champ inconnu", "literal_error": "valeur non autorisée",
    "string_pattern_mismatch": "format invalide", "timezone_aware": "fuseau horaire absent",
    "future_timestamp": "date dans le futur", "unknown_loinc": "code LOINC non autorisé",
    "ucum_unit_mismatch": "unité UCUM incorrecte", "inconsistent_abnormal_flag": "indicateur d'anomalie incohérent",
    "unknown_commune": "commune inconnue", "unknown_site": "site inconnu", "site_not_allowed": "site non autorisé",
    "unknown_device": "automate inconnu", "unknown_unit": "véhicule inconnu",
    "position_out_of_area": "position hors territoire", "too_far_ahead": "date trop lointaine",
    "unknown_territory": "territoire inconnu", "fhir_structure": "ressource FHIR invalide",
    "missing_position": "position GPS absente", "invalid_json": "JSON illisible", "invalid_body": "corps invalide",
    "batch_too_large": "lot trop volumineux", "empty_batch": "lot vide", "unreadable_extract": "extraction illisible",
    "timestamp_out_of_range": "date hors fenêtre", "timestamp_too_old": "date trop ancienne",
    "date_out_of_range": "date hors fenêtre", "incomplete_datetime": "date-heure incomplète",
    "unprocessable_item": "événement illisible", "payload_too_large": "requête trop volumineuse",
    "unsupported_media_type": "type de contenu refusé",
    "result_before_sample": "résultat avant le prélèvement",
    "transmitted_before_result": "transmission avant le résultat",
    "result_too_late": "résultat plus de 24 h après le prélèvement",
    "departure_before_arrival": "départ avant l'arrivée",
    "stop_too_long": "arrêt de plus de 24 h", "actual_times_not_allowed": "heure réelle sur un arrêt non réalisé",
    "session_ends_in_future": "séance finissant dans le futur",
}


def reason_label(reason: str) -> str:
    from data.ingestion.rows import FRENCH_MESSAGES

    return REASON_LABELS.get(reason) or FRENCH_MESSAGES.get(reason) or reason


KIND_LABELS = {"teleconsultation": "Téléconsultation", "mobile": "Cabinets mobiles", "biology": "Biologie délocalisée",
               "workforce": "Démographie des professionnels", "programme": "Indicateurs du programme"}


def sources_table(session: Session, *, scope: AccessScope, filters=None, now: datetime | None = None):
    """One row per source, silent sources stated in words (the view groups them per feed kind at summary)."""
    from data.users import utcnow

    now = now or utcnow()
    cols = ["name", "kind", "key_state", "last_seen_at", "events_last_hour", "per_hour", "rejected_24h", "reasons",
            "state", "silent"]
    rows = [(h.name, KIND_LABELS.get(h.feed_kind, h.feed_kind), h.key_state, h.last_seen_at, h.events_last_hour,
             round(h.events_per_hour_24h, 1), h.rejected_24h,
             ", ".join(f"{reason_label(r)} ({n})" for r, n in h.rejects_by_reason.items()),
             "Silencieuse depuis plus de 24 h" if h.silent(now) else "Active", h.silent(now))
            for h in feed_health(session, scope=scope, now=now)]
    df = frame(rows, columns=cols)
    return df


def hourly(session: Session, *, scope: AccessScope, filters=None, now: datetime | None = None, hours: int = 48):
    """What each feed kind delivered per hour over the last `hours` hours."""
    import pandas as pd

    from data.users import utcnow

    cols = ["hour", "kind", "accepted", "updated", "duplicates", "rejected"]
    if not scope.can_see(Dataset.FEEDS):
        return pd.DataFrame(columns=cols)
    now = now or utcnow()
    since = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    fh = FeedHourly
    rows = session.execute(
        select(fh.hour, FeedSource.feed_kind, func.sum(fh.accepted), func.sum(fh.updated), func.sum(fh.duplicates),
               func.sum(fh.rejected)).join(FeedSource, FeedSource.id == fh.source_id)
        .where(fh.hour >= since).group_by(fh.hour, FeedSource.feed_kind).order_by(fh.hour)).all()
    df = frame(rows, columns=cols)
    df["kind"] = df["kind"].map(lambda k: KIND_LABELS.get(k, k))
    return df


def rejects(session: Session, *, scope: AccessScope, filters=None, now: datetime | None = None, days: int = 7):
    import pandas as pd

    from data.users import utcnow

    cols = ["kind", "reason", "field", "count", "last"]
    if not scope.can_see(Dataset.FEEDS):
        return pd.DataFrame(columns=cols)
    since = (now or utcnow()) - timedelta(days=days)
    rp = RejectedPayload
    rows = session.execute(select(rp.feed_kind, rp.reason, rp.field_path, func.count(), func.max(rp.received_at))
                           .where(rp.received_at >= since).group_by(rp.feed_kind, rp.reason, rp.field_path)
                           .order_by(func.count().desc())).all()
    df = frame(rows, columns=cols)
    df["kind"] = df["kind"].map(lambda k: KIND_LABELS.get(k, k))
    df["reason"] = df["reason"].map(reason_label)
    return df
