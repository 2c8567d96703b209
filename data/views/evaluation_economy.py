"""The « Évaluation » page's economy sections: trips avoided (km, CO₂, cost), point-of-care turnaround against
the laboratory route, GP density before and after the study grants.

Each section is shown at the stricter of the programme grant (the page's) and its source's grant (trips:
teleconsultation and mobile; turnaround: biology; density: workforce), so the page never shows a source finer
than its own page would. At `summary` level (data/views/base.py): per département only, counts from the
publication grid (data/views/grid.py), no commune, site or EHPAD named, 1–10 read « < 11 ».
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy.orm import Session

import data.views.grid as grid
from data.access import AccessScope
from data.evaluation_economy import (
    CO2_SOURCE,
    COST_SOURCE,
    LAB_SOURCE,
    MIN_RESULTS,
    BeforeAfter,
    EconomyParams,
    Turnaround,
    before_after,
    trips_avoided,
    turnaround,
)
from data.filters import Filters, Period, add_months, month_end
from data.formatting import fmt_date, fmt_number, fmt_signed, plural
from data.geography import departement_names
from data.indicators import INDICATORS
from data.models import Dataset, Level
from data.queries import evaluation_economy as q
from data.queries.common import Area, area_for
from data.secrecy import SMALL_LABEL, Published, published_sum
from data.views.base import Detail, Stat, TableView, labelled, stat
from data.views.evaluation import EvalChart, Section, Series, section
from data.views.series import WeeklySeries

TRIPS_TABLE, POC_TABLE, GP_TABLE = "evaluation-trajets", "evaluation-biologie", "evaluation-densite-mg"
TABLES = {TRIPS_TABLE: "Trajets, kilomètres, CO₂ et coût évités",
          POC_TABLE: "Délai prélèvement → résultat, biologie délocalisée et voie du laboratoire",
          GP_TABLE: "Densité de médecins généralistes avant et après les bourses d'études"}
RANK = {Level.NONE: 0, Level.SUMMARY: 1, Level.DETAIL: 2}
TRANSFERS_UNAVAILABLE = ("non disponible : un résultat de biologie n'est relié à aucune suite (transfert, "
                         "hospitalisation, prise en charge sur place) — le flux ne porte ni issue ni identifiant de "
                         "patient commun avec la téléconsultation ; il faudrait que l'EHPAD déclare la suite donnée à "
                         "chaque résultat anormal.")
GP_WINDOW_QUARTERS = 8  # the density section looks back at least two years from the period's end


def section_detail(scope: AccessScope, filters: Filters, *sources: Dataset) -> Detail:
    """The level of a section: the stricter of the programme grant and each source's grant."""
    levels = [scope.level(Dataset.PROGRAMME), *(scope.level(s) for s in sources)]
    level = min(levels, key=lambda lv: RANK[Level(lv)])
    base = area_for(scope, filters, sources[0])
    if level == Level.DETAIL:
        area = Area(base.departements, filters.epci, filters.commune, Level.DETAIL)
    else:
        area = Area(base.departements if level != Level.NONE else (), None, None, Level(level))
    return Detail(Level(level), area, filters)


def _money(value: float | None) -> str:
    return "—" if value is None or value != value else f"{fmt_number(value)}\u00a0€"


def _km(value: float | None) -> str:
    return "—" if value is None or value != value else f"{fmt_number(value)}\u00a0km"


def _co2(kg: float | None) -> str:
    if kg is None or kg != kg:
        return "—"
    return f"{fmt_number(kg / 1000, 1)}\u00a0t" if kg >= 1000 else f"{fmt_number(kg)}\u00a0kg"


def _minutes(m: float | None) -> str:
    return "—" if m is None else f"{fmt_number(m)}\u00a0min"


# --- trips avoided ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TripsSection:
    detail: Detail
    stats: tuple[Stat, ...]
    chart: WeeklySeries  # km avoided per département, by service
    table: TableView
    unavailable: str | None = None


