"""Impact estimates of teleconsultation in EHPADs: interrupted time series and staggered difference-in-differences.

Input: the small monthly panel of data/queries/evaluation.py (one row per EHPAD × month: residents, a count
of events — emergency transfers or referrals —, and the month of the EHPAD's first teleconsultation, None
when not equipped yet). Output: `Estimate`s — a relative change with its 95 % interval and what it rests on —
or, with too little data, a French sentence instead of a number. No database, no Dash here.

Model choice: counts of events per EHPAD-month are small (a few a month), so a Poisson GLM with the log of
the residents as offset models the *rate* directly and gives a multiplicative effect (exp(δ) − 1 = the
relative change), where OLS on rates would be dominated by the noise of small EHPADs. Over-dispersion and
the correlation of an EHPAD's months are handled by cluster-robust standard errors by EHPAD (the EHPAD is
the unit of treatment), with Student's t on (clusters − 1) degrees of freedom for the interval.

- ITS (segmented regression), pooled: log μ_it = log residents_it + α_i + β_i·t + s_m(t) + δ·after_it, i.e.
  each equipped EHPAD with its own level and its own pre-existing trend, a common month-of-year seasonality
  (when ≥ 24 months are observed), and a level change δ from the month of its first session on. Only EHPADs
  observed long enough before and after their first session enter.
- ITS per EHPAD: the same with its own intercept, trend, one seasonal harmonic (≥ 24 months) and δ_i,
  quasi-Poisson (Pearson scale): for the research college's table.
- DiD with staggered adoption: a stacked design (Cengiz, Dube, Lindner & Zipperer 2019; Baker, Larcker & Wang
  2022) that never uses an already-equipped EHPAD as a control — the source of the two-way fixed effects
  bias with staggered timing (Goodman-Bacon 2021). For each cohort g (EHPADs whose first session falls in
  month g), a window of `WINDOW_PRE` months before and `WINDOW_POST` from g on, the cohort's EHPADs against
  the « clean » controls: EHPADs not equipped, or equipped only after the window. Poisson with stack ×
  group and stack × calendar-month effects and one δ: the average ratio of after/before rate changes of the
  equipped vs the not-yet-equipped. The stack × month effects are conditioned out (each stack-month's total
  is their sufficient statistic): the equipped group's share of a stack-month's events is then binomial, a
  logistic GLM with one contrast per stack, δ and the exposures' log-ratio as offset — the Poisson estimate
  exactly, with S + 1 parameters instead of S × (months + 2). Its covariance is the cluster-robust sandwich
  by EHPAD: a cell's score is the sum of its EHPADs' parts (a control EHPAD serving in several stacks is one
  cluster).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ITS, DID, ITS_EHPAD = "its", "did", "its-ehpad"
METHODS = {ITS: "Série temporelle interrompue (régression segmentée de Poisson, tendance propre à chaque EHPAD)",
           DID: "Différence de différences empilée (EHPAD équipés contre EHPAD pas encore équipés)",
           ITS_EHPAD: "Série temporelle interrompue de l'EHPAD (quasi-Poisson, tendance propre)"}
MIN_PRE, MIN_POST = 6, 3  # months of an EHPAD before / from its first session for it to enter an estimate
MIN_EHPADS = 3  # equipped EHPADs behind a pooled estimate
MIN_CONTROLS = 3  # not-yet-equipped EHPADs behind a DiD
SEASON_MONTHS = 24  # months observed before month-of-year seasonality is estimated
WINDOW_PRE, WINDOW_POST = 12, 12  # the DiD's event window around each cohort's first month


def one_blas_thread(func: Callable) -> Callable:
    """Fit on one BLAS thread: these small dense problems gain nothing from threads, and on a busy host (web
    workers, two cores) OpenBLAS's threads made each QR ~50 times slower."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Estimate:
    """A relative change (e.g. −0.2 = −20 %) with its 95 % interval, or the reason there is none."""

    method: str
    change: float | None
    lower: float | None
    upper: float | None
    ehpads: int  # equipped EHPADs behind it
    controls: int  # comparison EHPADs (DiD)
    months: int  # calendar months covered
    observations: int  # EHPAD-months in the model
    events: int  # events counted in those EHPAD-months
    message: str | None = None  # why there is no number
    too_few: bool = False  # the reason is too few EHPADs (the view words it at the caller's level)

    @property
    def ok(self) -> bool:
        return self.change is not None

    def contains(self, value: float) -> bool:
        return self.ok and self.lower <= value <= self.upper


