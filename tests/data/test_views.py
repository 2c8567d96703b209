"""Page views: on one page, the headline figures, the map, the table and the export agree, at both
levels; and a summary-level view is exactly the detail-level one reduced to départements."""
from __future__ import annotations

import re
from datetime import date

import pytest

from data.access import AccessScope, full_scope
from data.filters import Filters
from data.models import Dataset
from data.secrecy import SMALL_LABEL
from data.views.biology import biology_options, biology_view
from data.views.coverage import coverage_options, coverage_view
from data.views.mobile import mobile_view
from data.views.overview import overview_view
from data.views.teleconsultation import teleconsultation_view
from data.views.workforce import workforce_options, workforce_view
from tests.conftest import TERRITORY

H1 = Filters(("52", "55"), date(2026, 1, 1), date(2026, 6, 1), date(2026, 10, 31))
YEAR = Filters(TERRITORY, date(2025, 11, 1), date(2026, 10, 1), date(2026, 10, 31))
DETAIL = full_scope(TERRITORY)


def member(level: str) -> AccessScope:
    return AccessScope(7, "member", "usagers", frozenset(TERRITORY), tuple((d.value, level) for d in Dataset))


SUMMARY = member("summary")


def number(text: str) -> int:
    """'1 133' (narrow no-break spaces) → 1133."""
    return int(re.sub(r"[\s\u202f\u00a0]", "", text))


def stat(view, key: str):
    return next(s for s in view.stats if s.key == key)


def column_sum(frame, header: str) -> int:
    values = frame[header]
    assert not any(isinstance(v, str) for v in values), f"{header}: hidden cells, no plain total"
    return int(values.sum())


@pytest.mark.parametrize("threshold", [1.0, 2.5, 3.5])
def test_coverage_cards_table_and_map_agree_at_both_levels(db, threshold):
    detail = coverage_view(db, scope=DETAIL, filters=YEAR, options=coverage_options(filters=YEAR, threshold=threshold))
    rows = detail.under.frame
    assert number(stat(detail, "cov-under").value) == len(rows)
    assert number(stat(detail, "cov-under-pop").value) == int(rows["Population"].sum())
    assert (rows["Accessibilité (consultations / hab. / an)"] < threshold).all()
    summary = coverage_view(db, scope=SUMMARY, filters=YEAR,
                            options=coverage_options(filters=YEAR, threshold=threshold))
    per_dep = summary.under.frame
    # the summary is the detail reduced to départements: same communes, same inhabitants
    assert column_sum(per_dep, "Communes sous le seuil") == len(rows) == number(stat(summary, "cov-under").value)
    assert column_sum(per_dep, "Habitants sous le seuil") == int(rows["Population"].sum())
    assert number(stat(summary, "cov-under-pop").value) == int(rows["Population"].sum())
    by_dep = rows.groupby("Département").size()
    for name, n in zip(per_dep["Département"], per_dep["Communes sous le seuil"], strict=True):
        assert by_dep.get(name, 0) == n
    # the map: one polygon per département, its value the département's weighted mean from the table
    assert summary.map.area.level == "departement" and summary.map.points == ()
    assert list(summary.map.area.codes) == ["52", "54", "55"]
    assert list(summary.map.area.values) == pytest.approx(
        list(per_dep["Accessibilité moyenne (consultations / hab. / an)"]))
    assert stat(summary, "cov-mean").value == stat(detail, "cov-mean").value


def test_coverage_summary_names_no_commune_and_no_service(db):
    view = coverage_view(db, scope=SUMMARY, filters=H1, options=coverage_options(
        filters=H1, layers=("gp", "teleconsultation", "mobile", "biology")))
    assert list(view.under.frame["Département"]) == ["Haute-Marne", "Meuse"]
    assert "Commune" not in view.under.frame.columns and "Code INSEE" not in view.under.frame.columns
    assert view.map.points == () and "synthèse" in view.map.caption


