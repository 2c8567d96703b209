"""A page view's map as a figure: choropleth of its area layer, then its point layers."""
from __future__ import annotations

from components.charts import empty_figure, points_map
from components.choropleth import commune_choropleth, highlight_trace
from data.views.base import COMMUNE


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
        return figure
    a = view.area
    figure = commune_choropleth(
        geojson_url=geojson_url(a.level), codes=list(a.codes), values=list(a.values), value_hover=a.value_hover,
        colorbar_title=a.colorbar_title, bounds=(list(view.bounds[0]), list(view.bounds[1])),
        customdata=list(a.customdata) if a.customdata is not None else None,
        missing_hover=a.missing_hover if isinstance(a.missing_hover, str) else list(a.missing_hover),
        zmax=a.zmax, tile_url=tile_url)
    _highlight(figure, view, geojson_url)
    if points:
        figure["data"].extend(points_map(points)["data"])
    figure["layout"].pop("height", None)  # the panel's graph sets the height
    if view.legend:
        figure["layout"]["showlegend"] = True
        figure["layout"]["legend"] = {"orientation": "h", "y": 0.01, "x": 0.01, "bgcolor": "rgba(255,255,255,0.85)"}
    return figure


def _highlight(figure: dict, view, geojson_url) -> None:
    """The commune the view outlines (the one chosen), above the areas, under the points."""
    if getattr(view, "highlight", None):
        figure["data"].append(highlight_trace(geojson_url=geojson_url(COMMUNE), code=view.highlight))
