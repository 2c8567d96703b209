"""Figures as plain dicts (no go.Figure deep copies): bars, lines, points on a map, empty states.

One colour-blind-safe palette (Okabe–Ito) everywhere, and a second channel for every series —
bar patterns, line dashes and marker symbols — so that no information is carried by colour alone.
"""
from __future__ import annotations

import re

from components.choropleth import MAP_HEIGHT_PX, OFFLINE_STYLE, _view
from components.formatting import PLOTLY_SEPARATORS

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
PATTERNS = ("", "/", ".", "x", "\\", "+", "-", "|")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon")
EMPTY_MESSAGE = "Aucune donnée pour ce filtre"
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": "#212529"}


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_HOUR = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def date_axis(x: list) -> dict:
    """A date axis in French: Plotly formats its ticks with the `fr` locale (components/panel.GRAPH_CONFIG);
    its hover reads « 5 janvier 2026 » (« 5 janvier 2026, 14:00 ») rather than Plotly's « janv. 5, 2026 »."""
    values = [v for v in x if isinstance(v, str)]
    if values and len(values) == len(x):
        if all(ISO_DAY.match(v) for v in values):
            return {"type": "date", "hoverformat": "%-d %B %Y"}
        if all(ISO_HOUR.match(v) for v in values):
            return {"type": "date", "hoverformat": "%-d %B %Y, %H:%M"}
    return {}


# Above the plot area: a legend below would sit on long or rotated category labels (months, EHPAD names),
# whose height depends on the screen's width.
LEGEND_TOP = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}


def base_layout(**extra) -> dict:
    layout = {"separators": PLOTLY_SEPARATORS, "margin": {"l": 56, "r": 16, "t": 40, "b": 48},
              "font": FONT, "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff",
              "legend": LEGEND_TOP, "hoverlabel": {"namelength": -1},
              "uirevision": "keep"}
    layout.update(extra)
    return layout


def empty_figure(message: str = EMPTY_MESSAGE) -> dict:
    return {"data": [], "layout": base_layout(
        xaxis={"visible": False}, yaxis={"visible": False}, height=260,
        annotations=[{"text": message, "showarrow": False, "font": {"size": 16, "color": "#495057"}}])}


def bar_figure(x: list, series: dict[str, list], *, y_title: str, stacked: bool = True, horizontal: bool = False,
               x_title: str | None = None, height: int = 380, hover_format: str = ",.0f") -> dict:
    """Bars, one trace per series, each with its own colour and fill pattern."""
    traces = []
    for i, (name, values) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        trace = {"type": "bar", "name": name, "marker": {"color": colour, "line": {"color": "#ffffff", "width": 0.5},
                                                       "pattern": {"shape": PATTERNS[i % len(PATTERNS)],
                                                                   "bgcolor": colour, "fgcolor": "#ffffff",
                                                                   "fgopacity": 0.7, "size": 7}}}
        if horizontal:
            trace.update(y=x, x=values, orientation="h",
                         hovertemplate=f"%{{y}} — {name} : %{{x:{hover_format}}}<extra></extra>")
        else:
            trace.update(x=x, y=values, hovertemplate=f"%{{x}} — {name} : %{{y:{hover_format}}}<extra></extra>")
        traces.append(trace)
    value_axis = {"title": {"text": y_title}, "gridcolor": "#e9ecef", "rangemode": "tozero"}
    cat_axis = {"title": {"text": x_title} if x_title else None, "automargin": True, **date_axis(list(x))}
    layout = base_layout(barmode="stack" if stacked else "group", height=height,
                         xaxis=value_axis if horizontal else cat_axis, yaxis=cat_axis if horizontal else value_axis,
                         showlegend=len(series) > 1)
    if horizontal:
        layout["margin"] = {**layout["margin"], "l": 160}
    return {"data": traces, "layout": layout}


def series_bars(series, *, y_title: str, x_title: str | None = None, stacked: bool = True, horizontal: bool = False,
                height: int = 380, hover_format: str = ",.0f") -> dict:
    """A view's series (data.views.series.WeeklySeries) as bars, or the empty state."""
    if series.empty:
        return empty_figure()
    return bar_figure(list(series.x), series.as_dict(), y_title=y_title, x_title=x_title and series.x_title,
                      stacked=stacked,
                      horizontal=horizontal, height=height, hover_format=hover_format)


