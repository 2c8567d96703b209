"""The planner's views on the demo data: before / after consistent, refused below detail; the
under-served working list's ranking and EPCI totals."""
from __future__ import annotations

from datetime import date

from data.access import AccessScope, full_scope
from data.filters import Filters
from data.models import Dataset
from data.planner import parse_plan
from data.views.coverage import coverage_options, coverage_view
from data.views.planner import (
    LEAVING,
    planner_options,
    planner_view,
    suggest_options,
    suggest_view,
)
from tests.conftest import TERRITORY

MEUSE = Filters(("55",), date(2025, 11, 1), date(2026, 10, 1), date(2026, 10, 31))
ADMIN = full_scope(TERRITORY)


def _member(level: str) -> AccessScope:
    return AccessScope(99, "member", "financeurs", frozenset(TERRITORY),
                       tuple((d.value, level if d == Dataset.COVERAGE else "detail") for d in Dataset))


def _number(text: str) -> int:
    return int(text.replace("\u202f", ""))


def test_before_after_figures_agree_with_the_commune_table(db):
    plan = parse_plan("gp:55029:3,teleconsultation:55545:20")
    view = planner_view(db, scope=ADMIN, filters=MEUSE, options=planner_options(filters=MEUSE, plan=plan))
    assert not view.refused and len(view.changes) == 2
    table = view.communes.frame
    lifted = int(table.loc[table["Situation"] == LEAVING, "Population"].sum())
    stats = {s.key: s for s in view.stats}
    assert lifted > 0 and _number(stats["plan-lifted"].value) == lifted
    assert (table["Accessibilité après"] >= table["Accessibilité avant"]).all()
    assert table["Code INSEE"].str.startswith("55").all()
    under_before, under_after = (_number(v) for v in stats["plan-under-pop"].value.split(" → "))
    assert under_before - under_after == lifted  # nobody drops below: supply was only added
    epci = view.epci.frame
    assert int(epci["Habitants portés au-dessus du seuil"].sum()) == lifted
    assert view.query.endswith("&plan=gp:55029:3,teleconsultation:55545:20")


def test_gps_aged_62_and_over_retiring_lowers_accessibility(db):
    view = planner_view(db, scope=ADMIN, filters=MEUSE,
                        options=planner_options(filters=MEUSE, plan=parse_plan(None, "62")))
    table = view.communes.frame
    assert len(table) > 0 and (table["Écart"] <= 0).all() and (table["Écart"] < 0).any()


def test_planner_views_refuse_a_member_without_detail_on_coverage(db):
    plan = parse_plan("gp:55029:3")
    for level in ("summary", "none"):
        view = planner_view(db, scope=_member(level), filters=MEUSE, options=planner_options(filters=MEUSE, plan=plan))
        assert view.refused and view.communes is None and view.map is None and view.stats == ()
        s = suggest_view(db, scope=_member(level), filters=MEUSE,
                         options=suggest_options(planner=planner_options(filters=MEUSE), kind="gp", amount=1, count=2))
        assert s.refused and s.exact == () and s.plan.empty
    assert not planner_view(db, scope=_member("detail"), filters=MEUSE,
                            options=planner_options(filters=MEUSE, plan=plan)).refused


def test_suggested_sites_are_in_the_chosen_area_and_added_to_the_scenario(db):
    options = suggest_options(planner=planner_options(filters=MEUSE, plan=parse_plan("gp:55029:1")), kind="mobile",
                              amount=4, count=2, objective="reach")
    s = suggest_view(db, scope=ADMIN, filters=MEUSE, options=options)
    assert len(s.exact) == 2 and all("(55" in name for name in s.exact)
    assert s.exact_value >= s.greedy_value and "optimale" in s.status
    assert s.plan.changes[0].insee == "55029" and [c.kind for c in s.plan.changes[1:]] == ["mobile", "mobile"]


def test_under_served_list_ranks_by_inhabitants_by_default_and_sums_per_epci(db):
    view = coverage_view(db, scope=ADMIN, filters=MEUSE, options=coverage_options(filters=MEUSE))
    table = view.under.frame
    assert table["Population"].is_monotonic_decreasing
    assert "Code INSEE" in table.columns
    by_epci = view.under_epci.frame
    assert int(by_epci["Habitants sous le seuil"].sum()) == int(table["Population"].sum())
    assert int(by_epci["Communes sous le seuil"].sum()) == len(table)
    by_access = coverage_view(db, scope=ADMIN, filters=MEUSE,
                              options=coverage_options(filters=MEUSE, sort="accessibilite")).under.frame
    assert by_access["Accessibilité (consultations / hab. / an)"].is_monotonic_increasing
    assert set(by_access["Code INSEE"]) == set(table["Code INSEE"])
    far = coverage_view(db, scope=ADMIN, filters=MEUSE, options=coverage_options(filters=MEUSE, sort="medecin"))
    assert far.under.frame["Médecin généraliste le plus proche (km)"].dropna().is_monotonic_decreasing
    assert "&tri=medecin" in far.query
    summary = coverage_view(db, scope=_member("summary"), filters=MEUSE, options=coverage_options(filters=MEUSE))
    assert summary.under_epci is None  # EPCI totals name no commune, but the summary level is per département
