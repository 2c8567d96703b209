"""Couverture (ARS): GP accessibility, reach of the programme's services, under-served communes.

Every figure of the page comes from one frame of communes (accessibility, population, nearest GP), so
the cards, the map, the table and its export agree: « communes sous le seuil » is the number of rows of
the under-served table at detail level, and the sum of its « communes sous le seuil » column at
summary level.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.coverage import DEFAULT_THRESHOLD, Options
from data.filters import Filters
from data.formatting import fmt_number, plural
from data.models import Dataset, Epci, Level
from data.queries import coverage as q
from data.secrecy import SMALL_LABEL, protect_1d, protected_total
from data.url_codecs import Subset, Switch, choice
from data.views.base import (
    DEPARTEMENT,
    AreaLayer,
    Detail,
    MapView,
    PointLayer,
    Stat,
    TableView,
    commune_name,
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

NAME = "coverage"
UNDER_TABLE = "couverture-sous-dotees"
UNDER_EPCI_TABLE = "couverture-sous-dotees-epci"
SORTS = {  # the under-served working list: key → (label, column, descending)
    "habitants": ("habitants sous le seuil", "population", True),
    "accessibilite": ("accessibilité la plus faible", "accessibility", False),
    "medecin": ("médecin généraliste le plus éloigné", "nearest_gp_km", True),
    "service": ("service du programme le plus éloigné", "nearest_service_km", True),
}
DEFAULT_SORT = "habitants"
ACCESS_ZMAX = 6.0
LAYERS = q.LAYERS
DEFAULT_LAYERS = ("teleconsultation", "mobile")
LAYER_DATASET = {"gp": Dataset.WORKFORCE, "teleconsultation": Dataset.TELECONSULTATION, "mobile": Dataset.MOBILE,
                 "biology": Dataset.BIOLOGY}  # a layer names places: detail on its own dataset too
LAYER_COLOURS = {"gp": "#000000", "teleconsultation": "#0072B2", "mobile": "#D55E00", "biology": "#CC79A7"}
LAYER_SIZES = {"gp": 6, "teleconsultation": 11, "mobile": 9, "biology": 14}  # size tells layers apart too
DETAIL_COLUMNS = {"name": "Commune", "insee": "Code INSEE", "epci_name": "EPCI", "epci": "SIREN de l'EPCI",
                  "departement": "Département", "population": "Population",
                  "accessibility": "Accessibilité (consultations / hab. / an)",
                  "nearest_gp_km": "Médecin généraliste le plus proche (km)",
                  "nearest_service": "Service du programme le plus proche", "nearest_service_km": "Distance (km)"}
SUMMARY_COLUMNS = {"departement": "Département", "population": "Population",
                   "accessibility": "Accessibilité moyenne (consultations / hab. / an)",
                   "communes": "Communes habitées", "under": "Communes sous le seuil",
                   "under_pop": "Habitants sous le seuil", "zero": "Communes sans médecin à moins de 20 km"}


@dataclass(frozen=True)
class CoverageOptions:
    on: date
    threshold: float = DEFAULT_THRESHOLD
    exclude_65_plus: bool = True
    layers: tuple[str, ...] = DEFAULT_LAYERS
    sort: str = DEFAULT_SORT

    @property
    def method(self) -> Options:
        return Options(on=self.on, exclude_65_plus=self.exclude_65_plus, threshold=self.threshold)

    def in_words(self) -> tuple[tuple[str, str], ...]:
        """The page's controls as an export's metadata says them."""
        return (("Seuil", f"{fmt_number(self.threshold, 1)} consultation par habitant et par an"
                 if self.threshold < 2 else f"{fmt_number(self.threshold, 1)} consultations par habitant et par an"),
                ("Médecins de 65 ans et plus", "exclus" if self.exclude_65_plus else "inclus"),
                ("Services affichés", ", ".join(LAYERS[k].lower() for k in self.layers) or "aucun"))

    def to_query(self) -> str:
        """The page's own controls in the URL (after the shared filters)."""
        return (f"&seuil={fmt_threshold(self.threshold)}" + ("" if self.exclude_65_plus else "&avec65=1")
                + f"&couches={','.join(self.layers) or 'aucune'}"
                + ("" if self.sort == DEFAULT_SORT else f"&tri={self.sort}"))


def _communes(n) -> str:
    """« 12 communes », « 1 commune », or a secrecy label « < 11 communes »."""
    return f"{n} communes" if isinstance(n, str) else plural(int(n), "commune")


def fmt_threshold(t: float) -> str:
    return f"{t:g}"


