"""« Proposer N emplacements »: where N new service points of one capacity help most, solved exactly.

Because the 2SFCA is linear in supply (data.coverage.with_changes), a site of capacity C in commune j
raises the accessibility of every commune i within reach by g_ij = w(d_ij) · C / D_j, whatever the
other sites. So « bring as many under-served inhabitants as possible above the threshold » is the
mixed-integer programme

    maximise   Σ_i P_i · y_i  (+ ε · Σ_j s_j · x_j, a tie-break on progress toward the threshold)
    subject to Σ_j g_ij · x_j ≥ (T − A_i) · y_i   for each under-served commune i
               Σ_j x_j = N,   x_j, y_i ∈ {0, 1}

(x_j: a site in candidate commune j; y_i: commune i reaches the threshold, as shown to two decimals),
and « … within reach » the maximal covering location problem (y_i ≤ Σ_{j within 10 km} x_j). Both are
solved by HiGHS (highspy), to optimality on the population objective unless the time limit stops it —
which the result says, with the gap. The greedy pick (best marginal population, N times) is computed
beside it: the planner shows both and the exact solution's gain.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from data.coverage import DECAY_KM, Catchment

OBJECTIVES = {"above": "habitants portés au-dessus du seuil", "reach": "habitants sous le seuil à moins de 10 km"}
NEAR_KM = DECAY_KM[0][0]
ROUNDING = 0.005 - 1e-9  # a commune reads « above » when its accessibility rounds (2 decimals) to T or more
TIME_LIMIT_S = 10.0  # the planner's: an answer within seconds, « arrêté à la limite de temps » said


@dataclass(frozen=True)
class Siting:
    sites: tuple[int, ...]  # catchment indices of the chosen communes
    value: float  # the objective: inhabitants, as the model counts them
    method: str  # "exact" or "greedy"
    optimal: bool = True
    time_limited: bool = False
    gap: float | None = None  # relative gap between the solution and the best bound, when not optimal
    seconds: float = 0.0


@dataclass(frozen=True)
class Problem:
    """The data both methods share: candidate sites, counted communes and what each site gives each."""

    candidates: np.ndarray  # catchment indices
    targets: np.ndarray  # catchment indices of the under-served communes counted
    population: np.ndarray  # per target
    need: np.ndarray  # per target: accessibility still missing (objective "above") or 1 ("reach")
    entry_site: np.ndarray  # per (site, target) entry: position in `candidates`
    entry_target: np.ndarray  # … position in `targets`
    entry_gain: np.ndarray  # … what the site gives the target
    objective: str


def problem(c: Catchment, access: np.ndarray, *, capacity: float, threshold: float, candidates: np.ndarray,
            counted: np.ndarray, objective: str = "above") -> Problem:
    """`candidates`: catchment indices where a site may go; `counted`: boolean mask over the territory
    communes whose population counts (the chosen area). Targets are the counted, inhabited communes under
    the threshold; only entries of a candidate reaching a target are kept."""
    inside = c.inside
    under = counted & (c.population[:inside] > 0) & (np.round(access[:inside], 2) < threshold)
    target_pos = np.full(len(c.population), -1)
    targets = np.flatnonzero(under)
    target_pos[targets] = np.arange(len(targets))
    sites, tgts, gains = [], [], []
    for k, j in enumerate(candidates):
        if c.demand[j] <= 0:
            continue
        sl = c.reach(int(j))
        cols, w, d = c.cols[sl], c.weights[sl], c.dist[sl]
        pos = target_pos[cols]
        keep = pos >= 0
        if objective == "reach":
            keep &= d <= NEAR_KM
            gain = np.ones(int(keep.sum()))
        else:
            gain = w[keep] * (capacity / c.demand[j])
        sites.append(np.full(int(keep.sum()), k))
        tgts.append(pos[keep])
        gains.append(gain)
    def cat(parts, dtype):
        return (np.concatenate(parts) if parts else np.zeros(0, dtype))
    need = (np.ones(len(targets)) if objective == "reach"
            else np.maximum(threshold - ROUNDING - access[targets], 1e-9))
    return Problem(np.asarray(candidates), targets, c.population[targets].astype(float), need,
                   cat(sites, int), cat(tgts, int), cat(gains, float), objective)


def _progress(p: Problem) -> np.ndarray:
    """Tie-break score of each candidate: under-served population × share of its shortfall it covers."""
    share = np.minimum(p.entry_gain / p.need[p.entry_target], 1.0)
    return np.bincount(p.entry_site, weights=share * p.population[p.entry_target], minlength=len(p.candidates))


def greedy(p: Problem, n: int) -> Siting:
    """N times, the site that brings the most inhabitants above the threshold given those already chosen
    (ties broken by progress toward it)."""
    t0 = time.perf_counter()
    got = np.zeros(len(p.targets))
    chosen: list[int] = []
    progress = _progress(p)
    tie = progress / (2 * progress.sum()) if progress.sum() > 0 else progress
    for _ in range(min(n, len(p.candidates))):
        before = got[p.entry_target]
        needed = p.need[p.entry_target]
        newly = (before < needed) & (before + p.entry_gain >= needed)
        score = np.bincount(p.entry_site, weights=newly * p.population[p.entry_target],
                            minlength=len(p.candidates)) + tie
        score[chosen] = -1.0
        k = int(np.argmax(score))
        chosen.append(k)
        mine = p.entry_site == k
        np.add.at(got, p.entry_target[mine], p.entry_gain[mine])
    value = float(p.population[got >= p.need].sum())
    return Siting(tuple(int(p.candidates[k]) for k in chosen), value, "greedy",
                  seconds=time.perf_counter() - t0)


def exact(p: Problem, n: int, *, time_limit: float = TIME_LIMIT_S, start: Siting | None = None) -> Siting:
    """The mixed-integer programme of the module docstring, solved by HiGHS (from `start`, e.g. the greedy
    pick, as a first feasible solution: the exact one is never worse)."""
    t0 = time.perf_counter()
    m, k = len(p.candidates), len(p.targets)
    n = min(n, m)
    if n == 0:
        return Siting((), 0.0, "exact")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.49)  # populations are whole: within 0.49 is optimal (tie-break aside)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    progress = _progress(p)
    eps = 0.4 / progress.sum() if progress.sum() > 0 else 0.0
    # columns: x_0..x_{m-1} (sites), then y_0..y_{k-1} (targets)
    costs = np.concatenate([eps * progress, p.population])
    h.addVars(m + k, np.zeros(m + k), np.ones(m + k))
    h.changeColsCost(m + k, np.arange(m + k, dtype=np.int32), costs)
    integrality = np.array([highspy.HighsVarType.kInteger] * (m + k))
    h.changeColsIntegrality(m + k, np.arange(m + k, dtype=np.int32), integrality)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # Σ x = n
    h.addRow(n, n, m, np.arange(m, dtype=np.int32), np.ones(m))
    # per target: Σ_j min(g_ij, need_i) x_j − need_i y_i ≥ 0 (a gain beyond the need counts as the need:
    # the same integer solutions, a much tighter relaxation); targets that n sites cannot lift are left out
    gain = np.minimum(p.entry_gain, p.need[p.entry_target])
    order = np.lexsort((-gain, p.entry_target))
    tgt, site, gain = p.entry_target[order], p.entry_site[order], gain[order]
    starts = np.searchsorted(tgt, np.arange(k + 1))
    rank = np.arange(len(tgt)) - starts[tgt]
    best_n = np.bincount(tgt[rank < n], weights=gain[rank < n], minlength=k)
    liftable = best_n >= p.need
    h.changeColsBounds(int((~liftable).sum()), (m + np.flatnonzero(~liftable)).astype(np.int32),
                       np.zeros(int((~liftable).sum())), np.zeros(int((~liftable).sum())))
    rows = np.flatnonzero(liftable)
    index = np.empty(len(tgt) + k, dtype=np.int32)
    value = np.empty(len(tgt) + k)
    row_starts = np.empty(len(rows), dtype=np.int32)
    at = 0
    for r, i in enumerate(rows):
        a, b = starts[i], starts[i + 1]
        row_starts[r] = at
        index[at:at + b - a] = site[a:b]
        value[at:at + b - a] = gain[a:b]
        at += b - a
        index[at] = m + i
        value[at] = -p.need[i]
        at += 1
    k_rows = len(rows)
    # candidates that reach no target n sites can lift only fill the count
    useful = np.zeros(m, bool)
    useful[site[liftable[tgt]]] = True
    if useful.sum() >= n:
        idle = np.flatnonzero(~useful)
        h.changeColsBounds(len(idle), idle.astype(np.int32), np.zeros(len(idle)), np.zeros(len(idle)))
    h.addRows(k_rows, np.zeros(k_rows), np.full(k_rows, inf), at, row_starts, index[:at], value[:at])
    if start is not None and start.sites:
        pos = {int(j): k_ for k_, j in enumerate(p.candidates)}
        x0 = np.zeros(m + k)
        for j in start.sites:
            x0[pos[j]] = 1.0
        got0 = np.zeros(k)
        for j in start.sites:
            mine = p.entry_site == pos[j]
            np.add.at(got0, p.entry_target[mine], p.entry_gain[mine])
        x0[m:] = ((got0 >= p.need) & liftable).astype(float)
        sol = highspy.HighsSolution()
        sol.col_value = x0.tolist()
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    x = np.asarray(h.getSolution().col_value[:m])
    chosen = tuple(int(p.candidates[j]) for j in np.flatnonzero(x > 0.5))
    info = h.getInfo()
    optimal = status == highspy.HighsModelStatus.kOptimal
    time_limited = status == highspy.HighsModelStatus.kTimeLimit
    gap = None if optimal else float(info.mip_gap)
    # the value is recounted from the chosen sites (not the solver's y), as greedy's is
    got = np.zeros(k)
    for j in np.flatnonzero(x > 0.5):
        mine = p.entry_site == j
        np.add.at(got, p.entry_target[mine], p.entry_gain[mine])
    return Siting(chosen, float(p.population[got >= p.need].sum()), "exact", optimal, time_limited, gap,
                  time.perf_counter() - t0)
