"""Commune choropleth as a plain figure dict: geometry by URL, codes and values only."""
from __future__ import annotations

import math

from components.formatting import PLOTLY_SEPARATORS

# Cividis: perceptually uniform and readable with colour-vision deficiencies.
COLORSCALE = "Cividis"
OFFLINE_STYLE = "white-bg"  # no tile server needed


def _view(lats: list[float], lons: list[float]) -> tuple[dict, float]:
    """Centre and zoom that fit the given points in a ~700 px wide map."""
    if not lats:
        return {"lat": 48.7, "lon": 5.4}, 6.5
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    span = max(lat1 - lat0, (lon1 - lon0) * math.cos(math.radians((lat0 + lat1) / 2)), 0.05)
    zoom = max(4.0, min(10.0, math.log2(360 / span) - 1.6))
    return {"lat": (lat0 + lat1) / 2, "lon": (lon0 + lon1) / 2}, round(zoom, 2)


def commune_choropleth(*, geojson_url: str, codes: list[str], values: list[float | None],
                       hover_values: list[str], colorbar_title: str, bounds: tuple[list[float], list[float]],
                       zmax: float | None = None, tile_url: str | None = None) -> dict:
    """Choropleth of communes; hover shows the commune name (from the geometry) and a label."""
    center, zoom = _view(*bounds)
    finite = [v for v in values if v is not None]
    layout_map: dict = {"style": OFFLINE_STYLE, "center": center, "zoom": zoom}
    if tile_url:
        layout_map["layers"] = [{"sourcetype": "raster", "source": [tile_url], "below": "traces"}]
    return {
        "data": [{
            "type": "choroplethmap",
            "geojson": geojson_url,
            "featureidkey": "properties.code",
            "locations": codes,
            "z": values,
            "text": hover_values,
            "zmin": 0,
            "zmax": zmax if zmax is not None else (max(finite) if finite else 1),
            "colorscale": COLORSCALE,
            "marker": {"line": {"width": 0.3, "color": "#ffffff"}, "opacity": 0.9},
            "colorbar": {"title": {"text": colorbar_title}, "thickness": 14},
            "hovertemplate": "<b>%{properties.name}</b><br>%{text}<extra></extra>",
        }],
        "layout": {
            "map": layout_map,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "separators": PLOTLY_SEPARATORS,
            "uirevision": "keep-zoom",
            "height": 560,
        },
    }
