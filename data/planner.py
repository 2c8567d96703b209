"""Coverage planner: hypothetical supply changes (a scenario) and their effect on the accessibility.

A scenario is a list of changes, each a kind of service in a commune with an amount, plus optionally
« retire the GPs aged 62 or more » (what the territory looks like in 3 years, when they reach 65).
Every change is turned into consultations a year (documented conversions below) and applied to the
same 2SFCA as the page (data/coverage.py) incrementally: only the pairs of the changed communes are
visited, from the cached catchment of the territory.

Conversions (consultations a year):
- GP: full-time equivalents × CONSULTATIONS_PER_FTE (5,000), as the method counts existing GPs;
- mobile office: half-days a week × MOBILE_PER_HALF_DAY (10 consultations in a half-day stop of
  about 3.5 hours, travel and set-up excluded) × WEEKS_PER_YEAR (45: holidays, maintenance);
- teleconsultation site: hours a week × TELECONSULTATION_PER_HOUR (3: 20 minutes a session with its
  set-up) × WEEKS_PER_YEAR.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.coverage import CONSULTATIONS_PER_FTE, Catchment

WEEKS_PER_YEAR = 45
MOBILE_PER_HALF_DAY = 10
TELECONSULTATION_PER_HOUR = 3
RETIREMENT_AGE_SOON = 62  # aged 62+ today: 65+ in 3 years, when the method stops counting them
MAX_CHANGES = 50
MAX_AMOUNT = {"gp": 20.0, "mobile": 10.0, "teleconsultation": 60.0}


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    unit: str
    per_unit: float  # consultations a year for one unit

    def consultations(self, amount: float) -> float:
        return amount * self.per_unit


KINDS = {
    "gp": Kind("gp", "Médecins généralistes installés", "ETP", CONSULTATIONS_PER_FTE),
    "mobile": Kind("mobile", "Arrêt de cabinet mobile", "demi-journées par semaine",
                   MOBILE_PER_HALF_DAY * WEEKS_PER_YEAR),
    "teleconsultation": Kind("teleconsultation", "Site de téléconsultation", "heures par semaine",
                             TELECONSULTATION_PER_HOUR * WEEKS_PER_YEAR),
}
_CHANGE_RE = re.compile(r"^(gp|mobile|teleconsultation):(\d[0-9AB]\d{3}):(-?\d{1,3}(?:\.\d{1,2})?)$")


@dataclass(frozen=True)
class Change:
    kind: str
    insee: str
    amount: float  # in the kind's unit; negative only for GPs (removed)

    @property
    def consultations(self) -> float:
        return KINDS[self.kind].consultations(self.amount)

    def token(self) -> str:
        return f"{self.kind}:{self.insee}:{self.amount:g}"


@dataclass(frozen=True)
class Plan:
    """A scenario's content: its changes and whether GPs aged 62+ retire."""

    changes: tuple[Change, ...] = ()
    retire_soon: bool = False

    @property
    def empty(self) -> bool:
        return not self.changes and not self.retire_soon

    def to_query(self) -> str:
        return ((f"&plan={','.join(c.token() for c in self.changes)}" if self.changes else "")
                + ("&retraite=62" if self.retire_soon else ""))

    def as_json(self) -> dict:
        return {"changes": [{"kind": c.kind, "insee": c.insee, "amount": c.amount} for c in self.changes],
                "retire_soon": self.retire_soon}


def valid_change(kind, insee, amount) -> Change | None:
    """A change from a form, a URL or the database; None when it makes no sense."""
    try:
        amount = round(float(amount), 2)
    except (TypeError, ValueError):
        return None
    if kind not in KINDS or not isinstance(insee, str) or not re.fullmatch(r"\d[0-9AB]\d{3}", insee):
        return None
    if amount == 0 or abs(amount) > MAX_AMOUNT[kind] or (amount < 0 and kind != "gp"):
        return None
    return Change(kind, insee, amount)


def parse_plan(plan: str | None, retire: str | None = None) -> Plan:
    """`plan=gp:55029:2,mobile:55545:4` and `retraite=62` from a URL; anything unreadable is dropped."""
    changes = []
    for token in (plan or "").split(",")[:MAX_CHANGES]:
        m = _CHANGE_RE.match(token.strip())
        if m and (change := valid_change(m[1], m[2], m[3])):
            changes.append(change)
    return Plan(tuple(changes), retire == "62")


def plan_from_json(data) -> Plan:
    if not isinstance(data, dict):
        return Plan()
    changes = [c for item in (data.get("changes") or [])[:MAX_CHANGES] if isinstance(item, dict)
               and (c := valid_change(item.get("kind"), item.get("insee"), item.get("amount")))]
    return Plan(tuple(changes), bool(data.get("retire_soon")))


def retiring_supply(gp_rows: pd.DataFrame, *, on: date, exclude_65_plus: bool,
                    consultations_per_fte: float = CONSULTATIONS_PER_FTE) -> pd.Series:
    """Consultations a year of the GPs aged 62 or more that the method counts today, per commune."""
    age = on.year - gp_rows["birth_year"]
    soon = gp_rows[(age >= RETIREMENT_AGE_SOON) & ((age < 65) if exclude_65_plus else True)]
    return soon.groupby("commune_insee")["fte"].sum() * consultations_per_fte


def supply_deltas(c: Catchment, supply: np.ndarray, plan: Plan, retiring: pd.Series | None = None) -> dict[int, float]:
    """Consultations a year added (removed) per commune of the catchment; never below zero supply."""
    deltas: dict[int, float] = {}
    for change in plan.changes:
        j = c.index.get(change.insee)
        if j is not None:
            deltas[j] = deltas.get(j, 0.0) + change.consultations
    if plan.retire_soon and retiring is not None:
        for insee, value in retiring.items():
            j = c.index.get(insee)
            if j is not None:
                deltas[j] = deltas.get(j, 0.0) - float(value)
    return {j: max(d, -supply[j]) for j, d in deltas.items() if max(d, -supply[j]) != 0}

