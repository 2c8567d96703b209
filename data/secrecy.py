"""Statistical secrecy for `summary` level: small counts hidden, and not recoverable by subtraction.

Rules (DESIGN.md §4):
- primary suppression: a count of people or events from 1 to 10 is shown as "< 11";
- secondary suppression: no hidden value may follow from the published totals (a row or column
  with a single hidden cell gives it back by subtraction); further cells are hidden — the smallest
  ones — and shown as "s";
- totals of a selection: a sum over some cells is published only if it includes no hidden cell, or
  all of them; any published total then reveals at most the sum of every hidden cell together.
"""
from __future__ import annotations

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
