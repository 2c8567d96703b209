"""Map legends and credits: a capped colour scale says « ≥ », circles sized by a count have a size legend
drawn with the markers' own sizing rule, and every map figure the views produce carries the sources' credit."""
from __future__ import annotations

from contextvars import copy_context

import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate

from callbacks._access import REGISTRY
from components.choropleth import colour_ticks, commune_choropleth
from components.maps import map_credit, size_legend, view_map
from data.geography import POPULATION_YEAR
from data.views.base import MapView, PointLayer, SizeScale, reference_values


def _choropleth(values, zmax):
    codes = [f"55{i:03d}" for i in range(len(values))]
    return commune_choropleth(geojson_url="/geo/x.geojson", codes=codes, values=values, value_hover="%{z}",
                              colorbar_title="Pour 10 000 hab.", bounds=([48.5, 49.5], [5.0, 5.8]), zmax=zmax)


def test_a_capped_scale_says_its_top_tick_is_a_minimum():
    bar = _choropleth([0.0, 4.2, 12.0, 103.3], zmax=16)["data"][0]["colorbar"]
    assert bar["ticktext"][-1] == "≥ 16" and bar["tickvals"][-1] == 16
    assert bar["ticktext"][:-1] == ["0", "5", "10"]  # round ticks below, none crowding the top one
    uncapped = _choropleth([0.0, 4.2, 12.0], zmax=16)["data"][0]["colorbar"]
    assert not any("≥" in t for t in uncapped["ticktext"])  # no « ≥ » when nothing is above the scale
    assert colour_ticks(2.5, capped=True)[1][-1] == "≥ 2,5"  # French decimal comma


def test_the_colour_bar_sits_inside_the_map_below_the_buttons():
    bar = _choropleth([1.0, 2.0], zmax=None)["data"][0]["colorbar"]
    assert bar["xanchor"] == "right" and bar["x"] <= 1  # inside, not cropping a narrow map
    assert bar["y"] + bar["len"] <= 0.9  # the top leaves the mode bar's row free


def test_size_legend_values_are_round_and_drawn_with_the_markers_rule():
    assert reference_values(1234) == (20, 200, 1000)
    assert reference_values(7) == (1, 5) and reference_values(1) == (1,) and reference_values(0) == ()
    scale = SizeScale(base=8, span=34, top=1234)
    legend = scale.legend("Séances réalisées")
    assert legend.values == (20, 200, 1000) and legend.sizes == scale.sizes((20, 200, 1000))
    assert scale.size(1234) == 42 and scale.size(0) == 8
    shapes, labels = size_legend(legend, "#0072B2")
    assert [round(s["x1"] - s["x0"], 6) for s in shapes] == [round(v, 6) for v in legend.sizes]
    assert [a["text"] for a in labels] == ["Séances réalisées :", "20", "200", "1\u202f000"]


def test_a_sized_point_layer_gets_its_legend_and_the_credit():
    scale = SizeScale(base=7, span=26, top=500)
    layer = PointLayer("Communes", (48.8, 49.0), (5.2, 5.4), ("a", "b"), "#009E73", size=scale.sizes((500, 20)),
                       size_legend=scale.legend("Consultations"))
    figure = view_map(MapView(None, (layer,), ((48.8, 49.0), (5.2, 5.4)), "x"), geojson_url=lambda level: "/g")
    circles = [s for s in figure["layout"]["shapes"] if s["type"] == "circle"]
    assert len(circles) == 3 and figure["layout"]["map"]["domain"]["y"][0] > 0  # a strip under the map
    texts = [a["text"] for a in figure["layout"]["annotations"]]
    assert "Consultations :" in texts and map_credit(None) in texts
    assert figure["data"][0]["marker"]["size"] == list(scale.sizes((500, 20)))


def test_the_credit_names_the_sources_and_the_base_map_only_when_there_is_one():
    assert map_credit(None) == f"Sources : IGN Admin Express, INSEE {POPULATION_YEAR}"
    assert map_credit("https://tile.example/{z}/{x}/{y}.png").endswith("— fond © OpenStreetMap")


def _run(entry):
    def call():
        context_value.set(AttributeDict(triggered_inputs=[], inputs_list=[], states_list=[], outputs_list=[]))
        return entry.func(*entry.sample_args)
    return copy_context().run(call)


def _maps(value):
    """Every figure holding a map subplot in a callback result."""
    if isinstance(value, dict):
        if "map" in (value.get("layout") or {}):
            yield value
        for v in value.values():
            yield from _maps(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _maps(v)


@pytest.mark.parametrize("email", ["admin@demo.e-meuse-sante.fr", "usagers@demo.e-meuse-sante.fr"],
                         ids=["detail", "summary"])
def test_every_map_figure_of_every_callback_carries_the_credit(as_user, email):
    found = 0
    for entry in REGISTRY:
        with as_user(email):
            try:
                result = _run(entry)
            except PreventUpdate:
                continue
        for figure in _maps(result):
            found += 1
            texts = [a.get("text") for a in figure["layout"].get("annotations", [])]
            assert map_credit(None) in texts, entry.func.__name__
    assert found >= 4  # overview, téléconsultation, cabinets mobiles, professionnels, couverture
