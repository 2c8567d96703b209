"""French number and date formats."""
from __future__ import annotations

from datetime import date

from data.filters import MONTH_NAMES_FR

NARROW_NBSP = "\u202f"  # French thousands separator
PLOTLY_SEPARATORS = ", "  # decimal comma, thin-space thousands (Plotly `separators`)


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    """1234567.8 → '1 234 567,8' (narrow no-break spaces); None → '—'."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def fmt_measure(value: float | int | None, decimals: int = 1) -> str:
    """A measured value: whole numbers without decimals (12 → '12'), others with `decimals` (12.5 → '12,5')."""
    if value is None:
        return "—"
    return fmt_number(value, 0 if float(value).is_integer() else decimals)


def fmt_change(pct: float | None) -> str:
    """Signed percentage with French typography: '+12,3 %' / '−4,0 %'."""
    if pct is None:
        return "—"
    sign = "+" if pct > 0 else "\u2212" if pct < 0 else ""
    return f"{sign}{fmt_number(abs(pct), 1)}\u00a0%"


def fmt_date(d: date | None) -> str:
    """2026-11-03 → '3 novembre 2026'."""
    if d is None:
        return "—"
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTH_NAMES_FR[d.month - 1]} {d.year}"
