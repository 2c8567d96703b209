"""Statistical secrecy, proved on random tables (hypothesis): no hidden count can be recovered."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from data.secrecy import SECONDARY_LABEL, SMALL_LABEL, is_small, protect_1d, protect_2d, protected_total

counts = st.one_of(st.integers(0, 12), st.integers(0, 500))


def _recoverable(unknowns: list, equations: list[list]) -> set:
    """Independent check (null space by SVD): unknowns whose value the equations pin down."""
    if not unknowns or not equations:
        return set()
    a = np.array(equations, dtype=float)
    _, sing, vt = np.linalg.svd(a)
    rank = int((sing > 1e-9).sum())
    null = vt[rank:]  # rows span the null space
    return {u for i, u in enumerate(unknowns) if null.shape[0] == 0 or np.allclose(null[:, i], 0)}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["52", "54", "55", "57", "88", "08"]), counts, min_size=1))
def test_1d_small_counts_hidden_and_totals_never_isolate_one(values):
    labels = protect_1d(values)
    for k, v in values.items():
        if is_small(v):
            assert labels[k] == SMALL_LABEL
    hidden = [k for k, lab in labels.items() if lab]
    assert len(hidden) != 1 or len(values) == 1
    # every selection a user could ask for (all subsets), published or not
    keys = sorted(values)
    equations = []
    for mask in range(1, 2 ** len(keys)):
        chosen = [k for i, k in enumerate(keys) if mask >> i & 1]
        total = protected_total(values, labels, chosen)
        if not total.hidden:
            assert total.value == sum(values[k] for k in chosen)
            assert not is_small(total.value)
            equations.append([1 if k in chosen else 0 for k in hidden])
    assert not _recoverable(hidden, equations) if len(hidden) > 1 else True
    if len(hidden) == 1:  # a lone département: its own total is hidden too
        assert protected_total(values, labels, keys).hidden


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_2d_no_hidden_cell_follows_from_the_margins(n_rows, n_cols, data):
    table = {(r, c): data.draw(counts) for r in range(n_rows) for c in range(n_cols)}
    labels = protect_2d(table)
    for k, v in table.items():
        if is_small(v):
            assert labels[k] == SMALL_LABEL
        else:
            assert labels[k] in (None, SECONDARY_LABEL)
    hidden = [k for k, lab in labels.items() if lab]
    equations = [[1 if k[0] == r else 0 for k in hidden] for r in range(n_rows)]
    equations += [[1 if k[1] == c else 0 for k in hidden] for c in range(n_cols)]
    equations.append([1] * len(hidden))
    if len(hidden) < len(table):  # when everything is hidden only the grand total is left
        assert not _recoverable(hidden, equations)
    for r in range(n_rows):  # never a single hidden cell in a line
        assert sum(1 for k in hidden if k[0] == r) != 1 or n_cols == 1


def test_secondary_cell_is_the_smallest_other_one():
    labels = protect_1d({"52": 4, "54": 900, "55": 35})
    assert labels == {"52": SMALL_LABEL, "54": None, "55": SECONDARY_LABEL}
    assert protected_total({"52": 4, "54": 900, "55": 35}, labels, ["52", "54"]).hidden
    assert protected_total({"52": 4, "54": 900, "55": 35}, labels, ["52", "55"]).value == 39
    assert protected_total({"52": 4, "54": 900, "55": 35}, labels, ["54"]).value == 900
