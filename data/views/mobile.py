"""Cabinets mobiles: stops planned vs done, consultations, communes served, where the vehicles are.

At summary level: per département only — consultations on a département map, how many vehicles each
département has (never where they are nor their names), stop counts of 1–10 as « < 11 ».
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import data.views.grid as grid
from data.access import AccessScope
from data.filters import Filters, Period, add_months, month_end
from data.formatting import fmt_number, plural
from data.geography import pairwise_km
from data.models import Dataset, Departement, MobileUnit
from data.queries import mobile as q
from data.queries.common import numeric
from data.secrecy import ZERO, published_rate
from data.views.base import (
    SECRET_NOTE,
    Detail,
    MapView,
    PointLayer,
    SizeScale,
    Stat,
    TableView,
    commune_name,
    departement_counts,
    departement_points,
    detail_for,
    focus,
    labelled,
    map_context,
    register_view,
    stat,
    territory_bounds,
    with_epci,
)
from data.views.completeness import mobile_incomplete
from data.views.mobile_tour import (
    STATUS,
    TourStop,
    arrival_estimates,
    clock,
    day_words,
    of_place,
    paris,
    paris_day,
    situation,
)
from data.views.series import WeeklySeries, weekly_series

NAME = "mobile"
VEHICLES_TABLE, WEEKLY_TABLE, COMMUNES_TABLE = ("cabinets-mobiles-vehicules", "cabinets-mobiles-hebdo",
                                                "cabinets-mobiles-communes")
TOUR_TABLE = "cabinets-mobiles-tournee"
# positions to about 100 m: three decimals of a degree (111 m of latitude, 74 m of longitude here)
POSITION_DECIMALS = 3
VEHICLE_COLUMNS = {"unit": "Véhicule", "recorded_at": "Position relevée (heure de Paris)", "place": "Lieu",
                   "coordinates": "Coordonnées (à 100 m près)", "situation": "Situation",
                   "next_stop": "Prochain arrêt", "eta": "Arrivée estimée (heure de Paris)"}
TOUR_COLUMNS = {"unit": "Véhicule", "commune": "Arrêt", "insee": "Code INSEE", "state": "Statut",
                "planned_arrival": "Arrivée prévue", "actual_arrival": "Arrivée réelle",
                "planned_departure": "Départ prévu", "actual_departure": "Départ réel", "delay": "Retard (min)",
                "eta": "Arrivée estimée"}
SUMMARY_TOUR_COLUMNS = {"departement": "Département", "scheduled": "Arrêts du jour", "completed": "Réalisés",
                        "cancelled": "Annulés", "planned": "À venir ou en cours"}
SUMMARY_VEHICLE_COLUMNS = {"departement": "Département", "vehicles": "Véhicules en service"}
WEEKLY_COLUMNS = {"week": "Semaine du", "status": "Statut", "stops": "Arrêts", "consultations": "Consultations"}
COMMUNE_COLUMNS = {"name": "Commune", "insee": "Code INSEE", "epci_name": "EPCI", "epci": "SIREN de l'EPCI",
                   "population": "Population", "stops": "Arrêts réalisés",
                   "consultations": "Consultations", "new_patients": "Nouveaux patients",
                   "per_stop": "Consultations par arrêt", "slot_use_pct": "Créneaux utilisés (%)"}
SUMMARY_COMMUNE_COLUMNS = {"name": "Département", "population": "Population des communes desservies",
                           "stops": "Arrêts réalisés", "consultations": "Consultations",
                           "new_patients": "Nouveaux patients", "per_stop": "Consultations par arrêt",
                           "slot_use_pct": "Créneaux utilisés (%)"}


@dataclass(frozen=True)
class MobileOptions:
    """The clock the tours are read at: naive UTC to the minute (so a cached view lasts a minute at most)."""

    now: datetime


def current_options() -> MobileOptions:
    from data.users import utcnow

    return MobileOptions(utcnow().replace(second=0, microsecond=0))


@dataclass(frozen=True)
class MobileView:
    detail: Detail
    stats: tuple[Stat, ...]
    map: MapView
    vehicles_table: TableView
    tour_table: TableView
    weekly: WeeklySeries
    weekly_table: TableView
    communes_table: TableView
    note: str | None
    query: str
    incomplete: str | None = None  # « données incomplètes : … » when past stops were never confirmed


def options_from_args(_args: Mapping[str, str], _filters: Filters) -> MobileOptions:
    return current_options()


def _stats(s: q.MobileSummary, detail: Detail) -> tuple[Stat, ...]:
    c, secret = detail.count, detail.secret
    upcoming = "ce mois-ci et le suivant" if detail.summary else "dans les 14 jours"

    def withheld(n):  # a count the query withheld (None) reads « < 11 »
        return secret(None) if n is None else n

    return (
        stat("mob-stops", f"{secret(s.stops_completed)} / {secret(s.stops_scheduled)}",
             f"programmés sur la période ; {detail.counted(withheld(s.stops_cancelled), 'annulé')} ; "
             f"{detail.counted(withheld(s.stops_upcoming_14d), 'prévu')} {upcoming}", hidden=s.stops_completed is None),
        stat("mob-consultations", detail.secret(s.consultations),
             f"dont nouveaux patients : {detail.secret(s.new_patients)} · "
             f"{fmt_number(s.consultations_per_stop, 1)} par arrêt", hidden=s.consultations is None),
        stat("mob-slots", "—" if s.slot_use_pct is None else f"{fmt_number(s.slot_use_pct, 1)}\u00a0%",
             "consultations rapportées aux créneaux offerts lors des arrêts réalisés"),
        stat("mob-reach", c(s.communes_served),
             f"{detail.counted(s.population_served, 'habitant')} ; "
             f"à moins de 10 km d'un arrêt : {c(s.population_within[10.0])}, "
             f"à moins de 20 km : {c(s.population_within[20.0])}", hidden=detail.hidden(s.communes_served)),
    )


@register_view(NAME, dataset=Dataset.MOBILE.value, datasets=(Dataset.MOBILE.value,), options=options_from_args,
               live=True,
               tables={VEHICLES_TABLE: "Dernière position des véhicules", WEEKLY_TABLE: "Arrêts par semaine",
                       COMMUNES_TABLE: "Communes desservies", TOUR_TABLE: "Tournée du jour"})
def mobile_view(session: Session, *, scope: AccessScope, filters: Filters,
                options: MobileOptions | None = None) -> MobileView:
    detail = detail_for(scope, filters, Dataset.MOBILE)
    now = (options or current_options()).now
    summary = q.summary(session, scope=scope, filters=filters)
    communes = q.communes_served(session, scope=scope, filters=filters)
    if detail.summary and summary:  # the weekly rollup is not read: the grid has months
        summary, weekly, communes = _from_grid(session, detail, filters, summary, communes)
    else:
        weekly = q.weekly(session, scope=scope, filters=filters)
    if detail.summary or detail.none:
        tour, vehicles = _summary_tour(session, detail, now), _vehicles(session, scope, filters, detail)
    else:
        tour, vehicles = _tour(session, scope, filters, detail, now)
    x = "month_key" if detail.summary else "week"
    series = weekly_series(weekly, x=x, group="status", value="stops", order=list(q.STATUS_LABELS.values()),
                           x_title="Mois" if detail.summary else "Semaine du",
                           x_labels=dict(zip(weekly["month_key"], weekly["month"], strict=True))
                           if detail.summary and not weekly.empty else None)
    # the total is the headline figure's, never a sum that leaves hidden cells out
    weekly_caption = (f"{detail.counted_secret(summary.stops_completed, 'arrêt réalisé', 'arrêts réalisés')} sur "
                      + (plural(weekly[x].nunique(), "mois", "mois") if detail.summary  # periods: not secret
                         else plural(weekly[x].nunique(), "semaine"))
                      + (" (niveau « synthèse » : par mois, valeurs publiées après perturbation statistique)"
                         if detail.summary else "") + "."
                      + (f" {SECRET_NOTE}" if series.masked else "") if not weekly.empty and summary
                      else "Aucun arrêt pour ce filtre.")
    return MobileView(
        detail=detail, stats=_stats(summary, detail) if summary else (),
        map=_map(session, detail, communes if map_context(filters, detail) == filters
                 else q.communes_served(session, scope=scope, filters=map_context(filters, detail)), vehicles,
                 filters),
        vehicles_table=TableView(VEHICLES_TABLE, "Dernière position des véhicules" if not detail.summary else
                                 "Véhicules par département",
                                 labelled(vehicles, SUMMARY_VEHICLE_COLUMNS if detail.summary else VEHICLE_COLUMNS),
                                 caption="" if detail.summary else
                                 "Lieu : la commune dont le centre est le plus proche de la dernière position ; "
                                 "arrivée estimée d'après le programme de la tournée et le retard observé dans la "
                                 "journée (heures de Paris)."),
        tour_table=tour,
        weekly=series,
        weekly_table=TableView(WEEKLY_TABLE, "Données du graphique",
                               labelled(weekly, MONTHLY_COLUMNS if detail.summary else WEEKLY_COLUMNS),
                               caption=weekly_caption),
        communes_table=TableView(COMMUNES_TABLE, "Communes desservies" if not detail.summary else
                                 "Activité par département",
                                 labelled(communes, SUMMARY_COMMUNE_COLUMNS) if detail.summary else
                                 labelled(with_epci(session, communes), COMMUNE_COLUMNS),
                                 caption=("Consultations, nouveaux patients et utilisation des créneaux dans chaque "
                                          "commune desservie." if not detail.summary else
                                          "Consultations, nouveaux patients et utilisation des créneaux par "
                                          "département (niveau « synthèse »)."), open=True),
        note=detail.note, query=filters.to_query(),
        incomplete=mobile_incomplete(session, detail=detail, period=filters.period))


MONTHLY_COLUMNS = {"month": "Mois", "status": "Statut", "stops": "Arrêts", "consultations": "Consultations"}


def _from_grid(session: Session, detail: Detail, filters: Filters, summary: q.MobileSummary,
               communes: pd.DataFrame):
    """Summary level: stops, consultations, new patients and slots from the publication grid (département ×
    month × status); communes served and the population they hold (census, not patients) as they are."""
    deps = detail.area.departements
    names = departement_points(session, deps).set_index("code")["name"]
    g = grid.mobile_grids(session, deps, filters.period)
    stops, cons, new, slots = g["stops"], g["consultations"], g["new_patients"], g["slots"]
    done = {"completed"}
    coming = Period(filters.today.replace(day=1), month_end(add_months(filters.today, 1)))
    planned = grid.mobile_grids(session, deps, coming)["stops"].total(categories={"planned"})
    completed = stops.total(categories=done)
    summary = replace(summary, stops_scheduled=grid.value_or_none(stops.total()),
                      stops_completed=grid.value_or_none(completed),
                      stops_cancelled=grid.value_or_none(stops.total(categories={"cancelled"})),
                      stops_upcoming_14d=grid.value_or_none(planned),
                      consultations=grid.value_or_none(cons.total()), new_patients=grid.value_or_none(new.total()),
                      consultations_per_stop=(cons.total().value / completed.value
                                              if completed.value and not cons.total().small else None),
                      slot_use_pct=published_rate(cons.total(), slots.total()))
    month_keys = grid.months(filters.period)
    monthly = pd.DataFrame([{"month_key": m, "month": grid.month_label(m), "status": q.STATUS_LABELS[st],
                             "stops": grid.shown(stops.total(periods={m}, categories={st})),
                             "consultations": grid.shown(cons.total(periods={m}) if st == "completed" else ZERO)}
                            for m in month_keys for st in ("completed", "cancelled")],
                           columns=["month_key", "month", "status", "stops", "consultations"])
    population = dict(zip(communes["name"], communes["population"], strict=True)) if not communes.empty else {}
    rows = []
    for d in deps:
        n, c, np_, sl = (x.total(deps={d}, categories=done) for x in (stops, cons, new, slots))
        if not n.value and not n.small:
            continue
        rows.append({"name": names[d], "code": d, "population": population.get(names[d], 0), "stops": grid.shown(n),
                     "consultations": grid.shown(c), "new_patients": grid.shown(np_),
                     "per_stop": round(c.value / n.value, 1) if n.value and not (n.small or c.small) else None,
                     "slot_use_pct": published_rate(c, sl)})
    return summary, monthly, pd.DataFrame(rows, columns=["name", "code", "population", "stops", "consultations",
                                                          "new_patients", "per_stop", "slot_use_pct"])


def _vehicles(session: Session, scope: AccessScope, filters: Filters, detail: Detail) -> pd.DataFrame:
    """How many vehicles each département has (summary; nothing at « none »). Detail: see `_tour`."""
    if detail.none:
        return pd.DataFrame(columns=list(SUMMARY_VEHICLE_COLUMNS))
    rows = session.execute(select(Departement.name, func.count(MobileUnit.id))
                           .join(Departement, Departement.code == MobileUnit.departement_code)
                           .where(MobileUnit.departement_code.in_(detail.area.departements))
                           .group_by(Departement.name).order_by(Departement.name)).all()
    return pd.DataFrame([(n, detail.count(int(v))) for n, v in rows], columns=["departement", "vehicles"])


def _place(points: pd.DataFrame, lat: float, lon: float) -> str:
    """Where a position is, in words: « à 1,2 km de Blécourt » (the commune whose centre is nearest)."""
    if points.empty:
        return "—"
    km = pairwise_km(np.array([lat]), np.array([lon]), points["lat"].to_numpy(float),
                     points["lon"].to_numpy(float))[0]
    i = int(km.argmin())
    name = points["name"].iloc[i]
    return f"au centre {of_place(name)}" if km[i] < 0.3 else f"à {fmt_number(km[i], 1)}\u00a0km {of_place(name)}"


def _coordinates(lat: float, lon: float) -> str:
    return (f"{fmt_number(lat, POSITION_DECIMALS)}\u00a0N, {fmt_number(abs(lon), POSITION_DECIMALS)}\u00a0"
            + ("E" if lon >= 0 else "O"))


def _time(at) -> str:
    return "" if at is None or at != at else clock(pd.Timestamp(at).to_pydatetime())


def _py(at) -> datetime | None:
    return None if at is None or at != at else pd.Timestamp(at).to_pydatetime()


def _tour(session: Session, scope: AccessScope, filters: Filters, detail: Detail,
          now: datetime) -> tuple[TableView, pd.DataFrame]:
    """Detail level: today's tour of every vehicle (stops planned, going on, done, cancelled, with planned,
    actual and estimated times) and each vehicle's last position, place and situation in the day."""
    day = paris_day(now)
    units = q.units(session, scope=scope, filters=filters)
    stops = q.day_stops(session, scope=scope, filters=filters, day=day)
    following = q.next_planned(session, unit_ids=[int(u) for u in units["unit_id"]], after_day=day)
    positions = q.vehicles(session, scope=scope, filters=filters).set_index("unit_id")
    points = q.commune_points(session, departements=detail.area.departements)
    tour_rows, vehicle_rows, lines = [], [], []
    for unit_id, unit in zip(units["unit_id"], units["unit"], strict=True):
        mine = stops[stops["unit_id"] == unit_id]
        day_stops = [TourStop(c, _py(pa), _py(pd_), _py(aa), _py(ad), st) for c, pa, pd_, aa, ad, st in zip(
            mine["commune"], mine["planned_arrival"], mine["planned_departure"], mine["actual_arrival"],
            mine["actual_departure"], mine["status"], strict=True)]
        where = situation(day_stops, now, following.get(int(unit_id)))
        for stop, insee, estimate in zip(day_stops, mine["insee"], arrival_estimates(day_stops, now), strict=True):
            late = (round((stop.actual_arrival - stop.planned_arrival).total_seconds() / 60)
                    if stop.actual_arrival else None)
            tour_rows.append({"unit": unit, "commune": stop.commune, "insee": insee,
                              "state": STATUS["cancelled" if stop.state == "cancelled" else stop.state]
                              + (" (non signalé)" if stop.missed(now) else ""),
                              "planned_arrival": clock(stop.planned_arrival),
                              "actual_arrival": _time(stop.actual_arrival),
                              "planned_departure": clock(stop.planned_departure),
                              "actual_departure": _time(stop.actual_departure),
                              "delay": late, "eta": clock(estimate) if estimate else ""})
        done = sum(1 for x in day_stops if x.state == "completed")
        lines.append(f"{unit} : {done} arrêt{'s' if done > 1 else ''} réalisé{'s' if done > 1 else ''} sur "
                     f"{len(day_stops)} — {where.text}")
        row = {"unit_id": unit_id, "unit": unit, "recorded_at": "—", "place": "—", "coordinates": "—",
               "situation": where.text, "next_stop": where.next_stop or "—",
               "eta": clock(where.eta) if where.eta else "—", "lat": None, "lon": None}
        if unit_id in positions.index:
            p = positions.loc[unit_id]
            at = paris(_py(p["recorded_at"]))
            row.update(recorded_at=f"{at:%d/%m/%Y} à {clock(_py(p['recorded_at']))}",
                       place=_place(points, float(p["lat"]), float(p["lon"])),
                       coordinates=_coordinates(float(p["lat"]), float(p["lon"])),
                       lat=round(float(p["lat"]), POSITION_DECIMALS), lon=round(float(p["lon"]), POSITION_DECIMALS))
        vehicle_rows.append(row)
    frame = pd.DataFrame(tour_rows, columns=list(TOUR_COLUMNS))
    frame["delay"] = frame["delay"].astype("Int64")
    states = frame["state"].value_counts() if not frame.empty else pd.Series(dtype=int)
    words = {"Réalisé": ("réalisé", "réalisés"), "En cours": ("en cours", "en cours"),
             "Programmé": ("à venir", "à venir"), "Annulé": ("annulé", "annulés")}
    counts = ", ".join(f"{int(states[k])} {words[k][int(states[k]) > 1]}" for k in words if k in states)
    caption = (f"Tournée du {day:%d/%m/%Y} ({day_words(now, now)}, heure de Paris, relevé à {clock(now)}) : "
               f"{len(frame)} arrêt{'s' if len(frame) > 1 else ''} programmé{'s' if len(frame) > 1 else ''}"
               + (f" — {counts}" if counts else "") + ". " + " · ".join(lines)
               + ". Retard : arrivée réelle moins arrivée prévue ; arrivée estimée : heure prévue plus le retard "
                 "observé dans la journée, jamais dans le passé.") if units.size else "Aucun véhicule pour ce filtre."
    return (TableView(TOUR_TABLE, "Tournée du jour", labelled(frame, TOUR_COLUMNS), caption=caption, open=True),
            pd.DataFrame(vehicle_rows, columns=["unit_id", *VEHICLE_COLUMNS, "lat", "lon"]))


