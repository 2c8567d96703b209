"""Page data functions on the demo database: each figure equals an independent count on the raw events
(the pages read rollups), summary level shows départements only with small counts hidden, and a
caller without the grant gets nothing."""
from __future__ import annotations

import statistics
from datetime import date, datetime

import pytest
from sqlalchemy import and_, func, select

from data.access import AccessScope, full_scope
from data.coverage import Options
from data.filters import Filters
from data.models import (
    BiologyResult,
    Commune,
    Dataset,
    Device,
    DeviceStatus,
    FeedSource,
    HealthProfessional,
    MobileStop,
    MobileUnit,
    ProgrammeIndicatorValue,
    Site,
    TeleconsultationSession,
)
from data.queries import biology, coverage, mobile, programme, teleconsultation, workforce
from data.terminology import GP_PROFESSION, GP_SPECIALTY
from tests.conftest import TERRITORY

H1 = Filters(("52", "55"), date(2026, 1, 1), date(2026, 6, 1), date(2026, 10, 31))
ADMIN = full_scope(TERRITORY)


def _member(level: str, deps=TERRITORY) -> AccessScope:
    return AccessScope(7, "member", "usagers", frozenset(deps), tuple((d.value, level) for d in Dataset))


def _in_deps(insee_column, deps=("52", "55")):
    return func.substr(insee_column, 1, 2).in_(deps)


def _period(day_column, f: Filters = H1):
    return day_column.between(f.period.start, f.period.end)


# --- téléconsultation -----------------------------------------------------------------------------

def test_teleconsultation_figures_equal_raw_sessions(db):
    t = TeleconsultationSession
    where = and_(_in_deps(Site.commune_insee), _period(t.day))
    raw = dict(db.execute(select(t.status, func.count()).join(Site, Site.id == t.site_id).where(where)
                          .group_by(t.status)).all())
    durations = sorted(db.scalars(select(t.duration_min).join(Site, Site.id == t.site_id)
                                  .where(where, t.status == "completed", t.duration_min.is_not(None))))
    s = teleconsultation.summary(db, scope=ADMIN, filters=H1)
    assert s.sessions == sum(raw.values()) > 4000
    assert s.completed == raw["completed"]
    assert s.completion_pct == pytest.approx(raw["completed"] / sum(raw.values()) * 100)
    assert s.failure_pct == pytest.approx(raw["technical_failure"] / sum(raw.values()) * 100)
    assert s.median_minutes == statistics.median(durations)
    assert s.ehpads_total == db.scalar(select(func.count()).select_from(Site)
                                       .where(Site.kind == "ehpad", _in_deps(Site.commune_insee)))
    assert 0 < s.ehpads_active <= s.ehpads_total
    assert 50 < s.share_75_plus_pct < 90  # EHPAD-heavy activity: mostly very old patients

    weekly = teleconsultation.weekly(db, scope=ADMIN, filters=H1)
    assert weekly["completed"].sum() == raw["completed"]
    assert weekly["not_completed"].sum() == sum(raw.values()) - raw["completed"]
    sites = teleconsultation.by_site(db, scope=ADMIN, filters=H1)
    assert sites["sessions"].sum() == sum(raw.values())
    assert set(sites["insee"].str[:2]) <= {"52", "55"}


def test_teleconsultation_summary_level_is_per_departement_and_a_commune_filter_is_ignored(db):
    f = Filters(("52", "55"), H1.month_from, H1.month_to, H1.today, commune="55029")
    sites = teleconsultation.by_site(db, scope=_member("summary"), filters=f)
    assert sorted(sites["name"]) == ["Haute-Marne", "Meuse"]  # no site names, the commune filter not applied
    assert teleconsultation.weekly(db, scope=_member("summary"), filters=f)["group"].isin(
        ["Haute-Marne", "Meuse"]).all()
    detail = teleconsultation.summary(db, scope=ADMIN, filters=f)
    assert detail.sessions < teleconsultation.summary(db, scope=_member("summary"), filters=f).sessions


