"""Rates and per-unit figures at `summary` level never pin a hidden count.

For every percentage and per-unit figure a summary user sees (cards, table cells, exports) on the
teleconsultation, mobile and workforce pages, the numerator is bounded by rate × denominator (the rate
read as the interval its rounding allows: « 1,8 % » is [1,75 ; 1,85[) with the denominator shown on
the same page. A recovery (ledger.py) is an interval of width ≤ 2 inside 1..10 that holds the truth.
Selections: each département alone and the whole territory, every single month of 2024-11..2026-10.
"""
from __future__ import annotations

import pytest

from tests.attacks.ledger import Interval, Ledger, interval_of
from tests.attacks.oracle import Oracle, Shown, parse_csv, parse_shown
from tests.attacks.test_differencing import (
    MONTHS,
    NUM,
    PROFESSIONS,
    TERRITORY,
    all_deps,
    attack_rates,
    month_end,
    rate_cells,
    shown_after,
    workforce_rate_cells,
    ym,
)

SELECTIONS = tuple((d,) for d in TERRITORY) + (TERRITORY,)
PER_10K = Interval(1e-4, 1e-4)


def per_unit_cells(o: Oracle, deps, month):
    """Per-unit figures: consultations per stop × stops; density per 10 000 × population."""
    d, a, b = all_deps(deps), month, month_end(month)
    out = []
    mob = o.callback("mobile", deps, ym(month), ym(month)).cards
    if "stat-mob-consultations" in mob:
        per = shown_after(mob["stat-mob-consultations"].detail, r"([\d,]+) par arrêt")
        stops = parse_shown(mob["stat-mob-stops"].value.partition(" / ")[0])
        per = Shown(per.text, per.lo * 100, per.hi * 100) if not per.missing else per  # a ratio, not a %
        out.append(("consultations (carte, par arrêt × arrêts)", per, stops,
                    ("mob", d, a, b, "completed", "consultations"), "par arrêt × arrêts réalisés"))
    wf = o.callback("workforce", deps, ym(month), ym(month)).cards
    dens = o.export("professionnels-densite", deps, ym(month), ym(month), profession="medecin_gp")
    pop = sum(int(r["Population"]) for r in dens)
    if "stat-wf-density" in wf:  # the page's profession: general practitioners by default
        out.append(("généralistes (carte densité × population)", parse_shown(wf["stat-wf-density"].value),
                    Shown(str(pop), pop / 100, pop / 100), ("wf_active", d, b, "medecin_gp"),
                    "pour 10 000 hab. × population de l'export densité"))
    return out


def density_cells(o: Oracle, deps, month, profession):
    on = month_end(month)
    out = []
    for r in o.export("professionnels-densite", deps, ym(month), ym(month), profession=profession):
        out.append((f"{profession} {r['Territoire']} (export densité × population)",
                    parse_csv(r["Pour 10 000 habitants"]), Shown(r["Population"], int(r["Population"]) / 100,
                                                                  int(r["Population"]) / 100),
                    ("wf_active", (r["Code du département"],), on, profession), "pour 10 000 hab. × Population"))
    return out


@pytest.mark.parametrize("deps", SELECTIONS, ids=lambda d: ",".join(d))
def test_rates_never_pin_a_small_count(oracle: Oracle, ledger: Ledger, deps):
    tactic = f"rates dep={','.join(deps)}"
    for m in MONTHS:
        ctx = f"dep={','.join(deps)} {ym(m)}"
        attack_rates(ledger, tactic, rate_cells(oracle, deps, m, m), ctx)
        attack_rates(ledger, tactic, per_unit_cells(oracle, deps, m), ctx)
    for m in (MONTHS[0], MONTHS[11], MONTHS[-1]):
        for profession in PROFESSIONS:
            ctx = f"dep={','.join(deps)} au {month_end(m)}"
            attack_rates(ledger, tactic, workforce_rate_cells(oracle, deps, m, profession), ctx)
            attack_rates(ledger, tactic, density_cells(oracle, deps, m, profession), ctx)
    _ = (interval_of, NUM)
    if ledger.recoveries(tactic):
        pytest.fail(ledger.report(tactic), pytrace=False)
