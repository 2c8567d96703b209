"""Reports expected, received and received on time, per device, site and mobile stop (DHIS2 reporting rate
and timeliness), as SQL aggregates over a window of days.

What each source owes (the rules /flux and the pages' « données incomplètes » notes state):
- a biology **device** owes one status report per day (Paris clock) from the day of its first status report,
  taken as its entry into service (the model has no withdrawal date: a device withdrawn stays expected until
  it is deleted); received: the days with at least one status; on time: a status of that day received before
  the end of that day (midnight, Paris clock);
- a **teleconsultation site** owes a report of each session within an hour of its end (start + duration; its
  start for a session not held); received: the sessions stored; on time: received within that hour. A site
  equipped for teleconsultation (`Site.teleconsultation`, opened by the window's end) that sent nothing over
  the window owes what it usually sends: a quarter of its sessions of the 28 days before the window, at least 1;
- a **mobile stop** owes a confirmation (completed or cancelled) by the end of its day (Paris clock): every stop
  of a past day is expected; received: confirmed; on time: first confirmed (`MobileStop.confirmed_at`, which a
  later correction does not move) before the end of its day. A stop still « planned » after its day is missing.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import DateTime, case, func, literal, select
from sqlalchemy.orm import Session

from data.filters import Period
from data.formatting import PARIS, to_paris
from data.models import (
    Commune,
    Device,
    DeviceStatus,
    MobileStop,
    MobileUnit,
    Site,
    TeleconsultationDaily,
    TeleconsultationSession,
)
from data.queries.common import Area, frame

WINDOW_DAYS = 7
SESSION_DELAY_MIN = 60  # a session is reported within the hour after its end
BASELINE_DAYS = 28  # what a silent site usually sends: its sessions over the 4 weeks before the window
NOT_HELD = ("cancelled", "no_show")  # a session not held ends when it was due to start
DEVICE_COLUMNS = ["device_id", "serial", "model", "site", "site_code", "departement", "expected", "received",
                  "on_time", "missing_days"]
SITE_COLUMNS = ["site_id", "site", "site_code", "kind", "departement", "expected", "received", "on_time", "silent"]
STOP_COLUMNS = ["unit", "commune", "insee", "departement", "day", "expected", "received", "on_time"]


def report_window(now: datetime, days: int = WINDOW_DAYS) -> Period:
    """The last `days` full days before today (Paris clock)."""
    today = to_paris(now).date()
    return Period(today - timedelta(days=days), today - timedelta(days=1))


def end_of_day(day: date) -> datetime:
    """The midnight (Paris clock) that ends `day`, as stored: naive UTC."""
    return (datetime.combine(day + timedelta(days=1), time()).replace(tzinfo=PARIS).astimezone(UTC)
            .replace(tzinfo=None))


def _days(period: Period) -> list[date]:
    return [period.start + timedelta(days=i) for i in range(period.days)]


def _end_of_its_day(day_col, period: Period):
    """Per row, the end of its day (exact across daylight-saving changes): a CASE over the window's days."""
    return case(*((day_col == d, literal(end_of_day(d), DateTime())) for d in _days(period)))


def _minutes_between(session: Session, later, earlier):
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 1440.0
    return func.extract("epoch", later - earlier) / 60.0


def device_reports(session: Session, *, area: Area, period: Period, timeliness: bool = True) -> pd.DataFrame:
    """One row per device of the area in service by the period's end: days expected, received, on time (None
    when not asked) and the days missing (with `timeliness` only: a short window)."""
    if area.empty:
        return pd.DataFrame(columns=DEVICE_COLUMNS)
    first = (select(func.min(DeviceStatus.recorded_at)).where(DeviceStatus.device_id == Device.id)
             .correlate(Device).scalar_subquery())  # the (device, time) index answers it per device
    devices = session.execute(
        select(Device.id, Device.serial, Device.model, Site.name, Site.code, Commune.departement_code, first)
        .join(Site, Site.id == Device.site_id).join(Commune, Commune.insee == Site.commune_insee)
        .where(area.covers(Site.commune_insee)).order_by(Site.name, Device.serial)).all()
    in_service = {d[0]: (d, max(period.start, to_paris(d[6]).date())) for d in devices
                  if d[6] is not None and to_paris(d[6]).date() <= period.end}
    if not in_service:
        return pd.DataFrame(columns=DEVICE_COLUMNS)
    ds = DeviceStatus
    window = (ds.day >= period.start, ds.day <= period.end, ds.device_id.in_(list(in_service)))
    days: dict[int, dict[date, bool | None]] = {i: {} for i in in_service}
    if timeliness:
        for device_id, day, first_received in session.execute(
                select(ds.device_id, ds.day, func.min(ds.received_at)).where(*window).group_by(ds.device_id, ds.day)):
            days[device_id][day] = first_received < end_of_day(day)
        counts = {i: len(d) for i, d in days.items()}
    else:
        counts = dict(session.execute(select(ds.device_id, func.count(func.distinct(ds.day))).where(*window)
                                      .group_by(ds.device_id)).all())
    rows = []
    for device_id, (d, since) in in_service.items():
        expected = (period.end - since).days + 1
        got = days[device_id]
        missing = tuple(day for day in _days(Period(since, period.end)) if day not in got) if timeliness else ()
        rows.append((device_id, d[1], d[2], d[3], d[4], d[5], expected, int(counts.get(device_id, 0)),
                     sum(got.values()) if timeliness else None, missing))
    return pd.DataFrame(rows, columns=DEVICE_COLUMNS)