def test_no_grant_means_no_data(db):
    none = _member("none")
    assert teleconsultation.summary(db, scope=none, filters=H1) is None
    assert mobile.summary(db, scope=none, filters=H1) is None
    assert biology.summary(db, scope=none, filters=H1, now=datetime(2026, 11, 1)) is None
    assert workforce.retirements(db, scope=none, filters=H1) is None
    for frame in (teleconsultation.weekly, teleconsultation.by_site, mobile.weekly, mobile.communes_served,
                  mobile.vehicles, biology.weekly, biology.by_site_test, biology.devices, workforce.density,
                  workforce.age_structure, programme.indicators):
        assert frame(db, scope=none, filters=H1).empty, frame.__name__


def test_departements_outside_the_callers_are_never_read(db):
    meuse_only = _member("detail", deps=("55",))
    sites = teleconsultation.by_site(db, scope=meuse_only, filters=H1)  # asks 52 and 55
    assert set(sites["insee"].str[:2]) == {"55"}
    assert mobile.summary(db, scope=meuse_only, filters=H1).stops_completed == 0  # the units tour Haute-Marne


# --- cabinets mobiles -----------------------------------------------------------------------------

def test_mobile_figures_equal_raw_stops(db):
    m = MobileStop
    where = and_(_in_deps(m.commune_insee), _period(m.day))
    done = db.execute(select(func.count(), func.sum(m.consultations), func.sum(m.new_patients),
                             func.sum(m.slots_offered), func.count(func.distinct(m.commune_insee)))
                      .where(where, m.status == "completed")).one()
    s = mobile.summary(db, scope=ADMIN, filters=H1)
    assert (s.stops_completed, s.consultations, s.new_patients, s.communes_served) == (done[0], done[1], done[2],
                                                                                       done[4])
    assert s.slot_use_pct == pytest.approx(done[1] / done[3] * 100)
    assert s.population_served == db.scalar(select(func.sum(Commune.population)).where(Commune.insee.in_(
        select(m.commune_insee).where(where, m.status == "completed"))))
    assert s.population_within[10.0] <= s.population_within[20.0]
    assert s.population_within[10.0] >= s.population_served  # a served commune is within 10 km of its stop
    communes = mobile.communes_served(db, scope=ADMIN, filters=H1)
    assert communes["consultations"].sum() == done[1] and len(communes) == done[4]


def test_one_last_position_per_vehicle(db):
    rows = mobile.vehicles(db, scope=ADMIN, filters=H1)
    assert len(rows) == len(rows["unit"].unique()) == db.scalar(select(func.count()).select_from(MobileUnit))


# --- biologie délocalisée -------------------------------------------------------------------------

def test_biology_figures_equal_raw_results(db):
    b = BiologyResult
    where = and_(b.site_id.in_(select(Site.id).where(_in_deps(Site.commune_insee))), _period(b.day))
    n = db.scalar(select(func.count()).where(where))
    abnormal = db.scalar(select(func.count()).where(where, b.abnormal.is_(True)))
    s = biology.summary(db, scope=ADMIN, filters=H1, now=datetime(2026, 11, 1))
    assert s.tests == n > 1000
    assert s.abnormal_pct == pytest.approx(abnormal / n * 100)
    assert 2 < s.sample_to_result_min < 15  # point-of-care: minutes, not hours
    weekly = biology.weekly(db, scope=ADMIN, filters=H1)
    assert weekly["tests"].sum() == n and weekly["abnormal"].sum() == abnormal
    by_site = biology.by_site_test(db, scope=ADMIN, filters=H1)
    assert by_site["tests"].sum() == n


def test_device_alerts(db):
    """At the demo's end, the device stopped nine days earlier is silent; the others reported that day."""
    devices = biology.devices(db, scope=ADMIN, filters=H1, now=datetime(2026, 10, 31, 20))
    assert len(devices) == db.scalar(select(func.count()).select_from(Device).join(Site).where(
        _in_deps(Site.commune_insee)))
    silent = devices[devices["state"].str.contains("ilencieu")]
    assert len(silent) >= 1
    assert devices["alert"].sum() >= len(silent)
    assert list(devices["alert"][: int(devices["alert"].sum())]) == [True] * int(devices["alert"].sum())  # first


