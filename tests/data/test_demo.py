"""The demo generator: deterministic, realistic, on the real communes."""
from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import case, func, select

from data import demo
from data.db import make_engine, make_session_factory, session_scope, upgrade
from data.models import (
    BiologyResult,
    Commune,
    Device,
    DeviceStatus,
    Grant,
    HealthProfessional,
    MobileStop,
    MobileUnit,
    ProgrammeIndicatorValue,
    Site,
    TeleconsultationSession,
    User,
)
from data.terminology import BIOLOGY_BY_LOINC
from tests.conftest import DEMO_END


def _demo(model):
    """Rows made by the generator (other tests ingest into the same database through the API)."""
    from data.models import FeedSource

    return model.source_id.in_(select(FeedSource.id).where(FeedSource.name.like("Démo%")))


def _small(tmp_path, name: str, seed: int = 7) -> tuple[dict, str]:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as s:
        counts = demo.generate(s, seed=seed, end=date(2026, 6, 30), years=1, departements=("52", "55"),
                               now=datetime(2026, 7, 1, 8, 0, tzinfo=UTC))  # today's tours: one clock
    with session_scope(make_session_factory(engine)) as s:
        digest = hashlib.sha256()
        for model, order in ((TeleconsultationSession, TeleconsultationSession.source_event_id),
                             (BiologyResult, BiologyResult.source_event_id),
                             (MobileStop, MobileStop.source_event_id),
                             (HealthProfessional, HealthProfessional.rpps_hash)):
            for row in s.execute(select(model.__table__).order_by(order)):
                digest.update(repr(tuple(v for k, v in row._mapping.items() if k not in ("id", "received_at")))
                              .encode())
    engine.dispose()
    return counts, digest.hexdigest()


def test_same_seed_same_data(tmp_path):
    counts_a, digest_a = _small(tmp_path, "a.sqlite3")
    counts_b, digest_b = _small(tmp_path, "b.sqlite3")
    assert counts_a == counts_b
    assert digest_a == digest_b
    _, digest_c = _small(tmp_path, "c.sqlite3", seed=8)
    assert digest_c != digest_a


def test_default_set_has_every_feed(demo_counts):
    for table in ("teleconsultation_session", "mobile_stop", "vehicle_position", "biology_result",
                  "device_status", "health_professional", "programme_indicator_value", "site", "device"):
        assert demo_counts[table] > 0, table
    assert 10_000 < demo_counts["teleconsultation_session"] < 60_000
    assert 10_000 < demo_counts["biology_result"] < 60_000


def test_named_ehpads_are_on_their_communes(db):
    sites = {s.name: s.commune_insee for s in db.scalars(select(Site).where(Site.kind == "ehpad"))}
    assert sites["EHPAD Blanpain-Couchot"] == "55029"      # Bar-le-Duc
    assert sites["EHPAD Vaucouleurs-Void"] == "55533"       # Vaucouleurs
    assert sites["EHPAD de Ligny-en-Barrois"] == "55291"
    n_ehpad = len(sites)
    assert 100 < n_ehpad < 160  # ~1.6 per 10,000 inhabitants, fewer around Nancy


def test_two_mobile_offices_tour_haute_marne_villages(db):
    units = db.scalars(select(MobileUnit)).all()
    assert len(units) == 2 and all(u.departement_code == "52" for u in units)
    rows = db.execute(select(MobileStop.commune_insee, Commune.population, Commune.departement_code)
                      .join(Commune, Commune.insee == MobileStop.commune_insee).where(_demo(MobileStop))).all()
    assert {r.departement_code for r in rows} == {"52"}
    assert max(r.population for r in rows) <= 1200  # villages
    per_unit = db.execute(select(MobileStop.unit_id, func.count(func.distinct(MobileStop.commune_insee)))
                          .where(_demo(MobileStop)).group_by(MobileStop.unit_id)).all()
    assert all(n == 10 for _, n in per_unit)  # a weekly round of ten villages
    statuses = dict(db.execute(select(MobileStop.status, func.count()).where(_demo(MobileStop))
                               .group_by(MobileStop.status)).all())
    assert statuses["planned"] > 0 and statuses["completed"] > 10 * statuses["cancelled"] / 2


def test_biology_codes_units_and_abnormal_rate(db):
    rows = db.execute(select(BiologyResult.loinc, BiologyResult.unit, BiologyResult.ref_low,
                             BiologyResult.ref_high, func.count(),
                             func.sum(case((BiologyResult.abnormal, 1), else_=0)))
                      .where(_demo(BiologyResult))
                      .group_by(BiologyResult.loinc, BiologyResult.unit, BiologyResult.ref_low,
                                BiologyResult.ref_high)).all()
    assert {r.loinc for r in rows} == set(BIOLOGY_BY_LOINC)  # INR, CRP, HbA1c, Hb, K, creatinine
    for loinc, unit, low, high, n, abnormal in rows:
        test = BIOLOGY_BY_LOINC[loinc]
        assert (unit, low, high) == (test.unit, test.ref_low, test.ref_high)
        assert 0.05 < abnormal / n < 0.6, (test.key, abnormal / n)
    wrong = db.scalar(select(func.count()).select_from(BiologyResult).where(
        (BiologyResult.abnormal == True) == ((BiologyResult.value >= BiologyResult.ref_low)  # noqa: E712
                                             & (BiologyResult.value <= BiologyResult.ref_high))))
    assert wrong == 0  # the flag agrees with the reference range
    assert db.scalar(select(func.count()).select_from(BiologyResult)
                     .where(BiologyResult.resulted_at < BiologyResult.sampled_at)) == 0


