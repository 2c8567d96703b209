"""Coverage planner method: incremental scenarios, the border ring, and the exact siting solver."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data import siting
from data.coverage import REACH_KM, accessibility_of, catchment, supply_vector, two_step_fca, with_changes
from data.geography import EARTH_KM, GEO_DIR, RING_KM, pairwise_km, read_communes, read_ring
from data.planner import KINDS, Change, Plan, parse_plan, supply_deltas

DEPS = ("52", "54", "55")


@pytest.fixture(scope="module")
def territory():
    rows = read_communes(GEO_DIR, DEPS)
    communes = pd.DataFrame({"insee": [r.insee for r in rows], "population": [r.population for r in rows],
                             "lat": [r.lat for r in rows], "lon": [r.lon for r in rows]})
    ring = pd.DataFrame(read_ring(GEO_DIR, DEPS), columns=["insee", "departement", "population", "lat", "lon"])
    rng = np.random.default_rng(7)
    supply = pd.Series(rng.choice([0, 0, 0, 5000, 7500, 15000], len(communes)).astype(float),
                       index=communes["insee"])
    return communes, ring, supply


def test_ring_reaches_as_far_as_the_method():
    assert RING_KM == REACH_KM


def test_incremental_scenario_equals_a_full_recompute(territory):
    communes, ring, supply = territory
    c = catchment(communes, ring)
    s = supply_vector(c, supply)
    base = accessibility_of(c, s)
    j = c.index["55029"]
    after = with_changes(c, base, {j: KINDS["gp"].consultations(2)})
    full = two_step_fca(communes, supply.add(pd.Series({"55029": 10000.0}), fill_value=0), ring=ring)
    assert np.abs(after[:c.inside] - full["accessibility"].to_numpy()).max() < 1e-12
    assert (np.round(after[:c.inside], 2) == np.round(full["accessibility"].to_numpy(), 2)).all()
    assert (after != base).sum() > 50  # the new GPs reach their neighbours, not only their commune


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1515), st.sampled_from(sorted(KINDS)), st.integers(1, 8)),
                min_size=1, max_size=6))
def test_adding_supply_never_lowers_accessibility_and_removing_it_restores_it(territory, additions):
    communes, ring, supply = territory
    c = catchment(communes, ring)
    s = supply_vector(c, supply)
    base = accessibility_of(c, s)
    plan = Plan(tuple(Change(kind, communes["insee"][i], float(amount)) for i, kind, amount in additions))
    after = with_changes(c, base, supply_deltas(c, s, plan))
    assert (after >= base).all()
    assert (after[:c.inside] > base[:c.inside]).any()
    # the scenario without those changes is the original, to the last bit
    assert np.array_equal(with_changes(c, base, supply_deltas(c, s, Plan())), base)
    # and so is a full recompute once the supply is taken away again
    added = supply.copy()
    for change in plan.changes:
        added[change.insee] += change.consultations
    assert not np.array_equal(two_step_fca(communes, added, ring=ring)["accessibility"].to_numpy(), base[:c.inside])
    assert np.array_equal(two_step_fca(communes, supply, ring=ring)["accessibility"].to_numpy(), base[:c.inside])


def test_removing_gps_never_goes_below_no_supply(territory):
    communes, ring, supply = territory
    c = catchment(communes, ring)
    s = supply_vector(c, supply)
    insee = next(i for i, v in supply.items() if v == 5000.0)
    deltas = supply_deltas(c, s, Plan((Change("gp", insee, -3.0),)))
    assert deltas == {c.index[insee]: -5000.0}
    after = with_changes(c, accessibility_of(c, s), deltas)
    s2 = s.copy()
    s2[c.index[insee]] = 0
    assert np.abs(after - accessibility_of(c, s2)).max() < 1e-12
    assert after.min() > -1e-12


def test_the_ring_changes_border_communes_and_not_central_ones(territory):
    communes, ring, _ = territory
    supply = pd.Series(np.where(np.arange(len(communes)) % 8 == 0, 7500.0, 0.0), index=communes["insee"])
    without = two_step_fca(communes, supply)["accessibility"].to_numpy()
    with_ring = two_step_fca(communes, supply, ring=ring)["accessibility"].to_numpy()
    to_ring = pairwise_km(communes["lat"].to_numpy(), communes["lon"].to_numpy(),
                          ring["lat"].to_numpy(), ring["lon"].to_numpy()).min(axis=1)
    # central: no GP they reach has a ring commune within its own reach (so none of their step-1 ratios moves)
    c = catchment(communes)
    shared = (supply.to_numpy() > 0) & (to_ring <= REACH_KM)
    central = np.bincount(c.rows, weights=shared[c.cols], minlength=len(communes)) == 0
    border = to_ring <= 5
    assert central.sum() >= 10 and border.sum() > 100 and to_ring[central].min() > REACH_KM
    assert np.array_equal(with_ring[central], without[central])
    # demand across the border shares the same supply: border accessibility goes down, never up
    assert (with_ring <= without + 1e-12).all()
    assert (with_ring[border] < without[border]).mean() > 0.5


def test_plan_round_trips_through_the_url():
    plan = Plan((Change("gp", "55029", 1.5), Change("mobile", "55545", 4.0), Change("teleconsultation", "2A004", 10)),
                retire_soon=True)
    assert parse_plan(plan.to_query().split("plan=")[1].split("&")[0], "62") == plan
    assert parse_plan("gp:55029:99,mobile:55545:-2,x:1:1,gp:550291:1,gp:55029:0") == Plan()


# --- siting: a hand-made territory where the optimum is known and greedy misses it -------------------

KM_PER_DEGREE_LON = EARTH_KM * math.pi / 180 * math.cos(math.radians(48.5))
TOWN = [("A", 0, 500), ("B", 6, 200), ("C", 12, 300), ("D", 15, 400)]  # a small town's communes, west
HAMLETS = [("E", 27, 400), ("F", 36, 100), ("G", 39, 100)]  # hamlets, east


def _hand_made():
    """Seven communes on a parallel (km east of A), no GP anywhere, threshold 1 consultation per inhabitant,
    sites of 1,000 consultations a year. One site anywhere in the town is shared by its 1,400 inhabitants
    and lifts nobody; a site among the hamlets lifts E, F and G (600). So greedy takes the hamlets first,
    then cannot lift the town with one site: 600. Two sites in the town lift all of it: 1,400."""
    df = pd.DataFrame([{"insee": k, "population": p, "lat": 48.5, "lon": 5.0 + km / KM_PER_DEGREE_LON}
                       for k, km, p in TOWN + HAMLETS])
    return df, catchment(df)


def _brute_force(df, n, capacity, threshold):
    """Every choice of n communes, each recomputed by the full 2SFCA (nothing of the solver's model)."""
    best, winners = -1, []
    for combo in itertools.combinations(df["insee"], n):
        a = two_step_fca(df, pd.Series({k: capacity for k in combo}))["accessibility"].round(2)
        lifted = int(df["population"][(a >= threshold).to_numpy()].sum())
        if lifted > best:
            best, winners = lifted, [set(combo)]
        elif lifted == best:
            winners.append(set(combo))
    return best, winners


def test_the_solver_finds_the_known_optimum_that_greedy_misses():
    df, c = _hand_made()
    best, winners = _brute_force(df, 2, 1000.0, 1.0)
    assert best == 1400
    p = siting.problem(c, np.zeros(len(df)), capacity=1000.0, threshold=1.0, candidates=np.arange(len(df)),
                       counted=np.ones(len(df), bool))
    exact, greedy = siting.exact(p, 2), siting.greedy(p, 2)
    assert exact.optimal and not exact.time_limited
    assert exact.value == 1400 and {df["insee"][j] for j in exact.sites} in winners
    assert {df["insee"][j] for j in exact.sites} <= {"A", "B", "C", "D"}
    assert greedy.value == 600 and {df["insee"][j] for j in greedy.sites} & {"E", "F", "G"}


def test_the_solver_matches_brute_force_on_three_sites():
    df, c = _hand_made()
    best, winners = _brute_force(df, 3, 1000.0, 1.0)
    p = siting.problem(c, np.zeros(len(df)), capacity=1000.0, threshold=1.0, candidates=np.arange(len(df)),
                       counted=np.ones(len(df), bool))
    exact = siting.exact(p, 3)
    assert exact.value == best and {df["insee"][j] for j in exact.sites} in winners


def test_maximal_covering_within_reach():
    """Objective « within 10 km »: the town's two ends (A at 0, D at 15 km) cover the town (1,400);
    greedy's first site must cover most people, which one site in the town does, then the hamlets."""
    df, c = _hand_made()
    p = siting.problem(c, np.zeros(len(df)), capacity=1000.0, threshold=1.0, candidates=np.arange(len(df)),
                       counted=np.ones(len(df), bool), objective="reach")
    exact = siting.exact(p, 2)
    assert exact.value == 2000  # every commune within 10 km of one of two sites (e.g. B or C, then F)


def test_candidates_restrict_the_sites_and_the_time_limit_is_reported(territory):
    communes, ring, supply = territory
    c = catchment(communes, ring)
    s = supply_vector(c, supply)
    access = accessibility_of(c, s)
    meuse = np.flatnonzero(communes["insee"].str.startswith("55").to_numpy())
    counted = communes["insee"].str.startswith("55").to_numpy()
    p = siting.problem(c, access, capacity=KINDS["gp"].consultations(1), threshold=2.5, candidates=meuse,
                       counted=counted)
    exact = siting.exact(p, 5, time_limit=60)
    greedy = siting.greedy(p, 5)
    assert set(exact.sites) <= set(meuse) and len(exact.sites) == 5
    assert exact.value >= greedy.value
    # the value is the real one: the scenario recomputed brings exactly that many inhabitants above
    after = with_changes(c, access, {j: KINDS["gp"].consultations(1) for j in exact.sites})
    before_under = counted & (communes["population"].to_numpy() > 0) & (np.round(access[:c.inside], 2) < 2.5)
    lifted = before_under & (np.round(after[:c.inside], 2) >= 2.5)
    assert communes["population"].to_numpy()[lifted].sum() == exact.value
    stopped = siting.exact(p, 5, time_limit=1e-3)
    assert stopped.time_limited and not stopped.optimal
