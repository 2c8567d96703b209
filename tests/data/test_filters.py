"""Filters live in the URL: parsing is forgiving, the canonical form round-trips."""
from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl

import pytest

from data.filters import Period, parse_filters

TODAY = date(2026, 11, 22)
TERRITORY = ("52", "54", "55")


def test_defaults_are_the_last_twelve_months_and_the_whole_territory():
    f = parse_filters({}, today=TODAY, territory=TERRITORY)
    assert (f.month_from, f.month_to, f.departements) == (date(2025, 12, 1), date(2026, 11, 1), ())
    assert f.period == Period(date(2025, 12, 1), date(2026, 11, 21))  # never past yesterday


def test_round_trip():
    f = parse_filters({"dep": "55,52", "du": "2025-03", "au": "2025-08"}, today=TODAY, territory=TERRITORY)
    assert f.departements == ("52", "55")
    again = parse_filters(dict(parse_qsl(f.to_query()[1:])), today=TODAY, territory=TERRITORY)
    assert again == f
    assert f.to_query() == "?dep=52,55&du=2025-03&au=2025-08"


@pytest.mark.parametrize("params", [
    {"dep": "99,<script>", "du": "2025-13", "au": "hier"},
    {"dep": "", "du": "", "au": ""},
    {"du": "2025-1", "au": "20251"},
])
def test_malformed_values_fall_back_to_defaults(params):
    f = parse_filters(params, today=TODAY, territory=TERRITORY)
    assert f == parse_filters({}, today=TODAY, territory=TERRITORY)


def test_reversed_months_are_swapped_and_future_is_capped():
    f = parse_filters({"du": "2026-05", "au": "2026-02"}, today=TODAY, territory=TERRITORY)
    assert (f.month_from, f.month_to) == (date(2026, 2, 1), date(2026, 5, 1))
    g = parse_filters({"au": "2030-01"}, today=TODAY, territory=TERRITORY)
    assert g.month_to == date(2026, 11, 1)


def test_previous_period_has_the_same_length():
    p = Period(date(2026, 1, 1), date(2026, 3, 31))
    assert p.previous() == Period(date(2025, 10, 3), date(2025, 12, 31))
    assert p.previous().days == p.days == 90


def test_epci_and_commune_round_trip_and_are_validated():
    f = parse_filters({"dep": "55", "epci": "200066033", "commune": "55029", "du": "2026-01", "au": "2026-03"},
                      today=TODAY, territory=TERRITORY)
    assert (f.epci, f.commune, f.finer_than_departement) == ("200066033", "55029", True)
    assert f.to_query() == "?dep=55&epci=200066033&commune=55029&du=2026-01&au=2026-03"
    assert parse_filters(dict(parse_qsl(f.to_query()[1:])), today=TODAY, territory=TERRITORY) == f
    # a commune outside the territory, outside the chosen départements, or malformed is dropped
    for params in ({"commune": "75056"}, {"dep": "52", "commune": "55029"}, {"commune": "55'--"},
                   {"epci": "2000<script>"}):
        g = parse_filters(params, today=TODAY, territory=TERRITORY)
        assert (g.epci, g.commune) == (None, None)
