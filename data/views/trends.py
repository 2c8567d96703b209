"""Comparisons with the previous period that say why they are absent (decided in the view, shown by cards).

A percentage is given only when both periods are real: the previous one lies wholly after the
dataset's first data, and it is not zero. Otherwise the card says why: the data starts later
(« comparaison impossible : données disponibles depuis mars 2025 »), there is nothing on either
period (« aucun service dans ce territoire »), or the figure is new (« nouveau : 0 sur la période
précédente »); a value masked by statistical secrecy hides its change too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from data.filters import Period
from data.formatting import fmt_change, fmt_month, fmt_number

# Arrow + words, so the direction never relies on colour alone.
TREND_UP, TREND_DOWN, TREND_FLAT = "▲ en hausse", "▼ en baisse", "● stable"
MASKED = "évolution masquée (secret statistique)"
NOT_COMPARABLE = "comparaison impossible"
NO_SERVICE = "aucun service dans ce territoire"
NEW = "nouveau"


@dataclass(frozen=True)
class Comparison:
    """How a headline figure compares with the period before: words, and the figures behind them."""

    trend: str  # arrow + words, or why there is no comparison
    detail: str  # the figures, or the reason's details
    pct: float | None = None


def trend_words(pct: float) -> str:
    if abs(pct) < 0.5:
        return TREND_FLAT
    return TREND_UP if pct > 0 else TREND_DOWN


def compare(value: float | None, previous: float | None, *, before: Period, first_day: date | None,
            decimals: int = 0, value_label: str | None = None, previous_label: str | None = None,
            nothing: str = NO_SERVICE) -> Comparison:
    """The comparison of `value` with `previous` (the figure of the period `before`).

    `first_day` is the first day the dataset has data (None: a stock known before any period, as the
    registry of professionals); `nothing` says what two zeros mean for this figure.
    """
    shown_previous = previous_label or fmt_number(previous, decimals)
    if value_label or previous_label:
        return Comparison(MASKED, f"période précédente : {shown_previous}")
    if value is None and previous is None:
        return Comparison(NOT_COMPARABLE, "aucune donnée sur ces périodes")
    if not value and not previous:
        return Comparison(nothing, "0 sur la période et sur la précédente")
    if first_day is not None and before.start < first_day:
        return Comparison(NOT_COMPARABLE, f"données disponibles depuis {fmt_month(first_day)}")
    if value is None or previous is None:
        return Comparison(NOT_COMPARABLE, "aucune donnée sur l'une des périodes")
    if previous == 0:
        return Comparison(NEW, "0 sur la période précédente")
    pct = (value - previous) / previous * 100
    return Comparison(trend_words(pct), f"{fmt_change(pct)} vs période précédente : {shown_previous}", pct)