def coverage_options(*, filters: Filters, threshold=None, exclude_65_plus: bool = True,
                     layers=DEFAULT_LAYERS, sort=DEFAULT_SORT) -> CoverageOptions:
    """Options from page controls or URL arguments, validated the same way for both."""
    if isinstance(layers, str):
        layers = layers.split(",")
    chosen = tuple(k for k in LAYERS if k in set(layers or ()))
    return CoverageOptions(on=filters.period.end, threshold=q.parse_threshold(threshold),
                           exclude_65_plus=bool(exclude_65_plus), layers=chosen,
                           sort=sort if sort in SORTS else DEFAULT_SORT)


# URL parameters of the page's own controls (bound to the controls in components/url_state.py)
THRESHOLD = q.THRESHOLD  # seuil
EXCLUDE_65 = Switch(on="65", default_on=True)  # avec65=1: GPs aged 65+ counted
LAYERS_CODEC = Subset(tuple(LAYERS), DEFAULT_LAYERS)  # couches
SORT_CODEC = choice(tuple(SORTS), DEFAULT_SORT)  # tri: how the under-served list is ranked


def options_from_args(args: Mapping[str, str], filters: Filters) -> CoverageOptions:
    return coverage_options(filters=filters, threshold=args.get("seuil"),
                            exclude_65_plus=bool(EXCLUDE_65.decode(args.get("avec65"))),
                            layers=LAYERS_CODEC.decode(args.get("couches")), sort=SORT_CODEC.decode(args.get("tri")))


@dataclass(frozen=True)
class CoverageView:
    detail: Detail
    options: CoverageOptions
    stats: tuple[Stat, ...]
    map: MapView
    under: TableView
    note: str | None
    query: str
    under_epci: TableView | None = None  # detail level: the list's totals per EPCI


def _empty(detail: Detail, options: CoverageOptions, filters: Filters) -> CoverageView:
    return CoverageView(detail, options, (), MapView(None, (), ((), ()), "Aucune commune pour ce filtre."),
                        TableView(UNDER_TABLE, "Communes sous le seuil", pd.DataFrame()), detail.note,
                        filters.to_query() + options.to_query())


@register_view(NAME, dataset=Dataset.COVERAGE.value,
               datasets=(Dataset.COVERAGE.value, Dataset.WORKFORCE.value, Dataset.TELECONSULTATION.value,
                         Dataset.MOBILE.value, Dataset.BIOLOGY.value),
               options=options_from_args, tables={UNDER_TABLE: "Communes sous-dotées",
                                                  UNDER_EPCI_TABLE: "Communes sous-dotées par EPCI"})
def coverage_view(session: Session, *, scope: AccessScope, filters: Filters, options: CoverageOptions) -> CoverageView:
    detail = detail_for(scope, filters, Dataset.COVERAGE)
    if detail.none:
        return _empty(detail, options, filters)
    access = q.accessibility(session, scope=scope, filters=filters, options=options.method)
    if access.empty:
        return _empty(detail, options, filters)
    populated = access[access["population"] > 0]
    low = populated[q.below(populated["accessibility"], options.threshold)]
    zero = populated[populated["accessibility"] == 0]
    if detail.summary:
        return _summary(session, detail, options, filters, access, populated, low, zero)
    return _detail(session, scope, detail, options, filters, access, populated, low, zero)


def _weighted_mean(df: pd.DataFrame) -> float | None:
    pop = df["population"].sum()
    return float((df["accessibility"] * df["population"]).sum() / pop) if pop else None


def _stats(mean, under: str, under_pop: str, under_share: str, zero: str, populated: str,
           threshold: float, *, hidden: tuple[bool, bool, bool]) -> tuple[Stat, ...]:
    return (
        stat("cov-mean", fmt_number(mean, 2),
             "consultations de médecine générale par habitant et par an (moyenne pondérée par la population)"),
        stat("cov-under", under,
             f"seuil {fmt_number(threshold, 1)} ; sur {populated} habitées", hidden=hidden[0]),
        stat("cov-under-pop", under_pop, under_share, hidden=hidden[1]),
        stat("cov-zero", zero,
             "accessibilité nulle : aucune offre dans l'aire de 20 km", hidden=hidden[2]),
    )