def month_index(months) -> np.ndarray:
    """Months (dates) as consecutive integers (year × 12 + month − 1)."""
    return np.array([m.year * 12 + m.month - 1 for m in months], dtype=int)


def prepare(panel: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """unit, t, y, exposure, first (month index of the first session; −1 = none), rel (t − first)."""
    df = pd.DataFrame({"unit": panel["site_id"].to_numpy(), "t": month_index(panel["month"]),
                       "y": panel[outcome].astype(float).to_numpy(),
                       "exposure": panel["residents"].astype(float).to_numpy()})
    first = [(-1 if f is None or f != f else f.year * 12 + f.month - 1) for f in panel["first_session"]]
    df["first"] = np.array(first, dtype=int)
    df = df[df["exposure"] > 0].reset_index(drop=True)
    df["after"] = ((df["first"] >= 0) & (df["t"] >= df["first"])).astype(float)
    df["rel"] = np.where(df["first"] >= 0, df["t"] - df["first"], np.nan)
    return df


def _none(method: str, message: str, df: pd.DataFrame | None = None, ehpads: int = 0, controls: int = 0, *,
          too_few: bool = False) -> Estimate:
    months = int(df["t"].nunique()) if df is not None and not df.empty else 0
    obs = len(df) if df is not None else 0
    events = int(df["y"].sum()) if df is not None and not df.empty else 0
    return Estimate(method, None, None, None, ehpads, controls, months, obs, events, message, too_few)


def _interval(method: str, delta: float, se: float, dof: int, df: pd.DataFrame, ehpads: int,
              controls: int = 0) -> Estimate:
    if not (math.isfinite(delta) and math.isfinite(se)) or se <= 0:
        return _none(method, "Le modèle ne converge pas sur ces données : pas d'estimation.", df, ehpads, controls)
    from scipy import stats

    q = stats.t.ppf(0.975, max(dof, 1))
    return Estimate(method, math.expm1(delta), math.expm1(delta - q * se), math.expm1(delta + q * se), ehpads,
                    controls, int(df["t"].nunique()), len(df), int(df["y"].sum()))


def eligible_treated(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the equipped EHPADs observed ≥ MIN_PRE months before and ≥ MIN_POST from their first session."""
    treated = df[df["first"] >= 0]
    counts = treated.groupby("unit")["after"].agg(post="sum", n="size")
    counts["pre"] = counts["n"] - counts["post"]
    keep = counts.index[(counts["pre"] >= MIN_PRE) & (counts["post"] >= MIN_POST)]
    return treated[treated["unit"].isin(keep)]


def _too_few_treated(n: int) -> str:
    return (f"Données insuffisantes : {n} EHPAD équipé(s) observé(s) au moins {MIN_PRE} mois avant et {MIN_POST} "
            f"mois après leur première téléconsultation, il en faut au moins {MIN_EHPADS}.")


@one_blas_thread
def its_pooled(df: pd.DataFrame) -> Estimate:
    """Pooled segmented regression over the eligible equipped EHPADs (see the module's docstring)."""
    import statsmodels.api as sm  # imported when a model is fitted: the registry reads this module's constants

    data = eligible_treated(df).reset_index(drop=True)
    units = data["unit"].nunique()
    if units < MIN_EHPADS:
        return _none(ITS, _too_few_treated(units), data, units, too_few=True)
    if data["y"].sum() == 0:
        return _none(ITS, "Aucun événement compté dans ces EHPAD : pas d'estimation.", data, units)
    unit_codes = pd.Categorical(data["unit"])
    dummies = pd.get_dummies(unit_codes, prefix="u", dtype=float)
    centred = data["t"] - data.groupby("unit")["t"].transform("mean")
    trends = dummies.mul(centred.to_numpy() / 12.0, axis=0).add_prefix("trend_")
    parts = [dummies, trends]
    if data["t"].nunique() >= SEASON_MONTHS:
        season = pd.get_dummies(pd.Categorical(data["t"] % 12, categories=range(12)), prefix="m", dtype=float)
        parts.append(season.iloc[:, 1:])
    X = pd.concat([*parts, data[["after"]]], axis=1)
    try:
        fit = sm.GLM(data["y"], X, family=sm.families.Poisson(), offset=np.log(data["exposure"]),
                     hasconst=True).fit(cov_type="cluster", cov_kwds={"groups": unit_codes.codes}, wls_method="qr")
    except (np.linalg.LinAlgError, ValueError):
        return _none(ITS, "Le modèle ne converge pas sur ces données : pas d'estimation.", data, units)
    return _interval(ITS, float(fit.params["after"]), float(fit.bse["after"]), units - 1, data, units)


@one_blas_thread
def its_per_ehpad(df: pd.DataFrame) -> dict[int, Estimate]:
    """One segmented regression per equipped EHPAD (intercept, trend, harmonic season, level change)."""
    import statsmodels.api as sm

    out: dict[int, Estimate] = {}
    for unit, data in df[df["first"] >= 0].groupby("unit", sort=True):
        data = data.reset_index(drop=True)
        pre, post = int((data["after"] == 0).sum()), int((data["after"] == 1).sum())
        if pre < MIN_PRE or post < MIN_POST:
            out[unit] = _none(ITS_EHPAD, f"Données insuffisantes : {pre} mois avant et {post} mois après la première "
                                         f"téléconsultation (il en faut {MIN_PRE} et {MIN_POST}).", data, 1)
            continue
        if data.loc[data["after"] == 0, "y"].sum() == 0 or data.loc[data["after"] == 1, "y"].sum() == 0:
            out[unit] = _none(ITS_EHPAD, "Aucun événement avant ou après la première téléconsultation : pas "
                                         "d'estimation.", data, 1)
            continue
        X = pd.DataFrame({"const": 1.0, "trend": (data["t"] - data["t"].mean()) / 12.0, "after": data["after"]})
        if data["t"].nunique() >= SEASON_MONTHS:
            X["cos"] = np.cos(2 * np.pi * (data["t"] % 12) / 12)
            X["sin"] = np.sin(2 * np.pi * (data["t"] % 12) / 12)
        try:
            fit = sm.GLM(data["y"], X, family=sm.families.Poisson(), offset=np.log(data["exposure"])).fit(scale="X2")
        except (np.linalg.LinAlgError, ValueError):
            out[unit] = _none(ITS_EHPAD, "Le modèle ne converge pas sur ces données : pas d'estimation.", data, 1)
            continue
        out[unit] = _interval(ITS_EHPAD, float(fit.params["after"]), float(fit.bse["after"]),
                              int(fit.df_resid), data, 1)
    return out


def stacks(df: pd.DataFrame) -> pd.DataFrame:
    """The stacked DiD sample: for each cohort, its EHPADs (treated = 1) and its clean controls (treated = 0)
    over the cohort's window, with `stack` and `post` (treated and month ≥ the cohort's first month)."""
    columns = [*df.columns, "treated", "stack", "post"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    units, unit_of_row = np.unique(df["unit"].to_numpy(), return_inverse=True)
    t0 = int(df["t"].min())
    t_rel = df["t"].to_numpy() - t0
    span = int(t_rel.max()) + 1
    present = np.zeros((len(units), span + 1), dtype=int)  # months observed per EHPAD, as running counts
    np.add.at(present, (unit_of_row, t_rel + 1), 1)
    running = present.cumsum(axis=1)
    first = df.groupby("unit")["first"].first().reindex(units).to_numpy()

    def observed(lo: int, hi: int) -> np.ndarray:  # months each EHPAD is observed in [lo, hi] (absolute)
        a, b = np.clip(lo - t0, 0, span), np.clip(hi - t0 + 1, 0, span)
        return running[:, b] - running[:, a]

    parts = []
    t_all = df["t"].to_numpy()
    for g in sorted(int(c) for c in np.unique(first) if c >= 0):
        lo, hi = g - WINDOW_PRE, g + WINDOW_POST - 1
        enough = (observed(lo, g - 1) >= MIN_PRE) & (observed(g, hi) >= MIN_POST)
        treated_units = enough & (first == g)
        control_units = enough & ((first < 0) | (first > hi))
        if treated_units.sum() == 0 or control_units.sum() == 0:
            continue
        in_window = (t_all >= lo) & (t_all <= hi)
        group = np.where(treated_units[unit_of_row], 1, np.where(control_units[unit_of_row], 0, -1))
        rows = df[in_window & (group >= 0)].assign(treated=group[in_window & (group >= 0)], stack=g)
        rows["post"] = ((rows["treated"] == 1) & (rows["t"] >= g)).astype(float)
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


@one_blas_thread
def did_stacked(df: pd.DataFrame) -> Estimate:
    """Stacked Poisson difference-in-differences against not-yet-equipped EHPADs (see the module's docstring)."""
    import statsmodels.api as sm

    data = stacks(df)
    treated = int(data.loc[data["treated"] == 1, "unit"].nunique()) if not data.empty else 0
    controls = int(data.loc[data["treated"] == 0, "unit"].nunique()) if not data.empty else 0
    if treated < MIN_EHPADS or controls < MIN_CONTROLS:
        return _none(DID, f"Données insuffisantes : {treated} EHPAD équipé(s) et {controls} EHPAD de comparaison "
                          f"(pas encore équipés) observés au moins {MIN_PRE} mois avant et {MIN_POST} mois après, "
                          f"il en faut au moins {MIN_EHPADS} et {MIN_CONTROLS}.", data, treated, controls,
                     too_few=True)
    if data["y"].sum() == 0:
        return _none(DID, "Aucun événement compté dans ces EHPAD : pas d'estimation.", data, treated, controls)
    # Poisson with stack × group and stack × month effects, fitted conditionally on each stack-month's total
    # (the stack × month effects' sufficient statistic): the equipped group's share of the events is binomial,
    # logit p = stack contrast + δ·post + log(exposure equipped / exposure controls) — the same δ exactly.
    cells = data.groupby(["stack", "t", "treated"]).agg(y=("y", "sum"), exposure=("exposure", "sum"),
                                                         post=("post", "max")).unstack("treated")
    cells = cells.dropna()
    y1, y0 = cells[("y", 1)].to_numpy(), cells[("y", 0)].to_numpy()
    keep = (y1 + y0) > 0
    cells, y1, y0 = cells[keep], y1[keep], y0[keep]
    stack_ids = cells.index.get_level_values("stack")
    X = pd.get_dummies(pd.Categorical(stack_ids), prefix="g", dtype=float)
    X["post"] = cells[("post", 1)].to_numpy()
    offset = np.log(cells[("exposure", 1)].to_numpy() / cells[("exposure", 0)].to_numpy())
    try:
        fit = sm.GLM(np.column_stack([y1, y0]), X, family=sm.families.Binomial(), offset=offset,
                     hasconst=True).fit()
    except (np.linalg.LinAlgError, ValueError):
        return _none(DID, "Le modèle ne converge pas sur ces données : pas d'estimation.", data, treated, controls)
    beta, design = fit.params.to_numpy(), X.to_numpy()
    p = 1 / (1 + np.exp(-(design @ beta + offset)))
    bread = np.linalg.pinv((design * ((y1 + y0) * p * (1 - p))[:, None]).T @ design)
    # each cell's score (y1 − n·p)·x is the sum of its EHPADs' parts: y·(1 − p) equipped, −y·p controls
    index = pd.MultiIndex.from_arrays([stack_ids, cells.index.get_level_values("t")])
    rows = index.get_indexer(pd.MultiIndex.from_frame(data[["stack", "t"]]))
    inside = rows >= 0
    part = data["y"].to_numpy()[inside] * np.where(data["treated"].to_numpy()[inside] == 1, 1 - p[rows[inside]],
                                                   -p[rows[inside]])
    clusters = pd.Categorical(data["unit"].to_numpy()[inside]).codes
    per_cluster = np.zeros((clusters.max() + 1, design.shape[1]))
    np.add.at(per_cluster, clusters, design[rows[inside]] * part[:, None])
    n_clusters = per_cluster.shape[0]
    cov = bread @ (per_cluster.T @ per_cluster) @ bread * n_clusters / (n_clusters - 1)
    k = design.shape[1] - 1
    return _interval(DID, float(beta[k]), float(math.sqrt(max(cov[k, k], 0.0))), n_clusters - 1, data, treated,
                     controls)


def event_time(df: pd.DataFrame, *, before: int = WINDOW_PRE, after: int = WINDOW_POST - 1) -> pd.DataFrame:
    """Rates per 100 residents of the equipped EHPADs by month relative to their first session (0 = its month):
    rel, events, exposure (resident-months), EHPADs, rate, and a 95 % Poisson interval of the rate."""
    data = df[(df["first"] >= 0) & df["rel"].between(-before, after)]
    if data.empty:
        return pd.DataFrame(columns=["rel", "events", "exposure", "ehpads", "rate", "lower", "upper"])
    out = (data.groupby("rel").agg(events=("y", "sum"), exposure=("exposure", "sum"), ehpads=("unit", "nunique"))
           .reset_index())
    out["rel"] = out["rel"].astype(int)
    out["events"] = out["events"].astype(int)
    from scipy import stats

    chi = stats.chi2
    out["rate"] = out["events"] / out["exposure"] * 100
    events, exposure = out["events"].to_numpy(), out["exposure"].to_numpy()
    out["lower"] = np.where(events > 0, chi.ppf(0.025, 2 * np.maximum(events, 1)) / 2, 0.0) / exposure * 100
    out["upper"] = chi.ppf(0.975, 2 * (events + 1)) / 2 / exposure * 100
    return out
