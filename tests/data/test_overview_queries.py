"""Overview data functions: exact figures on a hand-built database, and agreement with raw demo events."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, insert, select

from data import rollups
from data.access import AccessScope, full_scope
from data.db import make_engine, make_session_factory, upgrade
from data.filters import Filters
from data.geography import load_territory
from data.models import (
    Dataset,
    FeedSource,
    HealthProfessional,
    Site,
    TeleconsultationSession,
)
from data.queries.overview import gp_density_map, overview_kpis

POP_55 = 187_187
JAN = Filters(departements=(), month_from=date(2026, 1, 1), month_to=date(2026, 1, 1), today=date(2026, 3, 1))


def _scope(levels: dict[str, str], deps=("55",)) -> AccessScope:
    return AccessScope(1, "member", "usagers", frozenset(deps),
                       tuple((d.value, levels.get(d.value, "none")) for d in Dataset))


@pytest.fixture()
def tiny(tmp_path):
    """Meuse only: two sites, six teleconsultations, three GPs — figures known by hand."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tiny.sqlite3'}")
    upgrade(engine)
    session = make_session_factory(engine)()
    load_territory(session, departements=("55",))
    src = FeedSource(name="test", feed_kind="teleconsultation", created_at=datetime(2026, 1, 1))
    session.add(src)
    session.add_all([Site(id=1, code="A", name="EHPAD A", kind="ehpad", commune_insee="55029", residents=80,
                          teleconsultation=True),
                     Site(id=2, code="B", name="MSP B", kind="centre_sante", commune_insee="55545",
                          teleconsultation=True)])
    session.flush()

    def tc(n, day, status, site=1):
        return dict(source_id=src.id, source_event_id=f"e{n}", received_at=datetime(2026, 2, 1), site_id=site,
                    started_at=datetime.combine(day, datetime.min.time()), day=day, duration_min=20,
                    specialty="geriatrie", requester_type="infirmier", patient_age_band="85+",
                    patient_commune_insee="55029", status=status, outcome=None)

    session.execute(insert(TeleconsultationSession), [
        tc(1, date(2026, 1, 5), "completed"), tc(2, date(2026, 1, 6), "completed"),
        tc(3, date(2026, 1, 31), "completed", site=2), tc(4, date(2026, 1, 7), "cancelled"),
        tc(5, date(2025, 12, 15), "completed"), tc(6, date(2025, 12, 1), "completed"),
        tc(7, date(2026, 2, 1), "completed"),  # outside the period
    ])

    def gp(n, insee, start, end=None):
        return dict(source_id=src.id, source_event_id=f"gp{n}", received_at=datetime(2026, 2, 1),
                    rpps_hash=f"h{n}", profession="medecin", specialty="medecine_generale", commune_insee=insee,
                    birth_year=1960, activity_start=start, activity_end=end, fte=1.0)

    session.execute(insert(HealthProfessional), [
        gp(1, "55029", date(2010, 1, 1)), gp(2, "55029", date(2010, 1, 1), date(2026, 1, 15)),
        gp(3, "55545", date(2026, 1, 20)),
        dict(gp(4, "55545", date(2000, 1, 1)), profession="infirmier", specialty=None),  # not a GP
    ])
    rollups.rebuild_all(session)
    session.flush()
    yield session
    session.close()
    engine.dispose()


def test_kpis_on_known_figures(tiny):
    kpis = {k.key: k for k in overview_kpis(tiny, scope=full_scope(("55",)), filters=JAN)}
    tc = kpis["teleconsultations"]
    assert (tc.value, tc.previous) == (3, 2)
    assert tc.change_pct == pytest.approx(50.0)
    assert tc.last_day == date(2026, 1, 31)  # the last day with data within the period: 1 Feb is after it
    gp = kpis["gp_density"]
    # On 31 Jan: GP 1 and GP 3 (GP 2 left on the 15th); on 1 Jan: GP 1 and GP 2.
    assert gp.value == pytest.approx(2 / POP_55 * 10_000)
    assert gp.previous == pytest.approx(2 / POP_55 * 10_000)
    assert kpis["poc_tests"].value == 0 and kpis["mobile_consultations"].value == 0


def test_summary_level_hides_small_counts_everywhere(tiny):
    scope = _scope({"teleconsultation": "summary", "workforce": "summary"})
    kpis = {k.key: k for k in overview_kpis(tiny, scope=scope, filters=JAN)}
    tc, gp = kpis["teleconsultations"], kpis["gp_density"]
    assert (tc.value, tc.value_label, tc.previous, tc.previous_label) == (None, "< 11", None, "< 11")
    assert tc.change_pct is None
    assert (gp.value, gp.value_label) == (None, "< 11")  # a density would give the count back
    detail = {k.key: k for k in overview_kpis(tiny, scope=full_scope(("55",)), filters=JAN)}
    assert detail["teleconsultations"].value == 3 and detail["teleconsultations"].value_label is None


def test_kpis_follow_the_grants(tiny):
    scope = _scope({"teleconsultation": "summary"})
    assert [k.key for k in overview_kpis(tiny, scope=scope, filters=JAN)] == ["teleconsultations"]
    assert overview_kpis(tiny, scope=_scope({}), filters=JAN) == []


def test_kpis_are_limited_to_the_callers_departements(tiny):
    outsider = _scope({"teleconsultation": "detail"}, deps=("52",))
    kpis = overview_kpis(tiny, scope=outsider, filters=JAN)
    assert [(k.key, k.value, k.previous) for k in kpis] == [("teleconsultations", 0, 0)]  # Meuse data unseen
    asked_other = Filters(("52",), JAN.month_from, JAN.month_to, JAN.today)
    assert overview_kpis(tiny, scope=full_scope(("55",)), filters=asked_other) == []


def test_density_map_detail_and_summary(tiny):
    detail = gp_density_map(tiny, scope=full_scope(("55",)), filters=JAN).set_index("insee")
    assert len(detail) == 499
    assert detail.loc["55029", "gps"] == 1 and detail.loc["55545", "gps"] == 1
    assert detail.loc["55029", "density"] == pytest.approx(round(1 / 14_985 * 10_000, 2))
    summary = gp_density_map(tiny, scope=_scope({"workforce": "summary"}), filters=JAN)
    assert set(summary["population"]) == {POP_55} and set(summary["area_name"]) == {"Meuse"}
    # two GPs in the whole département: a count of 1 to 10 is never published at summary level
    assert set(summary["secret"]) == {"< 11"} and summary["gps"].isna().all() and summary["density"].isna().all()
    assert gp_density_map(tiny, scope=_scope({"workforce": "none"}), filters=JAN).empty


def test_demo_kpis_match_raw_events(db):
    f = Filters(("55",), date(2026, 1, 1), date(2026, 6, 1), today=date(2026, 11, 1))
    kpis = {k.key: k for k in overview_kpis(db, scope=full_scope(("52", "54", "55")), filters=f)}
    raw = db.scalar(select(func.count()).select_from(TeleconsultationSession)
                    .join(Site, Site.id == TeleconsultationSession.site_id)
                    .where(Site.commune_insee.like("55%"), TeleconsultationSession.status == "completed",
                           TeleconsultationSession.day.between(date(2026, 1, 1), date(2026, 6, 30))))
    assert kpis["teleconsultations"].value == raw > 1000
    assert 4 < kpis["gp_density"].value < 9  # rural Meuse is below the national ~8.5
    assert kpis["gp_density"].value < kpis["gp_density"].previous + 0.5


