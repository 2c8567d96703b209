"""Évaluation — economy sections: trips avoided (km, CO₂, cost), POC turnaround, GP density before/after the
study grants; hand computations on small known sets, the demo cross-checked from the raw tables, level rules."""
from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from data.access import AccessScope, full_scope
from data.evaluation_economy import (
    EconomyParams,
    before_after,
    quantile_of_histogram,
    slope_per_year,
    trips_avoided,
    turnaround,
)
from data.filters import Filters
from data.formatting import fmt_signed
from data.indicators import INDICATORS
from data.models import (
    BiologyResult,
    Commune,
    Dataset,
    HealthProfessional,
    MobileStop,
    Site,
    TeleconsultationSession,
)
from data.queries.workforce import active_on, profession_clause
from data.secrecy import SMALL_LABEL
from data.views.base import view_tables
from data.views.evaluation_economy import TABLES, TRIPS_TABLE, economy_sections, section_detail
from tests.conftest import TERRITORY
from tests.leak_detector import Detector

PARAMS = EconomyParams(co2_kg_per_km=0.192, cost_eur_per_km=0.30, detour=1.3, lab_turnaround_hours=24.0)
YEAR = Filters(TERRITORY, date(2025, 11, 1), date(2026, 10, 1), date(2026, 10, 31))
R = 6371.0  # km, the mean Earth radius


def hand_haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance written out, independently of data.geography.pairwise_km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


def scope(**levels: str) -> AccessScope:
    """A member whose grants are `summary` unless said."""
    return AccessScope(7, "member", "recherche", frozenset(TERRITORY),
                       tuple((d.value, levels.get(d.value, "summary")) for d in Dataset))


# --- km, CO₂ and cost: three communes by hand ---------------------------------------------------------

def test_km_co2_and_cost_equal_a_hand_computation_on_three_communes():
    trips = pd.DataFrame([
        # A: 10 teleconsultations + 5 mobile consultations, 0.1° of latitude south of the GP at D1
        {"insee": "55001", "name": "A", "departement": "55", "lat": 48.0, "lon": 5.0, "teleconsultations": 10,
         "mobile": 5},
        # B: a GP practises in the commune itself (D2): no kilometre avoided
        {"insee": "55002", "name": "B", "departement": "55", "lat": 48.5, "lon": 5.0, "teleconsultations": 20,
         "mobile": 0},
        # C: 4 mobile consultations, east of D2 and north of it: nearest is D2, on a slant
        {"insee": "55003", "name": "C", "departement": "55", "lat": 48.8, "lon": 5.4, "teleconsultations": 0,
         "mobile": 4},
    ])
    places = pd.DataFrame([{"lat": 48.1, "lon": 5.0, "kind": "gp"}, {"lat": 48.5, "lon": 5.0, "kind": "gp"},
                           {"lat": 47.0, "lon": 6.5, "kind": "hopital"}])
    out = trips_avoided(trips, places, PARAMS).set_index("insee")

    # by hand: A → D1 along a meridian is R × 0.1° in radians; C → nearest of the three
    d_a = R * math.radians(0.1)
    assert d_a == pytest.approx(11.1195, abs=1e-4)
    d_c = min(hand_haversine(48.8, 5.4, lat, lon) for lat, lon in ((48.1, 5.0), (48.5, 5.0), (47.0, 6.5)))
    assert d_c == pytest.approx(hand_haversine(48.8, 5.4, 48.5, 5.0))
    km = {"55001": 15 * 2 * d_a * 1.3, "55002": 0.0, "55003": 4 * 2 * d_c * 1.3}
    assert km["55001"] == pytest.approx(433.66, abs=0.01)
    for insee, expected in km.items():
        row = out.loc[insee]
        assert row["km"] == pytest.approx(expected, rel=1e-9)
        assert row["co2_kg"] == pytest.approx(expected * 0.192, rel=1e-9)
        assert row["cost_eur"] == pytest.approx(expected * 0.30, rel=1e-9)
    assert out["trips"].tolist() == [15, 20, 4]
    assert out.loc["55002", "nearest_km"] == 0
    total = sum(km.values())
    assert out["km"].sum() == pytest.approx(total) and out["co2_kg"].sum() == pytest.approx(total * 0.192)
    assert out["cost_eur"].sum() == pytest.approx(total * 0.30)