def _summary_tour(session: Session, detail: Detail, now: datetime) -> TableView:
    """Summary level: today's stops per département and status, from the day's own grid cells (« < 11 »)."""
    day = paris_day(now)
    if detail.none:
        return TableView(TOUR_TABLE, "Tournée du jour", labelled(pd.DataFrame(columns=list(SUMMARY_TOUR_COLUMNS)),
                                                                  SUMMARY_TOUR_COLUMNS), caption="")
    deps = detail.area.departements
    names = departement_points(session, deps).set_index("code")["name"]
    cells = grid.mobile_day_grid(session, deps, day)
    rows = [{"departement": names[d], "scheduled": grid.shown(cells.total(deps={d})),
             "completed": grid.shown(cells.total(deps={d}, categories={"completed"})),
             "cancelled": grid.shown(cells.total(deps={d}, categories={"cancelled"})),
             "planned": grid.shown(cells.total(deps={d}, categories={"planned"}))}
            for d in deps if cells.select(deps={d})]
    frame = pd.DataFrame(rows, columns=list(SUMMARY_TOUR_COLUMNS))
    caption = (f"Arrêts des cabinets mobiles le {day:%d/%m/%Y} par département (niveau « synthèse » : ni véhicule, "
               "ni commune, ni heure ; valeurs publiées après perturbation statistique, « < 11 » pour 1 à 10)."
               if rows else f"Aucun arrêt programmé le {day:%d/%m/%Y} sur le territoire choisi.")
    return TableView(TOUR_TABLE, "Tournée du jour (par département)", labelled(frame, SUMMARY_TOUR_COLUMNS),
                     caption=caption, open=True)


