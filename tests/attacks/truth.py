"""Ground truth for the attacks: the true value of a cell, by direct SQL on the rollups and raw tables.

Used by the tests only, to check a claimed recovery — never by the attacker (`oracle.Oracle`).
A cell is a small tuple naming a quantity; `Truth.value(cell)` returns its true count.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import text

GP = ("medecin", "medecine_generale")


def _deps_sql(deps) -> str:
    return ",".join(f"'{d}'" for d in sorted(deps))


def _profession_sql(profession: str) -> str:
    if profession == "medecin_gp":
        return f"hp.profession = '{GP[0]}' AND hp.specialty = '{GP[1]}'"
    if profession == "medecin_spe":
        return f"hp.profession = '{GP[0]}' AND hp.specialty <> '{GP[1]}'"
    return f"hp.profession = '{profession}'"


AGE_BANDS = ((0, 34, "moins de 35 ans"), (35, 44, "35–44 ans"), (45, 54, "45–54 ans"), (55, 59, "55–59 ans"),
             (60, 64, "60–64 ans"), (65, 69, "65–69 ans"), (70, 200, "70 ans et plus"))


class Truth:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.value = lru_cache(maxsize=None)(self._value)

    def _scalar(self, sql: str, **params) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar() or 0)

    def _value(self, cell: tuple) -> int:
        kind = cell[0]
        if kind == "tc":  # ("tc", deps, start, end, statuses|None, column) sessions or patients_75_plus
            _, deps, start, end, statuses, column = cell
            st = "" if statuses is None else f"AND t.status IN ({_deps_sql(statuses)})"
            return self._scalar(
                f"SELECT sum(t.{column}) FROM rollup_teleconsultation_daily t JOIN site s ON s.id = t.site_id "
                f"JOIN commune c ON c.insee = s.commune_insee WHERE c.departement_code IN ({_deps_sql(deps)}) "
                f"AND t.day BETWEEN :a AND :b {st}", a=start, b=end)
        if kind == "mob":  # ("mob", deps, start, end, status, column)
            _, deps, start, end, status, column = cell
            return self._scalar(
                f"SELECT sum(m.{column}) FROM rollup_mobile_daily m JOIN commune c ON c.insee = m.commune_insee "
                f"WHERE c.departement_code IN ({_deps_sql(deps)}) AND m.day BETWEEN :a AND :b "
                f"AND m.status = :s", a=start, b=end, s=status)
        if kind == "wf_age":  # ("wf_age", deps, on, profession, band label)
            _, deps, on, profession, band = cell
            low, high = next((lo, hi) for lo, hi, lab in AGE_BANDS if lab == band)
            return self._scalar(
                f"SELECT count(*) FROM health_professional hp JOIN commune c ON c.insee = hp.commune_insee "
                f"WHERE c.departement_code IN ({_deps_sql(deps)}) AND {_profession_sql(profession)} "
                "AND hp.activity_start <= :on AND (hp.activity_end IS NULL OR hp.activity_end > :on) "
                "AND :y - hp.birth_year BETWEEN :lo AND :hi", on=on, y=on.year, lo=low, hi=high)
        if kind == "wf_active":  # ("wf_active", deps, on, profession)
            _, deps, on, profession = cell
            return self._scalar(
                f"SELECT count(*) FROM health_professional hp JOIN commune c ON c.insee = hp.commune_insee "
                f"WHERE c.departement_code IN ({_deps_sql(deps)}) AND {_profession_sql(profession)} "
                "AND hp.activity_start <= :on AND (hp.activity_end IS NULL OR hp.activity_end > :on)", on=on)
        if kind == "wf_old":  # ("wf_old", deps, on, profession): aged 60+ (birth year <= on.year - 60)
            _, deps, on, profession = cell
            return self._scalar(
                f"SELECT count(*) FROM health_professional hp JOIN commune c ON c.insee = hp.commune_insee "
                f"WHERE c.departement_code IN ({_deps_sql(deps)}) AND {_profession_sql(profession)} "
                "AND hp.activity_start <= :on AND (hp.activity_end IS NULL OR hp.activity_end > :on) "
                "AND hp.birth_year <= :y", on=on, y=on.year - 60)
        if kind == "wf_flow":  # ("wf_flow", deps, start, end, profession, "arrivals"|"departures")
            _, deps, start, end, profession, which = cell
            col = "activity_start" if which == "arrivals" else "activity_end"
            return self._scalar(
                f"SELECT count(*) FROM health_professional hp JOIN commune c ON c.insee = hp.commune_insee "
                f"WHERE c.departement_code IN ({_deps_sql(deps)}) AND {_profession_sql(profession)} "
                f"AND hp.{col} BETWEEN :a AND :b", a=start, b=end)
        raise ValueError(cell)

    def epci_of(self, dep: str) -> str | None:
        """The EPCI with the most communes in a département (public geography)."""
        with self.engine.connect() as conn:
            return conn.execute(text(
                "SELECT epci_code FROM commune WHERE departement_code = :d AND epci_code IS NOT NULL "
                "GROUP BY epci_code ORDER BY count(*) DESC LIMIT 1"), {"d": dep}).scalar()


def week_days(monday: date, start: date, end: date) -> tuple[date, date]:
    """The days of the week starting `monday` inside [start, end]."""
    return max(monday, start), min(monday + timedelta(days=6), end)
