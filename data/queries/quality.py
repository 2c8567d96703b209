"""Data quality per feed source, read in SQL: flags stored at ingestion, rejects and volumes from the
hourly feed rollup, and the sudden-drop check (computed here, never stored).

Score of a source over the last 7 days (QUALITY_DAYS), in %:
    100 × (accepted + updated − flagged) / (accepted + updated + rejected)
where accepted, updated and rejected come from the hourly feed rollup and `flagged` counts the distinct
events flagged in those days; duplicates (harmless re-deliveries) are left out. No event: no score.

Sudden drop: a source whose events of yesterday (Paris calendar day, everything it delivered) are below
DROP_SHARE of the mean of the same weekday over the 4 weeks before, when that mean is at least
DROP_MIN_BASELINE events (smaller sources vary too much for the check to mean anything).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.formatting import PARIS, paris_naive
from data.ingestion.quality import IMPLAUSIBLE_VALUE
from data.models import BiologyResult, Dataset, FeedHourly, FeedSource, QualityFlag
from data.queries.common import area_for, frame

QUALITY_DAYS = 7
DROP_WEEKS = 4
DROP_SHARE = 0.5
DROP_MIN_BASELINE = 20


def utc_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC (naive) moments a Paris calendar day starts and ends at — what the hourly rollup is keyed by."""
    def start(d: date) -> datetime:
        return datetime.combine(d, time(), tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)
    return start(day), start(day + timedelta(days=1))


def score(accepted_updated: int, rejected: int, flagged: int) -> float | None:
    """The quality score (%) of a set of events; None when there is none."""
    events = accepted_updated + rejected
    if events <= 0:
        return None
    return 100.0 * max(accepted_updated - flagged, 0) / events


def source_quality(session: Session, *, scope: AccessScope, now: datetime) -> pd.DataFrame:
    """One row per source: its events of the last 7 days (accepted or updated, rejected), the distinct events
    flagged, and the score."""
    cols = ["source_id", "name", "feed_kind", "accepted", "rejected", "flagged", "score"]
    if not scope.can_see(Dataset.FEEDS):
        return pd.DataFrame(columns=cols)
    since = now - timedelta(days=QUALITY_DAYS)
    fh = FeedHourly
    volumes = {sid: (int(a or 0), int(r or 0)) for sid, a, r in session.execute(
        select(fh.source_id, func.sum(fh.accepted + fh.updated), func.sum(fh.rejected))
        .where(fh.hour >= since.replace(minute=0, second=0, microsecond=0)).group_by(fh.source_id))}
    flagged = dict(session.execute(
        select(QualityFlag.source_id, func.count(func.distinct(QualityFlag.source_event_id)))
        .where(QualityFlag.flagged_at >= since).group_by(QualityFlag.source_id)).all())
    rows = []
    for sid, name, kind in session.execute(select(FeedSource.id, FeedSource.name, FeedSource.feed_kind)
                                           .order_by(FeedSource.feed_kind, FeedSource.name)):
        accepted, rejected = volumes.get(sid, (0, 0))
        n_flagged = int(flagged.get(sid, 0))
        rows.append((sid, name, kind, accepted, rejected, n_flagged, score(accepted, rejected, n_flagged)))
    return frame(rows, cols)


def volume_drops(session: Session, *, scope: AccessScope, now: datetime) -> pd.DataFrame:
    """Per source: yesterday's events, the mean of the same weekday over the 4 weeks before, and whether that
    is a sudden drop (see the module's docstring). Sources with no event in those five days are left out."""
    cols = ["source_id", "yesterday", "baseline", "drop"]
    if not scope.can_see(Dataset.FEEDS):
        return pd.DataFrame(columns=cols)
    yesterday = paris_naive(now.replace(tzinfo=UTC)).date() - timedelta(days=1)
    fh = FeedHourly
    delivered = fh.accepted + fh.updated + fh.duplicates + fh.rejected
    days = [utc_bounds(yesterday - timedelta(weeks=k)) for k in range(DROP_WEEKS + 1)]
    sums = [func.coalesce(func.sum(delivered).filter(and_(fh.hour >= a, fh.hour < b)), 0) for a, b in days]
    rows = session.execute(select(fh.source_id, *sums)
                           .where(fh.hour >= days[-1][0], fh.hour < days[0][1]).group_by(fh.source_id)).all()
    out = []
    for sid, last, *before in rows:
        baseline = sum(int(v) for v in before) / DROP_WEEKS
        out.append((sid, int(last), baseline, baseline >= DROP_MIN_BASELINE and last < DROP_SHARE * baseline))
    return frame(out, cols)


def flags_by_check(session: Session, *, scope: AccessScope, now: datetime) -> pd.DataFrame:
    """Flags of the last 7 days per feed kind and check, with the latest one."""
    cols = ["feed_kind", "check_code", "count", "last"]
    if not scope.can_see(Dataset.FEEDS):
        return pd.DataFrame(columns=cols)
    rows = session.execute(
        select(QualityFlag.feed_kind, QualityFlag.check_code, func.count(), func.max(QualityFlag.flagged_at))
        .where(QualityFlag.flagged_at >= now - timedelta(days=QUALITY_DAYS))
        .group_by(QualityFlag.feed_kind, QualityFlag.check_code)
        .order_by(QualityFlag.feed_kind, QualityFlag.check_code)).all()
    return frame(rows, cols)


def latest_flags(session: Session, *, scope: AccessScope, limit: int = 20) -> pd.DataFrame:
    """The most recent flags, with their source (for the detail level only: the view decides)."""
    cols = ["flagged_at", "source", "feed_kind", "check_code", "event_id", "value", "message"]
    if not scope.can_see(Dataset.FEEDS):
        return pd.DataFrame(columns=cols)
    rows = session.execute(
        select(QualityFlag.flagged_at, FeedSource.name, QualityFlag.feed_kind, QualityFlag.check_code,
               QualityFlag.source_event_id, QualityFlag.value, QualityFlag.message)
        .join(FeedSource, FeedSource.id == QualityFlag.source_id)
        .order_by(QualityFlag.flagged_at.desc(), QualityFlag.id.desc()).limit(limit)).all()
    return frame(rows, cols)


def implausible_results(session: Session, *, scope: AccessScope, filters: Filters) -> int:
    """Biology results of the caller's area and period flagged outside their physiological limits."""
    area = area_for(scope, filters, Dataset.BIOLOGY)
    if area.empty:
        return 0
    br = BiologyResult
    return int(session.scalar(
        select(func.count()).select_from(QualityFlag)
        .join(br, and_(br.source_id == QualityFlag.source_id, br.source_event_id == QualityFlag.source_event_id))
        .where(QualityFlag.check_code == IMPLAUSIBLE_VALUE, QualityFlag.event_table == br.__tablename__,
               br.site_id.in_(area.sites()), br.day.between(filters.period.start, filters.period.end))) or 0)
