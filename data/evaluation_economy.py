"""Programme evaluation, economy and access: trips avoided, kilometres, CO₂ and transport cost; point-of-care
turnaround against the laboratory route; GP density before and after the study grants.

Plain functions on small frames (the SQL aggregates are in data/queries/evaluation.py); no Dash or Flask.

Trips avoided. A completed teleconsultation, or a consultation at a mobile office stop, is one patient trip
avoided: the round trip the patient would otherwise have made from their commune (teleconsultation: the
patient's commune; mobile office: the stop's commune) to the nearest place of care — the nearest commune where
a general practitioner practises, or a referral hospital (a site of kind « hopital ») if one is nearer. There is
no road network in the app: the distance is the straight line (haversine, between the communes' points) times
a detour factor (road / straight line). Kilometres avoided = Σ trips × 2 × straight-line km × detour; CO₂ avoided
= km × emission factor; transport cost avoided = km × tariff per km.

Defaults and their sources (each overridable in the environment, settings.py):
- emission factor 0,192 kgCO₂e per vehicle-km (EVALUATION_CO2_KG_PER_KM): ADEME, Base Carbone® — « Voiture,
  moteur thermique », use phase (combustion and fuel production), as published by ADEME's Impact CO₂
  (impactco2.fr, data file incubateur-ademe/impactco2 `src/data/categories/deplacement.json`, id 4
  « voiturethermique », source Base Carbone documentation « Routier »); the same entry adds 0,0256 kgCO₂e/km for
  the car's construction (0,218 in all), left out here since a trip avoided does not avoid building a car;
- tariff 0,30 € per km (EVALUATION_COST_EUR_PER_KM): the kilometre tariff on which the Assurance maladie
  reimburses transport in a personal vehicle, arrêté du 30 mars 2015 (in force since 19 April 2015) — the
  funder's cost; the tax « barème kilométrique » (5 CV, up to 5 000 km: 0,636 €/km, 2024) would give the full
  cost of the car to the household;
- detour factor 1,3 (EVALUATION_DETOUR_FACTOR): road distances exceed straight-line ones by about a quarter to
  a third on rural networks (F. Héran, « Des distances à vol d'oiseau aux distances réelles ou de l'origine des
  détours »); an assumption, to replace by a road-network computation when one is available;
- laboratory route 24 h from sample to result (EVALUATION_LAB_TURNAROUND_HOURS): the programme's assumption for
  an EHPAD without point-of-care testing — a sample taken in the morning, collected by the laboratory's round,
  its result returned the same evening or the next morning; set the partner laboratory's measured figure.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.geography import pairwise_km

CO2_SOURCE = ("ADEME, Base Carbone® — « Voiture, moteur thermique », phase d'usage (combustion et production du "
              "carburant), valeur publiée par ADEME Impact CO₂ (impactco2.fr, entrée « voiturethermique », "
              "documentation Base Carbone « Routier ») ; la construction du véhicule (0,0256 kgCO₂e/km) n'est "
              "pas comptée.")
COST_SOURCE = ("Tarif kilométrique de remboursement par l'Assurance maladie des transports en véhicule personnel "
               "(arrêté du 30 mars 2015, en vigueur depuis le 19 avril 2015) : le coût pour le financeur ; le "
               "barème kilométrique fiscal (5 CV : 0,636 €/km en 2024) donnerait le coût complet pour le ménage.")
DETOUR_SOURCE = ("Facteur de détour (distance routière ÷ distance à vol d'oiseau) : hypothèse de 1,3, ordre de "
                 "grandeur des réseaux ruraux (F. Héran, « Des distances à vol d'oiseau aux distances réelles ou "
                 "de l'origine des détours »).")
LAB_SOURCE = ("Hypothèse du programme pour la voie du laboratoire : prélèvement du matin en EHPAD, ramassage par la "
              "tournée du laboratoire, résultat rendu le soir ou le lendemain matin ; à remplacer par le délai "
              "mesuré du laboratoire partenaire (EVALUATION_LAB_TURNAROUND_HOURS).")
MIN_RESULTS = 30  # fewer results: the turnaround's median and 90th percentile are not shown
MIN_QUARTERS = 2  # fewer quarters on a side of the study grants: no trend on that side


@dataclass(frozen=True)
class EconomyParams:
    """The evaluation's factors, from the settings."""

    co2_kg_per_km: float = 0.192
    cost_eur_per_km: float = 0.30
    detour: float = 1.3
    lab_turnaround_hours: float = 24.0

    @classmethod
    def from_settings(cls) -> EconomyParams:
        from settings import get_settings

        s = get_settings()
        return cls(s.evaluation_co2_kg_per_km, s.evaluation_cost_eur_per_km, s.evaluation_detour_factor,
                   s.evaluation_lab_turnaround_hours)


