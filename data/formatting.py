"""The one French formatting layer: numbers, signed numbers, percentages, dates, times (one clock:
Europe/Paris), months, plurals and elision — used by views, cards, captions, hovers, tables, exports
and chart axes alike.

Conventions: datetimes stored by the app are naive UTC (`data.users.utcnow`); every displayed time is
converted to Europe/Paris here, never elsewhere.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from data.filters import MONTH_NAMES_FR

NARROW_NBSP = "\u202f"  # French thousands separator
NBSP = "\u00a0"
MINUS = "\u2212"  # the true minus sign of a negative number
PLOTLY_SEPARATORS = ", "  # decimal comma, thin-space thousands (Plotly `separators`)
PARIS = ZoneInfo("Europe/Paris")
PARIS_LABEL = "heure de Paris"
MONTH_ABBR_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
DAY_NAMES_FR = ("dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
DAY_ABBR_FR = ("dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam.")
# Words whose initial h is aspirated: no elision (« de Haute-Marne », « de Hannonville »).
H_ASPIRE = re.compile(r"^H(a|â|e|o|u)", re.IGNORECASE)
VOWEL = re.compile(r"^[AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ]", re.IGNORECASE)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- numbers -------------------------------------------------------------------------------------

def guillemets(text: str) -> str:
    """French quotation marks held to their words by no-break spaces (« < 11 » never splits over two lines)."""
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»").replace("< 11", f"<{NBSP}11")


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    """1234567.8 → '1 234 567,8' (narrow no-break spaces), -3 → '−3' (true minus); None/NaN → '—'."""
    if _missing(value):
        return "—"
    text = f"{abs(value):,.{decimals}f}".replace(",", NARROW_NBSP).replace(".", ",")
    negative = value < 0 and any(ch not in "0,\u202f" for ch in text)  # « −0,0 » reads « 0,0 »
    return (MINUS if negative else "") + text


def fmt_signed(value: float | int | None, decimals: int = 0) -> str:
    """A difference: '+3', '−3', '0' (a sign only when the shown number is not zero)."""
    if _missing(value):
        return "—"
    text = fmt_number(value, decimals)
    return "+" + text if value > 0 and text.strip("0,") else text


def fmt_measure(value: float | int | None, decimals: int = 1) -> str:
    """A measured value: whole numbers without decimals (12 → '12'), others with `decimals` (12.5 → '12,5')."""
    if _missing(value):
        return "—"
    return fmt_number(value, 0 if float(value).is_integer() else decimals)


def fmt_percent(value: float | int | None, decimals: int = 1) -> str:
    """A share already in percent: 12.34 → '12,3 %' (no-break space before %)."""
    if _missing(value):
        return "—"
    return f"{fmt_number(value, decimals)}{NBSP}%"


def fmt_change(pct: float | None) -> str:
    """Signed percentage with French typography: '+12,3 %' / '−4,0 %'."""
    if _missing(pct):
        return "—"
    return f"{fmt_signed(pct, 1)}{NBSP}%"


def csv_number(value: float | int) -> str:
    """A number for a French spreadsheet's CSV: decimal comma, no thousands separator ('-0,21')."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    text = f"{float(value):.10f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")  # ASCII hyphen-minus: what a spreadsheet parses as a negative number


# --- plurals and elision ---------------------------------------------------------------------------

def plural(n: float | int | None, singular: str, plural_form: str | None = None, *, decimals: int = 0) -> str:
    """« 0 commune », « 1 commune », « 3 communes », « 1 234 communes » (French: below 2 is singular)."""
    word = singular if n is None or abs(n) < 2 else (plural_form or singular + "s")
    return f"{fmt_number(n, decimals)} {word}"