def test_coverage_layers_need_detail_on_their_own_dataset(db):
    """Collectivités: coverage in detail but biology in summary: the EHPAD layer is not drawn for them."""
    levels = {d.value: "detail" for d in Dataset} | {"biology": "summary"}
    scope = AccessScope(3, "member", "collectivites", frozenset(TERRITORY), tuple(levels.items()))
    view = coverage_view(db, scope=scope, filters=H1, options=coverage_options(
        filters=H1, layers=("teleconsultation", "biology")))
    assert [p.name for p in view.map.points] == ["Site de téléconsultation"]
    services = set(view.under.frame["Service du programme le plus proche"].dropna())
    assert services and not any(s.startswith("EHPAD équipé") for s in services)


def test_teleconsultation_card_chart_map_and_tables_agree(db):
    detail = teleconsultation_view(db, scope=DETAIL, filters=YEAR)
    completed = number(stat(detail, "tc-completed").value)
    assert column_sum(detail.sites_table.frame, "Réalisées") == completed
    assert int(detail.weekly_table.frame["Réalisées"].sum()) == completed
    assert len(detail.map.points[0].lat) == len(detail.sites_table.frame)
    summary = teleconsultation_view(db, scope=SUMMARY, filters=YEAR)
    published = number(stat(summary, "tc-completed").value)
    # at summary level every figure is a sum of the same published cells (département × month × status)
    assert column_sum(summary.sites_table.frame, "Réalisées") == published
    assert sum(v for v in summary.map.area.values if v is not None) == published
    assert summary.map.area.level == "departement" and summary.map.points == ()
    monthly = summary.weekly_table.frame
    assert list(monthly.columns) == ["Mois", "Département", "Réalisées", "Non abouties"]
    assert abs(published - completed) / completed < 0.01  # perturbed, still useful


def test_mobile_card_map_and_tables_agree(db):
    f = Filters(("52",), date(2025, 11, 1), date(2026, 10, 1), date(2026, 10, 31))  # the vehicles tour 52
    detail = mobile_view(db, scope=DETAIL, filters=f)
    summary = mobile_view(db, scope=SUMMARY, filters=f)
    consultations = number(stat(detail, "mob-consultations").value)
    assert column_sum(detail.communes_table.frame, "Consultations") == consultations
    assert number(stat(detail, "mob-reach").value) == len(detail.communes_table.frame)
    published = number(stat(summary, "mob-consultations").value)
    assert abs(published - consultations) <= 2 * 12  # one noise of at most ±2 per published month
    assert column_sum(summary.communes_table.frame, "Consultations") == published
    assert summary.map.area.values == (float(published),) and summary.map.points == ()
    assert list(summary.weekly_table.frame.columns) == ["Mois", "Statut", "Arrêts", "Consultations"]
    assert list(summary.vehicles_table.frame.columns) == ["Département", "Véhicules en service"]
    assert "Véhicule" not in summary.vehicles_table.frame.columns


def test_workforce_card_map_and_tables_agree(db):
    options = workforce_options(profession="infirmier", scale="epci")
    detail = workforce_view(db, scope=DETAIL, filters=YEAR, options=options)
    summary = workforce_view(db, scope=SUMMARY, filters=YEAR, options=options)
    active = number(stat(detail, "wf-share60").detail.split(" professionnels")[0])
    assert column_sum(detail.density_table.frame, "Professionnels") == active
    assert column_sum(detail.ages_table.frame, "Professionnels") == active
    published = number(stat(summary, "wf-share60").detail.split(" professionnels")[0])
    assert column_sum(summary.density_table.frame, "Professionnels") == published
    assert column_sum(summary.ages_table.frame, "Professionnels") == published  # the same grid cells
    assert abs(published - active) <= 2 * 8 * 3  # at most ±2 per published (département, age band) cell
    assert summary.map.area.level == "departement" and list(summary.map.area.codes) == list(TERRITORY)
    assert "« département »" in summary.density_table.caption and "synthèse" in summary.density_table.caption


def test_biology_card_and_tables_agree(db):
    options = biology_options()
    for scope in (DETAIL, SUMMARY):
        view = biology_view(db, scope=scope, filters=YEAR, options=options)
        tests = number(stat(view, "bio-tests").value)
        assert column_sum(view.sites_table.frame, "Analyses") == tests
        if scope is DETAIL:
            assert column_sum(view.weekly_table.frame, "Analyses") == tests
    summary = biology_view(db, scope=SUMMARY, filters=YEAR, options=options)
    devices = summary.devices_table.frame
    assert list(devices.columns) == ["Département", "Automates", "Automates en alerte"]


