"""Chart series of a view: categories on the x axis, one list of values per series (None = hidden)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data.queries.common import numeric


@dataclass(frozen=True)
class WeeklySeries:
    """Bars per period and group; a value hidden by statistical secrecy is None (and `masked` says so)."""

    x: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    masked: bool = False
    x_title: str = "Semaine du"

    @property
    def empty(self) -> bool:
        return not self.x

    def as_dict(self) -> dict[str, list[float | None]]:
        return {name: list(values) for name, values in self.series}


def weekly_series(df: pd.DataFrame, *, x: str, group: str, value: str, order: list[str] | None = None,
                  fill: float | None = None, x_title: str = "Semaine du",
                  x_labels: dict[str, str] | None = None) -> WeeklySeries:
    """Pivot (x, group, value) rows into series, biggest group first unless `order` is given; x sorted on
    its own values (ISO dates, months as 'YYYY-MM-01'), then shown as `x_labels` says."""
    if df.empty:
        return WeeklySeries((), ())
    values = numeric(df[value])
    pivot = (df.assign(_v=values).pivot_table(index=x, columns=group, values="_v", aggfunc="sum", dropna=False)
             .sort_index())
    if fill is not None:
        pivot = pivot.fillna(fill)
    groups = [g for g in order if g in pivot.columns] if order else list(
        pivot.sum().sort_values(ascending=False).index)
    labels = tuple((x_labels or {}).get(str(k), k.isoformat() if hasattr(k, "isoformat") else str(k))
                   for k in pivot.index)
    return WeeklySeries(labels, tuple((str(g), tuple(None if v != v else float(v) for v in pivot[g])) for g in groups),
                        masked=bool(values.isna().any()), x_title=x_title)
