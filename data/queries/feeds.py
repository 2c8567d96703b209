"""Feed health per source: last event, events per hour, rejects by reason (read from rollups)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.models import Dataset, FeedHourly, FeedSource, RejectedPayload

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
