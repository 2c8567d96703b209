"""Rollups kept by ingestion equal the raw-event answers, after random ingestion sequences
(duplicates, rejects, stops that progress), on random filters."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, case, func, select

from data import admin
from data.db import make_engine, make_session_factory, upgrade
from data.geography import load_territory
from data.ingestion.pipeline import ENDPOINTS, ingest
from data.models import (
    MobileDaily,
    MobileStop,
    MobileUnit,
    Site,
    TeleconsultationDaily,
    TeleconsultationDuration,
    TeleconsultationSession,
)
from data.terminology import AGE_BANDS_75_PLUS

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.sqlite3'}")
    upgrade(engine)
    session = make_session_factory(engine)()
    load_territory(session, departements=("52", "55"))
    session.add_all([Site(code="S1", name="EHPAD 1", kind="ehpad", commune_insee="55029", teleconsultation=True),
                     Site(code="S2", name="MSP 2", kind="centre_sante", commune_insee="55545", teleconsultation=True),
                     MobileUnit(code="U1", name="Unité 1", departement_code="52")])
    tc = admin.create_source(session, actor=None, name="prop tc", feed_kind="teleconsultation")
    mob = admin.create_source(session, actor=None, name="prop mobile", feed_kind="mobile")
    session.commit()
    yield session, tc, mob
    session.close()
    engine.dispose()


tele = st.fixed_dictionaries({
    "event_id": st.sampled_from([f"T{i}" for i in range(40)]),  # small pool: many duplicates
    "site_code": st.sampled_from(["S1", "S2", "S9"]),           # S9 does not exist: rejected
    "started_at": st.integers(0, 20 * 24 * 60).map(lambda m: (NOW - timedelta(minutes=m)).isoformat()),
    "specialty": st.sampled_from(["geriatrie", "dermatologie"]),
    "requester_type": st.just("infirmier"),
    "patient_age_band": st.sampled_from(["60-74", "85+"]),
    "patient_commune": st.sampled_from(["55029", "52121", None]),
    "status": st.sampled_from(["completed", "cancelled"]),
    "duration_min": st.integers(5, 12),  # few values: the same length recurs, as it does in real sessions
}).map(lambda e: {**e, "outcome": "resolved"} if e["status"] == "completed" else {**e, "duration_min": None})

stop = st.fixed_dictionaries({
    "event_id": st.sampled_from([f"M{i}" for i in range(15)]),
    "unit_code": st.just("U1"),
    "commune": st.sampled_from(["52121", "52250"]),
    "day_offset": st.integers(1, 15),
    "status": st.sampled_from(["planned", "completed", "cancelled"]),
    "consultations": st.integers(0, 12),
}).map(lambda e: _stop(**e))


def _stop(event_id, unit_code, commune, day_offset, status, consultations):
    arrival = NOW - timedelta(days=day_offset, hours=3)
    done = status == "completed"
    return {"event_id": event_id, "unit_code": unit_code, "commune": commune,
            "planned_arrival": arrival.isoformat(), "planned_departure": (arrival + timedelta(hours=3)).isoformat(),
            "actual_arrival": arrival.isoformat() if done else None,
            "actual_departure": (arrival + timedelta(hours=3)).isoformat() if done else None,
            "status": status, "slots_offered": 12, "consultations": consultations if done else 0,
            "new_patients": 0}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches=st.lists(st.tuples(st.lists(tele, max_size=12), st.lists(stop, max_size=6)), min_size=1, max_size=4),
       window=st.tuples(st.integers(0, 25), st.integers(0, 25)), site=st.sampled_from([None, "S1", "S2"]))
def test_rollups_answer_like_raw_events(world, batches, window, site):
    session, tc_source, mobile_source = world
    for sessions, stops in batches:
        ingest(session, source=tc_source, endpoint=ENDPOINTS["teleconsultation/sessions"], items=sessions)
        ingest(session, source=mobile_source, endpoint=ENDPOINTS["mobile/stops"], items=stops)
        session.commit()

    first = (NOW - timedelta(days=max(window))).date()
    last = (NOW - timedelta(days=min(window))).date()

    # teleconsultation: completed sessions, minutes and 75+ patients, per status, for a window and a site
    raw, rolled = TeleconsultationSession, TeleconsultationDaily
    site_filter = [] if site is None else [Site.code == site]
    raw_q = (select(raw.status, func.count(), func.coalesce(func.sum(raw.duration_min), 0),
                    func.sum(case((raw.patient_age_band.in_(AGE_BANDS_75_PLUS), 1), else_=0)))
             .join(Site, Site.id == raw.site_id).where(raw.day.between(first, last), *site_filter)
             .group_by(raw.status))
    roll_q = (select(rolled.status, func.sum(rolled.sessions), func.sum(rolled.minutes),
                     func.sum(rolled.patients_75_plus))
              .join(Site, Site.id == rolled.site_id).where(rolled.day.between(first, last), *site_filter)
              .group_by(rolled.status).having(func.sum(rolled.sessions) != 0))
    assert sorted(map(tuple, session.execute(raw_q))) == sorted(map(tuple, session.execute(roll_q)))

    # teleconsultation: distribution of the lengths of completed sessions (the median's input)
    dur = TeleconsultationDuration
    raw_d = (select(raw.duration_min, func.count()).join(Site, Site.id == raw.site_id)
             .where(raw.day.between(first, last), raw.status == "completed", raw.duration_min.is_not(None),
                    *site_filter).group_by(raw.duration_min))
    roll_d = (select(dur.duration_min, func.sum(dur.sessions)).join(Site, Site.id == dur.site_id)
              .where(dur.day.between(first, last), *site_filter).group_by(dur.duration_min)
              .having(func.sum(dur.sessions) != 0))
    assert sorted(map(tuple, session.execute(raw_d))) == sorted(map(tuple, session.execute(roll_d)))

    # mobile: stops and consultations per commune and status, after stops progressed or were re-sent
    m, md = MobileStop, MobileDaily
    raw_m = (select(m.commune_insee, m.status, func.count(), func.sum(m.consultations))
             .where(m.day.between(first, last)).group_by(m.commune_insee, m.status))
    roll_m = (select(md.commune_insee, md.status, func.sum(md.stops), func.sum(md.consultations))
              .where(and_(md.day.between(first, last))).group_by(md.commune_insee, md.status)
              .having(func.sum(md.stops) != 0))
    assert sorted(map(tuple, session.execute(raw_m))) == sorted(map(tuple, session.execute(roll_m)))