TRIP_COLUMNS = ["insee", "name", "departement", "teleconsultations", "mobile", "trips", "nearest_km",
                "round_trip_km", "km", "co2_kg", "cost_eur"]


def nearest_km(origins: pd.DataFrame, destinations: pd.DataFrame) -> np.ndarray:
    """Straight-line km from each origin (lat, lon) to the nearest destination (lat, lon); NaN without any."""
    if origins.empty:
        return np.array([], dtype=float)
    if destinations.empty:
        return np.full(len(origins), np.nan)
    d = pairwise_km(origins["lat"].to_numpy(float), origins["lon"].to_numpy(float),
                    destinations["lat"].to_numpy(float), destinations["lon"].to_numpy(float))
    return d.min(axis=1)


def trips_avoided(trips: pd.DataFrame, destinations: pd.DataFrame, params: EconomyParams) -> pd.DataFrame:
    """Per commune of origin: trips avoided, distance to the nearest place of care, km, CO₂ (kg) and cost (€).

    `trips`: insee, name, departement, lat, lon, teleconsultations, mobile (counts); `destinations`: lat, lon
    of the places of care (communes with a GP, referral hospitals)."""
    if trips.empty:
        return pd.DataFrame(columns=TRIP_COLUMNS)
    out = trips.copy()
    out["trips"] = out["teleconsultations"].astype(int) + out["mobile"].astype(int)
    out["nearest_km"] = nearest_km(out, destinations)
    out["round_trip_km"] = 2 * out["nearest_km"] * params.detour
    out["km"] = out["trips"] * out["round_trip_km"]
    out["co2_kg"] = out["km"] * params.co2_kg_per_km
    out["cost_eur"] = out["km"] * params.cost_eur_per_km
    return out[TRIP_COLUMNS].sort_values(["departement", "insee"]).reset_index(drop=True)


@dataclass(frozen=True)
class Turnaround:
    """Sample → result times (minutes) of a set of results, from their histogram."""

    results: int
    median_min: float | None
    p90_min: float | None


def quantile_of_histogram(minutes: Iterable[float], counts: Iterable[int], q: float) -> float | None:
    """The q-quantile (lower value, as a step distribution) of values given as value → count."""
    pairs = sorted((float(m), int(c)) for m, c in zip(minutes, counts, strict=True) if int(c) > 0)
    total = sum(c for _, c in pairs)
    if not total:
        return None
    rank, seen = q * total, 0
    for value, c in pairs:
        seen += c
        if seen >= rank:
            return value
    return pairs[-1][0]


def turnaround(histogram: pd.DataFrame) -> Turnaround:
    """Median and 90th percentile of a `minutes` → `results` histogram."""
    n = int(histogram["results"].sum()) if not histogram.empty else 0
    if not n:
        return Turnaround(0, None, None)
    return Turnaround(n, quantile_of_histogram(histogram["minutes"], histogram["results"], 0.5),
                      quantile_of_histogram(histogram["minutes"], histogram["results"], 0.9))


@dataclass(frozen=True)
class BeforeAfter:
    """GP density per quarter on each side of the first study-grant holder settled, with its trend."""

    reference: date | None  # end of the first quarter with a grant holder settled
    before: tuple[tuple[date, float], ...]
    after: tuple[tuple[date, float], ...]
    slope_before: float | None  # density points per year (least squares), None with too few quarters
    slope_after: float | None

    @property
    def change(self) -> float | None:
        """After's trend minus before's (points per 10 000 inhabitants and per year)."""
        if self.slope_before is None or self.slope_after is None:
            return None
        return self.slope_after - self.slope_before


def slope_per_year(points: Iterable[tuple[date, float]]) -> float | None:
    """Least-squares slope of (date, value) points, per year; None below MIN_QUARTERS points."""
    pts = [(d, v) for d, v in points if v is not None and v == v]
    if len(pts) < MIN_QUARTERS:
        return None
    x = np.array([d.toordinal() / 365.25 for d, _ in pts])
    y = np.array([v for _, v in pts], dtype=float)
    if np.ptp(x) == 0:
        return None
    return float(np.polyfit(x, y, 1)[0])


def before_after(density: Iterable[tuple[date, float]], reference: date | None) -> BeforeAfter:
    """Split quarterly densities at `reference` (its quarter counts as « after ») and fit each side's trend."""
    points = sorted(density)
    if reference is None:
        return BeforeAfter(None, tuple(points), (), slope_per_year(points), None)
    before = tuple((d, v) for d, v in points if d < reference)
    after = tuple((d, v) for d, v in points if d >= reference)
    return BeforeAfter(reference, before, after, slope_per_year(before), slope_per_year(after))
