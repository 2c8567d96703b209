"""Bookkeeping of an attack run: the hidden cells attacked, the claims, and which claims are recoveries.

A *recovery* (the definition every attack test uses): from published figures only, the attacker derives
with certainty (rounding taken into account) an interval [lo, hi] of whole numbers for a count that the
summary level must not reveal, such that hi − lo ≤ 2, 1 ≤ lo, hi ≤ 10, and the true value (truth.py)
lies in it — an exact value in 1..10 being the case lo == hi. A claim whose interval misses the truth is
*unsound* (the published figures were perturbed): it is reported apart, never as a recovery.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

INF = math.inf
EPS = 1e-9


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float

    def __and__(self, other: Interval) -> Interval:
        return Interval(max(self.lo, other.lo), min(self.hi, other.hi))

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.lo - other.hi, self.hi - other.lo)

    def scale(self, k: Interval) -> Interval:
        products = [a * b for a in (self.lo, self.hi) for b in (k.lo, k.hi) if not (math.isinf(a) and b == 0)]
        return Interval(min(products), max(products))

    def whole(self) -> tuple[int, int] | None:
        """The whole numbers inside, as (first, last); None if none."""
        lo = math.ceil(self.lo - EPS)
        hi = math.floor(self.hi + EPS) if not math.isinf(self.hi) else 10**12
        return (lo, hi) if lo <= hi else None

    def __str__(self) -> str:
        w = self.whole()
        if w and w[0] == w[1]:
            return str(w[0])
        return f"[{w[0]}, {w[1]}]" if w else f"∅({self.lo:g}, {self.hi:g})"


COUNT_PRIOR = Interval(0, INF)


def interval_of(shown, *, rounded_counts: bool = False) -> Interval:
    """What a published figure says about a count: exact, rounded, « < 11 » = [1, 10], « s » / « — » = ≥ 0."""
    if shown.lo is not None:
        return Interval(shown.lo, shown.hi if not math.isinf(shown.hi) else INF)
    if shown.text == "< 11":
        return Interval(1, 10)
    return COUNT_PRIOR


@dataclass
class Claim:
    tactic: str
    cell: str
    derived: str
    truth: int
    used: list[str]
    recovery: bool
    sound: bool

    def line(self) -> str:
        return (f"[{self.tactic}] {self.cell}: derived {self.derived}, true {self.truth}; from "
                + " ; ".join(self.used))


@dataclass
class Ledger:
    truth: object
    attacked: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    claims: dict[str, list[Claim]] = field(default_factory=lambda: defaultdict(list))
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def attack(self, tactic: str, cell: tuple) -> None:
        self.attacked[tactic].add(cell)

    def claim(self, tactic: str, label: str, cell: tuple, derived: Interval, used: list[str]) -> Claim | None:
        """Record a derivation about `cell`; it counts as a recovery per the module's definition."""
        self.attack(tactic, cell)
        w = derived.whole()
        if w is None:
            return None
        lo, hi = w
        if not (hi - lo <= 2 and lo >= 1 and hi <= 10):
            return None
        true = self.truth.value(cell)
        sound = lo <= true <= hi
        c = Claim(tactic, label, str(derived), true, list(used), recovery=sound, sound=sound)
        if all(x.cell != label for x in self.claims[tactic]):
            self.claims[tactic].append(c)
        return c

    def recoveries(self, tactic: str) -> list[Claim]:
        return [c for c in self.claims[tactic] if c.recovery]

    def report(self, tactic: str) -> str:
        rec = self.recoveries(tactic)
        unsound = [c for c in self.claims[tactic] if not c.sound]
        lines = [f"tactic {tactic}: {len(self.attacked[tactic])} hidden cells attacked, {len(rec)} recovered"
                 + (f", {len(unsound)} unsound claims (perturbed figures)" if unsound else "")]
        lines += ["  " + c.line() for c in rec]
        lines += ["  unsound: " + c.line() for c in unsound[:5]]
        lines += ["  note: " + n for n in self.notes[tactic]]
        return "\n".join(lines)
