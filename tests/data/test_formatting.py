"""The French formatting layer (data/formatting.py), comparisons (data/views/trends.py), audit details in words."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from data.audit_text import describe
from data.filters import Period
from data.formatting import (
    MINUS,
    NARROW_NBSP,
    NBSP,
    PLOTLY_LOCALES,
    csv_number,
    de,
    fmt_change,
    fmt_date,
    fmt_date_short,
    fmt_datetime,
    fmt_datetime_long,
    fmt_measure,
    fmt_month,
    fmt_month_range,
    fmt_number,
    fmt_percent,
    fmt_signed,
    fmt_time,
    paris_naive,
    plural,
    to_paris,
    updated_at,
)
from data.views.trends import MASKED, NEW, NO_SERVICE, NOT_COMPARABLE, TREND_DOWN, TREND_FLAT, TREND_UP, compare


@pytest.mark.parametrize("value, decimals, expected", [
    (1234567.8, 1, f"1{NARROW_NBSP}234{NARROW_NBSP}567,8"), (0.21, 2, "0,21"), (-3, 0, f"{MINUS}3"),
    (-1234.5, 1, f"{MINUS}1{NARROW_NBSP}234,5"), (-0.04, 1, "0,0"), (None, 0, "—"), (float("nan"), 1, "—"),
    (12, 0, "12"),
])
def test_numbers(value, decimals, expected):
    assert fmt_number(value, decimals) == expected


def test_signed_numbers_percentages_and_measures():
    assert [fmt_signed(v) for v in (3, -3, 0)] == ["+3", f"{MINUS}3", "0"]
    assert fmt_signed(0.01, 1) == "0,0"  # no sign on a number shown as zero
    assert fmt_change(1206) == f"+1{NARROW_NBSP}206,0{NBSP}%" and fmt_change(-4) == f"{MINUS}4,0{NBSP}%"
    assert fmt_percent(12.34) == f"12,3{NBSP}%" and fmt_percent(None) == "—"
    assert fmt_measure(12.0) == "12" and fmt_measure(12.54) == "12,5"


def test_csv_numbers_are_what_french_excel_parses():
    assert [csv_number(v) for v in (0.21, -0.5, 1234, 12.0, 1 / 3, True)] == [
        "0,21", "-0,5", "1234", "12", "0,3333333333", "oui"]


@pytest.mark.parametrize("n, expected", [(0, "0 commune"), (1, "1 commune"), (1.5, "1,5 commune"),
                                         (2, "2 communes"), (1234, f"1{NARROW_NBSP}234 communes")])
def test_plurals(n, expected):
    assert plural(n, "commune", decimals=1 if n == 1.5 else 0) == expected


def test_irregular_plurals():
    assert plural(3, "journal", "journaux") == "3 journaux" and plural(1, "mois", "mois") == "1 mois"


@pytest.mark.parametrize("name, expected", [
    ("Andelot-Blancheville", "d'Andelot-Blancheville"), ("Étain", "d'Étain"), ("Euville", "d'Euville"),
    ("Le Bouchon-sur-Saulx", "du Bouchon-sur-Saulx"), ("Les Islettes", "des Islettes"),
    ("La Chaussée", "de La Chaussée"), ("Bar-le-Duc", "de Bar-le-Duc"), ("Haute-Marne", "de Haute-Marne"),
    ("Heudicourt-sous-les-Côtes", "de Heudicourt-sous-les-Côtes"), ("Hymont", "d'Hymont"),
    ("infirmiers", "d'infirmiers"), ("médecins généralistes", "de médecins généralistes"),
])
def test_elision(name, expected):
    assert de(name) == expected


def test_dates_and_months():
    assert fmt_date(date(2026, 11, 1)) == "1er novembre 2026" and fmt_date(date(2026, 11, 3)) == "3 novembre 2026"
    assert fmt_date_short(date(2026, 12, 1)) == "1er déc. 2026"
    assert fmt_month(date(2026, 6, 1)) == "juin 2026" and fmt_month(date(2026, 7, 1), short=True) == "juil. 2026"
    assert fmt_month_range(date(2025, 1, 1), date(2025, 6, 1)) == "janvier 2025 – juin 2025"
    assert fmt_month_range(date(2025, 3, 1), date(2025, 3, 1)) == "mars 2025"


def test_one_clock_europe_paris():
    winter, summer = datetime(2026, 12, 1, 19, 51), datetime(2026, 7, 1, 19, 51)  # stored naive UTC
    assert fmt_time(winter) == "20:51 (heure de Paris)" and fmt_time(summer, label=False) == "21:51"
    assert fmt_datetime(winter) == "01/12/2026 20:51"
    assert fmt_datetime(datetime(2026, 12, 1, 23, 30)) == "02/12/2026 00:30"  # the day changes too
    assert fmt_datetime_long(winter) == "1er décembre 2026 à 20:51 (heure de Paris)"
    aware = datetime(2026, 12, 1, 19, 51, tzinfo=UTC)
    assert to_paris(aware) == to_paris(winter) and paris_naive(winter) == datetime(2026, 12, 1, 20, 51)
    assert updated_at(aware).startswith("Mis à jour à 20:51:00") and updated_at(aware).endswith("(heure de Paris)")


def test_plotly_months_are_french_abbreviations():
    fmt = PLOTLY_LOCALES["fr"]["format"]
    assert fmt["shortMonths"] == ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                                  "nov.", "déc."]
    assert fmt["months"][11] == "décembre" and fmt["decimal"] == ","


# --- comparisons with the previous period ------------------------------------------------------------

H2_2024, H1_2025 = Period(date(2024, 7, 1), date(2024, 12, 31)), Period(date(2025, 1, 1), date(2025, 6, 30))
START = date(2024, 11, 1)


def test_previous_period_before_the_data_gives_no_percentage():
    c = compare(875, 67, before=H2_2024, first_day=START)
    assert (c.trend, c.detail, c.pct) == (NOT_COMPARABLE, "données disponibles depuis novembre 2024", None)


def test_zero_on_both_periods_means_no_service():
    assert compare(0, 0, before=H1_2025, first_day=START).trend == NO_SERVICE
    assert compare(0, 0, before=H1_2025, first_day=START, nothing="aucun médecin").trend == "aucun médecin"


def test_new_and_real_changes():
    assert compare(12, 0, before=H1_2025, first_day=START).trend == NEW
    up = compare(150, 100, before=H1_2025, first_day=START)
    assert up.trend == TREND_UP and up.pct == pytest.approx(50)
    assert "+50,0" in up.detail and "précédente : 100" in up.detail
    assert compare(90, 100, before=H1_2025, first_day=START).trend == TREND_DOWN
    assert compare(1001, 1000, before=H1_2025, first_day=START).trend == TREND_FLAT
    assert compare(1.5, 1.2, before=H1_2025, first_day=None, decimals=1).pct == pytest.approx(25)  # a stock


def test_a_masked_value_masks_its_change():
    c = compare(None, 40, before=H1_2025, first_day=START, value_label="< 11")
    assert c.trend == MASKED and c.pct is None


# --- audit details ---------------------------------------------------------------------------------

def test_audit_details_in_french():
    assert describe("grant.update", {"before": "summary", "after": "none"}) == "niveau : synthèse → aucun"
    before = {"email": "a@b.fr", "role": "member", "college": "usagers", "departements": ["55"], "active": True}
    after = {**before, "role": "admin", "departements": None, "active": False}
    assert describe("user.update", {"before": before, "after": after}) == (
        "rôle : membre → administrateur ; départements : 55 → tous ; actif : oui → non")
    assert describe("session.revoke", {"sessions": 1, "by": "user"}) == (
        "1 session terminée ; par : l'utilisateur lui-même")
    text = describe("export", {"format": "csv", "query": "?dep=55&du=2025-01&au=2025-06", "params": {}, "rows": 12})
    assert text == "format : CSV ; filtres : départements 55 ; du janvier 2025 ; au juin 2025 ; 12 lignes"
    assert "{" not in describe("apikey.issue", {"prefix": "ab12", "replaced_previous": False, "feed_kind": "biology"})
    assert describe("logout", None) == ""