def test_overview_kpis_equal_the_pages_headline_figures(db):
    for scope in (DETAIL, SUMMARY):
        kpis = {k.key: k for k in overview_view(db, scope=scope, filters=YEAR).kpis}
        tc = teleconsultation_view(db, scope=scope, filters=YEAR)
        assert kpis["teleconsultations"].value == number(stat(tc, "tc-completed").value)
        bio = biology_view(db, scope=scope, filters=YEAR, options=biology_options())
        assert kpis["poc_tests"].value == number(stat(bio, "bio-tests").value)
    summary_map = overview_view(db, scope=SUMMARY, filters=H1).map
    assert summary_map.area.level == "departement" and list(summary_map.area.codes) == ["52", "55"]


def test_small_counts_read_the_same_everywhere_at_summary_level(db):
    """Midwives of Haute-Marne by age: a band of 1–10 is « < 11 » in the table and absent from the chart."""
    f = Filters(("52",), date(2025, 11, 1), date(2026, 10, 1), date(2026, 10, 31))
    view = workforce_view(db, scope=SUMMARY, filters=f, options=workforce_options(profession="sage_femme"))
    table = view.ages_table.frame
    hidden = [i for i, v in enumerate(table["Professionnels"]) if isinstance(v, str)]
    assert hidden, "expected small age bands for Haute-Marne's midwives"
    assert {table["Professionnels"][i] for i in hidden} <= {SMALL_LABEL, "s"}
    assert not any(isinstance(v, int) and 1 <= v <= 10 for v in table["Professionnels"])
    if view.ages.empty:  # every band with someone in it is hidden: no chart at all
        assert all(isinstance(v, str) or v == 0 for v in table["Professionnels"])
    else:
        chart = dict(view.ages.series)[view.label]
        assert [chart[i] for i in hidden] == [None] * len(hidden) and view.ages.masked
    assert "masqués" in view.ages_table.caption


def test_summary_overview_map_carries_the_published_gp_stock_not_the_exact_one(db):
    """Attack: at summary level the overview map's GP density per département, times the (public) population,
    gave back the exact number of GPs. Two month ends then gave the exact net flow, which the workforce page
    publishes only as grid cells (« < 11 » when small). The map must carry the same published stock as the
    workforce page and the headline figure, and never an exact one."""
    from data.queries.overview import populations
    from data.views import grid

    pops = populations(db, scope=SUMMARY, departements=TERRITORY)
    differs = 0
    for month in (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)):
        end = grid.month_end(month)
        f = Filters(TERRITORY, month, month, end)
        area = overview_view(db, scope=SUMMARY, filters=f).map.area
        page = workforce_view(db, scope=SUMMARY, filters=f, options=workforce_options())
        published = dict(zip(page.density_table.frame["Code du département"],
                             page.density_table.frame["Professionnels"], strict=True))
        exact = {d: c for d, c in __import__("data.queries.overview", fromlist=["gp_counts"]).gp_counts(
            db, scope=DETAIL, departements=TERRITORY, on=end).items()}
        for dep, density in zip(area.codes, area.values, strict=True):
            implied = round(density * pops[dep] / 10_000) if density is not None else None
            assert implied == published[dep], (month, dep, implied, published[dep], exact[dep])
            differs += implied != exact[dep]
    assert differs, "the published stock equals the exact one everywhere: the test shows nothing"


def test_each_exam_keeps_its_place_and_so_its_colour_and_pattern_in_both_biology_charts(db):
    """Bars take colour and fill pattern from their series' rank: the weekly chart ranked exams by volume, the
    per-EHPAD chart by abnormal rate, so one exam wore two patterns on the same printed page."""
    for scope in (DETAIL, SUMMARY):
        view = biology_view(db, scope=scope, filters=YEAR, options=biology_options())
        weekly = [name for name, _ in view.weekly.series]
        by_site = [name for name, _ in view.sites.series]
        assert len(weekly) >= 3
        assert by_site == [name for name in weekly if name in by_site]
