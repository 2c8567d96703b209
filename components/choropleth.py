"""Commune choropleth as a plain figure dict: geometry by URL, codes and values only."""
from __future__ import annotations

import math

from components.formatting import PLOTLY_SEPARATORS, fmt_number

# Cividis: perceptually uniform and readable with colour-vision deficiencies.
COLORSCALE = "Cividis"
OFFLINE_STYLE = "white-bg"  # no tile server needed
NO_VALUE_COLOUR = "#d9d9d9"
HIGHLIGHT_COLOUR = "#d62728"  # the chosen commune's outline: red on Cividis blues and yellows


MAP_HEIGHT_PX = 560
MAP_WIDTH_PX = 700  # conservative: the map is usually wider


def _view(lats: list[float], lons: list[float]) -> tuple[dict, float]:
    """Centre and web-Mercator zoom that fit the given points in the map's box."""
    if not lats:
        return {"lat": 48.7, "lon": 5.4}, 6.5
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    mid = (lat0 + lat1) / 2
    pad = 0.12  # points are inside communes: leave room for their outlines
    lat_span, lon_span = max(lat1 - lat0, 0.02) + pad, max(lon1 - lon0, 0.02) + pad
    tile = 512  # MapLibre's world width in px at zoom 0
    zoom_lat = math.log2(MAP_HEIGHT_PX * 360 * math.cos(math.radians(mid)) / (tile * lat_span))
    zoom_lon = math.log2(MAP_WIDTH_PX * 360 / (tile * lon_span))
    zoom = max(3.0, min(11.0, min(zoom_lat, zoom_lon) - 0.1))
    return {"lat": mid, "lon": (lon0 + lon1) / 2}, round(zoom, 2)


def colour_ticks(zmax: float, *, capped: bool, n: int = 4) -> tuple[list[float], list[str]]:
    """Round ticks from 0 to `zmax` in French; when values above `zmax` share its colour (`capped`), the top
    tick is `zmax` itself and reads « ≥ 16 »."""
    if zmax <= 0:
        return [0], ["0"]
    raw = zmax / n
    exp = math.floor(math.log10(raw))
    step = min(m * 10 ** exp for m in (1, 2, 2.5, 5, 10) if m * 10 ** exp >= raw)
    decimals = 0 if float(step).is_integer() else (1 if float(step * 10).is_integer() else 2)
    values = [round(i * step, 6) for i in range(int(zmax / step) + 1)]
    if capped:
        values = [v for v in values if v <= zmax - 0.4 * step] + [zmax]
    labels = [fmt_number(v, decimals) for v in values]
    if capped:
        labels[-1] = f"≥ {fmt_number(zmax, 0 if float(zmax).is_integer() else 1)}"
    return values, labels


# Inside the map, bottom right, below the mode bar's buttons and above the credit line.
COLORBAR = {"thickness": 12, "len": 0.55, "lenmode": "fraction", "x": 0.99, "xanchor": "right",
            "y": 0.08, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.85)", "outlinewidth": 0,
            "xpad": 6, "ypad": 8, "tickfont": {"size": 11}}


def colorbar(title: str, *, zmax: float, capped: bool) -> dict:
    values, labels = colour_ticks(zmax, capped=capped)
    return {**COLORBAR, "title": {"text": title, "side": "top", "font": {"size": 11}},
            "tickmode": "array", "tickvals": values, "ticktext": labels}


def _compact(value: float) -> float | int:
    """A value as few JSON bytes as it reads: two decimals, an integer without « .0 »."""
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def commune_choropleth(*, geojson_url: str, codes: list[str], values: list[float | None], value_hover: str,
                       colorbar_title: str, bounds: tuple[list[float], list[float]], customdata: list | None = None,
                       missing_hover: str | list[str] = "Sans valeur", zmax: float | None = None,
                       zmin: float | None = None, colorscale: str | tuple | None = None,
                       tile_url: str | None = None) -> dict:
    """Choropleth of communes: codes, values and small numbers only; the browser writes the hover.

    `value_hover` is a Plotly hovertemplate fragment over `%{z}` and `%{customdata}` (formatted with the
    figure's French separators); the commune's name comes from the geometry. Communes whose value is
    None are drawn in grey, labelled by `missing_hover` (one text for all, or one per commune).
    """
    center, zoom = _view(*bounds)
    shown = [i for i, v in enumerate(values) if v is not None]
    missing = [i for i, v in enumerate(values) if v is None]
    finite = [values[i] for i in shown]
    top = zmax if zmax is not None else (max(finite) if finite else 1)
    capped = zmax is not None and any(v > zmax for v in finite)  # values above the scale share its top colour
    layout_map: dict = {"style": OFFLINE_STYLE, "center": center, "zoom": zoom}
    if tile_url:
        layout_map["layers"] = [{"sourcetype": "raster", "source": [tile_url], "below": "traces"}]
    trace = {
        "type": "choroplethmap",
        "geojson": geojson_url,
        "featureidkey": "properties.code",
        "locations": [codes[i] for i in shown],
        "z": [_compact(values[i]) for i in shown],
        "zmin": zmin if zmin is not None else 0,
        "zmax": top,
        "colorscale": ([list(stop) for stop in colorscale] if isinstance(colorscale, tuple)
                       else colorscale or COLORSCALE),
        "marker": {"line": {"width": 0.3, "color": "#ffffff"}, "opacity": 0.9},
        "colorbar": (colorbar(colorbar_title, zmax=top, capped=capped) if zmin is None  # a change map: Plotly's ticks
                     else {"title": {"text": colorbar_title, "side": "right"}, "thickness": 14}),
        "hovertemplate": f"<b>%{{properties.name}}</b><br>{value_hover}<extra></extra>",
    }
    if customdata is not None:
        trace["customdata"] = [customdata[i] for i in shown]
    traces = [trace]
    if missing:  # communes with no value (no inhabitants, secret) stay visible in plain grey, not blank
        grey = {
            "type": "choroplethmap", "geojson": geojson_url, "featureidkey": "properties.code",
            "locations": [codes[i] for i in missing], "z": [0] * len(missing), "showscale": False,
            "colorscale": [[0, NO_VALUE_COLOUR], [1, NO_VALUE_COLOUR]],
            "marker": {"line": {"width": 0.3, "color": "#ffffff"}},
        }
        if isinstance(missing_hover, str):
            grey["hovertemplate"] = f"<b>%{{properties.name}}</b><br>{missing_hover}<extra></extra>"
        else:
            grey["text"] = [missing_hover[i] for i in missing]
            grey["hovertemplate"] = "<b>%{properties.name}</b><br>%{text}<extra></extra>"
        traces.append(grey)
    return {
        "data": traces,
        "layout": {
            "map": layout_map,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "separators": PLOTLY_SEPARATORS,
            "uirevision": "keep-zoom",
            "height": MAP_HEIGHT_PX,
        },
    }



def highlight_trace(*, geojson_url: str, code: str) -> dict:
    """The chosen commune drawn as a thick outline over the map (no fill, no hover of its own)."""
    clear = "rgba(0,0,0,0)"
    return {"type": "choroplethmap", "geojson": geojson_url, "featureidkey": "properties.code",
            "locations": [code], "z": [0], "showscale": False, "colorscale": [[0, clear], [1, clear]],
            "marker": {"line": {"width": 3, "color": HIGHLIGHT_COLOUR}}, "hoverinfo": "skip",
            "name": "Commune choisie", "showlegend": False}
