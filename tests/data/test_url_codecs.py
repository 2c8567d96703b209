"""Codecs of the page controls kept in the URL: round trips, defaults left out, junk falls back."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.url_state import PAGE_CONTROLS, clean_values, initial_values, own_query
from data.url_codecs import Choice, Decimal, Subset, Switch, parse_decimal
from data.views.coverage import EXCLUDE_65, LAYERS_CODEC, THRESHOLD, options_from_args
from data.views.workforce import PROFESSION

JUNK = [None, "", " ", "<script>", "1e3", "-1", "nan", "inf", "2,5,5", "0x10", "٣", 12, ["a"], {"a": 1}, True]


@pytest.mark.parametrize("typed,number", [("2,5", 2.5), ("2.5", 2.5), (" 3 ", 3.0), ("0", 0.0), ("20", 20.0),
                                          ("1,25", 1.25), (2.5, 2.5), (3, 3.0)])
def test_a_threshold_is_read_with_a_comma_or_a_point(typed, number):
    assert THRESHOLD.number(typed) == number


@pytest.mark.parametrize("junk", [j for j in JUNK if j != 12] + ["20,5", "100", "2;5", "2,", "\t3"])
def test_a_junk_threshold_is_refused_and_falls_back_to_the_default(junk):
    assert THRESHOLD.number(junk) is None
    assert THRESHOLD.decode(junk) == "2,5" and THRESHOLD.encode(junk) is None and THRESHOLD.clean(junk) == "2,5"


def test_a_threshold_shows_in_french_and_travels_with_a_point():
    assert THRESHOLD.decode("3.5") == "3,5" == THRESHOLD.clean("3.5")
    assert THRESHOLD.encode("3,5") == "3.5"
    assert THRESHOLD.encode("2,5") is None  # the default stays out of the URL
    assert THRESHOLD.decode("4") == "4"


@given(st.decimals(min_value=0, max_value=20, places=2))
def test_threshold_round_trip(value):
    shown = THRESHOLD.decode(str(value))  # URL → field
    assert THRESHOLD.number(shown) == float(value)
    encoded = THRESHOLD.encode(shown)  # field → URL
    assert THRESHOLD.decode(encoded) == shown


@given(st.text(max_size=12))
def test_any_text_decodes_to_a_valid_value(raw):
    for codec in (THRESHOLD, EXCLUDE_65, LAYERS_CODEC, PROFESSION):
        value = codec.decode(raw)
        assert codec.clean(value) == value
    assert THRESHOLD.number(THRESHOLD.decode(raw)) is not None


def test_choice_round_trip_and_fallback():
    codec = Choice(("commune", "epci", "departement"), "commune")
    assert [codec.decode(codec.encode(v)) for v in codec.choices] == list(codec.choices)
    assert codec.encode("commune") is None and codec.encode("epci") == "epci"
    for junk in JUNK:
        assert codec.decode(junk) == "commune" and codec.clean(junk) == "commune"


def test_subset_round_trip_keeps_the_order_and_an_empty_choice():
    codec = Subset(("gp", "teleconsultation", "mobile", "biology"), ("teleconsultation", "mobile"))
    assert codec.encode(["mobile", "gp"]) == "gp,mobile" and codec.decode("gp,mobile") == ["gp", "mobile"]
    assert codec.encode([]) == "aucune" and codec.decode("aucune") == []
    assert codec.encode(["mobile", "teleconsultation"]) is None  # the default
    assert codec.decode("gp,pirate") == ["gp"]
    for junk in JUNK:
        assert codec.clean(junk) == ([] if junk == ["a"] else ["teleconsultation", "mobile"])  # unknown keys drop


def test_switch_says_only_the_change_from_its_default():
    codec = Switch(on="65", default_on=True)
    assert codec.decode(None) == ["65"] and codec.decode("1") == [] and codec.decode("oui") == ["65"]
    assert codec.encode([]) == "1" and codec.encode(["65"]) is None and codec.clean("nope") == ["65"]


def test_parse_decimal_refuses_what_float_would_accept():
    for raw in ("1e3", "nan", "inf", "-2", "+2", "1_000", " ", "²"):
        assert parse_decimal(raw) is None


def test_every_page_control_round_trips_through_its_url_parameter():
    for page, controls in PAGE_CONTROLS.items():
        defaults = initial_values(page, {})
        assert own_query(page, tuple(defaults.values())) == ""  # defaults leave the URL alone
        for c in controls:
            assert c.codec.clean(defaults[c.id]) == defaults[c.id]


def test_the_coverage_page_reads_its_url_like_its_export():
    query = {"seuil": "3,5", "avec65": "1", "couches": "gp,biology", "tri": "medecin"}
    values = initial_values("coverage", query)
    assert values == {"coverage-threshold": "3,5", "coverage-exclude": [], "coverage-layers": ["gp", "biology"],
                      "coverage-sort": "medecin"}
    assert own_query("coverage", tuple(values.values())) == "seuil=3.5&avec65=1&couches=gp,biology&tri=medecin"
    assert clean_values("coverage", ("3.5", [], ["biology", "gp"], "x")) == ("3,5", [], ["gp", "biology"],
                                                                            "habitants")
    from datetime import date

    from data.filters import Filters

    options = options_from_args(query, Filters(("55",), date(2026, 1, 1), date(2026, 6, 1), date(2026, 10, 31)))
    assert (options.threshold, options.exclude_65_plus, options.layers, options.sort) == (3.5, False, ("gp", "biology"),
                                                                                          "medecin")


def test_a_repeated_or_junk_parameter_falls_back():
    assert initial_values("workforce", {"profession": ["infirmier", "x"], "echelle": "<b>"}) == {
        "workforce-profession": "infirmier", "workforce-scale": "commune"}
    assert initial_values("programme", {"experience": "../../etc"})["programme-experiment"] == "prevention_ados"


def test_decimal_codec_limits():
    codec = Decimal(1.0, lo=0, hi=5, digits=1)
    assert codec.clean("4,96") == "5" and codec.clean("5,04") == "1"  # the range applies to what was typed
