"""Évaluation: the monthly panel of EHPADs behind the teleconsultation impact estimates (aggregated in SQL).

One row per EHPAD × month of its activity records (programme feed, /api/v1/programme/ehpad-activity), read in
SQL (of several records of one month, the latest received counts: a correction under a new event id, or the
same month sent by a second source, replaces the earlier one), with the month of the EHPAD's first completed
teleconsultation read from the teleconsultation rollup (None: not equipped yet). The modelling (data/impact.py)
then works on this small frame — a few thousand rows for a hundred EHPADs over three years.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Commune, Departement, EhpadActivity, Site, TeleconsultationDaily
from data.queries.common import Area, as_date, frame, month_start

PANEL_COLUMNS = ["site_id", "site", "departement", "departement_name", "month", "residents", "transfers",
                 "referrals", "first_session"]


def ehpad_panel(session: Session, *, area: Area, until: date) -> pd.DataFrame:
    """EHPAD × month (≤ `until`'s month) in the area: residents, emergency transfers, referrals, and the first
    day of the EHPAD's first completed teleconsultation month (NaT-like None when none yet)."""
    if area.empty:
        return pd.DataFrame(columns=PANEL_COLUMNS)
    sites = area.sites()
    # one record per EHPAD and month: the latest received (a correction or a second sender replaces it)
    latest = (select(func.max(EhpadActivity.id).label("id"))
              .where(EhpadActivity.site_id.in_(sites), EhpadActivity.month <= until)
              .group_by(EhpadActivity.site_id, EhpadActivity.month).subquery())
    activity = (select(EhpadActivity.site_id, EhpadActivity.month, EhpadActivity.residents,
                       EhpadActivity.emergency_transfers.label("transfers"),
                       EhpadActivity.hospital_referrals.label("referrals"))
                .join(latest, latest.c.id == EhpadActivity.id).subquery())
    first = (select(TeleconsultationDaily.site_id, func.min(TeleconsultationDaily.day).label("first_day"))
             .where(TeleconsultationDaily.status == "completed", TeleconsultationDaily.sessions > 0,
                    TeleconsultationDaily.site_id.in_(sites), TeleconsultationDaily.day <= until)
             .group_by(TeleconsultationDaily.site_id).subquery())
    stmt = (select(activity.c.site_id, Site.name, Commune.departement_code, Departement.name, activity.c.month,
                   activity.c.residents, activity.c.transfers, activity.c.referrals,
                   month_start(session, first.c.first_day))
            .join(Site, Site.id == activity.c.site_id)
            .join(Commune, Commune.insee == Site.commune_insee)
            .join(Departement, Departement.code == Commune.departement_code)
            .outerjoin(first, first.c.site_id == activity.c.site_id)
            .where(Site.kind == "ehpad")
            .order_by(activity.c.site_id, activity.c.month))
    df = frame(session.execute(stmt).all(), columns=PANEL_COLUMNS)
    if df.empty:
        return df
    df["month"] = as_date(df["month"])
    first = pd.to_datetime(df["first_session"])
    df["first_session"] = [None if pd.isna(v) else v.date() for v in first]
    df[["residents", "transfers", "referrals"]] = df[["residents", "transfers", "referrals"]].astype(int)
    return df