def site_reports(session: Session, *, area: Area, period: Period, timeliness: bool = True) -> pd.DataFrame:
    """One row per teleconsultation site of the area that reported over the period or is equipped: sessions
    expected, received, on time (None when not asked), and whether it was silent."""
    if area.empty:
        return pd.DataFrame(columns=SITE_COLUMNS)
    tc = TeleconsultationSession
    measures = [func.count()]
    if timeliness:
        due = func.coalesce(case((tc.status.in_(NOT_HELD), 0), else_=tc.duration_min), 0) + SESSION_DELAY_MIN
        measures.append(func.sum(case((_minutes_between(session, tc.received_at, tc.started_at) <= due, 1),
                                      else_=0)))
    received = {r[0]: r[1:] for r in session.execute(
        select(tc.site_id, *measures).where(tc.day >= period.start, tc.day <= period.end,
                                            tc.site_id.in_(area.sites())).group_by(tc.site_id))}
    sites = session.execute(
        select(Site.id, Site.name, Site.code, Site.kind, Commune.departement_code, Site.teleconsultation,
               Site.opened_on)
        .join(Commune, Commune.insee == Site.commune_insee).where(area.covers(Site.commune_insee))
        .order_by(Site.name)).all()
    equipped = {s[0] for s in sites if s[5] and (s[6] is None or s[6] <= period.end)}
    silent = equipped - set(received)
    baseline: dict[int, int] = {}
    if silent:
        td = TeleconsultationDaily
        baseline = {k: int(v or 0) for k, v in session.execute(
            select(td.site_id, func.sum(td.sessions))
            .where(td.day >= period.start - timedelta(days=BASELINE_DAYS), td.day < period.start,
                   td.site_id.in_(list(silent))).group_by(td.site_id))}
    rows = []
    for site_id, name, code, kind, dep, _equipped, _opened in sites:
        if site_id in received:
            n, *on_time = received[site_id]
            rows.append((site_id, name, code, kind, dep, int(n), int(n), int(on_time[0] or 0) if timeliness else None,
                         False))
        elif site_id in silent:
            expected = max(1, round(baseline.get(site_id, 0) * period.days / BASELINE_DAYS))
            rows.append((site_id, name, code, kind, dep, expected, 0, 0 if timeliness else None, True))
    return pd.DataFrame(rows, columns=SITE_COLUMNS)


def stop_reports(session: Session, *, area: Area, period: Period, timeliness: bool = True) -> pd.DataFrame:
    """Mobile stops of the area over the period, per vehicle, commune and day: expected, confirmed, confirmed
    by the end of their day (None when not asked)."""
    if area.empty:
        return pd.DataFrame(columns=STOP_COLUMNS)
    ms = MobileStop
    measures = [func.count(), func.sum(case((ms.status != "planned", 1), else_=0))]
    if timeliness:
        measures.append(func.sum(case((ms.confirmed_at < _end_of_its_day(ms.day, period), 1), else_=0)))
    rows = session.execute(
        select(MobileUnit.name, Commune.name, ms.commune_insee, Commune.departement_code, ms.day, *measures)
        .join(MobileUnit, MobileUnit.id == ms.unit_id).join(Commune, Commune.insee == ms.commune_insee)
        .where(ms.day >= period.start, ms.day <= period.end, area.covers(ms.commune_insee))
        .group_by(MobileUnit.name, Commune.name, ms.commune_insee, Commune.departement_code, ms.day)
        .order_by(ms.day, MobileUnit.name)).all()
    df = frame([(*r[:5], int(r[5]), int(r[6] or 0), int(r[7] or 0) if timeliness else None) for r in rows],
               columns=STOP_COLUMNS)
    return df