def test_a_nearer_hospital_is_the_place_of_care_and_no_place_gives_no_distance():
    trips = pd.DataFrame([{"insee": "55001", "name": "A", "departement": "55", "lat": 48.0, "lon": 5.0,
                           "teleconsultations": 1, "mobile": 0}])
    near_hospital = pd.DataFrame([{"lat": 48.2, "lon": 5.0, "kind": "gp"}, {"lat": 48.05, "lon": 5.0,
                                                                            "kind": "hopital"}])
    row = trips_avoided(trips, near_hospital, PARAMS).iloc[0]
    assert row["nearest_km"] == pytest.approx(R * math.radians(0.05))
    assert math.isnan(trips_avoided(trips, near_hospital.iloc[0:0], PARAMS).iloc[0]["km"])


def test_the_factors_come_from_the_environment(monkeypatch):
    from settings import get_settings

    monkeypatch.setenv("EVALUATION_CO2_KG_PER_KM", "0.218")
    monkeypatch.setenv("EVALUATION_COST_EUR_PER_KM", "0.636")
    monkeypatch.setenv("EVALUATION_LAB_TURNAROUND_HOURS", "6")
    get_settings.cache_clear()
    try:
        p = EconomyParams.from_settings()
        assert (p.co2_kg_per_km, p.cost_eur_per_km, p.detour, p.lab_turnaround_hours) == (0.218, 0.636, 1.3, 6.0)
        monkeypatch.setenv("EVALUATION_DETOUR_FACTOR", "0.9")
        get_settings.cache_clear()
        with pytest.raises(ValueError):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert EconomyParams.from_settings() == PARAMS  # the documented defaults


# --- POC turnaround and GP density on small known sets -------------------------------------------

def test_turnaround_median_and_90th_percentile_of_a_small_known_set():
    # minutes 5, 8, 9, 9, 30 (one result each, 9 twice): median the 3rd value, 90th percentile the 5th
    hist = pd.DataFrame({"minutes": [5, 8, 9, 30], "results": [1, 1, 2, 1]})
    t = turnaround(hist)
    assert (t.results, t.median_min, t.p90_min) == (5, 9.0, 30.0)
    # ten results 1..10 minutes: median 5 (lower of the two middle values), 90th percentile 9
    ten = pd.DataFrame({"minutes": list(range(1, 11)), "results": [1] * 10})
    assert (turnaround(ten).median_min, turnaround(ten).p90_min) == (5.0, 9.0)
    assert quantile_of_histogram([], [], 0.5) is None and turnaround(hist.iloc[0:0]).median_min is None


def test_gp_density_before_and_after_on_a_small_known_set():
    days = [date(2024, 12, 31), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31),
            date(2026, 3, 31)]
    # 100 000 inhabitants: 72, 71, 70 GPs before the first grant holder (Q3 2025), 70, 72, 74 from then on
    density = [(d, n / 100_000 * 10_000) for d, n in zip(days, [72, 71, 70, 70, 72, 74], strict=True)]
    ba = before_after(density, date(2025, 9, 30))
    assert [d for d, _ in ba.before] == days[:3] and [d for d, _ in ba.after] == days[3:]

    def least_squares(points):  # slope by hand, x in years
        x = [d.toordinal() / 365.25 for d, _ in points]
        y = [v for _, v in points]
        mx, my = sum(x) / len(x), sum(y) / len(y)
        return sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sum((a - mx) ** 2 for a in x)

    assert ba.slope_before == pytest.approx(least_squares(density[:3])) and ba.slope_before < 0
    assert ba.slope_after == pytest.approx(least_squares(density[3:])) and ba.slope_after > 0
    assert ba.slope_before == pytest.approx(-0.1 * 365.25 / 90.5, rel=0.02)  # −0,1 point per quarter
    assert ba.change == pytest.approx(ba.slope_after - ba.slope_before)
    one_before = before_after(density, date(2025, 3, 31))
    assert one_before.slope_before is None and one_before.change is None  # one quarter: no trend
    assert slope_per_year(density[:1]) is None