TRIP_COMMUNE_COLUMNS = {"name": "Commune", "insee": "Code INSEE", "departement": "Département",
                        "teleconsultations": "Téléconsultations réalisées", "mobile": "Consultations en cabinet mobile",
                        "trips": "Trajets évités", "nearest_km": "Lieu de soins le plus proche (km à vol d'oiseau)",
                        "round_trip_km": "Aller-retour estimé (km)", "km": "Kilomètres évités",
                        "co2_kg": "CO₂ évité (kg)", "cost_eur": "Coût de transport évité (€)"}
TRIP_DEP_COLUMNS = {"departement_name": "Département", "departement": "Code du département",
                    "teleconsultations": "Téléconsultations réalisées", "mobile": "Consultations en cabinet mobile",
                    "trips": "Trajets évités", "round_trip_km": "Aller-retour moyen (km)", "km": "Kilomètres évités",
                    "co2_kg": "CO₂ évité (kg)", "cost_eur": "Coût de transport évité (€)"}


def trips_section(session: Session, *, scope: AccessScope, filters: Filters,
                  params: EconomyParams | None = None) -> TripsSection:
    params = params or EconomyParams.from_settings()
    detail = section_detail(scope, filters, Dataset.TELECONSULTATION, Dataset.MOBILE)
    if detail.none:
        return TripsSection(detail, (), WeeklySeries((), ()), TableView(TRIPS_TABLE, "Données", pd.DataFrame()),
                            "non accessible à votre profil (téléconsultation ou cabinets mobiles)")
    period = filters.period
    communes = trips_avoided(q.trips_by_commune(session, area=detail.area, period=period),
                             q.places_of_care(session, on=period.end), params)
    names = departement_names(session)
    if detail.summary:
        per_dep = _trips_from_grid(session, detail, period, communes, params, names)
        table = TableView(TRIPS_TABLE, "Trajets évités par département", labelled(per_dep, TRIP_DEP_COLUMNS),
                          caption=_trips_caption(detail, params))
        shown = per_dep[per_dep["trips"].map(lambda v: not isinstance(v, str))]
        trips = published_sum(per_dep["published"]) if len(per_dep) else Published(0)
        km, kg, eur = (float(shown[c].sum()) for c in ("km", "co2_kg", "cost_eur"))
        hidden = trips.small
    else:
        per_dep = _dep_totals(communes, names)
        table = TableView(TRIPS_TABLE, "Trajets évités par commune", labelled(_rounded(communes), TRIP_COMMUNE_COLUMNS),
                          caption=_trips_caption(detail, params))
        trips = Published(int(communes["trips"].sum()) if len(communes) else 0)
        km, kg, eur = (float(communes[c].sum()) if len(communes) else 0.0 for c in ("km", "co2_kg", "cost_eur"))
        hidden = False
    trips_text = SMALL_LABEL if trips.small else detail.count(trips.value)
    mean = km / trips.value if trips.value and not hidden else None
    stats = (
        stat("eval-trips", trips_text, "téléconsultations réalisées et consultations en cabinet mobile : chacune "
             "un aller-retour du patient évité", hidden=trips.small),
        stat("eval-km", "—" if hidden else _km(km),
             f"aller-retour moyen {fmt_number(mean, 1)} km (vol d'oiseau × {fmt_number(params.detour, 1)})"
             if mean is not None else "aller-retour moyen non calculable", hidden=hidden),
        stat("eval-co2", "—" if hidden else _co2(kg),
             f"{fmt_number(params.co2_kg_per_km, 3)} kgCO₂e par km (ADEME, Base Carbone)", hidden=hidden),
        stat("eval-cost", "—" if hidden else _money(eur),
             f"{fmt_number(params.cost_eur_per_km, 2)} € par km (tarif Assurance maladie)", hidden=hidden),
    )
    chart_rows = per_dep[per_dep["trips"].map(lambda v: not isinstance(v, str))] if len(per_dep) else per_dep
    chart = WeeklySeries(tuple(chart_rows["departement_name"]),
                         (("Kilomètres évités", tuple(float(v) for v in chart_rows["km"])),),
                         masked=len(chart_rows) < len(per_dep), x_title="Département") if len(chart_rows) else \
        WeeklySeries((), ())
    return TripsSection(detail, stats, chart, table)


