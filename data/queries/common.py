"""What every page query shares: the territory a caller may see, week buckets, secrecy on frames,
and the registry of tables that pages show and export.

Level of detail (DESIGN.md §4): at `detail` a dataset is shown per site / commune and the EPCI and
commune filters apply; at `summary` it is shown per département only, small counts hidden, and the
finer filters are not applied (a note says so) since they would isolate small numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.models import Commune, Dataset, Level, Site
from data.secrecy import protect_1d, protect_2d


@dataclass(frozen=True)
class Area:
    """The communes a query covers, after the caller's rights and the filters."""

    departements: tuple[str, ...]
    epci: str | None
    commune: str | None
    level: Level

    @property
    def summary(self) -> bool:
        return self.level == Level.SUMMARY

    @property
    def empty(self) -> bool:
        return not self.departements or self.level == Level.NONE

    def communes(self):
        """SELECT of the INSEE codes in the area."""
        stmt = select(Commune.insee).where(Commune.departement_code.in_(self.departements))
        if self.epci:
            stmt = stmt.where(Commune.epci_code == self.epci)
        if self.commune:
            stmt = stmt.where(Commune.insee == self.commune)
        return stmt

    def covers(self, insee_column):
        """Condition: a commune-code column lies in the area."""
        if self.empty:
            return ~true()
        return insee_column.in_(self.communes())

    def sites(self):
        """SELECT of the ids of the sites in the area."""
        return select(Site.id).where(self.covers(Site.commune_insee))


def area_for(scope: AccessScope, filters: Filters, dataset: Dataset) -> Area:
    level = scope.level(dataset)
    deps = scope.restrict(filters.departements) if level != Level.NONE else ()
    if level == Level.DETAIL:
        return Area(deps, filters.epci, filters.commune, level)
    return Area(deps, None, None, level)


def week_start(session: Session, day_col):
    """Monday of the ISO week of a date column, portable (SQLite / PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day_col, "weekday 0", "-6 days")
    return func.date_trunc("week", day_col).cast(day_col.type)


def month_start(session: Session, day_col):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day_col, "start of month")
    return func.date_trunc("month", day_col).cast(day_col.type)


def weekly_sums(session: Session, day_col, group, measures: tuple, where: tuple, columns: list[str],
                joins=lambda stmt: stmt) -> pd.DataFrame:
    """Sums of a daily rollup per ISO week and group (one query shape for every weekly chart):
    columns are week, group, then one per measure; weeks as dates, sums as integers."""
    week = week_start(session, day_col).label("week")
    stmt = joins(select(week, group, *measures))
    df = frame(session.execute(stmt.where(*where).group_by(week, group).order_by(week, group)).all(),
               columns=columns)
    if df.empty:
        return df
    df["week"] = as_date(df["week"])
    df[columns[2:]] = df[columns[2:]].fillna(0).astype(int)
    return df


def frame(rows, columns: list[str]) -> pd.DataFrame:
    """A DataFrame from query rows, turned into plain tuples first: pandas inspects each SQLAlchemy Row
    as a named tuple, ten times slower (18 ms instead of 2 for the 1,516 communes)."""
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def as_date(series: pd.Series) -> pd.Series:
    """SQLite returns computed dates as text: make them dates on both engines."""
    return pd.to_datetime(series).dt.date


# --- statistical secrecy on frames --------------------------------------------------------------

def protect_column(df: pd.DataFrame, column: str, *, by: str | None = None) -> pd.DataFrame:
    """Hide small counts of `column` (and their complements) — within each `by` group if given.

    Hidden cells become their label ("< 11" or "s"); the column turns to object dtype.
    """
    out = df.copy()
    out[column] = out[column].astype(object)
    groups = [(None, out)] if by is None else list(out.groupby(by, sort=False))
    for _, part in groups:
        labels = protect_1d({i: int(v) for i, v in part[column].items()})
        for i, label in labels.items():
            if label:
                out.at[i, column] = label
    return out


def protect_table(df: pd.DataFrame, row: str, col: str, column: str) -> pd.DataFrame:
    """Hide small counts of a (row × col) table published with its margins."""
    out = df.copy()
    out[column] = out[column].astype(object)
    cells = {(r, c): int(v) for r, c, v in zip(df[row], df[col], df[column], strict=True)}
    labels = protect_2d(cells)
    for i, (r, c) in enumerate(zip(df[row], df[col], strict=True)):
        if labels[(r, c)]:
            out.iat[i, out.columns.get_loc(column)] = labels[(r, c)]
    return out


def numeric(series: pd.Series) -> pd.Series:
    """Values for a chart: hidden cells (labels) become NaN."""
    return pd.to_numeric(series, errors="coerce")


def rate(num, den, *, min_den: int = 11, summary: bool = False) -> float | None:
    """A percentage; None when the denominator is zero, or below `min_den` at summary level."""
    if not den or (summary and den < min_den):
        return None
    return num / den * 100
