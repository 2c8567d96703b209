"""The overview's headline figures follow an EPCI or commune filter where the dataset is shown in detail,
and stay the département's at summary level (no sub-département figure revealed)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import func, select

from data.access import AccessScope, full_scope
from data.filters import Filters
from data.models import Commune, Dataset, HealthProfessional, MobileDaily, Site, TeleconsultationDaily
from data.terminology import GP_PROFESSION, GP_SPECIALTY
from data.views.overview import overview_view
from tests.conftest import TERRITORY

BAR_LE_DUC, EPCI_BAR_LE_DUC = "55029", "200033025"
MEUSE = Filters(("55",), date(2025, 1, 1), date(2025, 6, 1), date(2026, 10, 31))
DETAIL = full_scope(TERRITORY)
SUMMARY = AccessScope(7, "member", "usagers", frozenset(TERRITORY), tuple((d.value, "summary") for d in Dataset))


def kpis(view) -> dict:
    return {k.key: k for k in view.kpis}


def completed_sessions(db, communes, period) -> int:
    return db.scalar(select(func.coalesce(func.sum(TeleconsultationDaily.sessions), 0))
                     .join(Site, Site.id == TeleconsultationDaily.site_id)
                     .where(Site.commune_insee.in_(communes), TeleconsultationDaily.status == "completed",
                            TeleconsultationDaily.day.between(period.start, period.end)))


def test_a_commune_narrows_the_detail_figures_to_that_commune(db):
    view = kpis(overview_view(db, scope=DETAIL, filters=replace(MEUSE, commune=BAR_LE_DUC)))
    meuse = kpis(overview_view(db, scope=DETAIL, filters=MEUSE))
    period = MEUSE.period
    assert view["teleconsultations"].value == completed_sessions(db, [BAR_LE_DUC], period) > 0
    assert view["teleconsultations"].previous == completed_sessions(db, [BAR_LE_DUC], period.previous())
    assert view["teleconsultations"].value < meuse["teleconsultations"].value
    mobile = db.scalar(select(func.coalesce(func.sum(MobileDaily.consultations), 0)).where(
        MobileDaily.commune_insee == BAR_LE_DUC, MobileDaily.status == "completed",
        MobileDaily.day.between(period.start, period.end)))
    assert view["mobile_consultations"].value == mobile
    gps = db.scalar(select(func.count()).select_from(HealthProfessional).where(
        HealthProfessional.commune_insee == BAR_LE_DUC, HealthProfessional.profession == GP_PROFESSION,
        HealthProfessional.specialty == GP_SPECIALTY, HealthProfessional.activity_start <= period.end,
        (HealthProfessional.activity_end.is_(None)) | (HealthProfessional.activity_end > period.end)))
    population = db.scalar(select(Commune.population).where(Commune.insee == BAR_LE_DUC))
    assert view["gp_density"].value == gps / population * 10_000


def test_an_epci_narrows_the_detail_figures_to_its_communes(db):
    view = kpis(overview_view(db, scope=DETAIL, filters=replace(MEUSE, epci=EPCI_BAR_LE_DUC)))
    communes = db.scalars(select(Commune.insee).where(Commune.epci_code == EPCI_BAR_LE_DUC)).all()
    assert BAR_LE_DUC in communes
    assert view["teleconsultations"].value == completed_sessions(db, communes, MEUSE.period)


def test_at_summary_level_a_commune_filter_reveals_nothing_below_the_departement(db):
    with_commune = overview_view(db, scope=SUMMARY, filters=replace(MEUSE, commune=BAR_LE_DUC))
    meuse = overview_view(db, scope=SUMMARY, filters=MEUSE)
    # the same figures; the cards only say they stay on the département
    assert tuple(replace(k, covers=None) for k in with_commune.kpis) == meuse.kpis
    assert all("synthèse" in k.covers and "Bar-le-Duc" not in k.covers for k in with_commune.kpis)
    assert with_commune.map.area.codes == meuse.map.area.codes == ("55",)


# --- a commune chosen is drawn among its neighbours, framed on and outlined ---------------------

def test_the_overview_map_draws_the_chosen_commune_among_its_neighbours(db):
    view = overview_view(db, scope=DETAIL, filters=replace(MEUSE, commune=BAR_LE_DUC))
    meuse = overview_view(db, scope=DETAIL, filters=MEUSE)
    assert view.map.highlight == BAR_LE_DUC
    assert view.map.area.codes == meuse.map.area.codes  # every commune of the selection keeps its value
    (lat0, lat1), (lon0, lon1) = view.map.bounds
    lat, lon = db.execute(select(Commune.lat, Commune.lon).where(Commune.insee == BAR_LE_DUC)).one()
    assert lat0 < lat < lat1 and lon0 < lon < lon1 and lat1 - lat0 < 0.5  # framed on the commune
    assert "Bar-le-Duc" in view.map.caption


def test_other_maps_outline_the_chosen_commune_among_its_neighbours(db):
    from data.views.coverage import coverage_options, coverage_view
    from data.views.teleconsultation import teleconsultation_view
    from data.views.workforce import workforce_options, workforce_view

    chosen = replace(MEUSE, commune=BAR_LE_DUC)
    workforce = workforce_view(db, scope=DETAIL, filters=chosen, options=workforce_options())
    assert workforce.map.highlight == BAR_LE_DUC and len(workforce.map.area.codes) > 400
    coverage = coverage_view(db, scope=DETAIL, filters=chosen, options=coverage_options(filters=chosen))
    assert coverage.map.highlight == BAR_LE_DUC and len(coverage.map.area.codes) > 400
    assert len(coverage.under.frame) <= 1  # the table keeps the commune alone
    sites = teleconsultation_view(db, scope=DETAIL, filters=chosen)
    assert sites.map.highlight == BAR_LE_DUC
    assert len({c for p in sites.map.points for c in p.customdata}) > 1  # the sites around it too


def test_at_summary_level_no_commune_is_outlined(db):
    view = overview_view(db, scope=SUMMARY, filters=replace(MEUSE, commune=BAR_LE_DUC))
    assert view.map.highlight is None
    assert view.map.bounds == overview_view(db, scope=SUMMARY, filters=MEUSE).map.bounds


def test_the_outline_is_drawn_over_the_map(app, db):
    from components.maps import view_map
    from server.health import geojson_url

    view = overview_view(db, scope=DETAIL, filters=replace(MEUSE, commune=BAR_LE_DUC))
    with app.test_request_context():
        figure = view_map(view.map, geojson_url=geojson_url)
    outline = [t for t in figure["data"] if t.get("name") == "Commune choisie"]
    assert len(outline) == 1 and outline[0]["locations"] == [BAR_LE_DUC]
    assert outline[0]["geojson"].startswith("/geo/communes.")


def test_each_card_says_which_area_it_covers_when_a_commune_is_chosen(db):
    chosen = replace(MEUSE, commune=BAR_LE_DUC)
    detail = kpis(overview_view(db, scope=DETAIL, filters=chosen))
    assert {k.covers for k in detail.values()} == {"Commune : Bar-le-Duc (55029)"}
    summary = kpis(overview_view(db, scope=SUMMARY, filters=chosen))
    assert {k.covers for k in summary.values()} == {"Département : Meuse (55) (niveau « synthèse »)"}
    epci = kpis(overview_view(db, scope=DETAIL, filters=replace(MEUSE, epci=EPCI_BAR_LE_DUC)))
    assert all(k.covers.startswith("EPCI : Communauté d'agglomération de Bar-le-Duc") for k in epci.values())
    assert all(k.covers is None for k in kpis(overview_view(db, scope=DETAIL, filters=MEUSE)).values())


def test_a_stray_old_event_does_not_make_a_period_before_the_feed_comparable(db):
    """One biology result dated 2016 (a device's clock, a late re-delivery) must not turn « comparaison
    impossible » into a percentage against a period the feed did not cover."""
    from data.models import BiologyDaily
    from data.queries.overview import first_days

    before = first_days(db)["poc_tests"]
    site = db.scalar(select(BiologyDaily.site_id).limit(1))
    db.add(BiologyDaily(day=date(2016, 3, 10), site_id=site, loinc="4548-4", tests=1))
    db.flush()
    assert db.scalar(select(func.min(BiologyDaily.day))) == date(2016, 3, 10)
    assert first_days(db)["poc_tests"] == before
    view = kpis(overview_view(db, scope=DETAIL, filters=MEUSE))  # Meuse 2025-H1: before the demo's start
    assert view["poc_tests"].comparison.trend == "comparaison impossible"
    assert view["poc_tests"].comparison.pct is None
