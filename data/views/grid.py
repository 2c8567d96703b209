"""The summary level's publication grid: true counts per département × month (or stock date) × category,
read from the rollups in SQL, each cell published once by the cell-key method (data/secrecy.py).

Every summary-level count of a page comes from here, so the overview, the pages, their tables and
exports publish the same cells, and no answer is computed from the raw selection.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data.filters import Filters, Period, add_months, month_end
from data.filters import month_label as calendar_month_label
from data.models import BiologyDaily, Commune, HealthProfessional, MobileDaily, Site, TeleconsultationDaily
from data.queries.common import month_start
from data.queries.workforce import profession_clause
from data.secrecy import ZERO, Perturbation, Published, publish, published_sum

GRID_AGE_BANDS = ((0, 34, "moins de 35 ans"), (35, 44, "35–44 ans"), (45, 54, "45–54 ans"), (55, 59, "55–59 ans"),
                  (60, 61, "60–61 ans"), (62, 64, "62–64 ans"), (65, 69, "65–69 ans"), (70, 200, "70 ans et plus"))
SHOWN_BAND = {"60–61 ans": "60–64 ans", "62–64 ans": "60–64 ans"}  # two grid bands, one bar on the chart


@lru_cache(maxsize=4)
def _perturbation(key: str, table: str) -> Perturbation:
    return Perturbation.from_settings(key, table)


def perturbation() -> Perturbation:
    """The cell-key method's key and noise table, from the settings (SECRECY_KEY, SECRECY_NOISE)."""
    from settings import get_settings

    s = get_settings()
    return _perturbation(s.secrecy_key, s.secrecy_noise)


@dataclass(frozen=True)
class Grid:
    """Published cells of one measure: (département, period key, category) → Published."""

    measure: str
    cells: dict[tuple[str, str, str], Published]

    def select(self, *, deps: Iterable[str] | None = None, periods: Iterable[str] | None = None,
               categories: Iterable[str] | None = None) -> list[Published]:
        deps, periods, categories = (set(x) if x is not None else None for x in (deps, periods, categories))
        return [c for (d, p, k), c in self.cells.items()
                if (deps is None or d in deps) and (periods is None or p in periods)
                and (categories is None or k in categories)]

    def total(self, **where) -> Published:
        cells = self.select(**where)
        return published_sum(cells) if cells else ZERO


def _publish(measure: str, rows, p: Perturbation) -> Grid:
    cells = {}
    for dep, period, category, value in rows:
        coordinates = (measure, dep, str(period), str(category))
        cells[(dep, str(period), str(category))] = publish(int(value or 0), coordinates, p)
    return Grid(measure, cells)


def months(period: Period) -> list[str]:
    """The calendar months a period covers, as 'YYYY-MM-01' (the grid's period keys)."""
    out, m = [], period.start.replace(day=1)
    while m <= period.end:
        out.append(m.isoformat())
        m = add_months(m, 1)
    return out


def previous_months(filters: Filters) -> Period:
    """The same number of whole calendar months just before the filter's first month (grid periods only)."""
    n = len(months(filters.period))
    start = add_months(filters.month_from, -n)
    return Period(start, month_end(add_months(filters.month_from, -1)))


def _site_cells(session: Session, rollup, measures: dict, category, deps: tuple[str, ...], period: Period,
                *where) -> dict[str, list]:
    month = month_start(session, rollup.day)
    stmt = (select(Commune.departement_code, month, category, *measures.values())
            .select_from(rollup).join(Site, Site.id == rollup.site_id)
            .join(Commune, Commune.insee == Site.commune_insee)
            .where(Commune.departement_code.in_(deps), rollup.day.between(period.start, period.end), *where)
            .group_by(Commune.departement_code, month, category))
    rows = session.execute(stmt).all()
    return {name: [(r[0], _iso(r[1]), r[2], r[3 + i]) for r in rows] for i, name in enumerate(measures)}


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def teleconsultation_grids(session: Session, deps: tuple[str, ...], period: Period) -> dict[str, Grid]:
    """sessions per status; patients aged 75+ and minutes of completed sessions."""
    td = TeleconsultationDaily
    p = perturbation()
    raw = _site_cells(session, td, {"sessions": func.sum(td.sessions), "old": func.sum(td.patients_75_plus)},
                      td.status, deps, period)
    return {"sessions": _publish("teleconsultation.sessions", raw["sessions"], p),
            "old": _publish("teleconsultation.patients_75_plus",
                            [r for r in raw["old"] if r[2] == "completed"], p)}


def biology_grids(session: Session, deps: tuple[str, ...], period: Period) -> dict[str, Grid | dict]:
    """tests, abnormal results and results transmitted to a laboratory, per test (LOINC); and each cell's
    mean turnaround times (`s2r_mean`, `r2l_mean`)."""
    bd = BiologyDaily
    p = perturbation()
    raw = _site_cells(session, bd, {"tests": func.sum(bd.tests), "abnormal": func.sum(bd.abnormal),
                                    "transmitted": func.sum(bd.transmitted), "s2r": func.sum(bd.sample_to_result_min),
                                    "r2l": func.sum(bd.result_to_lab_min)}, bd.loinc, deps, period)
    grids = {name: _publish(f"biology.{name}", raw[name], p) for name in ("tests", "abnormal", "transmitted")}
    # mean turnaround of each cell (not a count, not published): a summary mean weighs them by the
    # published counts, so no combination of means gives a count back
    for name, base in (("s2r", "tests"), ("r2l", "transmitted")):
        counts = {(d, m, k): v for d, m, k, v in raw[base]}
        grids[f"{name}_mean"] = {(d, m, k): (v or 0) / counts[(d, m, k)] for d, m, k, v in raw[name]
                                 if counts.get((d, m, k))}
    return grids