def _detail(session, scope, detail: Detail, options, filters, access, populated, low, zero) -> CoverageView:
    points = q.service_points(session, scope=scope, filters=filters, options=options.method)
    layers = tuple(k for k in options.layers if scope.level(LAYER_DATASET[k]) == Level.DETAIL)
    points = points[points["kind"].isin(layers)] if not points.empty else points
    under = q.under_served(session, scope=scope, filters=filters, options=options.method, access=access,
                           points=points)
    total_pop = int(populated["population"].sum())
    under_pop = int(low["population"].sum())
    mean = _weighted_mean(populated)
    stats = _stats(mean, fmt_number(len(under)), fmt_number(under_pop),
                   f"soit {fmt_number(under_pop / total_pop * 100 if total_pop else None, 1)}\u00a0% de la population",
                   fmt_number(len(zero)), plural(len(populated), "commune"), options.threshold,
                   hidden=(False, False, False))
    context = map_context(filters, detail)  # a chosen commune among its neighbours
    drawn = access if context == filters else q.accessibility(session, scope=scope, filters=context,
                                                              options=options.method)
    has_pop = drawn["population"] > 0
    area = AreaLayer(
        level=detail.map_level, codes=tuple(drawn["insee"]),
        values=tuple(round(float(v), 2) if p else None for v, p in zip(drawn["accessibility"], has_pop, strict=True)),
        value_hover=(f"%{{z:.2f}} consultations / hab. / an (seuil {fmt_number(options.threshold, 1)})<br>"
                     "%{customdata[0]:,} habitants · généraliste le plus proche : %{customdata[1]:.1f} km"),
        customdata=tuple(zip(drawn["population"].astype(int).tolist(),
                             drawn["nearest_supply_km"].round(1).tolist(), strict=True)),
        missing_hover="Aucun habitant", colorbar_title="Consultations / hab. / an", zmax=ACCESS_ZMAX)
    shown = points[points["insee"].isin(drawn["insee"])] if not points.empty else points
    layer_points = tuple(
        PointLayer(name=LAYERS[k], lat=tuple(sub["lat"]), lon=tuple(sub["lon"]), text=tuple(sub["name"]),
                   colour=LAYER_COLOURS[k], size=LAYER_SIZES[k], opacity=0.9, customdata=tuple(sub["insee"]))
        for k in layers if not (sub := shown[shown["kind"] == k]).empty)
    caption = (f"Carte de {plural(len(access), 'commune')} : accessibilité moyenne {fmt_number(mean, 2)} "
               f"{'consultation' if (mean or 0) < 2 else 'consultations'} par habitant et par an ; "
               f"{plural(len(under), 'commune')} ({plural(under_pop, 'habitant')}) sous le seuil de "
               f"{fmt_number(options.threshold, 1)}.")
    label, column, descending = SORTS[options.sort]
    under = under.sort_values([column, "population"], ascending=[not descending, False], na_position="last",
                              kind="stable").reset_index(drop=True)
    table = TableView(UNDER_TABLE, "Communes sous le seuil", labelled(with_epci(session, under), DETAIL_COLUMNS),
                      caption=f"Communes habitées dont l'accessibilité est sous le seuil, classées par {label}, "
                              "avec le médecin généraliste et le service du programme les plus proches.", open=True)
    bounds, highlight = focus(session, detail, filters, (tuple(drawn["lat"]), tuple(drawn["lon"])))
    if highlight:
        caption += f" La commune choisie, {commune_name(session, highlight)}, est entourée parmi ses voisines."
    return CoverageView(detail, options, stats,
                        MapView(area, layer_points, bounds, caption, legend=True, highlight=highlight),
                        table, None, filters.to_query() + options.to_query(), _under_by_epci(session, populated, low))


EPCI_COLUMNS = {"epci_name": "EPCI", "under": "Communes sous le seuil", "under_pop": "Habitants sous le seuil",
                "population": "Population de l'EPCI (communes affichées)", "share": "Part sous le seuil (%)",
                "mean": "Accessibilité moyenne"}


def _under_by_epci(session: Session, populated: pd.DataFrame, low: pd.DataFrame) -> TableView:
    """The working list's totals per EPCI, the most inhabitants under the threshold first."""
    names = dict(session.execute(select(Epci.code, Epci.name)).all())
    pop = populated.assign(epci_name=populated["epci"].map(names).fillna("Sans EPCI"),
                           under=populated["insee"].isin(low["insee"]),
                           weighted=populated["accessibility"] * populated["population"])
    pop["under_pop"] = pop["population"].where(pop["under"], 0)
    by = (pop.groupby("epci_name").agg(under=("under", "sum"), under_pop=("under_pop", "sum"),
                                       population=("population", "sum"), weighted=("weighted", "sum"))
          .reset_index())
    by = by[by["under"] > 0]
    by["share"] = (by["under_pop"] / by["population"] * 100).round(1)
    by["mean"] = (by["weighted"] / by["population"]).round(2)
    by["under"] = by["under"].astype(int)
    by = by.sort_values(["under_pop", "under"], ascending=False)
    return TableView(UNDER_EPCI_TABLE, "Sous le seuil, par EPCI", labelled(by, EPCI_COLUMNS),
                     caption="Par EPCI : communes et habitants sous le seuil, leur part de la population de l'EPCI "
                             "(communes affichées) et l'accessibilité moyenne, le plus d'habitants d'abord.")