def line_figure(x: list, series: dict[str, list], *, y_title: str, height: int = 360,
                targets: dict[str, float | None] | None = None, hover_format: str = ",.1f") -> dict:
    """Lines with markers; each series has its own dash and symbol; optional horizontal targets."""
    traces = []
    for i, (name, values) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        traces.append({"type": "scatter", "mode": "lines+markers", "name": name, "x": x, "y": values,
                       "line": {"color": colour, "dash": DASHES[i % len(DASHES)], "width": 2},
                       "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 7, "color": colour},
                       "hovertemplate": f"%{{x}} — {name} : %{{y:{hover_format}}}<extra></extra>"})
        target = (targets or {}).get(name)
        if target is not None and x:
            traces.append({"type": "scatter", "mode": "lines", "name": f"Cible — {name}", "x": [x[0], x[-1]],
                           "y": [target, target], "line": {"color": colour, "dash": "dot", "width": 1},
                           "hovertemplate": f"Cible {name} : %{{y:{hover_format}}}<extra></extra>"})
    return {"data": traces, "layout": base_layout(height=height, yaxis={"title": {"text": y_title},
                                                                      "gridcolor": "#e9ecef"},
                                                  xaxis={"automargin": True, **date_axis(list(x))})}


def indicator_chart(chart) -> dict:
    """A programme indicator (data.views.programme.IndicatorChart): one line per territory, with its target."""
    if chart.empty:
        return empty_figure()
    return line_figure(list(chart.x), {name: list(values) for name, values in chart.series}, y_title=chart.unit,
                       targets=dict(chart.targets), height=420)


