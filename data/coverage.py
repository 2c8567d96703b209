"""GP accessibility by commune: a two-step floating catchment area (2SFCA) in the spirit of the
DREES « APL » indicator (accessibilité potentielle localisée), in consultations per inhabitant per year.

Method (documented on the coverage page):
1. supply of a commune j: its general practitioners' activity, FTE × CONSULTATIONS_PER_FTE, GPs aged
   65 or more excluded by default (they may stop at any time);
2. step 1: for each commune j with supply, R_j = S_j / Σ_k w(d_jk) · P_k — its supply shared among the
   population within reach, weighted by distance decay w;
3. step 2: for each commune i, A_i = Σ_j w(d_ij) · R_j.
Distance decay, as APL does for travel time (0–10 / 10–15 / 15–20 minutes), here on straight-line
distance between points inside the communes: w = 1 up to 10 km, 2/3 up to 15 km, 1/3 up to 20 km,
0 beyond. Differences with APL: straight-line distance instead of road time; population not
standardised by age (the registry extract carries no age structure of the population).
A commune is under-served below the threshold (2.5 consultations per inhabitant per year by default).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from data.geography import pairwise_km

CONSULTATIONS_PER_FTE = 5000.0  # a full-time French GP does about 5,000 consultations and visits a year
DECAY_KM = ((10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0))
REACH_KM = DECAY_KM[-1][0]
DEFAULT_THRESHOLD = 2.5


@dataclass(frozen=True)
class Options:
    on: date
    exclude_65_plus: bool = True
    threshold: float = DEFAULT_THRESHOLD
    consultations_per_fte: float = CONSULTATIONS_PER_FTE


def decay(distance_km: np.ndarray) -> np.ndarray:
    """Step weights of the distance decay (vectorised)."""
    weights = np.zeros_like(distance_km, dtype=float)
    for limit, weight in reversed(DECAY_KM):
        weights[distance_km <= limit] = weight
    return weights


def _distances(lat: np.ndarray, lon: np.ndarray, rows) -> np.ndarray:
    """Great-circle distances (km) from the communes in `rows` (slice or indices) to every commune."""
    return pairwise_km(lat[rows], lon[rows], lat, lon)


def _pairs(lat: np.ndarray, lon: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of communes within REACH_KM of each other: rows, columns, distances (km)."""
    n = len(lat)
    rows, cols, dists = [], [], []
    for start in range(0, n, chunk):
        d = _distances(lat, lon, slice(start, min(start + chunk, n)))
        r, c = np.nonzero(d <= REACH_KM)
        rows.append(r + start)
        cols.append(c)
        dists.append(d[r, c])
    if not rows:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(dists)


@lru_cache(maxsize=8)
def _cached_pairs(key: bytes, chunk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coords = np.frombuffer(key, dtype=float).reshape(2, -1)
    return _pairs(coords[0], coords[1], chunk)


def reach_pairs(lat: np.ndarray, lon: np.ndarray, *, chunk: int = 512):
    """Pairs within reach, computed once per set of commune points and process (communes do not move):
    ~110 neighbours per commune here, so ~170,000 pairs for 1,516 communes instead of 2.3 million."""
    return _cached_pairs(np.concatenate([lat, lon]).astype(float).tobytes(), chunk)


def two_step_fca(communes: pd.DataFrame, supply: pd.Series, *, chunk: int = 512) -> pd.DataFrame:
    """Accessibility for each commune.

    `communes`: columns insee, population, lat, lon. `supply`: consultations a year offered
    in each commune (indexed by insee; missing = none). Returns insee, accessibility (consultations per
    inhabitant per year) and nearest_supply_km (distance to the nearest commune with supply).
    Both steps are sums over the pairs of communes within reach (sparse), so time and memory grow with
    the number of communes, not its square.
    """
    df = communes
    insee = df["insee"].to_numpy()
    lat, lon = df["lat"].to_numpy(float), df["lon"].to_numpy(float)
    pop = df["population"].to_numpy(float)
    s = supply.reindex(insee).fillna(0.0).to_numpy(float)
    n = len(df)
    rows, cols, dist = reach_pairs(lat, lon, chunk=chunk)
    weights = decay(dist)
    # step 1: supply over the population it reaches
    demand = np.bincount(rows, weights=weights * pop[cols], minlength=n)
    ratio = np.divide(s, demand, out=np.zeros(n), where=(s > 0) & (demand > 0))
    # step 2: each commune sums the ratios of the providers it reaches
    access = np.bincount(rows, weights=weights * ratio[cols], minlength=n)
    # nearest provider: among the pairs within reach, then directly for communes with none in reach
    nearest = np.full(n, np.inf)
    has_supply = s[cols] > 0
    np.minimum.at(nearest, rows[has_supply], dist[has_supply])
    providers = np.flatnonzero(s > 0)
    far = np.flatnonzero(np.isinf(nearest))
    if len(providers) and len(far):
        for start in range(0, len(far), chunk):
            idx = far[start:start + chunk]
            nearest[idx] = pairwise_km(lat[idx], lon[idx], lat[providers], lon[providers]).min(axis=1)
    return pd.DataFrame({"insee": insee, "accessibility": access,
                         "nearest_supply_km": np.where(np.isfinite(nearest), nearest, np.nan)})


def gp_supply(practitioners: pd.DataFrame, *, options: Options) -> pd.Series:
    """Consultations a year per commune from GP rows (commune_insee, fte, birth_year)."""
    df = practitioners
    if options.exclude_65_plus:
        df = df[options.on.year - df["birth_year"] < 65]
    return (df.groupby("commune_insee")["fte"].sum() * options.consultations_per_fte).rename("supply")
