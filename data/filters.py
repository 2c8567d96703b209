"""Shared dashboard filters (départements, EPCI, commune, period) and their URL query-string form."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

MONTH_NAMES_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                  "septembre", "octobre", "novembre", "décembre")
DEFAULT_MONTHS = 12


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, 1)


def month_end(d: date) -> date:
    return add_months(month_start(d), 1) - timedelta(days=1)


def month_label(d: date) -> str:
    return f"{MONTH_NAMES_FR[d.month - 1]} {d.year}"


def parse_month(value: str | None) -> date | None:
    """'2026-03' → 2026-03-01; anything else → None."""
    if not value or len(value) != 7 or value[4] != "-":
        return None
    try:
        return date(int(value[:4]), int(value[5:]), 1)
    except ValueError:
        return None


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The span of the same length just before, for 'change over the period'."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)


EPCI_RE = re.compile(r"^\d{9}$")          # SIREN of the EPCI
INSEE_RE = re.compile(r"^\d[\dAB]\d{3}$")   # commune code (Corsica: 2A / 2B)


@dataclass(frozen=True)
class Filters:
    departements: tuple[str, ...]
    month_from: date
    month_to: date
    today: date
    epci: str | None = None
    commune: str | None = None

    @property
    def finer_than_departement(self) -> bool:
        return bool(self.epci or self.commune)

    @property
    def period(self) -> Period:
        """From the first day of `month_from` to the end of `month_to`, never past yesterday."""
        end = min(month_end(self.month_to), self.today - timedelta(days=1))
        return Period(self.month_from, max(end, self.month_from))

    def to_query(self) -> str:
        params = {"du": self.month_from.strftime("%Y-%m"), "au": self.month_to.strftime("%Y-%m")}
        if self.commune:
            params = {"commune": self.commune, **params}
        if self.epci:
            params = {"epci": self.epci, **params}
        if self.departements:
            params = {"dep": ",".join(self.departements), **params}
        return "?" + urlencode(params, safe=",")


def parse_filters(params: Mapping[str, str | None], *, today: date, territory: tuple[str, ...]) -> Filters:
    """Read filters from query parameters; unknown or malformed values fall back to defaults."""
    raw = params.get("dep") or ""
    deps = tuple(sorted({d.strip() for d in raw.split(",") if d.strip() in territory}))
    current = month_start(today)
    month_to = parse_month(params.get("au")) or current
    month_to = min(month_to, current)
    month_from = parse_month(params.get("du")) or add_months(month_to, -(DEFAULT_MONTHS - 1))
    if month_from > month_to:
        month_from, month_to = month_to, month_from
    epci = (params.get("epci") or "").strip()
    commune = (params.get("commune") or "").strip().upper()
    commune_ok = INSEE_RE.match(commune) and commune[:2] in territory and (not deps or commune[:2] in deps)
    return Filters(deps, month_from, month_to, today, epci if EPCI_RE.match(epci) else None,
                   commune if commune_ok else None)


def month_options(today: date, months: int = 36) -> list[date]:
    """Selectable months, newest first."""
    current = month_start(today)
    return [add_months(current, -i) for i in range(months)]