def _summary(session, detail: Detail, options, filters, access, populated, low, zero) -> CoverageView:
    """Per département: weighted accessibility, and how many communes and inhabitants are under the
    threshold (counts of 1–10 hidden, with a second cell when one alone would be)."""
    deps = detail.area.departements
    ref = departement_points(session, deps).set_index("code")
    by_dep = pd.DataFrame(index=pd.Index(deps, name="code"))
    by_dep["population"] = populated.groupby("departement")["population"].sum()
    by_dep["weighted"] = (populated["accessibility"] * populated["population"]).groupby(
        populated["departement"]).sum()
    by_dep["communes"] = populated.groupby("departement").size()
    by_dep["under"] = low.groupby("departement").size()
    by_dep["under_pop"] = low.groupby("departement")["population"].sum()
    by_dep["zero"] = zero.groupby("departement").size()
    by_dep = by_dep.fillna(0)
    by_dep["accessibility"] = (by_dep["weighted"] / by_dep["population"].where(by_dep["population"] > 0)).round(2)
    cells = {c: {d: int(by_dep.loc[d, c]) for d in deps} for c in ("under", "under_pop", "zero")}
    labels = {c: protect_1d(v) for c, v in cells.items()}
    totals = {c: protected_total(cells[c], labels[c], deps) for c in cells}
    table = by_dep.reset_index().assign(departement=lambda f: f["code"].map(ref["name"]))
    for c in cells:
        table[c] = [labels[c][d] or int(v) for d, v in zip(table["code"], table[c], strict=True)]
    table["population"] = table["population"].astype(int)
    table["communes"] = table["communes"].astype(int)
    total_pop = int(by_dep["population"].sum())
    mean = float(by_dep["weighted"].sum() / total_pop) if total_pop else None

    def shown(cell) -> str:
        return cell.label if cell.value is None else fmt_number(cell.value)

    share = ("part de la population masquée (secret statistique)" if totals["under_pop"].value is None else
             f"soit {fmt_number(totals['under_pop'].value / total_pop * 100 if total_pop else None, 1)}\u00a0% "
             "de la population")
    stats = _stats(mean, shown(totals["under"]), shown(totals["under_pop"]), share, shown(totals["zero"]),
                   plural(int(by_dep['communes'].sum()), "commune"), options.threshold,
                   hidden=tuple(totals[c].value is None for c in ("under", "under_pop", "zero")))
    area = AreaLayer(
        level=DEPARTEMENT, codes=tuple(deps), values=tuple(None if v != v else float(v)
                                                           for v in by_dep["accessibility"]),
        value_hover=("%{z:.2f} consultations / hab. / an en moyenne dans le département "
                     f"(seuil {fmt_number(options.threshold, 1)})<br>%{{customdata[0]}} sous le seuil"),
        customdata=tuple((_communes(u),) for u in table["under"]),
        missing_hover="Aucun habitant", colorbar_title="Consultations / hab. / an", zmax=ACCESS_ZMAX)
    parts = [f"{n} : {fmt_number(a, 2)} ({_communes(u)} sous le seuil)"
             for n, a, u in zip(table["departement"], table["accessibility"], table["under"], strict=True)]
    caption = ("Carte par département (niveau « synthèse ») : accessibilité moyenne pondérée par la population "
               "— " + " ; ".join(parts) + ". Les services du programme sont localisés au niveau « détail » seulement.")
    frame = labelled(table, SUMMARY_COLUMNS)
    under_table = TableView(UNDER_TABLE, "Communes sous le seuil, par département", frame,
                            caption="Par département : accessibilité moyenne, communes et habitants sous le seuil "
                                    f"(effectifs de 1 à 10 : « {SMALL_LABEL} »).", open=True)
    bounds = territory_bounds(session, deps)
    return CoverageView(detail, options, stats, MapView(area, (), bounds, caption), under_table, detail.note,
                        filters.to_query() + options.to_query())