def test_two_reports_of_the_same_instant_give_one_row_per_device(db):
    """Live feeds can send two status reports stamped the same second: the device is listed once,
    with the report received last."""
    device = db.scalars(select(Device).join(Site).where(_in_deps(Site.commune_insee)).order_by(Device.id)).first()
    source_id = db.scalar(select(DeviceStatus.source_id).where(DeviceStatus.device_id == device.id).limit(1))
    at = datetime(2026, 10, 31, 12, 0, 0)
    for n, qc in enumerate(("passed", "failed")):
        db.add(DeviceStatus(source_id=source_id, source_event_id=f"same-instant-{n}", received_at=at,
                            device_id=device.id, recorded_at=at, day=at.date(), battery_pct=50, qc_status=qc))
    db.flush()
    devices = biology.devices(db, scope=ADMIN, filters=H1, now=datetime(2026, 10, 31, 20))
    assert devices["serial"].is_unique
    row = devices[devices["serial"] == device.serial].iloc[0]
    assert row["qc_status"] == "échec" and row["alert"]


# --- professionnels de santé ----------------------------------------------------------------------

def test_gp_density_equals_raw_registry(db):
    end = H1.period.end
    hp = HealthProfessional
    active = and_(hp.activity_start <= end, (hp.activity_end.is_(None)) | (hp.activity_end > end),  # end: first day off
                  hp.profession == GP_PROFESSION, hp.specialty == GP_SPECIALTY, _in_deps(hp.commune_insee))
    gps = db.scalar(select(func.count()).where(active))
    by_dep = workforce.density(db, scope=ADMIN, filters=H1, scale="departement")
    assert by_dep["count"].sum() == gps
    population = db.scalar(select(func.sum(Commune.population)).where(_in_deps(Commune.insee)))
    assert by_dep["population"].sum() == population
    communes = workforce.density(db, scope=ADMIN, filters=H1)
    assert communes["count"].sum() == gps and len(communes) == db.scalar(
        select(func.count()).select_from(Commune).where(_in_deps(Commune.insee)))
    ages = workforce.age_structure(db, scope=ADMIN, filters=H1)
    assert ages["count"].sum() == gps
    r = workforce.retirements(db, scope=ADMIN, filters=H1)
    assert r.active == gps and 0 < r.retiring < gps
    assert r.density_after < r.density_now == pytest.approx(gps / population * 10_000)


# --- couverture (ARS) -----------------------------------------------------------------------------

def test_under_served_list_follows_the_threshold(db):
    end = H1.period.end
    low = coverage.under_served(db, scope=ADMIN, filters=H1, options=Options(on=end, threshold=1.0))
    high = coverage.under_served(db, scope=ADMIN, filters=H1, options=Options(on=end, threshold=2.5))
    assert 0 < len(low) < len(high)
    assert (high["accessibility"] < 2.5).all() and (high["population"] > 0).all()
    assert high["nearest_gp_km"].notna().all() and high["nearest_service"].notna().all()
    # the export's query form gives the same list
    assert len(coverage.under_served(db, scope=ADMIN, filters=H1, threshold="2,5")) == len(high)
    summary = coverage.under_served(db, scope=_member("summary"), filters=H1, threshold="2.5")
    assert sorted(summary["departement"]) == ["Haute-Marne", "Meuse"] and summary["nearest_service"].isna().all()


# --- programme ------------------------------------------------------------------------------------

def test_programme_values_are_reported_after_their_quarter(db):
    df = programme.indicators(db, scope=ADMIN, filters=Filters((), date(2025, 1, 1), date(2026, 10, 1),
                                                                 date(2026, 10, 31)))
    assert not df.empty
    demo_ends = db.scalars(select(ProgrammeIndicatorValue.period_end).where(  # API tests ingest other values
        ProgrammeIndicatorValue.source_id.in_(select(FeedSource.id).where(FeedSource.name.like("Démo%")))))
    assert all(end <= date(2026, 10, 31) for end in demo_ends)
    counts = df[df["unit"].isin(["adolescents", "femmes", "étudiants"])]["value"]
    assert (counts == counts.round()).all()  # people are counted in whole numbers
