"""Statistical secrecy, proved on random tables (hypothesis): no hidden count can be recovered."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.secrecy import (
    SECONDARY_LABEL,
    SMALL_LABEL,
    Perturbation,
    Published,
    is_small,
    protect_1d,
    protect_2d,
    protected_total,
    publish,
    published_rate,
    published_sum,
)

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


# --- the publication grid: consistent cell-key perturbation ------------------------------------------

P = Perturbation.from_settings("test-key-" + "k" * 32, "-2:0.05,-1:0.2,0:0.5,1:0.2,2:0.05")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 5000), st.tuples(st.sampled_from(["52", "54", "55"]), st.integers(1, 36), st.text(max_size=8)))
def test_a_cell_is_published_once_and_never_as_1_to_10(value, coordinates):
    cell = publish(value, coordinates, P)
    assert cell == publish(value, coordinates, P)  # the same cell, the same answer, every time
    assert not is_small(cell.value)  # what enters any sum is never a count 1–10
    if value == 0:
        assert cell == Published(0)
    elif is_small(value):
        assert cell.small and cell.label == SMALL_LABEL and cell.value in (0, 11)
    else:
        assert not cell.small and abs(cell.value - value) <= 2 and cell.value >= 11


def test_the_key_decides_the_noise():
    other = Perturbation.from_settings("another-key-" + "z" * 32, "-2:0.05,-1:0.2,0:0.5,1:0.2,2:0.05")
    cells = [("55", m, "completed") for m in range(200)]
    assert [publish(40, c, P).value for c in cells] != [publish(40, c, other).value for c in cells]


def test_small_cells_are_rounded_without_bias_and_large_ones_with_zero_mean_noise():
    for value in (1, 5, 10):
        rounded = [publish(value, ("52", i, "x"), P).value for i in range(4000)]
        assert sum(rounded) / len(rounded) == pytest.approx(value, abs=0.6)
    noise = [publish(100, ("52", i, "x"), P).value - 100 for i in range(4000)]
    assert sum(noise) / len(noise) == pytest.approx(0, abs=0.1) and set(noise) <= {-2, -1, 0, 1, 2}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=2, max_size=12), st.data())
def test_differences_of_totals_give_back_published_values_only(values, data):
    """Any two totals over subsets of the same cells differ by a sum of published values: a selection and
    its complement, a run of months and a shorter one — never a hidden count."""
    cells = [publish(v, ("55", i, "completed"), P) for i, v in enumerate(values)]
    a = data.draw(st.sets(st.integers(0, len(values) - 1), min_size=1))
    b = data.draw(st.sets(st.integers(0, len(values) - 1)))
    total_a = published_sum(cells[i] for i in a).value
    total_b = published_sum(cells[i] for i in b).value if b else 0
    assert total_a - total_b == sum(cells[i].value for i in a) - sum(cells[i].value for i in b)
    for i in a - b:  # one cell alone by difference: its published value, never its true one if small
        if is_small(values[i]) and a - b == {i} and b <= a:
            assert total_a - total_b in (0, 11)


def test_rates_are_ratios_of_published_totals():
    numerator, denominator = publish(7, ("52", 1, "failure"), P), publish(400, ("52", 1, "all"), P)
    assert published_rate(numerator, denominator) is None  # a hidden numerator gives no rate
    big = publish(40, ("52", 1, "failure"), P)
    assert published_rate(big, denominator) == round(big.value / denominator.value * 100, 1)


@pytest.mark.parametrize("table", ["", "0:0.5", "-1:0.3,0:0.4,1:0.2", "-1:0.2,0:0.5,2:0.3", "a:b"])
def test_a_bad_noise_table_is_refused(table):
    with pytest.raises(ValueError):
        Perturbation.from_settings("k" * 32, table)


def test_totals_of_every_subset_of_three_departements_are_additive():
    cells = {d: publish(v, (d, "2026-03-01", "completed"), P) for d, v in (("52", 3), ("54", 250), ("55", 42))}
    for r in (2, 3):
        for subset in itertools.combinations(cells, r):
            assert published_sum(cells[d] for d in subset).value == sum(cells[d].value for d in subset)