def _rounded(communes: pd.DataFrame) -> pd.DataFrame:
    """The commune table as shown: distances to 0,1 km, kilometres, kilograms and euros whole."""
    return communes.round({"nearest_km": 1, "round_trip_km": 1, "km": 0, "co2_kg": 0, "cost_eur": 0})


def _dep_totals(communes: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    cols = ["departement", "departement_name", "teleconsultations", "mobile", "trips", "km", "co2_kg", "cost_eur"]
    if communes.empty:
        return pd.DataFrame(columns=[*cols, "round_trip_km"])
    df = communes.groupby("departement", as_index=False)[cols[2:]].sum()
    df["departement_name"] = df["departement"].map(names)
    df["round_trip_km"] = (df["km"] / df["trips"].where(df["trips"] > 0)).round(1)
    return df


def _trips_from_grid(session: Session, detail: Detail, period: Period, communes: pd.DataFrame,
                     params: EconomyParams, names: dict[str, str]) -> pd.DataFrame:
    """Summary level: trips per département from the publication grid (completed teleconsultations of the
    département's sites, mobile consultations at its stops), times the mean round trip of its communes."""
    deps = detail.area.departements
    tele = grid.teleconsultation_grids(session, deps, period)["sessions"]
    mobile = grid.mobile_grids(session, deps, period)["consultations"]
    rows = []
    for d in deps:
        part = communes[communes["departement"] == d]
        t, m = tele.total(deps={d}, categories={"completed"}), mobile.total(deps={d})
        total = published_sum([t, m])

        def mean_km(column: str, _part=part) -> float:
            n = _part[column].sum()
            return float((_part[column] * _part["round_trip_km"]).sum() / n) if n else 0.0

        km = t.value * mean_km("teleconsultations") + m.value * mean_km("mobile")
        small = total.small
        rows.append({"departement": d, "departement_name": names.get(d, d), "published": total,
                     "teleconsultations": grid.shown(t), "mobile": grid.shown(m), "trips": grid.shown(total),
                     "round_trip_km": round(km / total.value, 1) if total.value and not small else float("nan"),
                     "km": float("nan") if small else round(km), "co2_kg": float("nan") if small else
                     round(km * params.co2_kg_per_km), "cost_eur": float("nan") if small else
                     round(km * params.cost_eur_per_km)})
    return pd.DataFrame(rows)


def _trips_caption(detail: Detail, params: EconomyParams) -> str:
    unit = ("par département (niveau « synthèse » : séances et consultations publiées de la grille, aller-retour "
            "moyen des communes du département)" if detail.summary else "par commune de patient ou d'arrêt")
    return (f"Trajets évités {unit} : distance à vol d'oiseau jusqu'au lieu de soins le plus proche (commune d'un "
            f"médecin généraliste en activité ou hôpital de référence) × {fmt_number(params.detour, 1)} (détour "
            f"routier) × 2 (aller-retour) ; CO₂ à {fmt_number(params.co2_kg_per_km, 3)} kgCO₂e/km, coût à "
            f"{fmt_number(params.cost_eur_per_km, 2)} €/km.")


# --- point-of-care turnaround ----------------------------------------------------------------------

@dataclass(frozen=True)
class PocSection:
    detail: Detail
    stats: tuple[Stat, ...]
    table: TableView
    transfers: str  # what can be said of hospital transfers after an abnormal result handled on site
    unavailable: str | None = None


POC_DEP_COLUMNS = {"name": "Département", "code": "Code du département", "results": "Résultats",
                   "abnormal": "Résultats anormaux", "median": "Médiane (min)", "p90": "90e centile (min)",
                   "lab_hours": "Voie du laboratoire (h)", "gain_hours": "Gain médian (h)"}
POC_SITE_COLUMNS = {"name": "EHPAD", "commune": "Commune", "code": "Département", "results": "Résultats",
                    "abnormal": "Résultats anormaux", "median": "Médiane (min)", "p90": "90e centile (min)",
                    "lab_hours": "Voie du laboratoire (h)", "gain_hours": "Gain médian (h)"}


def poc_section(session: Session, *, scope: AccessScope, filters: Filters,
                params: EconomyParams | None = None) -> PocSection:
    params = params or EconomyParams.from_settings()
    detail = section_detail(scope, filters, Dataset.BIOLOGY)
    if detail.none:
        return PocSection(detail, (), TableView(POC_TABLE, "Données", pd.DataFrame()), TRANSFERS_UNAVAILABLE,
                          "non accessible à votre profil (biologie délocalisée)")
    period = filters.period
    hist = q.turnaround_histogram(session, area=detail.area, period=period, by_site=not detail.summary)
    overall = turnaround(hist.groupby("minutes", as_index=False)["results"].sum()) if len(hist) else turnaround(hist)
    rows = []
    if detail.summary:
        grids = grid.biology_grids(session, detail.area.departements, period)
        names = departement_names(session)
        published = []
        for d in detail.area.departements:
            tests, abnormal = grids["tests"].total(deps={d}), grids["abnormal"].total(deps={d})
            published.append(tests)
            t = turnaround(hist[hist["unit"] == d])
            rows.append(_poc_row(names.get(d, d), d, None, grid.shown(tests), grid.shown(abnormal),
                                 t if not tests.small and tests.value >= MIN_RESULTS else None, params))
        total = published_sum(published) if published else Published(0)
        results_text = detail.counted(SMALL_LABEL if total.small else total.value, "résultat")
        enough = not total.small and total.value >= MIN_RESULTS
        abnormal_total = published_sum([grids["abnormal"].total(deps={d}) for d in detail.area.departements])
        abnormal_text = detail.counted(grid.shown(abnormal_total), "résultat anormal", "résultats anormaux")
    else:
        sites = q.biology_by_site(session, area=detail.area, period=period)
        for s in sites.itertuples(index=False):
            t = turnaround(hist[hist["unit"] == s.site_id])
            rows.append(_poc_row(s.site, s.departement, s.commune, s.tests, s.abnormal,
                                 t if t.results >= MIN_RESULTS else None, params))
        results_text = detail.counted(overall.results, "résultat")
        enough = overall.results >= MIN_RESULTS
        abnormal_text = detail.counted(int(sites["abnormal"].sum()) if len(sites) else 0, "résultat anormal",
                                       "résultats anormaux")
    frame = pd.DataFrame(rows, columns=["name", "commune", "code", "results", "abnormal", "median", "p90",
                                        "lab_hours", "gain_hours"])
    table = TableView(POC_TABLE, "Délai du prélèvement au résultat " + ("par département" if detail.summary
                                                                        else "par EHPAD"),
                      labelled(frame, POC_DEP_COLUMNS if detail.summary else POC_SITE_COLUMNS),
                      caption=(f"Délai du prélèvement au résultat des automates de biologie délocalisée "
                               f"{detail.scale_words.replace('par commune', 'par EHPAD')}, comparé à la voie du "
                               f"laboratoire ({fmt_number(params.lab_turnaround_hours)} h, hypothèse du programme) ; "
                               f"médiane et 90e centile seulement à partir de {MIN_RESULTS} résultats."))
    lab_min = params.lab_turnaround_hours * 60
    stats = (
        stat("eval-poc-median", _minutes(overall.median_min) if enough else "données insuffisantes",
             (f"90 % des résultats en {_minutes(overall.p90_min)} au plus ; {results_text}"
              if enough else f"{results_text} (au moins {MIN_RESULTS} nécessaires)")),
        stat("eval-poc-gain", f"{fmt_number((lab_min - overall.median_min) / 60, 1)}\u00a0h"
             if enough else "—", f"voie du laboratoire : {fmt_number(params.lab_turnaround_hours)} h du "
             "prélèvement au résultat (hypothèse, réglable)"),
        stat("eval-poc-transfers", "non disponible",
             f"{abnormal_text} sur la période ; la suite donnée à chacun n'est pas connue (voir la section)"),
    )
    return PocSection(detail, stats, table, TRANSFERS_UNAVAILABLE)


def _poc_row(name: str, code: str, commune: str | None, results, abnormal, t: Turnaround | None,
             params: EconomyParams) -> dict:
    return {"name": name, "commune": commune, "code": code, "results": results, "abnormal": abnormal,
            "median": t.median_min if t else float("nan"), "p90": t.p90_min if t else float("nan"),
            "lab_hours": params.lab_turnaround_hours,
            "gain_hours": round(params.lab_turnaround_hours - t.median_min / 60, 1) if t else float("nan")}


# --- GP density before / after the study grants ----------------------------------------------------

@dataclass(frozen=True)
class GpSection:
    detail: Detail
    stats: tuple[Stat, ...]
    chart: WeeklySeries  # density per quarter, one line per département
    table: TableView
    trends: dict  # département → BeforeAfter
    unavailable: str | None = None
    overall: BeforeAfter | None = None  # the départements chosen together (the cards)


GP_COLUMNS = {"departement_name": "Département", "departement": "Code du département",
              "quarter_end": "Fin de trimestre",
              "side": "Avant / après", "gps": "Médecins généralistes", "population": "Population",
              "density": "Pour 10 000 habitants", "holders": "Boursiers installés",
              "density_without": "Densité sans les boursiers"}


def quarter_ends(start: date, end: date) -> list[date]:
    """The last days of the calendar quarters ending between `start` and `end`."""
    out, m = [], date(start.year, 3 * ((start.month - 1) // 3) + 3, 1)
    while month_end(m) <= end:
        if month_end(m) >= start:
            out.append(month_end(m))
        m = add_months(m, 3)
    return out


def gp_section(session: Session, *, scope: AccessScope, filters: Filters) -> GpSection:
    detail = section_detail(scope, filters, Dataset.WORKFORCE)
    if detail.none:
        return GpSection(detail, (), WeeklySeries((), ()), TableView(GP_TABLE, "Données", pd.DataFrame()), {},
                         "non accessible à votre profil (professionnels de santé)")
    period = filters.period
    start = min(period.start, (period.end - timedelta(days=round(GP_WINDOW_QUARTERS * 91.3))))
    days = quarter_ends(start, period.end)
    deps = detail.area.departements
    pop = q.population(session, area=detail.area)
    names = departement_names(session)
    holders = q.grant_holders(session, departements=deps, until=period.end)
    exact = q.active_gps(session, area=detail.area, days=days) if not detail.summary else {}
    stocks = {day: grid.workforce_stock(session, deps, "medecin_gp", day) for day in days} if detail.summary else {}
    rows, trends = [], {}
    for d in deps:
        mine = holders[holders["departement"] == d]
        settled = mine[mine["holders"] > 0]
        reference = settled["period_end"].min() if len(settled) else None
        reference = None if reference is None or reference != reference else reference
        by_day = dict(zip(mine["period_end"], mine["holders"], strict=True))
        points = []
        for day in days:
            if detail.summary:
                cell = stocks[day].total(deps={d})
                gps, small = grid.shown(cell), cell.small
                value = cell.value
            else:
                value = exact.get((d, day), 0)
                gps, small = value, False
            density = round(value / pop[d] * 1e4, 2) if pop.get(d) and not small else float("nan")
            h = by_day.get(day)
            h_shown = detail.count(int(h)) if h is not None else "—"
            h_hidden = h is None or detail.hidden(h)
            points.append((day, density))
            rows.append({"departement": d, "departement_name": names.get(d, d), "quarter_end": day,
                         "side": "—" if reference is None else "après" if day >= reference else "avant",
                         "gps": gps, "population": pop.get(d, 0), "density": density,
                         "holders": h_shown, "density_without": round((value - h) / pop[d] * 1e4, 2)
                         if pop.get(d) and not small and not h_hidden else float("nan")})
        trends[d] = before_after([(p, v) for p, v in points if v == v], reference)
    refs = [t.reference for t in trends.values() if t.reference is not None]
    overall = before_after(_overall_density(rows, days), min(refs) if refs else None)
    table_frame = pd.DataFrame(rows)
    table = TableView(GP_TABLE, "Densité de généralistes par département et fin de trimestre",
                      labelled(table_frame, GP_COLUMNS) if len(rows) else pd.DataFrame(),
                      caption=_gp_caption(detail, trends, names))
    chart = WeeklySeries(tuple(d.isoformat() for d in days),
                         tuple((names.get(d, d), tuple(None if r["density"] != r["density"] else r["density"]
                                                       for r in rows if r["departement"] == d)) for d in deps),
                         x_title="Fin de trimestre") if days else WeeklySeries((), ())
    return GpSection(detail, _gp_stats(detail, trends, overall, holders, names), chart, table, trends,
                     overall=overall)


def _overall_density(rows: list[dict], days: list[date]) -> list[tuple[date, float]]:
    """The area's density at each quarter end: Σ GPs ÷ Σ inhabitants of the départements whose count is shown."""
    out = []
    for day in days:
        shown = [r for r in rows if r["quarter_end"] == day and not isinstance(r["gps"], str) and r["population"]]
        pop = sum(r["population"] for r in shown)
        if pop:
            out.append((day, round(sum(r["gps"] for r in shown) / pop * 1e4, 2)))
    return out


def _slope(t: BeforeAfter, side: str) -> str:
    slope = t.slope_before if side == "before" else t.slope_after
    n = len(t.before if side == "before" else t.after)
    if slope is None:
        return f"données insuffisantes ({plural(n, 'trimestre')})"
    return f"{fmt_signed(slope, 2)} par an"


def _gp_stats(detail: Detail, trends: dict[str, BeforeAfter], overall: BeforeAfter, holders: pd.DataFrame,
              names: dict[str, str]) -> tuple[Stat, ...]:
    latest = holders.sort_values("period_end").groupby("departement").tail(1) if len(holders) else holders
    values = [int(v) for v in latest["holders"]] if len(latest) else []
    shown = [v for v in values if not detail.hidden(v)]  # a total over hidden values would give them back
    total = sum(shown)
    masked = len(shown) < len(values)
    refs = {d: t.reference for d, t in trends.items() if t.reference is not None}
    first = (f"premier installé au {fmt_date(next(iter(refs.values())))}" if len(set(refs.values())) == 1 else
             "premiers installés : " + ", ".join(f"{names.get(d, d)} {fmt_date(r)}" for d, r in refs.items())
             ) if refs else "aucun boursier installé encore"
    by_dep = {side: " ; ".join(f"{names.get(d, d)} {fmt_signed(getattr(t, 'slope_' + side), 2)}"
                               for d, t in trends.items() if getattr(t, "slope_" + side) is not None)
              for side in ("before", "after")}
    return (
        stat("eval-grant-holders", SMALL_LABEL if masked and not shown else detail.count(total),
             "à la fin de la période (indicateur du programme" + (", hors départements masqués" if masked and shown
                                                                  else "") + f") ; {first}"),
        stat("eval-gp-trend-before", _slope(overall, "before"),
             "généralistes pour 10 000 habitants, ensemble des départements choisis, avant le premier boursier"
             + (f" ; {by_dep['before']}" if by_dep["before"] else "")),
        stat("eval-gp-trend-after", _slope(overall, "after") if overall.reference else "—",
             ("depuis le premier boursier (trimestre compris)"
              + (f", écart après − avant : {fmt_signed(overall.change, 2)} par an" if overall.change is not None
                 else "") + (f" ; {by_dep['after']}" if by_dep["after"] else ""))
             if overall.reference else "aucun boursier installé encore"),
    )


def _gp_caption(detail: Detail, trends: dict[str, BeforeAfter], names: dict[str, str]) -> str:
    refs = ", ".join(f"{names.get(d, d)} : {fmt_date(t.reference)}" for d, t in trends.items() if t.reference)
    return (f"Médecins généralistes en activité pour 10 000 habitants à chaque fin de trimestre, par département"
            f"{' (niveau « synthèse » : effectifs publiés de la grille)' if detail.summary else ''} ; « avant » et "
            f"« après » le premier trimestre où le programme déclare un boursier installé"
            f"{' (' + refs + ')' if refs else ''} ; tendance par moindres carrés, au moins deux trimestres de "
            "chaque côté.")


@dataclass(frozen=True)
class EconomySections:
    """The three sections, as the evaluation view carries them (data/views/evaluation.py)."""

    trips: TripsSection
    poc: PocSection
    gp: GpSection

    @property
    def stats(self) -> tuple[Stat, ...]:
        return self.trips.stats + self.poc.stats + self.gp.stats


def economy_sections(session: Session, *, scope: AccessScope, filters: Filters,
                     params: EconomyParams | None = None) -> EconomySections:
    params = params or EconomyParams.from_settings()
    return EconomySections(trips_section(session, scope=scope, filters=filters, params=params),
                           poc_section(session, scope=scope, filters=filters, params=params),
                           gp_section(session, scope=scope, filters=filters))


# --- the sections of the « Évaluation » page (data/views/evaluation.py) -------------------------------

TRIPS_TITLE = "Cabinets mobiles et téléconsultation : trajets, kilomètres, CO₂ et coût évités"
TRIPS_INTRO = ("Chaque téléconsultation réalisée et chaque consultation en cabinet médical mobile évite au patient un "
               "aller-retour jusqu'au lieu de soins le plus proche : la commune d'un médecin généraliste en activité, "
               "ou un hôpital de référence s'il est plus proche.")
POC_TITLE = "Biologie délocalisée : délai du prélèvement au résultat"
POC_INTRO = ("Délai entre le prélèvement et le résultat des automates installés en EHPAD, comparé à la voie du "
             "laboratoire ; transferts hospitaliers évités après un résultat anormal pris en charge sur place.")
GP_TITLE = "Professionnels : densité de médecins généralistes avant et après les bourses d'études"
GP_INTRO = ("Médecins généralistes en activité pour 10 000 habitants à chaque fin de trimestre (au moins les deux "
            "dernières années), avant et après le premier boursier installé que déclare le programme.")


@section("trajets", order=20, tables={TRIPS_TABLE: TABLES[TRIPS_TABLE]})
def trips_evaluation(session: Session, *, scope: AccessScope, filters: Filters, detail: Detail) -> Section:
    t = trips_section(session, scope=scope, filters=filters)
    if t.unavailable:
        return Section("trajets", TRIPS_TITLE, TRIPS_INTRO, message=f"Trajets évités : {t.unavailable}.")
    chart = EvalChart(TRIPS_TABLE, "Kilomètres évités par département", t.chart.x,
                      tuple(Series(name, values, kind="bar") for name, values in t.chart.series), "Département",
                      "Kilomètres évités", t.table, caption=t.table.caption)
    return Section("trajets", TRIPS_TITLE, TRIPS_INTRO, stats=t.stats, charts=(chart,),
                   notes=(INDICATORS["eval-km"].limits, CO2_SOURCE, COST_SOURCE))


@section("biologie", order=30, tables={POC_TABLE: TABLES[POC_TABLE]})
def poc_evaluation(session: Session, *, scope: AccessScope, filters: Filters, detail: Detail) -> Section:
    p = poc_section(session, scope=scope, filters=filters)
    if p.unavailable:
        return Section("biologie", POC_TITLE, POC_INTRO, message=f"Biologie délocalisée : {p.unavailable}.")
    return Section("biologie", POC_TITLE, POC_INTRO, stats=p.stats, tables=(p.table,),
                   notes=(f"Transferts hospitaliers évités après un résultat anormal : {p.transfers}", LAB_SOURCE))


@section("densite-mg", order=40, tables={GP_TABLE: TABLES[GP_TABLE]})
def gp_evaluation(session: Session, *, scope: AccessScope, filters: Filters, detail: Detail) -> Section:
    g = gp_section(session, scope=scope, filters=filters)
    if g.unavailable:
        return Section("densite-mg", GP_TITLE, GP_INTRO, message=f"Densité de généralistes : {g.unavailable}.")
    refs = {t.reference for t in g.trends.values() if t.reference}
    chart = EvalChart("eval-gp-chart", "Médecins généralistes pour 10 000 habitants, par département", g.chart.x,
                      tuple(Series(name, values) for name, values in g.chart.series), "Fin de trimestre",
                      "Pour 10 000 habitants", g.table, caption=g.table.caption,
                      vline=next(iter(refs)).isoformat() if len(refs) == 1 else None,
                      vline_label="Premier boursier installé")
    return Section("densite-mg", GP_TITLE, GP_INTRO, stats=g.stats, charts=(chart,),
                   notes=(INDICATORS["eval-gp-trend-before"].limits,))