# --- on the demo: the sections against the raw tables ----------------------------------------------

def test_trips_of_three_demo_communes_equal_a_hand_computation_from_the_raw_events(db):
    view = economy_sections(db, scope=full_scope(TERRITORY), filters=YEAR, params=PARAMS).trips
    table = view.table.frame.set_index("Code INSEE")
    p, on = YEAR.period, YEAR.period.end
    chosen = table[table["Département"] == "55"].sort_values("Trajets évités").index[-3:]
    gp_points = db.execute(select(Commune.lat, Commune.lon).where(Commune.insee.in_(
        select(HealthProfessional.commune_insee).where(profession_clause("medecin_gp"), active_on(on))))).all()
    assert db.scalar(select(func.count()).select_from(Site).where(Site.kind == "hopital")) == 0
    total_km = 0.0
    for insee in chosen:
        tele = db.scalar(select(func.count()).select_from(TeleconsultationSession).where(
            TeleconsultationSession.patient_commune_insee == insee, TeleconsultationSession.status == "completed",
            TeleconsultationSession.day.between(p.start, p.end)))
        mobile = db.scalar(select(func.coalesce(func.sum(MobileStop.consultations), 0)).where(
            MobileStop.commune_insee == insee, MobileStop.status == "completed",
            MobileStop.day.between(p.start, p.end)))
        lat, lon = db.execute(select(Commune.lat, Commune.lon).where(Commune.insee == insee)).one()
        nearest = min(hand_haversine(lat, lon, a, b) for a, b in gp_points)
        km = (tele + mobile) * 2 * nearest * 1.3
        row = table.loc[insee]
        assert row["Trajets évités"] == tele + mobile > 0
        assert row["Kilomètres évités"] == round(km)
        assert row["CO₂ évité (kg)"] == round(km * 0.192) and row["Coût de transport évité (€)"] == round(km * 0.30)
        total_km += km
    assert total_km > 0


def test_poc_turnaround_of_an_ehpad_is_the_median_of_its_results(db):
    view = economy_sections(db, scope=full_scope(TERRITORY), filters=YEAR, params=PARAMS).poc
    row = view.table.frame.iloc[0]
    site = db.scalar(select(Site.id).where(Site.name == row["EHPAD"]))
    p = YEAR.period
    pairs = db.execute(select(BiologyResult.sampled_at, BiologyResult.resulted_at).where(
        BiologyResult.site_id == site, BiologyResult.day.between(p.start, p.end))).all()
    minutes = np.array([round((r - s).total_seconds() / 60) for s, r in pairs])
    assert row["Résultats"] == len(minutes) >= 30
    assert row["Médiane (min)"] == np.percentile(minutes, 50, method="inverted_cdf")
    assert row["90e centile (min)"] == np.percentile(minutes, 90, method="inverted_cdf")
    assert row["Gain médian (h)"] == round(24 - row["Médiane (min)"] / 60, 1)
    assert next(s for s in view.stats if s.key == "eval-poc-transfers").value == "non disponible"
    assert view.transfers.startswith("non disponible : ")