def de(name: str) -> str:
    """« de » before a name, elided or contracted: « d'Andelot », « du Mans » (Le), « des Islettes » (Les),
    « de Bar-le-Duc », « de Haute-Marne » (aspirated h)."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if VOWEL.match(name) or (name[:1] in "Hh" and not H_ASPIRE.match(name)):
        return "d'" + name
    return "de " + name


# --- dates ---------------------------------------------------------------------------------------

def fmt_date(d: date | None) -> str:
    """2026-11-03 → '3 novembre 2026', 2026-11-01 → '1er novembre 2026'."""
    if d is None:
        return "—"
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTH_NAMES_FR[d.month - 1]} {d.year}"


def fmt_date_short(d: date | None) -> str:
    """2026-11-03 → '3 nov. 2026' (axis ticks, compact tables)."""
    if d is None:
        return "—"
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTH_ABBR_FR[d.month - 1]} {d.year}"


def fmt_month(d: date | None, *, short: bool = False) -> str:
    """2026-06-01 → 'juin 2026' ('juin 2026' / 'janv. 2026' short)."""
    if d is None:
        return "—"
    return f"{(MONTH_ABBR_FR if short else MONTH_NAMES_FR)[d.month - 1]} {d.year}"


def fmt_month_range(first: date, last: date) -> str:
    """Whole months from `first` to `last`: 'janvier 2025 – juin 2025', or 'mars 2026' for one month."""
    if (first.year, first.month) == (last.year, last.month):
        return fmt_month(first)
    return f"{fmt_month(first)} – {fmt_month(last)}"


# --- the one clock -------------------------------------------------------------------------------

def to_paris(moment: datetime) -> datetime:
    """A stored (naive UTC) or aware datetime, as an aware Europe/Paris datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def now_paris() -> datetime:
    return datetime.now(PARIS)


def paris_naive(moment: datetime) -> datetime:
    """Europe/Paris wall-clock time without tzinfo (what a spreadsheet cell can hold)."""
    return to_paris(moment).replace(tzinfo=None)


def fmt_time(moment: datetime | None, *, seconds: bool = False, label: bool = True) -> str:
    """'20:53 (heure de Paris)' — the label where a bare time would be ambiguous."""
    if moment is None:
        return "—"
    text = to_paris(moment).strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{text} ({PARIS_LABEL})" if label else text


def fmt_clock(moment: datetime | None) -> str:
    """« 9 h 05 »: a time of day in running French text, Europe/Paris (its sentence says « heure de Paris »)."""
    if moment is None:
        return "—"
    local = to_paris(moment)
    return f"{local.hour}{NBSP}h{NBSP}{local.minute:02d}"


def fmt_datetime(moment: datetime | None, *, label: bool = False, seconds: bool = False) -> str:
    """'01/12/2026 20:53' in Europe/Paris ('… (heure de Paris)' with `label`)."""
    if moment is None:
        return "—"
    local = to_paris(moment)
    text = local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")
    return f"{text} ({PARIS_LABEL})" if label else text


def fmt_datetime_long(moment: datetime | None) -> str:
    """'1er décembre 2026 à 20:53 (heure de Paris)'."""
    if moment is None:
        return "—"
    local = to_paris(moment)
    return f"{fmt_date(local.date())} à {local:%H:%M} ({PARIS_LABEL})"


def updated_at(moment: datetime | None = None, *, served: bool = False) -> str:
    """'Mis à jour à 20:53:21 (heure de Paris)': the stamp of a refreshed page; `served`: its figures are those
    computed at `moment` (a live view served a few seconds old), 'Données de 20:53:11 (heure de Paris)'."""
    return f"{'Données de' if served else 'Mis à jour à'} {fmt_time(moment or now_paris(), seconds=True)}"


# --- Plotly: the same words on the browser side ----------------------------------------------------

PLOTLY_LOCALE = "fr"
# Per-plot overrides of the vendored `fr` locale (assets/vendor/plotly-locale-fr.js), whose month
# abbreviations (« Jun », « Jul », « Déc ») are not French typography; Plotly reads these first.
PLOTLY_LOCALES = {PLOTLY_LOCALE: {"format": {
    "months": list(MONTH_NAMES_FR), "shortMonths": list(MONTH_ABBR_FR),
    "days": list(DAY_NAMES_FR), "shortDays": list(DAY_ABBR_FR),
    "decimal": ",", "thousands": NARROW_NBSP, "date": "%d/%m/%Y",
    "year": "%Y", "month": "%b %Y", "dayMonth": "%-d %b", "dayMonthYear": "%-d %b %Y",
}}}
