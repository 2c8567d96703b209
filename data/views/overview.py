"""Vue d'ensemble: headline figures of every feed the caller may see, and GP density on the map."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import data.views.grid as grid
from data.access import AccessScope
from data.filters import Filters, Period
from data.formatting import fmt_date, fmt_number, plural
from data.geography import departement_names
from data.models import Dataset, Epci, Level
from data.queries.overview import PER_INHABITANTS, Kpi, first_days, gp_density_map, overview_kpis, populations
from data.views.base import (
    AreaLayer,
    Detail,
    MapView,
    commune_name,
    detail_for,
    focus,
    map_context,
    register_view,
    territory_bounds,
)
from data.views.trends import compare

NAME = "overview"
GP_DENSITY_ZMAX = 20.0  # colour scale capped so rural differences stay visible


@dataclass(frozen=True)
class OverviewView:
    kpis: tuple[Kpi, ...]
    map: MapView
    workforce: Detail


def options_from_args(_args: Mapping[str, str], _filters: Filters) -> None:
    return None


@register_view(NAME, dataset=None, datasets=tuple(d.value for d in Dataset), options=options_from_args,
               live=True)
def overview_view(session: Session, *, scope: AccessScope, filters: Filters, options: None = None) -> OverviewView:
    detail = detail_for(scope, filters, Dataset.WORKFORCE)
    # An EPCI or commune filter narrows a headline figure only where its dataset is shown in detail;
    # at summary level the figure stays the département's, from the publication grid.
    areas = {d: detail_for(scope, filters, d).area for d in Dataset}
    kpis = tuple(_from_grid(session, scope, filters, k) if scope.level(k.dataset) == Level.SUMMARY else k
                 for k in overview_kpis(session, scope=scope, filters=filters, areas=areas))
    starts = first_days(session)
    kpis = tuple(_compared(k, filters, summary=scope.level(k.dataset) == Level.SUMMARY, first_day=starts.get(k.key))
                 for k in kpis)
    if filters.finer_than_departement:  # each card says which area it covers: the commune, or its département
        kpis = tuple(replace(k, covers=_covers(session, scope, filters, k.dataset)) for k in kpis)
    df = gp_density_map(session, scope=scope, filters=map_context(filters, detail))  # a commune among its neighbours
    if detail.summary and not df.empty:
        df = _published_stock(session, scope, df, filters.period.end)
    return OverviewView(kpis, _map(session, detail, df, filters), detail)


def _published_stock(session: Session, scope: AccessScope, df: pd.DataFrame, on) -> pd.DataFrame:
    """Summary level: each département's GPs as the publication grid publishes them (the workforce page's and the
    headline figure's cells), never the exact count, which the density times the public population gave back
    (two month ends then gave the exact net flow the page publishes only as grid cells)."""
    stock = grid.workforce_stock(session, scope.restrict(None), "medecin_gp", on)
    cells = {d: stock.total(deps=[d]) for d in df["departement"].unique()}
    df = df.copy()
    df["gps"] = df["departement"].map(lambda d: cells[d].value).astype("Int64")
    df["secret"] = df["departement"].map(lambda d: cells[d].label)
    population = df["population"].where(df["population"] > 0)
    df["density"] = (df["gps"].astype(float) / population * PER_INHABITANTS).round(2)
    hidden = df["secret"].notna()
    df.loc[hidden, "density"] = float("nan")
    df.loc[hidden, "gps"] = pd.NA
    return df


def _covers(session: Session, scope: AccessScope, filters: Filters, dataset: str) -> str:
    """« Commune : Bar-le-Duc (55029) » where the figure follows the filter, else the départements it stays on."""
    if scope.level(dataset) == Level.DETAIL:
        if filters.commune:
            return f"Commune : {commune_name(session, filters.commune) or filters.commune} ({filters.commune})"
        name = session.scalar(select(Epci.name).where(Epci.code == filters.epci))
        return f"EPCI : {name or filters.epci}"
    names = departement_names(session)
    deps = scope.restrict(filters.departements)
    shown = ", ".join(f"{names.get(d, d)} ({d})" for d in deps)
    return f"{'Département' if len(deps) == 1 else 'Départements'} : {shown} (niveau « synthèse »)"


def _compared(kpi: Kpi, filters: Filters, *, summary: bool, first_day) -> Kpi:
    """The KPI with its comparison: the period it is compared with is the one its figure was computed on."""
    stock = kpi.key == "gp_density"  # detail: the stock on the period's first day
    if summary:
        before = grid.previous_months(filters)
    else:
        before = Period(filters.period.start, filters.period.start) if stock else filters.period.previous()
    nothing = "aucun médecin généraliste dans ce territoire" if stock else "aucun service dans ce territoire"
    return replace(kpi, comparison=compare(kpi.value, kpi.previous, before=before, first_day=first_day,
                                           decimals=kpi.decimals, value_label=kpi.value_label,
                                           previous_label=kpi.previous_label, nothing=nothing))


def _from_grid(session: Session, scope: AccessScope, filters: Filters, kpi: Kpi) -> Kpi:
    """A summary-level headline figure, from the publication grid: the same published cells as its page,
    compared with the same number of whole months before (never an overlapping window)."""
    deps = scope.restrict(filters.departements)
    now, before = filters.period, grid.previous_months(filters)
    if kpi.key == "gp_density":
        population = sum(populations(session, scope=scope, departements=deps).values())
        values = [grid.workforce_stock(session, deps, "medecin_gp", day).total() for day in (now.end, before.end)]

        def density(cell):
            return cell.value / population * PER_INHABITANTS if population and not cell.small else None

        return replace(kpi, value=density(values[0]), previous=density(values[1]),
                       value_label=values[0].label, previous_label=values[1].label)
    measure = {"teleconsultations": lambda p: grid.teleconsultation_grids(session, deps, p)["sessions"].total(
                   categories={"completed"}),
               "poc_tests": lambda p: grid.biology_grids(session, deps, p)["tests"].total(),
               "mobile_consultations": lambda p: grid.mobile_grids(session, deps, p)["consultations"].total()}
    values = [measure[kpi.key](p) for p in (now, before)]
    return replace(kpi, value=grid.value_or_none(values[0]), previous=grid.value_or_none(values[1]),
                   value_label=values[0].label, previous_label=values[1].label)


def _missing(area: str, secret: str | None) -> str:
    if secret:
        return f"Département {area} : {secret} médecins généralistes (secret statistique)"
    return "Sans valeur (aucun habitant)"


def _map(session: Session, detail: Detail, df: pd.DataFrame, filters: Filters) -> MapView:
    if df.empty:
        return MapView(None, (), ((), ()), "Aucune donnée de démographie médicale accessible pour ce filtre.")
    on = filters.period.end
    if detail.summary:  # one value per département, on département polygons
        deps = df.drop_duplicates("departement")
        area = AreaLayer(level=detail.map_level, codes=tuple(deps["departement"]),
                         values=tuple(None if v != v else float(v) for v in deps["density"]),
                         value_hover="Valeur du département : %{z:.1f} médecins pour 10 000 hab.",
                         missing_hover=tuple(_missing(a, s) for a, s in zip(deps["area_name"], deps["secret"],
                                                                             strict=True)),
                         colorbar_title="Médecins / 10 000 hab.", zmax=GP_DENSITY_ZMAX)
        parts = [f"{name} : {secret + ' médecins (secret statistique)' if secret else fmt_number(d, 1)}"
                 for name, d, secret in deps[["area_name", "density", "secret"]].itertuples(index=False)]
        caption = (f"Carte au niveau départemental (niveau de détail « synthèse ») au {fmt_date(on)}. "
                   "Médecins généralistes pour 10 000 habitants — " + " ; ".join(parts) + ".")
        return MapView(area, (), territory_bounds(session, tuple(deps["departement"])), caption)
    area = AreaLayer(level=detail.map_level, codes=tuple(df["insee"]),
                     values=tuple(None if v != v else float(v) for v in df["density"]),
                     value_hover="%{z:.1f} médecins pour 10 000 hab.<br>%{customdata:,} médecins généralistes",
                     customdata=tuple(int(g) for g in df["gps"]),
                     missing_hover=tuple(_missing(a, s) for a, s in zip(df["area_name"], df["secret"], strict=True)),
                     colorbar_title="Médecins / 10 000 hab.", zmax=GP_DENSITY_ZMAX)
    without = int((df["gps"] == 0).sum())
    pop_without = int(df.loc[df["gps"] == 0, "population"].sum())
    total_gps, total_pop = int(df["gps"].sum()), int(df["population"].sum())
    caption = (f"Carte de {plural(len(df), 'commune')} au {fmt_date(on)} : "
               f"{plural(total_gps, 'médecin généraliste', 'médecins généralistes')} pour "
               f"{plural(total_pop, 'habitant')}, soit "
               f"{fmt_number(total_gps / total_pop * 10_000 if total_pop else None, 1)} pour 10 000. "
               + (f"{plural(without, 'commune')} ({plural(pop_without, 'habitant')}) "
                  f"{'n’a' if without < 2 else 'n’ont'} aucun médecin généraliste installé."))
    bounds, highlight = focus(session, detail, filters, (tuple(df["lat"]), tuple(df["lon"])))
    if highlight:
        caption += f" La commune choisie, {commune_name(session, highlight)}, est entourée."
    return MapView(area, (), bounds, caption, highlight=highlight)
