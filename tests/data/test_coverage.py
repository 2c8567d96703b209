"""2SFCA accessibility on a hand-computed case (numbers written out), and on the real territory."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from data.coverage import Options, decay, gp_supply, two_step_fca
from data.geography import EARTH_KM

KM_PER_DEGREE_LAT = EARTH_KM * math.pi / 180  # along a meridian, great-circle km per degree


def _line(*points: tuple[str, int, float]) -> pd.DataFrame:
    """Communes on one meridian: (insee, population, km north of the first)."""
    return pd.DataFrame([{"insee": c, "population": p, "lat": 48.0 + km / KM_PER_DEGREE_LAT, "lon": 5.0}
                         for c, p, km in points])


def test_decay_steps():
    assert decay(np.array([0, 10, 10.01, 15, 15.5, 20, 20.5])).tolist() == pytest.approx(
        [1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0])


def test_hand_computed_case():
    """A (1,000 inh.) has 1.4 FTE GP = 7,000 consultations/year; B (2,000 inh.) is 12 km away,
    C (500 inh.) 30 km away.

    step 1: R_A = 7000 / (1·1000 + 2/3·2000 + 0·500) = 7000 / 2333.33 = 3.0
    step 2: A_A = 1·3.0 = 3.0 ; A_B = 2/3·3.0 = 2.0 ; A_C = 0 (beyond 20 km)
    With the 2.5 threshold: A is served, B and C are under-served; C's nearest GP is 30 km away.
    """
    communes = _line(("A", 1000, 0.0), ("B", 2000, 12.0), ("C", 500, 30.0))
    result = two_step_fca(communes, pd.Series({"A": 7000.0})).set_index("insee")
    assert result.loc["A", "accessibility"] == pytest.approx(3.0)
    assert result.loc["B", "accessibility"] == pytest.approx(2.0)
    assert result.loc["C", "accessibility"] == 0.0
    assert result.loc["C", "nearest_supply_km"] == pytest.approx(30.0, abs=1e-6)
    assert list(result["accessibility"] < 2.5) == [False, True, True]


def test_two_providers_share_a_population():
    """A and B both have 5,000 consultations, 12 km apart, 1,000 inhabitants each.

    R_A = R_B = 5000 / (1000 + 2/3·1000) = 3.0 ; A_A = A_B = 3.0 + 2/3·3.0 = 5.0
    """
    communes = _line(("A", 1000, 0.0), ("B", 1000, 12.0))
    result = two_step_fca(communes, pd.Series({"A": 5000.0, "B": 5000.0})).set_index("insee")
    assert result["accessibility"].tolist() == pytest.approx([5.0, 5.0])


def test_gps_aged_65_and_over_are_excluded_by_default():
    gps = pd.DataFrame({"commune_insee": ["A", "A", "B"], "fte": [1.0, 0.4, 1.0], "birth_year": [1970, 1980, 1958]})
    supply = gp_supply(gps, options=Options(on=date(2026, 10, 31)))
    assert supply.to_dict() == {"A": pytest.approx(7000.0)}  # the GP born in 1958 is 68
    with_all = gp_supply(gps, options=Options(on=date(2026, 10, 31), exclude_65_plus=False))
    assert with_all.to_dict() == {"A": pytest.approx(7000.0), "B": pytest.approx(5000.0)}


def test_chunks_give_the_same_answer():
    rng = np.random.default_rng(1)
    communes = pd.DataFrame({"insee": [f"{i:05d}" for i in range(300)], "population": rng.integers(50, 5000, 300),
                             "lat": 48 + rng.random(300), "lon": 5 + rng.random(300)})
    supply = pd.Series(rng.random(40) * 10_000, index=communes["insee"].sample(40, random_state=1))
    whole = two_step_fca(communes, supply, chunk=1000)
    pieces = two_step_fca(communes, supply, chunk=7)
    assert np.allclose(whole["accessibility"], pieces["accessibility"])


def test_real_territory_is_plausible(db):
    from sqlalchemy import select

    from data.models import Commune, HealthProfessional

    communes = pd.DataFrame(db.execute(select(Commune.insee, Commune.population, Commune.lat, Commune.lon)).all())
    gps = pd.DataFrame(db.execute(
        select(HealthProfessional.commune_insee, HealthProfessional.fte, HealthProfessional.birth_year)
        .where(HealthProfessional.specialty == "medecine_generale", HealthProfessional.activity_end.is_(None))).all())
    result = two_step_fca(communes, gp_supply(gps, options=Options(on=date(2026, 10, 31))))
    weighted = (result["accessibility"] * communes["population"]).sum() / communes["population"].sum()
    assert 1.5 < weighted < 6  # France's APL averages about 3.3 consultations per inhabitant per year
    assert (result["accessibility"] < 2.5).any() and (result["accessibility"] >= 2.5).any()


def test_sparse_pairs_equal_the_dense_formula():
    """The pairs-within-reach computation gives what the dense n × n formula gives (both steps, nearest)."""
    from data.geography import pairwise_km

    rng = np.random.default_rng(7)
    n = 250  # spread over ~110 × 75 km: many communes have no provider within 20 km
    communes = pd.DataFrame({"insee": [f"{i:05d}" for i in range(n)], "population": rng.integers(0, 4000, n),
                             "lat": 48 + rng.random(n), "lon": 5 + rng.random(n)})
    supply = pd.Series(rng.random(12) * 8000, index=communes["insee"].sample(12, random_state=3))
    lat, lon, pop = communes["lat"].to_numpy(), communes["lon"].to_numpy(), communes["population"].to_numpy(float)
    s = supply.reindex(communes["insee"]).fillna(0).to_numpy()
    w = decay(pairwise_km(lat, lon, lat, lon))
    demand = w @ pop
    ratio = np.divide(s, demand, out=np.zeros(n), where=(s > 0) & (demand > 0))
    expected = w @ ratio
    nearest = pairwise_km(lat, lon, lat[s > 0], lon[s > 0]).min(axis=1)

    result = two_step_fca(communes, supply, chunk=64)
    assert np.allclose(result["accessibility"], expected)
    assert np.allclose(result["nearest_supply_km"], nearest)
    assert (expected == 0).any() and (nearest > 20).any()  # both paths of the nearest distance are exercised
