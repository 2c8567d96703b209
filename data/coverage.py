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
Border ring: the communes just outside the territory (within 20 km of it, from the same geography
build, data/geo/ring.csv) count as demand in step 1, so a GP near a border is shared with the
neighbours across it; their own GPs are not in the registry extract, so they add no supply.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

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
    """Every pair of communes within REACH_KM of each other: rows, columns, distances (km), sorted by row
    then column (each commune's own pairs are one contiguous slice)."""
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


@dataclass(frozen=True, eq=False)
class Catchment:
    """The communes of a computation — the territory's first, then the border ring (demand only) — with
    their pairs within reach and each commune's step-1 demand D_j = Σ_k w(d_jk) · P_k. Depends on points
    and populations only, so it is computed once per territory and process and shared by every
    scenario."""

    insee: np.ndarray
    population: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    inside: int  # the first `inside` communes are the territory's; the others, the ring
    rows: np.ndarray
    cols: np.ndarray
    dist: np.ndarray
    weights: np.ndarray
    demand: np.ndarray
    starts: np.ndarray  # the pairs of commune j are rows[starts[j]:starts[j + 1]]

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each territory commune (the ring has none: it takes no supply)."""
        return {code: i for i, code in enumerate(self.insee[:self.inside])}

    def reach(self, j: int) -> slice:
        return slice(int(self.starts[j]), int(self.starts[j + 1]))


@lru_cache(maxsize=8)
def _cached_catchment(insee: tuple[str, ...], key: bytes, inside: int, chunk: int) -> Catchment:
    data = np.frombuffer(key, dtype=float).reshape(3, -1)
    pop, lat, lon = data[0].copy(), data[1].copy(), data[2].copy()
    rows, cols, dist = reach_pairs(lat, lon, chunk=chunk)
    weights = decay(dist)
    demand = np.bincount(rows, weights=weights * pop[cols], minlength=len(pop))
    starts = np.searchsorted(rows, np.arange(len(pop) + 1))
    return Catchment(np.array(insee, dtype=object), pop, lat, lon, inside, rows, cols, dist, weights, demand,
                     starts)


def catchment(communes: pd.DataFrame, ring: pd.DataFrame | None = None, *, chunk: int = 512) -> Catchment:
    """The catchment of `communes` (insee, population, lat, lon) with `ring` (same columns) as demand."""
    frames = [communes] if ring is None or ring.empty else [communes, ring[["insee", "population", "lat", "lon"]]]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else communes
    key = np.concatenate([df["population"].to_numpy(float), df["lat"].to_numpy(float),
                          df["lon"].to_numpy(float)]).tobytes()
    return _cached_catchment(tuple(df["insee"].astype(str)), key, len(communes), chunk)


def accessibility_of(c: Catchment, supply: np.ndarray) -> np.ndarray:
    """Both steps for a supply vector over the catchment's communes (ring entries zero): A_i for all."""
    n = len(c.population)
    ratio = np.divide(supply, c.demand, out=np.zeros(n), where=(supply > 0) & (c.demand > 0))
    return np.bincount(c.rows, weights=c.weights * ratio[c.cols], minlength=n)


def nearest_supply_km(c: Catchment, supply: np.ndarray, *, chunk: int = 512) -> np.ndarray:
    """Distance to the nearest commune with supply (pairs within reach first, then directly)."""
    n = len(c.population)
    nearest = np.full(n, np.inf)
    has_supply = supply[c.cols] > 0
    np.minimum.at(nearest, c.rows[has_supply], c.dist[has_supply])
    providers = np.flatnonzero(supply > 0)
    far = np.flatnonzero(np.isinf(nearest[:c.inside]))
    if len(providers) and len(far):
        for start in range(0, len(far), chunk):
            idx = far[start:start + chunk]
            nearest[idx] = pairwise_km(c.lat[idx], c.lon[idx], c.lat[providers], c.lon[providers]).min(axis=1)
    return np.where(np.isfinite(nearest), nearest, np.nan)


def supply_vector(c: Catchment, supply: pd.Series) -> np.ndarray:
    """Supply (consultations a year, by insee) over the catchment's communes; none in the ring."""
    s = np.zeros(len(c.population))
    s[:c.inside] = supply.reindex(c.insee[:c.inside]).fillna(0.0).to_numpy(float)
    return s


def with_changes(c: Catchment, access: np.ndarray, changes: dict[int, float]) -> np.ndarray:
    """Accessibility after adding (or, negative, removing) supply at some communes — incrementally.

    2SFCA is linear in supply: a change ΔS_j moves commune j's step-1 ratio by ΔS_j / D_j (its demand D_j
    does not depend on supply), and every commune i within reach gains w(d_ij) · ΔS_j / D_j. So only the
    pairs of the changed communes are visited; `access` (the computation without the changes) is never
    modified, and a scenario without changes is `access` itself, to the last bit."""
    out = access.copy()
    for j, delta in sorted(changes.items()):
        if delta == 0 or c.demand[j] <= 0:
            continue
        sl = c.reach(j)
        np.add.at(out, c.cols[sl], c.weights[sl] * (delta / c.demand[j]))
    return out


def two_step_fca(communes: pd.DataFrame, supply: pd.Series, *, ring: pd.DataFrame | None = None,
                 chunk: int = 512) -> pd.DataFrame:
    """Accessibility for each commune.

    `communes`: columns insee, population, lat, lon. `supply`: consultations a year offered
    in each commune (indexed by insee; missing = none). `ring`: communes just outside the territory
    (same columns), counted as demand in step 1 only — their own supply is not known. Returns, for
    `communes` only, insee, accessibility (consultations per inhabitant per year) and nearest_supply_km
    (distance to the nearest commune with supply).
    Both steps are sums over the pairs of communes within reach (sparse), so time and memory grow with
    the number of communes, not its square.
    """
    c = catchment(communes, ring, chunk=chunk)
    s = supply_vector(c, supply)
    access = accessibility_of(c, s)
    nearest = nearest_supply_km(c, s, chunk=chunk)
    return pd.DataFrame({"insee": communes["insee"].to_numpy(), "accessibility": access[:c.inside],
                         "nearest_supply_km": nearest[:c.inside]})


def gp_supply(practitioners: pd.DataFrame, *, options: Options) -> pd.Series:
    """Consultations a year per commune from GP rows (commune_insee, fte, birth_year)."""
    df = practitioners
    if options.exclude_65_plus:
        df = df[options.on.year - df["birth_year"] < 65]
    return (df.groupby("commune_insee")["fte"].sum() * options.consultations_per_fte).rename("supply")