def _map(session: Session, detail: Detail, communes: pd.DataFrame, vehicles: pd.DataFrame,
         filters: Filters) -> MapView:
    """A chosen commune (detail level) is outlined and framed on, among the communes served around it."""
    bounds = territory_bounds(session, detail.area.departements)
    if detail.none:
        return MapView(None, (), ((), ()), "Aucune donnée pour ce filtre.")
    if detail.summary:
        ref = departement_points(session, detail.area.departements).set_index("code")
        by_name = dict(zip(communes["name"], communes["consultations"], strict=True)) if not communes.empty else {}
        rows = [(code, by_name.get(ref.loc[code, "name"], 0)) for code in ref.index]
        area = departement_counts(dict(rows), noun="consultations", none="Aucune consultation",
                                  hover="%{z:,.0f} consultations en cabinet mobile sur la période",
                                  title="Consultations")
        return MapView(area, (), bounds,
                       "Carte par département (niveau « synthèse ») : consultations en cabinet mobile sur la "
                       "période — " + " ; ".join(f"{ref.loc[c, 'name']} : {detail.count(v)}" for c, v in rows) + ".")
    layers = []
    if not communes.empty:
        c = numeric(communes["consultations"]).fillna(0)
        scale = SizeScale(base=7, span=26, top=max(c.max(), 1))
        layers.append(PointLayer(
            "Communes desservies (surface ∝ consultations)", tuple(communes["lat"]), tuple(communes["lon"]),
            tuple(f"<b>{n}</b><br>{plural(s, 'arrêt')} · {plural(v, 'consultation')}<br>{plural(p, 'habitant')}"
                  for n, s, v, p in zip(communes["name"], communes["stops"], communes["consultations"],
                                        communes["population"], strict=True)),
            colour="#009E73", opacity=0.75, size=scale.sizes(c), customdata=tuple(communes["insee"]),
            size_legend=scale.legend("Consultations")))
    located = vehicles[vehicles["lat"].notna()] if not vehicles.empty else vehicles
    if not located.empty:  # vehicles differ from communes by size, colour, legend and hover, not colour alone
        layers.append(PointLayer(
            "Véhicules (dernière position)", tuple(located["lat"]), tuple(located["lon"]),
            tuple(f"<b>{u}</b><br>relevée le {t} (heure de Paris)<br>{p}<br>{w}"
                  for u, t, p, w in zip(located["unit"], located["recorded_at"], located["place"],
                                        located["situation"], strict=True)),
            colour="#000000", size=16, opacity=1.0))  # black: apart from the communes' green in greyscale too
    bounds, highlight = focus(session, detail, filters, bounds)
    chosen = f" La commune choisie, {commune_name(session, highlight)}, est entourée." if highlight else ""
    return MapView(None, tuple(layers), bounds,
                   f"{detail.counted(len(located), 'véhicule localisé', 'véhicules localisés')} ; "
                   f"{detail.counted(len(communes), 'commune desservie', 'communes desservies')} sur la période."
                   f"{chosen}",
                   highlight=highlight)
