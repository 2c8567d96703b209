"""Codecs between a page control's value and its URL query parameter (the browser is not trusted).

A codec turns the raw text of a query parameter into the value a control holds (`decode`: junk or
absent gives the default), and a control's value back into the parameter's text (`encode`: the
default, or anything invalid, gives None: the parameter is left out of the URL). `clean` validates a
value a browser sent for the control: what a callback reads. No Dash here: views and exports use the
same codecs as the page controls (`components/url_state.py` binds them to component ids).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

_DECIMAL_RE = re.compile(r"^ *([0-9]{1,4})(?:[.,]([0-9]{1,6}))? *$")  # ASCII digits only


def parse_decimal(raw) -> float | None:
    """« 2,5 », « 2.5 », « 3 » (or a number) → 2.5 / 3.0; anything else (signs, exponents, text) → None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) if math.isfinite(raw) else None
    if not isinstance(raw, str):
        return None
    m = _DECIMAL_RE.match(raw)
    if not m:
        return None
    return float(f"{m.group(1)}.{m.group(2) or '0'}")


def fmt_decimal_fr(value: float, digits: int) -> str:
    """2.5 → « 2,5 », 3.0 → « 3 » (no trailing zeros), French decimal comma."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",")


class Codec:
    default: object

    def decode(self, raw: str | None):
        raise NotImplementedError

    def encode(self, value) -> str | None:
        raise NotImplementedError

    def clean(self, value):
        """A value sent by the browser for the control, validated (invalid → the default)."""
        encoded = self.encode(value)
        return self.default if encoded is None else self.decode(encoded)


@dataclass(frozen=True)
class Choice(Codec):
    """One of a fixed set of keys (a select, radio items)."""

    choices: tuple[str, ...]
    default: str

    def decode(self, raw):
        return raw if isinstance(raw, str) and raw in self.choices else self.default

    def encode(self, value):
        return value if isinstance(value, str) and value in self.choices and value != self.default else None


def choice(keys: Iterable[str], default: str | None = None) -> Choice:
    keys = tuple(keys)
    return Choice(keys, default if default is not None else keys[0])


@dataclass(frozen=True)
class Subset(Codec):
    """Some of a fixed set of keys (a checklist), comma-separated in the URL; `none` for an empty choice."""

    choices: tuple[str, ...]
    default: tuple[str, ...]
    none: str = "aucune"

    def _ordered(self, keys) -> list[str]:
        chosen = set(keys)
        return [k for k in self.choices if k in chosen]

    def decode(self, raw):
        if not isinstance(raw, str) or not raw.strip():
            return list(self.default)
        if raw.strip() == self.none:
            return []
        keys = self._ordered(k.strip() for k in raw.split(","))
        return keys if keys else list(self.default)

    def encode(self, value):
        if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
            return None
        keys = self._ordered(value)
        if keys == self._ordered(self.default):
            return None
        return ",".join(keys) if keys else self.none

    def clean(self, value):
        encoded = self.encode(value)
        return list(self._ordered(self.default)) if encoded is None else self.decode(encoded)


@dataclass(frozen=True)
class Switch(Codec):
    """A single checkbox (a checklist of one option `on`); the URL says `flag` only when it differs
    from the default state."""

    on: str
    default_on: bool
    flag: str = "1"

    @property
    def default(self):
        return [self.on] if self.default_on else []

    def decode(self, raw):
        checked = (not self.default_on) if raw == self.flag else self.default_on
        return [self.on] if checked else []

    def encode(self, value):
        if not isinstance(value, list | tuple):
            return None
        checked = self.on in value
        return self.flag if checked != self.default_on else None


@dataclass(frozen=True)
class Decimal(Codec):
    """A number typed in a text field: shown with a French decimal comma (« 2,5 »), read with a comma or a
    point, within [lo, hi]; written to the URL with a point (`2.5`), the form every client reads."""

    default_value: float
    lo: float
    hi: float
    digits: int = 2

    @property
    def default(self) -> str:
        return fmt_decimal_fr(self.default_value, self.digits)

    def number(self, value) -> float | None:
        """The value as a number, or None when it is not a valid one (empty, junk, out of range)."""
        n = parse_decimal(value)
        if n is None or not self.lo <= n <= self.hi:
            return None
        return round(n, self.digits)

    def value(self, raw) -> float:
        """The number a view uses: the valid one, else the default."""
        n = self.number(raw)
        return self.default_value if n is None else n

    def decode(self, raw):
        return fmt_decimal_fr(self.value(raw), self.digits)

    def encode(self, value):
        n = self.number(value)
        if n is None or n == self.default_value:
            return None
        return f"{n:g}"