def test_a_device_is_silent_and_some_quality_controls_fail(db):
    last_seen = db.execute(select(DeviceStatus.device_id, func.max(DeviceStatus.day))
                           .where(_demo(DeviceStatus)).group_by(DeviceStatus.device_id)).all()
    silent = [d for d, day in last_seen if (DEMO_END - day).days >= 7]
    assert len(silent) == 1
    assert {day for d, day in last_seen if d not in silent} == {DEMO_END}  # the others reported on the last day
    # devices report every day; nobody samples on Sundays
    sunday = func.strftime("%w", DeviceStatus.day) == "0" if db.bind.dialect.name == "sqlite" else \
        func.extract("dow", DeviceStatus.day) == 0
    assert db.scalar(select(func.count()).select_from(DeviceStatus).where(_demo(DeviceStatus), sunday)) > 0
    sunday_results = func.strftime("%w", BiologyResult.day) == "0" if db.bind.dialect.name == "sqlite" else \
        func.extract("dow", BiologyResult.day) == 0
    assert db.scalar(select(func.count()).select_from(BiologyResult).where(_demo(BiologyResult), sunday_results)) == 0
    assert db.scalar(select(func.count()).select_from(DeviceStatus).where(DeviceStatus.qc_status == "failed")) > 0
    assert db.scalar(select(func.count()).select_from(Device)) == 36


def test_rural_workforce_ages_and_shrinks(db):
    """Without the study-grant holders the programme settles (young GPs planted by data/demo.py, RPPS-20…), the
    rural GPs are old and leave faster than others arrive; the holders are what the evaluation page finds."""
    def gp_stats(dep: str, *, holders: bool = False):
        grant = HealthProfessional.source_event_id.like("RPPS-20%")
        gps = db.execute(select(HealthProfessional.birth_year, HealthProfessional.activity_start,
                                HealthProfessional.activity_end)
                         .join(Commune, Commune.insee == HealthProfessional.commune_insee)
                         .where(Commune.departement_code == dep, HealthProfessional.specialty == "medecine_generale",
                                _demo(HealthProfessional), grant if holders else ~grant)).all()
        if holders:
            return gps
        active = [g for g in gps if g.activity_end is None]
        old = sum(1 for g in active if DEMO_END.year - g.birth_year >= 60) / len(active)
        start = date(2024, 10, 1)
        arrivals = sum(1 for g in gps if g.activity_start >= start)
        departures = sum(1 for g in gps if g.activity_end is not None)
        return len(active), old, arrivals, departures

    for dep in ("52", "55"):
        n, old, arrivals, departures = gp_stats(dep)
        assert 90 < n < 160, dep  # ~6.6 GPs per 10,000 on ~180,000 inhabitants
        assert old > 0.38, dep     # many GPs aged 60+
        assert departures > arrivals, dep
        planted = gp_stats(dep, holders=True)
        assert planted and all(g.activity_end is None and DEMO_END.year - g.birth_year <= 34 for g in planted), dep
    _, old54, _, _ = gp_stats("54")
    assert old54 < gp_stats("55")[1]


def test_programme_indicators_and_access_reference(db):
    experiments = set(db.scalars(select(ProgrammeIndicatorValue.experiment).distinct()))
    assert {"prevention_ados", "soins_domicile", "nutrition_domicile", "perinatalite", "snacs",
            "teleconsultation", "installation_etudiants"} == experiments
    assert db.scalar(select(func.count()).select_from(User)) == 9  # 7 colleges + ARS + admin
    assert db.scalar(select(func.count()).select_from(Grant)) == 7 * 7


def test_events_stay_in_the_territory_and_period(db):
    outside = db.scalar(select(func.count()).select_from(TeleconsultationSession)
                        .outerjoin(Commune, Commune.insee == TeleconsultationSession.patient_commune_insee)
                        .where(Commune.insee.is_(None), _demo(TeleconsultationSession)))
    assert outside == 0
    first, last = db.execute(select(func.min(TeleconsultationSession.day), func.max(TeleconsultationSession.day))
                             .where(_demo(TeleconsultationSession))).one()
    assert first >= date(2024, 10, 1) and last <= DEMO_END


@pytest.mark.parametrize("end", [date(2026, 1, 31), date(2026, 2, 28)])
def test_generation_window_is_whole_months(tmp_path, end):
    gen = demo.DemoGenerator(None, seed=1, end=end, years=2, departements=("55",))
    assert gen.start == date(end.year - 2, end.month, 1)


@pytest.mark.parametrize("key", list(demo.AGED_60_PLUS))
def test_each_profession_s_share_aged_60_plus_is_the_documented_one(db, key):
    """Among active professionals at the demo's end, the share aged 60+ is within 6 points of the share
    documented in data/demo.py (AGED_60_PLUS, per département: rural or Meurthe-et-Moselle)."""
    from data.queries.workforce import active_on, profession_clause

    hp = HealthProfessional
    rows = db.execute(select(Commune.departement_code, func.count(),
                             func.sum(case((hp.birth_year <= DEMO_END.year - 60, 1), else_=0)))
                      .join(Commune, Commune.insee == hp.commune_insee)
                      .where(profession_clause(key), active_on(DEMO_END), _demo(hp))
                      .group_by(Commune.departement_code)).all()
    total = sum(n for _, n, _ in rows)
    assert total > 50, key
    rural, urban = demo.AGED_60_PLUS[key]
    expected = sum(n * (urban if dep == demo.URBAN_DEPARTEMENT else rural) for dep, n, _ in rows) / total
    observed = sum(old for *_, old in rows) / total
    assert abs(observed - expected) <= 0.06, (key, observed, expected)
    assert observed >= 0.05  # never « 0,0 % » of a profession aged 60+