def test_gp_density_of_a_quarter_is_the_registry_count_over_the_population(db):
    view = economy_sections(db, scope=full_scope(TERRITORY), filters=YEAR, params=PARAMS).gp
    frame = view.table.frame
    row = frame[(frame["Code du département"] == "55")].iloc[2]
    day = row["Fin de trimestre"]
    communes = select(Commune.insee).where(Commune.departement_code == "55")
    n = db.scalar(select(func.count()).select_from(HealthProfessional).where(
        profession_clause("medecin_gp"), active_on(day), HealthProfessional.commune_insee.in_(communes)))
    pop = db.scalar(select(func.sum(Commune.population)).where(Commune.departement_code == "55"))
    assert row["Médecins généralistes"] == n and row["Population"] == pop
    assert row["Pour 10 000 habitants"] == round(n / pop * 1e4, 2)
    trend = view.trends["55"]
    assert trend.reference == date(2025, 9, 30)  # the demo's first grant holders settle in Q3 2025
    assert len(trend.before) >= 2 and trend.slope_before is not None and trend.slope_after is not None
    assert set(frame["Avant / après"]) == {"avant", "après"}


# --- level rules ----------------------------------------------------------------------------------

def _texts(sections) -> str:
    parts = [s.label + " " + s.value + " " + (s.detail or "") for s in sections.stats]
    for table in view_tables(sections):
        parts.append(table.caption)
        parts.append(table.frame.to_json(orient="records", force_ascii=False, date_format="iso"))
    return json.dumps(parts, ensure_ascii=False)


def test_summary_names_no_commune_nor_site_and_shows_no_count_of_1_to_10(db):
    sections = economy_sections(db, scope=scope(programme="detail"), filters=YEAR, params=PARAMS)
    assert {sections.trips.detail.level, sections.poc.detail.level, sections.gp.detail.level} == {"summary"}
    assert Detector.from_session(db).find_leaks(_texts(sections)) == []
    assert "Commune" not in sections.trips.table.frame.columns and "EHPAD" not in sections.poc.table.frame.columns
    assert set(sections.trips.table.frame["Code du département"]) == set(TERRITORY)
    holders = sections.gp.table.frame["Boursiers installés"]
    assert SMALL_LABEL in set(holders)  # the demo's early holders per département are 1–10
    assert not any(isinstance(v, (int, float)) and 1 <= v <= 10 for v in holders)
    # the same view at detail level does name communes and EHPADs (the detector sees them)
    detail = economy_sections(db, scope=full_scope(TERRITORY), filters=YEAR, params=PARAMS)
    assert Detector.from_session(db).find_leaks(_texts(detail)) != []


def test_a_section_is_never_finer_than_its_source_nor_the_programme(db):
    assert section_detail(scope(programme="detail"), YEAR, Dataset.TELECONSULTATION).summary
    assert section_detail(scope(programme="summary", biology="detail"), YEAR, Dataset.BIOLOGY).summary
    both = scope(programme="detail", teleconsultation="detail", mobile="detail")
    assert section_detail(both, YEAR, Dataset.TELECONSULTATION, Dataset.MOBILE).level == "detail"
    assert section_detail(scope(programme="detail", teleconsultation="detail"), YEAR, Dataset.TELECONSULTATION,
                          Dataset.MOBILE).summary
    closed = economy_sections(db, scope=scope(programme="detail", workforce="none"), filters=YEAR, params=PARAMS)
    assert closed.gp.unavailable and closed.gp.stats == () and closed.gp.table.frame.empty


def test_every_figure_and_table_of_the_sections_is_documented(db):
    sections = economy_sections(db, scope=full_scope(TERRITORY), filters=YEAR, params=PARAMS)
    keys = [s.ref for s in sections.stats] + [t.key for t in view_tables(sections)]
    assert sorted({t.key for t in view_tables(sections)}) == sorted(TABLES)
    for key in keys:
        entry = INDICATORS[key]
        assert entry.definition and entry.formula and entry.unit and entry.sources and entry.limits, key
    assert "ADEME" in INDICATORS["eval-co2"].reference and "30 mars 2015" in INDICATORS["eval-cost"].reference
    assert "vol d'oiseau" in INDICATORS["eval-km"].limits and "détour" in INDICATORS["eval-km"].limits



