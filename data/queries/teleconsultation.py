"""Téléconsultation page: sessions, rates, duration, EHPAD reach and medical time (from rollups)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.models import (
    Commune,
    Dataset,
    Departement,
    Site,
    TeleconsultationDaily,
    TeleconsultationDuration,
)
from data.queries.common import (
    area_for,
    frame,
    protect_column,
    protect_table,
    rate,
    weekly_sums,
)
from data.secrecy import is_small
from data.terminology import SITE_KINDS, SPECIALTIES

DAYS_PER_MONTH = 365.25 / 12
TD = TeleconsultationDaily


@dataclass(frozen=True)
class TeleconsultationSummary:
    sessions: int | None            # every session booked (any status)
    completed: int | None
    completion_pct: float | None
    failure_pct: float | None       # technical failures
    no_show_pct: float | None
    cancelled_pct: float | None
    median_minutes: float | None
    share_75_plus_pct: float | None
    ehpads_active: int
    ehpads_total: int
    ehpad_hours_per_100_residents_month: float | None
    summary: bool

    @property
    def hidden(self) -> bool:
        return self.sessions is None


def _statuses(session: Session, area, filters: Filters) -> dict[str, tuple[int, int, int]]:
    rows = session.execute(
        select(TD.status, func.sum(TD.sessions), func.sum(TD.minutes), func.sum(TD.patients_75_plus))
        .where(TD.site_id.in_(area.sites()), TD.day.between(filters.period.start, filters.period.end))
        .group_by(TD.status)).all()
    return {s: (int(n or 0), int(m or 0), int(o or 0)) for s, n, m, o in rows}


def median_duration(session: Session, area, filters: Filters) -> float | None:
    """Median length of completed sessions, from the distribution of minutes (duration rollup)."""
    t = TeleconsultationDuration
    rows = session.execute(
        select(t.duration_min, func.sum(t.sessions))
        .where(t.site_id.in_(area.sites()), t.day.between(filters.period.start, filters.period.end))
        .group_by(t.duration_min).having(func.sum(t.sessions) > 0).order_by(t.duration_min)).all()
    total = sum(n for _, n in rows)
    if not total:
        return None
    lower, upper = (total - 1) // 2, total // 2  # 0-based ranks of the middle value(s)
    seen, values = 0, {}
    for minutes, n in rows:
        for rank in (lower, upper):
            if seen <= rank < seen + n:
                values[rank] = minutes
        seen += n
    return (values[lower] + values[upper]) / 2


def summary(session: Session, *, scope: AccessScope, filters: Filters) -> TeleconsultationSummary | None:
    area = area_for(scope, filters, Dataset.TELECONSULTATION)
    if area.empty:
        return None
    by_status = _statuses(session, area, filters)
    total = sum(n for n, _, _ in by_status.values())
    completed, minutes, old = by_status.get("completed", (0, 0, 0))

    def pct(status: str) -> float | None:
        return rate(by_status.get(status, (0, 0, 0))[0], total, summary=area.summary)

    ehpads = session.execute(
        select(Site.id, Site.residents).where(Site.kind == "ehpad", Site.id.in_(area.sites()))).all()
    ehpad_ids = [i for i, _ in ehpads]
    active = session.scalar(
        select(func.count(func.distinct(TD.site_id)))
        .where(TD.site_id.in_(ehpad_ids), TD.status == "completed",
               TD.day.between(filters.period.start, filters.period.end))) if ehpad_ids else 0
    ehpad_minutes = session.scalar(
        select(func.coalesce(func.sum(TD.minutes), 0))
        .where(TD.site_id.in_(ehpad_ids), TD.status == "completed",
               TD.day.between(filters.period.start, filters.period.end))) if ehpad_ids else 0
    residents = sum(r or 0 for _, r in ehpads)
    months = filters.period.days / DAYS_PER_MONTH
    hours = (ehpad_minutes / 60 / residents * 100 / months) if residents and months else None
    hide = area.summary and is_small(total)
    return TeleconsultationSummary(
        sessions=None if hide else total, completed=None if hide or (area.summary and is_small(completed))
        else completed,
        completion_pct=pct("completed"), failure_pct=pct("technical_failure"), no_show_pct=pct("no_show"),
        cancelled_pct=pct("cancelled"), median_minutes=median_duration(session, area, filters),
        share_75_plus_pct=rate(old, completed, summary=area.summary),
        ehpads_active=int(active or 0), ehpads_total=len(ehpads),
        ehpad_hours_per_100_residents_month=hours, summary=area.summary)


def weekly(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """Sessions per week: by specialty at detail level, by département at summary level."""
    area = area_for(scope, filters, Dataset.TELECONSULTATION)
    cols = ["week", "group", "completed", "not_completed"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    done = func.sum(TD.sessions).filter(TD.status == "completed")
    other = func.sum(TD.sessions).filter(TD.status != "completed")
    where = (TD.site_id.in_(area.sites()), TD.day.between(filters.period.start, filters.period.end))
    if area.summary:
        df = weekly_sums(session, TD.day, Departement.name, (done, other), where, cols,
                         joins=lambda stmt: stmt.join(Site, Site.id == TD.site_id)
                         .join(Commune, Commune.insee == Site.commune_insee)
                         .join(Departement, Departement.code == Commune.departement_code))
    else:
        df = weekly_sums(session, TD.day, TD.specialty, (done, other), where, cols)
    if df.empty:
        return df
    if area.summary:
        df = protect_table(df, "week", "group", "completed")
        df = protect_table(df, "week", "group", "not_completed")
    else:
        df["group"] = df["group"].map(lambda s: SPECIALTIES.get(s, s))
    return df


def by_site(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """Activity per site (detail) or per département (summary), with rates."""
    area = area_for(scope, filters, Dataset.TELECONSULTATION)
    cols = ["name", "kind", "commune", "sessions", "completed", "completion_pct", "failure_pct", "hours",
            "share_75_plus_pct", "lat", "lon", "insee"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    measures = (func.sum(TD.sessions), func.sum(TD.sessions).filter(TD.status == "completed"),
                func.sum(TD.sessions).filter(TD.status == "technical_failure"),
                func.sum(TD.minutes).filter(TD.status == "completed"),
                func.sum(TD.patients_75_plus).filter(TD.status == "completed"))
    where = (TD.site_id.in_(area.sites()), TD.day.between(filters.period.start, filters.period.end))
    if area.summary:
        rows = session.execute(
            select(Departement.name, func.avg(Commune.lat), func.avg(Commune.lon), *measures)
            .join(Site, Site.id == TD.site_id).join(Commune, Commune.insee == Site.commune_insee)
            .join(Departement, Departement.code == Commune.departement_code)
            .where(*where).group_by(Departement.name).order_by(Departement.name)).all()
        df = pd.DataFrame([(n, "", "", *m, la, lo, None) for n, la, lo, *m in rows],
                          columns=["name", "kind", "commune", "sessions", "completed", "failed", "minutes", "old",
                                   "lat", "lon", "insee"])
    else:
        rows = session.execute(
            select(Site.name, Site.kind, Commune.name, *measures, Commune.lat, Commune.lon, Commune.insee)
            .join(Site, Site.id == TD.site_id).join(Commune, Commune.insee == Site.commune_insee)
            .where(*where)
            .group_by(Site.id, Site.name, Site.kind, Commune.name, Commune.lat, Commune.lon, Commune.insee)
            .order_by(Site.name)).all()
        df = frame(rows, columns=["name", "kind", "commune", "sessions", "completed", "failed", "minutes",
                                         "old", "lat", "lon", "insee"])
        df["kind"] = df["kind"].map(lambda k: SITE_KINDS.get(k, k))
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.fillna({"sessions": 0, "completed": 0, "failed": 0, "minutes": 0, "old": 0})
    df["completion_pct"] = [rate(c, s, summary=area.summary) for c, s in zip(df.completed, df.sessions, strict=True)]
    df["failure_pct"] = [rate(f, s, summary=area.summary) for f, s in zip(df.failed, df.sessions, strict=True)]
    df["share_75_plus_pct"] = [rate(o, c, summary=area.summary) for o, c in zip(df.old, df.completed, strict=True)]
    df["hours"] = (df["minutes"] / 60).round(1)
    for c in ("completion_pct", "failure_pct", "share_75_plus_pct"):
        df[c] = df[c].astype(float).round(1)
    df[["sessions", "completed"]] = df[["sessions", "completed"]].astype(int)
    if area.summary:
        df = protect_column(protect_column(df, "sessions"), "completed")
    return df[cols]