def weighted_mean(means: dict[tuple[str, str, str], float], weights: Grid, **where) -> float | None:
    """Mean of cell means weighted by the cells' published counts (cells 1–10 weigh 0 or 11)."""
    keys = [k for k in means if k in weights.cells]
    wanted = {name: set(v) for name, v in where.items() if v is not None}
    index = {"deps": 0, "periods": 1, "categories": 2}
    keys = [k for k in keys if all(k[index[n]] in v for n, v in wanted.items())]
    total = sum(weights.cells[k].value for k in keys)
    return sum(means[k] * weights.cells[k].value for k in keys) / total if total else None


def mobile_grids(session: Session, deps: tuple[str, ...], period: Period) -> dict[str, Grid]:
    """stops per status; consultations, new patients and slots offered at completed stops."""
    md = MobileDaily
    p = perturbation()
    month = month_start(session, md.day)
    rows = session.execute(
        select(Commune.departement_code, month, md.status, func.sum(md.stops), func.sum(md.consultations),
               func.sum(md.new_patients), func.sum(md.slots_offered))
        .select_from(md).join(Commune, Commune.insee == md.commune_insee)
        .where(Commune.departement_code.in_(deps), md.day.between(period.start, period.end))
        .group_by(Commune.departement_code, month, md.status)).all()
    cells = [(d, _iso(m), s, n, c, np_, sl) for d, m, s, n, c, np_, sl in rows]
    done = [r for r in cells if r[2] == "completed"]
    return {"stops": _publish("mobile.stops", [r[:4] for r in cells], p),
            "consultations": _publish("mobile.consultations", [(*r[:3], r[4]) for r in done], p),
            "new_patients": _publish("mobile.new_patients", [(*r[:3], r[5]) for r in done], p),
            "slots": _publish("mobile.slots", [(*r[:3], r[6]) for r in done], p)}


def mobile_day_grid(session: Session, deps: tuple[str, ...], day: date) -> Grid:
    """Stops of one day per département and status (the « tournée du jour » at summary level): cells of their
    own (measure `mobile.stops.day`, period the day), published once each like every other cell."""
    md = MobileDaily
    rows = session.execute(
        select(Commune.departement_code, md.status, func.sum(md.stops))
        .select_from(md).join(Commune, Commune.insee == md.commune_insee)
        .where(Commune.departement_code.in_(deps), md.day == day)
        .group_by(Commune.departement_code, md.status)).all()
    return _publish("mobile.stops.day", [(d, day.isoformat(), status, n) for d, status, n in rows], perturbation())


def _band(age: int) -> str:
    return next(label for low, high, label in GRID_AGE_BANDS if low <= age <= high)


def workforce_stock(session: Session, deps: tuple[str, ...], profession: str, on: date) -> Grid:
    """Professionals active on a day, per département and age band (the stock's period key is the day)."""
    hp = HealthProfessional
    rows = session.execute(
        select(Commune.departement_code, hp.birth_year, func.count())
        .select_from(hp).join(Commune, Commune.insee == hp.commune_insee)
        .where(Commune.departement_code.in_(deps), profession_clause(profession), hp.activity_start <= on,
               or_(hp.activity_end.is_(None), hp.activity_end > on))
        .group_by(Commune.departement_code, hp.birth_year)).all()
    counts: dict[tuple[str, str], int] = {(d, label): 0 for d in deps for *_, label in GRID_AGE_BANDS}
    for dep, year, n in rows:
        counts[(dep, _band(on.year - year))] += int(n)
    return _publish(f"workforce.active.{profession}",
                    [(d, on.isoformat(), band, n) for (d, band), n in counts.items()], perturbation())


def quarter_period(period: Period) -> Period:
    """The whole calendar quarters a period touches (flows are published per quarter)."""
    start = period.start.replace(month=3 * ((period.start.month - 1) // 3) + 1, day=1)
    last = period.end.replace(month=3 * ((period.end.month - 1) // 3) + 3, day=1)
    return Period(start, month_end(last))


def workforce_flows(session: Session, deps: tuple[str, ...], profession: str, period: Period) -> Grid:
    """Arrivals (activity start) and departures (activity end) per département and whole quarter
    (quarters, not months: a month's flows are nearly all 1–10)."""
    hp = HealthProfessional
    span = quarter_period(period)
    counts: dict[tuple[str, str, str], int] = {}
    for kind, column in (("arrivals", hp.activity_start), ("departures", hp.activity_end)):
        month = month_start(session, column)
        rows = session.execute(
            select(Commune.departement_code, month, func.count())
            .select_from(hp).join(Commune, Commune.insee == hp.commune_insee)
            .where(Commune.departement_code.in_(deps), profession_clause(profession),
                   and_(column >= span.start, column <= span.end))
            .group_by(Commune.departement_code, month)).all()
        for d, m, n in rows:
            key = (d, quarter_of(_iso(m)), kind)
            counts[key] = counts.get(key, 0) + int(n)
    return _publish(f"workforce.flows.{profession}", [(*k, n) for k, n in counts.items()], perturbation())


def quarter_of(month_key: str) -> str:
    d = date.fromisoformat(month_key)
    return f"T{(d.month - 1) // 3 + 1} {d.year}"


def shown(cell: Published) -> int | str:
    """A published value as a table cell: the number, or « < 11 »."""
    return cell.label or cell.value


def value_or_none(cell: Published) -> int | None:
    """A published value as a chart or card value: None where « < 11 » is shown."""
    return None if cell.small else cell.value


def month_label(month_key: str) -> str:
    """'2026-03-01' → 'mars 2026'."""
    return calendar_month_label(date.fromisoformat(month_key))
