"""Impact estimators of /evaluation (data/impact.py) on panels drawn by the demo's own generator.

`synthetic_panel` is `ehpad_activity_rows` — the function the demo fills the database with — on a small
territory: Poisson counts, seasonality, an own trend per EHPAD, staggered first sessions, never-equipped
EHPADs; the planted effect is a parameter. Plain functions on small frames: seconds, no database.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from data import impact
from data.demo import EhpadPlan, ehpad_activity_rows, synthetic_panel

PLANTED = -0.20
NULL_RUNS = 50


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_effect_is_found_by_both_methods(seed):
    """−20 % planted on the emergency transfers: each pooled 95 % interval contains it and excludes 0."""
    df = impact.prepare(synthetic_panel(seed, ehpads=80, months=36, transfer_effect=PLANTED), "transfers")
    for estimate in (impact.its_pooled(df), impact.did_stacked(df)):
        assert estimate.ok, estimate.message
        assert estimate.contains(PLANTED), estimate
        assert not estimate.contains(0.0), estimate
        assert estimate.ehpads >= impact.MIN_EHPADS and estimate.months == 36


def test_referrals_carry_their_own_planted_effect():
    df = impact.prepare(synthetic_panel(4, ehpads=80, transfer_effect=0.0, referral_effect=-0.3), "referrals")
    assert impact.did_stacked(df).contains(-0.3) and not impact.did_stacked(df).contains(0.0)


def test_without_a_planted_effect_the_intervals_contain_zero_in_nine_runs_out_of_ten():
    """50 seeded runs with no effect: each method's 95 % interval contains 0 in at least 90 % of them."""
    hits = {impact.ITS: 0, impact.DID: 0}
    for seed in range(NULL_RUNS):
        df = impact.prepare(synthetic_panel(1000 + seed, ehpads=30, months=30, transfer_effect=0.0), "transfers")
        for estimate in (impact.its_pooled(df), impact.did_stacked(df)):
            assert estimate.ok, estimate.message
            hits[estimate.method] += estimate.contains(0.0)
    shares = {method: n / NULL_RUNS for method, n in hits.items()}
    print(f"share of the {NULL_RUNS} null runs whose 95 % interval contains 0: {shares}")
    assert all(share >= 0.9 for share in shares.values()), shares


def test_the_generator_plants_the_effect_it_is_given():
    """Same EHPADs, same months: with −20 % the after/before ratio of expected counts drops by a fifth."""
    months = [date(2024 + (m // 12), m % 12 + 1, 1) for m in range(24)]
    plans = [EhpadPlan(i, 80, date(2025, 1, 1)) for i in range(400)]
    totals = {}
    for effect in (0.0, PLANTED):
        rows = ehpad_activity_rows(np.random.default_rng(7), plans, months, transfer_effect=effect)
        after = sum(r["emergency_transfers"] for r in rows if r["month"] >= date(2025, 1, 1))
        before = sum(r["emergency_transfers"] for r in rows if r["month"] < date(2025, 1, 1))
        totals[effect] = after / before
    assert totals[PLANTED] / totals[0.0] == pytest.approx(1 + PLANTED, abs=0.03)


def test_too_little_data_gives_a_sentence_not_a_number():
    panel = synthetic_panel(5, ehpads=4, months=12, equipped=0.5)
    df = impact.prepare(panel, "transfers")
    for estimate in (impact.its_pooled(df), impact.did_stacked(df)):
        assert not estimate.ok and estimate.change is None and estimate.lower is None
        assert estimate.message.startswith("Données insuffisantes")
    short = impact.its_per_ehpad(df)
    assert all(not e.ok and e.message for e in short.values())


def test_did_never_uses_an_equipped_ehpad_as_a_control():
    """Stacked DiD: within a cohort's window every control is not equipped before the window ends."""
    df = impact.prepare(synthetic_panel(6, ehpads=40), "transfers")
    stacked = impact.stacks(df)
    controls = stacked[stacked["treated"] == 0]
    assert not controls.empty
    assert ((controls["first"] < 0) | (controls["first"] > controls["stack"] + impact.WINDOW_POST - 1)).all()
    assert (stacked.loc[stacked["post"] == 1, "treated"] == 1).all()


def test_event_time_rates_are_events_over_resident_months():
    df = impact.prepare(synthetic_panel(8, ehpads=30), "transfers")
    et = impact.event_time(df)
    row = et[et["rel"] == 0].iloc[0]
    at0 = df[df["rel"] == 0]
    assert row["events"] == at0["y"].sum() and row["rate"] == pytest.approx(at0["y"].sum() / at0["exposure"].sum()
                                                                              * 100)
    assert (et["lower"] <= et["rate"]).all() and (et["rate"] <= et["upper"]).all()
