"""Couverture (ARS): GP accessibility per commune (2SFCA, see data/coverage.py), service layers and
under-served communes with their nearest service."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.coverage import (
    DEFAULT_THRESHOLD,
    Catchment,
    Options,
    accessibility_of,
    catchment,
    gp_supply,
    nearest_supply_km,
    supply_vector,
)
from data.filters import Filters
from data.geography import pairwise_km
from data.models import Commune, Dataset, Departement, Device, MobileDaily, RingCommune, Site
from data.models import HealthProfessional as HP
from data.queries.common import area_for, frame
from data.queries.workforce import active_on, profession_clause
from data.url_codecs import Decimal

LAYERS = {"gp": "Cabinet de médecine générale", "teleconsultation": "Site de téléconsultation",
          "mobile": "Arrêt de cabinet mobile", "biology": "EHPAD équipé en biologie délocalisée"}


THRESHOLD = Decimal(DEFAULT_THRESHOLD, lo=0, hi=20, digits=2)  # the page control's and the URL's codec


def parse_threshold(value) -> float:
    """A threshold from a form or a URL (« 2,5 » or « 2.5 »); anything unreadable or out of 0–20 gives the default."""
    return THRESHOLD.value(value)


def _communes(session: Session, departements: tuple[str, ...]) -> pd.DataFrame:
    rows = session.execute(select(Commune.insee, Commune.name, Commune.departement_code, Commune.epci_code,
                                  Commune.population, Commune.lat, Commune.lon)
                           .where(Commune.departement_code.in_(departements)).order_by(Commune.insee)).all()
    return frame(rows, columns=["insee", "name", "departement", "epci", "population", "lat", "lon"])


def _ring(session: Session, departements: tuple[str, ...]) -> pd.DataFrame:
    """Demand just outside the caller's départements: the territory's other communes and the border ring
    of the geography build (data.geography.read_ring), as insee, population, lat, lon. Only populations
    and points: what their GPs offer is not counted (supply of the caller's territory only)."""
    outside = session.execute(select(Commune.insee, Commune.population, Commune.lat, Commune.lon)
                              .where(Commune.departement_code.not_in(departements)).order_by(Commune.insee)).all()
    ring = session.execute(select(RingCommune.insee, RingCommune.population, RingCommune.lat, RingCommune.lon)
                           .order_by(RingCommune.insee)).all()
    return frame([*outside, *ring], columns=["insee", "population", "lat", "lon"])


@dataclass(frozen=True, eq=False)
class Model:
    """The accessibility computation of a scope: its communes (territory first), the catchment with the
    border ring, the supply vector, the accessibility and nearest-GP distance, and the GP rows behind the
    supply (the planner retires some of them)."""

    communes: pd.DataFrame
    catchment: Catchment
    supply: np.ndarray
    access: np.ndarray
    nearest_km: np.ndarray
    gp_rows: pd.DataFrame


def model(session: Session, *, scope: AccessScope, options: Options) -> Model:
    deps = tuple(sorted(scope.departements))
    communes = _communes(session, deps)
    gp_rows = _gp_rows(session, deps, options)
    c = catchment(communes, _ring(session, deps))
    s = supply_vector(c, gp_supply(gp_rows, options=options))
    return Model(communes, c, s, accessibility_of(c, s), nearest_supply_km(c, s), gp_rows)


def _gp_rows(session: Session, departements: tuple[str, ...], options: Options) -> pd.DataFrame:
    """FTE of active GPs per commune and birth year (aggregated in SQL)."""
    rows = session.execute(
        select(HP.commune_insee, HP.birth_year, func.sum(HP.fte))
        .join(Commune, Commune.insee == HP.commune_insee)
        .where(profession_clause("medecin_gp"), active_on(options.on), Commune.departement_code.in_(departements))
        .group_by(HP.commune_insee, HP.birth_year)).all()
    return frame(rows, columns=["commune_insee", "birth_year", "fte"])


def accessibility(session: Session, *, scope: AccessScope, filters: Filters, options: Options) -> pd.DataFrame:
    """Accessibility of each commune of the area (computed on the whole visible territory, so the
    catchments cross the filter's borders as patients do)."""
    area = area_for(scope, filters, Dataset.COVERAGE)
    cols = ["insee", "name", "departement", "epci", "population", "accessibility", "nearest_supply_km", "lat", "lon"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    m = model(session, scope=scope, options=options)
    n = m.catchment.inside
    df = m.communes.assign(accessibility=m.access[:n], nearest_supply_km=m.nearest_km[:n])
    inside = set(session.scalars(area.communes()))
    return df[df["insee"].isin(inside)][cols].reset_index(drop=True)


def service_points(session: Session, *, scope: AccessScope, filters: Filters, options: Options) -> pd.DataFrame:
    """Every service point of the visible territory: kind, name, commune, lat, lon."""
    deps = tuple(sorted(scope.departements))
    out = []
    supply = gp_supply(_gp_rows(session, deps, options), options=options)
    coords = {i: (n, la, lo) for i, n, la, lo in session.execute(
        select(Commune.insee, Commune.name, Commune.lat, Commune.lon).where(Commune.departement_code.in_(deps)))}
    for insee, value in supply.items():
        if value > 0 and insee in coords:
            n, la, lo = coords[insee]
            out.append(("gp", f"Médecine générale — {n}", insee, la, lo))
    for name, insee, la, lo in session.execute(
            select(Site.name, Site.commune_insee, Commune.lat, Commune.lon)
            .join(Commune, Commune.insee == Site.commune_insee)
            .where(Site.teleconsultation.is_(True), Site.opened_on.is_not(None),
                   Site.opened_on <= filters.period.end, Commune.departement_code.in_(deps))):
        out.append(("teleconsultation", name, insee, la, lo))
    for insee, n, la, lo in session.execute(
            select(MobileDaily.commune_insee, Commune.name, Commune.lat, Commune.lon)
            .join(Commune, Commune.insee == MobileDaily.commune_insee)
            .where(MobileDaily.status == "completed", MobileDaily.day.between(filters.period.start, filters.period.end),
                   Commune.departement_code.in_(deps))
            .group_by(MobileDaily.commune_insee, Commune.name, Commune.lat, Commune.lon)):
        out.append(("mobile", f"Cabinet mobile — {n}", insee, la, lo))
    for name, insee, la, lo in session.execute(
            select(Site.name, Site.commune_insee, Commune.lat, Commune.lon).join(Device, Device.site_id == Site.id)
            .join(Commune, Commune.insee == Site.commune_insee).where(Commune.departement_code.in_(deps))
            .group_by(Site.id, Site.name, Site.commune_insee, Commune.lat, Commune.lon)):
        out.append(("biology", name, insee, la, lo))
    return pd.DataFrame(out, columns=["kind", "name", "insee", "lat", "lon"])


def below(accessibility, threshold: float):
    """Under the threshold, compared as shown (two decimals): a commune listed under 2.5 never reads "2,50"."""
    return accessibility.round(2) < threshold


def under_served(session: Session, *, scope: AccessScope, filters: Filters, options: Options | None = None,
                 threshold: float | str | None = None, exclude_65_plus: bool = True,
                 access: pd.DataFrame | None = None, points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Communes below the threshold, most populated first, with the nearest service of any kind.

    At summary level: per département, how many communes and inhabitants are under-served.
    `access` and `points`, when the caller already has them (`accessibility` and `service_points` for the
    same scope, filters and options), are not computed again.
    """
    options = options or Options(on=filters.period.end, exclude_65_plus=exclude_65_plus,
                                 threshold=parse_threshold(threshold))
    area = area_for(scope, filters, Dataset.COVERAGE)
    cols = ["name", "departement", "population", "accessibility", "nearest_gp_km", "nearest_service",
            "nearest_service_km", "insee", "epci"]
    df = access if access is not None else accessibility(session, scope=scope, filters=filters, options=options)
    if df.empty:
        return pd.DataFrame(columns=cols)
    names = dict(session.execute(select(Departement.code, Departement.name)).all())
    low = df[below(df["accessibility"], options.threshold) & (df["population"] > 0)].copy()
    if area.summary:
        under = df["insee"].isin(low["insee"])
        grouped = (df.assign(under=under, under_pop=df["population"].where(under, 0),
                             weighted=df["accessibility"] * df["population"])
                   .groupby("departement")
                   .agg(communes=("under", "sum"), population=("population", "sum"), weighted=("weighted", "sum"),
                        under_pop=("under_pop", "sum"))
                   .reset_index())
        return pd.DataFrame({
            "name": grouped["communes"].map(lambda n: f"{int(n)} communes sous le seuil"),
            "departement": grouped["departement"].map(names), "population": grouped["under_pop"],
            "accessibility": (grouped["weighted"] / grouped["population"]).round(2), "nearest_gp_km": None,
            "nearest_service": None, "nearest_service_km": None, "insee": None, "epci": None})
    if points is None:
        points = service_points(session, scope=scope, filters=filters, options=options)
    low["nearest_service"], low["nearest_service_km"] = None, np.nan
    if not points.empty and not low.empty:
        d = pairwise_km(low["lat"].to_numpy(float), low["lon"].to_numpy(float),
                        points["lat"].to_numpy(float), points["lon"].to_numpy(float))
        best = d.argmin(axis=1)
        labels = (points["kind"].map(LAYERS) + " — " + points["name"]).to_numpy()
        low["nearest_service"] = labels[best]
        low["nearest_service_km"] = d[np.arange(len(low)), best].round(1)
    low["departement"] = low["departement"].map(names)
    low["accessibility"] = low["accessibility"].round(2)
    low["nearest_gp_km"] = low["nearest_supply_km"].round(1)
    return low.sort_values(["accessibility", "population"], ascending=[True, False])[cols].reset_index(drop=True)