def points_map(layers: list[dict], *, height: int = MAP_HEIGHT_PX, tile_url: str | None = None,
               geojson_url: str | None = None, bounds: tuple | None = None) -> dict:
    """Points on the offline base map (commune or département outlines by URL, fetched once by the browser).

    Each layer: name, lat, lon, text (hover), optional size (pixels), colour, opacity, customdata. The map
    is framed on `bounds` (lats, lons) when given, else on the points.
    """
    lats = [v for layer in layers for v in layer["lat"]] if not bounds or not bounds[0] else list(bounds[0])
    lons = [v for layer in layers for v in layer["lon"]] if not bounds or not bounds[0] else list(bounds[1])
    center, zoom = _view(lats, lons)
    layout_map: dict = {"style": OFFLINE_STYLE, "center": center, "zoom": zoom}
    map_layers = []
    if tile_url:
        map_layers.append({"sourcetype": "raster", "source": [tile_url], "below": "traces"})
    if geojson_url:
        map_layers.append({"sourcetype": "geojson", "source": geojson_url, "type": "line",
                           "color": "#adb5bd", "line": {"width": 0.4}})
    if map_layers:
        layout_map["layers"] = map_layers
    traces = []
    for i, layer in enumerate(layers):
        colour = layer.get("colour", PALETTE[i % len(PALETTE)])
        marker = {"color": colour, "size": layer.get("size", 10), "opacity": layer.get("opacity", 0.85)}
        if layer.get("sizemin"):
            marker["sizemin"] = layer["sizemin"]
        trace = {"type": "scattermap", "mode": "markers", "name": layer["name"], "lat": layer["lat"],
                 "lon": layer["lon"], "text": layer["text"], "marker": marker,
                 "hovertemplate": "%{text}<extra></extra>"}
        if layer.get("customdata") is not None:  # the commune code a click filters on
            trace["customdata"] = list(layer["customdata"])
        traces.append(trace)
    return {"data": traces, "layout": {"map": layout_map, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                                       "separators": PLOTLY_SEPARATORS, "uirevision": "keep-zoom",
                                       "height": height, "font": FONT,
                                       "legend": {"orientation": "h", "y": 0.01, "x": 0.01,
                                                  "bgcolor": "rgba(255,255,255,0.85)"}}}


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def evaluation_chart(chart, *, height: int = 400) -> dict:
    """A chart of the « Évaluation » page (data.views.evaluation.EvalChart): lines with their 95 % band,
    bars, or points with error bars; an optional vertical marker (the first session) and horizontal reference."""
    if chart.empty or not chart.series:
        return empty_figure()
    x = list(chart.x)
    traces = []
    heat = [s for s in chart.series if s.kind == "heat"]
    if heat:  # one row per series (e.g. one EHPAD per row), the colour its value
        traces.append({"type": "heatmap", "x": x, "y": [s.name for s in heat], "z": [list(s.y) for s in heat],
                       "colorscale": "Viridis", "colorbar": {"title": {"text": chart.y_title}},
                       "hovertemplate": f"%{{y}} — {chart.x_title} : %{{x}}<br>%{{z:,.2f}} {chart.y_title}"
                                        "<extra></extra>", "hoverongaps": False})
    many = len(chart.series) > 12  # per-EHPAD series: thin lines, no markers
    for i, series in enumerate(s for s in chart.series if s.kind != "heat"):
        colour = PALETTE[i % len(PALETTE)]
        y = list(series.y)
        if series.kind == "bar":
            trace = {"type": "bar", "name": series.name, "x": x, "y": y,
                     "marker": {"color": colour, "pattern": {"shape": PATTERNS[i % len(PATTERNS)]}},
                     "hovertemplate": f"%{{x}} — {series.name} : %{{y:,.1f}}<extra></extra>"}
        elif series.kind == "markers":
            trace = {"type": "scatter", "mode": "markers", "name": series.name, "x": x, "y": y,
                     "marker": {"color": colour, "symbol": SYMBOLS[i % len(SYMBOLS)], "size": 8},
                     "hovertemplate": f"%{{x}} — {series.name} : %{{y:,.1f}}<extra></extra>"}
            if series.lower is not None and series.upper is not None:
                trace["error_y"] = {"type": "data", "symmetric": False, "color": colour,
                                    "array": [None if u is None or v is None else u - v
                                              for u, v in zip(series.upper, y, strict=True)],
                                    "arrayminus": [None if lo is None or v is None else v - lo
                                                   for lo, v in zip(series.lower, y, strict=True)]}
        else:
            if series.lower is not None and series.upper is not None and not many:
                traces.append({"type": "scatter", "mode": "lines", "x": x + x[::-1],
                               "y": list(series.upper) + list(series.lower)[::-1], "fill": "toself",
                               "fillcolor": _rgba(colour, 0.15), "line": {"width": 0}, "hoverinfo": "skip",
                               "showlegend": False, "name": f"IC 95 % — {series.name}"})
            trace = {"type": "scatter", "mode": "lines" if many else "lines+markers", "name": series.name,
                     "x": x, "y": y,
                     "line": {"color": colour, "dash": DASHES[i % len(DASHES)], "width": 1 if many else 2},
                     "hovertemplate": f"%{{x}} — {series.name} : %{{y:,.2f}}<extra></extra>"}
            if not many:
                trace["marker"] = {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 6, "color": colour}
        traces.append(trace)
    shapes, annotations = [], []
    if chart.vline is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": chart.vline, "x1": chart.vline,
                       "y0": 0, "y1": 1, "line": {"color": "#495057", "dash": "dot", "width": 1}})
        if chart.vline_label:
            annotations.append({"x": chart.vline, "xref": "x", "y": 1, "yref": "paper", "text": chart.vline_label,
                                "showarrow": False, "xanchor": "left", "yanchor": "top",
                                "font": {"size": 11, "color": "#495057"}})
    if chart.hline is not None:
        shapes.append({"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": chart.hline,
                       "y1": chart.hline, "line": {"color": "#495057", "dash": "dot", "width": 1}})
    yaxis = {"title": {"text": chart.y_title}, "gridcolor": "#e9ecef", "zeroline": False}
    if heat:
        yaxis = {"automargin": True, "autorange": "reversed", "tickfont": {"size": 9}, "type": "category"}
        height = max(height, 14 * len(heat) + 120)
    if chart.y_range:
        yaxis["range"] = list(chart.y_range)
    return {"data": traces, "layout": base_layout(
        height=height, shapes=shapes, annotations=annotations, showlegend=not heat and not many,
        yaxis=yaxis, xaxis={"title": {"text": chart.x_title}, "automargin": True, "zeroline": False,
                            **date_axis(x)})}