def test_the_demo_s_grant_holders_are_young_gps_of_the_registry(db):
    """The demo plants what the section should find: each holder the programme reports is a GP who settled in
    their département during the quarter they were first counted, none before the 4th quarter."""
    from data.models import ProgrammeIndicatorValue as Piv

    latest = dict(db.execute(select(Piv.departement_code, func.max(Piv.value)).where(
        Piv.indicator == "boursiers_installes").group_by(Piv.departement_code)).all())
    planted = db.execute(select(Commune.departement_code, func.count(), func.min(HealthProfessional.activity_start))
                         .join(Commune, Commune.insee == HealthProfessional.commune_insee)
                         .where(HealthProfessional.source_event_id.like("RPPS-20%"), profession_clause("medecin_gp"))
                         .group_by(Commune.departement_code)).all()
    assert {d: n for d, n, _ in planted} == {d: int(v) for d, v in latest.items()}
    assert all(first >= date(2025, 7, 1) for *_, first in planted)
    values = db.execute(select(Piv.departement_code, Piv.value).where(Piv.indicator == "boursiers_installes")
                        .order_by(Piv.departement_code, Piv.period_end)).all()
    for dep in TERRITORY:  # a stock: never down
        series = [v for d, v in values if d == dep]
        assert series == sorted(series) and series[:3] == [0, 0, 0]


@pytest.mark.parametrize("who,finer", [("recherche", False), ("financeurs", False), ("admin", True)])
def test_every_table_is_exported_at_the_section_s_level(auth, client, who, finer):
    """recherche and financeurs have the programme in detail but its sources at summary: département rows."""
    from tests.csv_exports import read_export

    auth.login_as(who)
    for key, column in ((TRIPS_TABLE, "Commune"), ("evaluation-biologie", "EHPAD"),
                        ("evaluation-densite-mg", "Médecins généralistes")):
        response = client.get(f"/export/{key}.csv?dep=52,55&du=2025-11&au=2026-10")
        assert response.status_code == 200, key
        _meta, header, rows = read_export(response.get_data(as_text=True))
        assert rows, key
        if column != "Médecins généralistes":
            assert (column in header) == finer, (key, header)
        deps = {r[header.index("Code du département")] for r in rows} if "Code du département" in header else None
        assert deps is None or deps <= {"52", "55"}
        assert client.get(f"/export/{key}.xlsx?dep=52,55").status_code == 200


def test_the_page_view_carries_the_three_sections_after_the_ehpad_one(db):
    from data.views.evaluation import EvaluationOptions, evaluation_view

    view = evaluation_view(db, scope=scope(programme="detail"), filters=YEAR, options=EvaluationOptions())
    keys = [s.key for s in view.sections]
    assert keys[-3:] == ["trajets", "biologie", "densite-mg"] and keys.index("ehpad") < keys.index("trajets")
    assert {"eval-trips", "eval-km", "eval-co2", "eval-cost", "eval-poc-median"} <= {s.key for s in view.stats}
    assert all(s.provenance is not None for sec in view.sections for s in sec.stats)


def test_the_cards_trend_is_that_of_the_departements_together(db):
    gp = economy_sections(db, scope=full_scope(TERRITORY), filters=YEAR, params=PARAMS).gp
    frame = gp.table.frame
    together = frame.groupby("Fin de trimestre")[["Médecins généralistes", "Population"]].sum()
    expected = [(d, round(r["Médecins généralistes"] / r["Population"] * 1e4, 2)) for d, r in together.iterrows()]
    assert list(gp.overall.before + gp.overall.after) == expected
    assert gp.overall.reference == min(t.reference for t in gp.trends.values())
    card = next(s for s in gp.stats if s.key == "eval-gp-trend-before")
    assert card.value == f"{fmt_signed(gp.overall.slope_before, 2)} par an"
