"""Biologie délocalisée (EHPAD): tests per site and test, abnormal rate, turnaround, device health."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.models import BiologyDaily, Commune, Dataset, Departement, Device, DeviceStatus, Site
from data.queries.common import area_for, frame, protect_table, rate, weekly_sums
from data.secrecy import is_small
from data.terminology import BIOLOGY_BY_LOINC
from data.users import utcnow

BD = BiologyDaily
SILENT_AFTER = timedelta(hours=48)  # a device that sent no status report for 48 h is "silent"


def test_label(loinc: str) -> str:
    test = BIOLOGY_BY_LOINC.get(loinc)
    return test.label if test else loinc


@dataclass(frozen=True)
class BiologySummary:
    tests: int | None
    abnormal_pct: float | None
    sample_to_result_min: float | None   # mean, minutes
    result_to_lab_min: float | None      # mean over transmitted results
    transmitted_pct: float | None
    sites: int
    devices: int
    devices_alert: int
    summary: bool


def summary(session: Session, *, scope: AccessScope, filters: Filters, now: datetime) -> BiologySummary | None:
    area = area_for(scope, filters, Dataset.BIOLOGY)
    if area.empty:
        return None
    tests, abnormal, s2r, r2l, sent, sites = session.execute(
        select(func.coalesce(func.sum(BD.tests), 0), func.coalesce(func.sum(BD.abnormal), 0),
               func.sum(BD.sample_to_result_min), func.sum(BD.result_to_lab_min),
               func.coalesce(func.sum(BD.transmitted), 0), func.count(func.distinct(BD.site_id)))
        .where(BD.site_id.in_(area.sites()), BD.day.between(filters.period.start, filters.period.end))).one()
    health = _device_rows(session, area, now)
    return BiologySummary(
        tests=None if area.summary and is_small(tests) else int(tests),
        abnormal_pct=rate(abnormal, tests, summary=area.summary),
        sample_to_result_min=s2r / tests if tests and s2r is not None else None,
        result_to_lab_min=r2l / sent if sent and r2l is not None else None,
        transmitted_pct=rate(sent, tests, summary=area.summary), sites=int(sites or 0),
        devices=len(health), devices_alert=int(health["alert"].sum()) if not health.empty else 0,
        summary=area.summary)


def weekly(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    area = area_for(scope, filters, Dataset.BIOLOGY)
    cols = ["week", "test", "tests", "abnormal"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    df = weekly_sums(session, BD.day, BD.loinc, (func.sum(BD.tests), func.sum(BD.abnormal)),
                     (BD.site_id.in_(area.sites()), BD.day.between(filters.period.start, filters.period.end)), cols)
    if df.empty:
        return df
    df["test"] = df["test"].map(test_label)
    if area.summary:
        df = protect_table(protect_table(df, "week", "test", "tests"), "week", "test", "abnormal")
    return df


def by_site_test(session: Session, *, scope: AccessScope, filters: Filters) -> pd.DataFrame:
    """Tests per EHPAD (detail) or département (summary) and test, with abnormal rate and turnaround."""
    area = area_for(scope, filters, Dataset.BIOLOGY)
    cols = ["site", "test", "tests", "abnormal", "abnormal_pct", "sample_to_result_min", "result_to_lab_min",
            "transmitted_pct"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    group = Departement.name if area.summary else Site.name
    stmt = (select(group, BD.loinc, func.sum(BD.tests), func.sum(BD.abnormal), func.sum(BD.sample_to_result_min),
                   func.sum(BD.result_to_lab_min), func.sum(BD.transmitted))
            .join(Site, Site.id == BD.site_id).join(Commune, Commune.insee == Site.commune_insee)
            .join(Departement, Departement.code == Commune.departement_code)
            .where(BD.site_id.in_(area.sites()), BD.day.between(filters.period.start, filters.period.end))
            .group_by(group, BD.loinc).order_by(group, BD.loinc))
    df = frame(session.execute(stmt).all(),
                      columns=["site", "loinc", "tests", "abnormal", "s2r", "r2l", "transmitted"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["test"] = df["loinc"].map(test_label)
    df[["tests", "abnormal", "transmitted"]] = df[["tests", "abnormal", "transmitted"]].astype(int)
    df["abnormal_pct"] = [rate(a, t, summary=area.summary) for a, t in zip(df.abnormal, df.tests, strict=True)]
    df["abnormal_pct"] = df["abnormal_pct"].astype(float).round(1)
    df["sample_to_result_min"] = (df["s2r"] / df["tests"].where(df["tests"] > 0)).round(1)
    df["result_to_lab_min"] = (df["r2l"] / df["transmitted"].where(df["transmitted"] > 0)).round(1)
    df["transmitted_pct"] = (df["transmitted"] / df["tests"].where(df["tests"] > 0) * 100).round(1)
    if area.summary:
        df = protect_table(protect_table(df, "site", "test", "tests"), "site", "test", "abnormal")
    return df[cols]


def devices(session: Session, *, scope: AccessScope, filters: Filters, now: datetime | None = None) -> pd.DataFrame:
    """Each device's last status: failed quality control, or silent for 48 h, is an alert.

    At summary level the device list is per département only (how many, how many in alert).
    """
    area = area_for(scope, filters, Dataset.BIOLOGY)
    df = _device_rows(session, area, now or utcnow())
    if area.summary and not df.empty:  # per département: how many devices, how many in alert
        df["site"] = df["departement"]
        grouped = df.groupby("site").agg(devices=("serial", "count"), alerts=("alert", "sum")).reset_index()
        df = pd.DataFrame({"site": grouped["site"], "devices": grouped["devices"].astype(int),
                           "alerts": grouped["alerts"].astype(int), "alert": grouped["alerts"] > 0})
    df = df.sort_values("alert", ascending=False, kind="stable")  # alerts first, on screen and in exports
    return df.drop(columns=["departement"], errors="ignore").reset_index(drop=True)


def _device_rows(session: Session, area, now: datetime) -> pd.DataFrame:
    cols = ["site", "serial", "model", "last_seen", "qc_status", "battery_pct", "error_code", "state", "alert",
            "departement"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    ds = DeviceStatus
    # each device's latest report: one lookup in the (device, time) index per device, not a scan of
    # every report ever received; two reports of the same instant: the last one received
    latest = (select(ds.id).where(ds.device_id == Device.id).order_by(ds.recorded_at.desc(), ds.id.desc())
              .limit(1).correlate(Device).scalar_subquery())
    rows = session.execute(
        select(Site.name, Device.serial, Device.model, ds.recorded_at, ds.qc_status, ds.battery_pct,
               ds.error_code, Departement.name)
        .join(Site, Site.id == Device.site_id).join(Commune, Commune.insee == Site.commune_insee)
        .join(Departement, Departement.code == Commune.departement_code)
        .outerjoin(ds, ds.id == latest)
        .where(Device.site_id.in_(area.sites())).order_by(Site.name, Device.serial)).all()
    out = []
    states = {"passed": "réussi", "failed": "échec", "not_run": "non fait"}
    for site, serial, model, seen, qc, battery, error, dep in rows:
        silent = seen is None or now - seen > SILENT_AFTER
        failed = qc == "failed"
        state = ("Silencieux" if silent else "Contrôle qualité en échec" if failed else
                 f"Erreur {error}" if error else "En service")
        out.append((site, serial, model, seen, states.get(qc, qc or "—"), battery, error, state, silent or failed,
                    dep))
    return pd.DataFrame(out, columns=cols)
