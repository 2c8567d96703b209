"""Statistical secrecy for `summary` level: small counts hidden, and not recoverable by subtraction.

The publication grid (what the summary level publishes)
--------------------------------------------------------
Every count a summary-level caller receives — card, chart, map value, table, export, percentage — is
a sum of *published cells* of one fixed grid: département × calendar month (or a stock date) ×
category (status, test, age band…), for one measure. A cell is published once, the same way for
everyone and every question (a consistent cell-key perturbation, after the ABS TableBuilder):
- its *cell key* is a keyed hash (HMAC-SHA256, key in the settings: SECRECY_KEY) of the cell's
  coordinates and true value, read as a number u in [0, 1): the same cell always gets the same key;
- a zero stays 0 (no event: nothing to protect);
- a count from 1 to 10 is shown « < 11 » and enters every total as 0 or 11 — 11 when u < value / 11,
  so that its expected contribution is its true value (unbiased random rounding) while the value
  itself is never published: what a total gives back by subtraction is 0 or 11, never 1–10;
- a count of 11 or more gets a small noise read from the perturbation table (SECRECY_NOISE, offsets
  with their probabilities, zero mean) at u, and never less than 11.
Totals over any set of départements and any run of months are sums of these published values, so
the tables are additive, and any combination of answers (sub-periods, complements of a selection,
table minus export, a month minus its « période précédente ») only ever combines published values:
never a true count. Rates are ratios of published totals (never of a hidden numerator), so rate ×
denominator gives back a published value too. Periods at summary level are whole calendar months
(weeks are not offered); the previous period of a comparison is the same number of whole months.
Suppression alone (the functions below, used where no grid is defined) does not survive combination:
two overlapping questions each suppressed on their own undo each other.

Rules of cell suppression (DESIGN.md §4), used by the detail-free tables outside the grid:
- primary suppression: a count of people or events from 1 to 10 is shown as "< 11";
- secondary suppression: no hidden value may follow from the published totals (a row or column
  with a single hidden cell gives it back by subtraction); further cells are hidden — the smallest
  ones — and shown as "s";
- totals of a selection: a sum over some cells is published only if it includes no hidden cell, or
  all of them; any published total then reveals at most the sum of every hidden cell together.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

SMALL_MIN, SMALL_MAX = 1, 10
SMALL_LABEL = "< 11"
SECONDARY_LABEL = "s"


def is_small(value: int | float | None) -> bool:
    return value is not None and SMALL_MIN <= value <= SMALL_MAX


@dataclass(frozen=True)
class Cell:
    """A published count: its value is None when hidden, with the label to show instead."""

    value: int | None
    label: str | None = None

    @property
    def hidden(self) -> bool:
        return self.value is None


def _pick_complement(values: Mapping[Hashable, int], hidden: set, candidates: Iterable[Hashable]) -> Hashable | None:
    """The visible cell to hide alongside: the smallest non-zero one, else the smallest at all."""
    pool = [k for k in candidates if k not in hidden]
    if not pool:
        return None
    nonzero = [k for k in pool if values[k] > 0]
    return min(nonzero or pool, key=lambda k: (values[k], str(k)))


def protect_1d(values: Mapping[Hashable, int]) -> dict[Hashable, str | None]:
    """Suppression for one line of cells published with its total.

    Returns, for each key, None (shown) or the label to show ("< 11" primary, "s" secondary).
    When a single cell would be hidden, the smallest other cell is hidden too.
    """
    hidden: dict[Hashable, str | None] = {k: (SMALL_LABEL if is_small(v) else None) for k, v in values.items()}
    if sum(1 for v in hidden.values() if v) == 1:
        extra = _pick_complement(values, {k for k, v in hidden.items() if v}, values)
        if extra is not None:
            hidden[extra] = SECONDARY_LABEL
    return hidden


def _determined(hidden: list[tuple], rows: list, cols: list) -> list[tuple]:
    """Hidden cells whose value follows from the published row, column and grand totals."""
    import numpy as np

    if not hidden:
        return []
    index = {k: i for i, k in enumerate(hidden)}
    equations = [[1.0 if k[0] == r else 0.0 for k in hidden] for r in rows]
    equations += [[1.0 if k[1] == c else 0.0 for k in hidden] for c in cols]
    equations.append([1.0] * len(hidden))
    a = np.array(equations)
    rank = np.linalg.matrix_rank(a)
    out = []
    for k in hidden:
        unit = np.zeros(len(hidden))
        unit[index[k]] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.append(k)
    return out


def protect_2d(table: Mapping[tuple[Hashable, Hashable], int]) -> dict[tuple[Hashable, Hashable], str | None]:
    """Suppression for a (row, column) table published with its row, column and grand totals.

    Primary cells are hidden; then, until no hidden value can be derived from the totals, the
    smallest visible cell of the row (or column) of a derivable one is hidden too. A line never ends
    with a single hidden cell, and no hidden cell is determined by the published totals.
    """
    labels: dict[tuple, str | None] = {k: (SMALL_LABEL if is_small(v) else None) for k, v in table.items()}
    rows = sorted({r for r, _ in table}, key=str)
    cols = sorted({c for _, c in table}, key=str)
    while True:
        hidden = [k for k in table if labels[k]]
        exposed = _determined(hidden, rows, cols)
        if not exposed:
            return labels
        k = exposed[0]
        line = [x for x in table if x[0] == k[0]]
        extra = _pick_complement(table, set(hidden), line) or _pick_complement(
            table, set(hidden), [x for x in table if x[1] == k[1]]) or _pick_complement(table, set(hidden), table)
        if extra is None:  # everything is hidden already
            return labels
        labels[extra] = SECONDARY_LABEL


def protected_total(values: Mapping[Hashable, int], labels: Mapping[Hashable, str | None],
                    selection: Iterable[Hashable]) -> Cell:
    """The sum over `selection`, or a hidden cell when publishing it would isolate hidden values."""
    chosen = [k for k in selection if k in values]
    hidden_all = {k for k, lab in labels.items() if lab}
    hidden_here = {k for k in chosen if labels.get(k)}
    total = sum(values[k] for k in chosen)
    if hidden_here and hidden_here != hidden_all:
        return Cell(None, SMALL_LABEL if is_small(total) else SECONDARY_LABEL)
    if is_small(total):
        return Cell(None, SMALL_LABEL)
    return Cell(total)


def cell(value: int | None, label: str | None) -> Cell:
    return Cell(None, label) if label else Cell(value)


# --- the publication grid: consistent cell-key perturbation ---------------------------------------

@dataclass(frozen=True)
class Perturbation:
    """The secret key and the noise table of the cell-key method (both from the settings)."""

    key: bytes
    noise: tuple[tuple[int, float], ...]  # (offset, probability), probabilities summing to 1

    @classmethod
    def from_settings(cls, key: str, table: str) -> Perturbation:
        """`table` like "-2:0.05,-1:0.2,0:0.5,1:0.2,2:0.05"."""
        pairs = tuple((int(o), float(p)) for o, p in (item.split(":") for item in table.split(",") if item.strip()))
        total = sum(p for _, p in pairs)
        if not pairs or abs(total - 1) > 1e-9 or any(p < 0 for _, p in pairs):
            raise ValueError("SECRECY_NOISE: offsets with probabilities summing to 1, e.g. -1:0.25,0:0.5,1:0.25")
        if abs(sum(o * p for o, p in pairs)) > 1e-9:
            raise ValueError("SECRECY_NOISE must have zero mean")
        return cls(key.encode(), pairs)

    def cell_key(self, coordinates: tuple, value: int) -> float:
        """u in [0, 1), the same for the same cell and value, unpredictable without the key."""
        digest = hmac.new(self.key, repr((coordinates, int(value))).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def offset(self, u: float) -> int:
        cumulative = 0.0
        for offset, probability in self.noise:
            cumulative += probability
            if u < cumulative:
                return offset
        return self.noise[-1][0]


@dataclass(frozen=True)
class Published:
    """A published cell or total: the value that enters sums, and what is shown."""

    value: int
    small: bool = False  # a count of 1–10: shown « < 11 », never its value

    @property
    def label(self) -> str | None:
        return SMALL_LABEL if self.small else None


ZERO = Published(0)


def publish(value: int, coordinates: tuple, p: Perturbation) -> Published:
    """One grid cell as the summary level publishes it (see the module docstring)."""
    value = int(value)
    if value <= 0:
        return ZERO
    u = p.cell_key(coordinates, value)
    if is_small(value):
        return Published(SMALL_MAX + 1 if u < value / (SMALL_MAX + 1) else 0, small=True)
    return Published(max(SMALL_MAX + 1, value + p.offset(u)))


def published_sum(cells: Iterable[Published]) -> Published:
    """A total over published cells: a sum of published values; a lone small cell stays « < 11 »."""
    cells = list(cells)
    if len(cells) == 1:
        return cells[0]
    total = sum(c.value for c in cells)
    return Published(total, small=total == 0 and any(c.small for c in cells))


def published_rate(numerator: Published, denominator: Published, *, decimals: int = 1) -> float | None:
    """A percentage of two published totals; none when the numerator is masked or the denominator empty."""
    if numerator.small or denominator.small or denominator.value <= 0:
        return None
    return round(numerator.value / denominator.value * 100, decimals)
