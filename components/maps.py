"""A page view's map as a figure: choropleth of its area layer, then its point layers, legends and credit."""
from __future__ import annotations

import math

from components.charts import FONT, empty_figure, points_map
from components.choropleth import commune_choropleth, highlight_trace
from components.formatting import fmt_number
from components.map_patch import map_answer
from data.geography import GEOMETRY_SOURCE, POPULATION_SOURCE, POPULATION_YEAR
from data.views.base import COMMUNE

BASE_MAP_CREDIT = "fond © OpenStreetMap"  # only when a tile server draws the base map (MAP_TILE_URL)
STRIP = 0.13  # share of the figure's height under the map for the size legends
CREDIT_FONT = {"size": 10, "color": "#343a40"}


def map_credit(tile_url: str | None = None) -> str:
    """The one credit line of every map (Licence Ouverte: sources are named), e.g. « Sources : IGN Admin Express,
    INSEE 2017 — fond © OpenStreetMap »."""
    text = f"Sources : {GEOMETRY_SOURCE}, {POPULATION_SOURCE} {POPULATION_YEAR}"
    return f"{text} — {BASE_MAP_CREDIT}" if tile_url else text


def credit_annotation(tile_url: str | None, *, y: float = 0.0) -> dict:
    return {"text": map_credit(tile_url), "name": "credit", "showarrow": False, "xref": "paper", "yref": "paper",
            "x": 1, "y": y, "xanchor": "right", "yanchor": "bottom", "font": CREDIT_FONT,
            "bgcolor": "rgba(255,255,255,0.85)", "borderpad": 2}


def size_legend(legend, colour: str, *, row: int = 0) -> tuple[list[dict], list[dict]]:
    """Reference circles of a point layer sized by a count, in the strip under the map: shapes and labels
    placed in pixels from the left edge (shapes outside the map's area are not covered by it)."""
    y = STRIP * (0.5 if row == 0 else 0.2)
    title = f"{legend.title} :"
    x = 8 + 6.6 * len(title) + 8  # after the title (11 px font)
    shapes, labels = [], [{"text": title, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0, "y": y,
                           "xanchor": "left", "yanchor": "middle", "xshift": 8, "font": {**FONT, "size": 11},
                           "name": "size-legend-title"}]
    for value, size in zip(legend.values, legend.sizes, strict=True):
        shapes.append({"type": "circle", "xref": "paper", "yref": "paper", "xsizemode": "pixel",
                       "ysizemode": "pixel", "xanchor": 0, "yanchor": y, "x0": x, "x1": x + size,
                       "y0": -size / 2, "y1": size / 2, "fillcolor": colour, "opacity": 0.7,
                       "line": {"color": "#ffffff", "width": 1}, "name": "size-legend"})
        text = fmt_number(value, 0 if float(value).is_integer() else 1)
        labels.append({"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0, "y": y,
                       "xanchor": "left", "yanchor": "middle", "xshift": x + size + 4, "font": {**FONT, "size": 11},
                       "name": "size-legend-value"})
        x += size + 4 + 7 * len(text) + 14
    return shapes, labels


def _finish(figure: dict, view, tile_url: str | None) -> dict:
    """Credit on every map; size legends (if any) in a strip under it; the legend of layers above them."""
    layout = figure["layout"]
    sized = [p for p in view.points if p.size_legend is not None and p.size_legend.values]
    bottom = STRIP if sized else 0.0
    if sized:
        layout["map"]["domain"] = {"x": [0, 1], "y": [bottom, 1]}
        layout["map"]["zoom"] = round(layout["map"]["zoom"] - math.log2(1 / (1 - bottom)), 2)  # same frame, less room
        layout.setdefault("shapes", [])
        for row, layer in enumerate(sized[:2]):
            shapes, labels = size_legend(layer.size_legend, layer.colour, row=row)
            layout["shapes"].extend(shapes)
            layout.setdefault("annotations", []).extend(labels)
    layout.setdefault("annotations", []).append(credit_annotation(tile_url, y=bottom))
    if "legend" in layout:  # top left, inside the map: clear of the credit, the colour bar and the mode bar
        layout["legend"] = {**layout["legend"], "x": 0.01, "xanchor": "left", "y": 0.99, "yanchor": "top"}
    return figure


def view_map(view, *, geojson_url, tile_url: str | None = None) -> dict:
    """A page view's map (data.views.base.MapView) as a figure: its area layer as a choropleth of the
    geometry of its level (`geojson_url(level)`), then its point layers; nothing is decided here."""
    if view.empty:
        return empty_figure()
    points = [{"name": p.name, "lat": list(p.lat), "lon": list(p.lon), "text": list(p.text), "colour": p.colour,
               "size": list(p.size) if isinstance(p.size, tuple) else p.size, "opacity": p.opacity,
               "customdata": list(p.customdata) if p.customdata is not None else None} for p in view.points]
    if view.area is None:
        figure = points_map(points, tile_url=tile_url, geojson_url=geojson_url(view.outline), bounds=view.bounds)
        figure["layout"].pop("height", None)  # the panel's graph sets the height
        _highlight(figure, view, geojson_url)
        return _finish(figure, view, tile_url)
    a = view.area
    figure = commune_choropleth(
        geojson_url=geojson_url(a.level), codes=list(a.codes), values=list(a.values), value_hover=a.value_hover,
        colorbar_title=a.colorbar_title, bounds=(list(view.bounds[0]), list(view.bounds[1])),
        customdata=list(a.customdata) if a.customdata is not None else None,
        missing_hover=a.missing_hover if isinstance(a.missing_hover, str) else list(a.missing_hover),
        zmax=a.zmax, zmin=a.zmin, colorscale=a.colorscale, tile_url=tile_url)
    _highlight(figure, view, geojson_url)
    if points:
        figure["data"].extend(points_map(points)["data"])
    figure["layout"].pop("height", None)  # the panel's graph sets the height
    if view.legend:
        figure["layout"]["showlegend"] = True
        figure["layout"]["legend"] = {"orientation": "h", "y": 0.01, "x": 0.01, "bgcolor": "rgba(255,255,255,0.85)"}
    return _finish(figure, view, tile_url)


def view_map_answer(view, previous, *, scope, geojson_url, tile_url: str | None = None):
    """(figure output, map-state store output) of a map callback: the full figure of the view, or a Patch of its
    changed values when the browser's store (`previous`) says it holds this scope's figure of the same structure
    (components/map_patch.py)."""
    return map_answer(view_map(view, geojson_url=geojson_url, tile_url=tile_url), previous,
                      scope_key=scope.cache_key)


def _highlight(figure: dict, view, geojson_url) -> None:
    """The commune the view outlines (the one chosen), above the areas, under the points."""
    if getattr(view, "highlight", None):
        figure["data"].append(highlight_trace(geojson_url=geojson_url(COMMUNE), code=view.highlight))
