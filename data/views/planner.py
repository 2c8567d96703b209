"""Planificateur de couverture (ARS): a scenario's accessibility before / after, and suggested sites.

A scenario is the coverage view's computation with extra (or less) supply: the same 2SFCA, the same
options, the same border ring (data/coverage.py), recomputed incrementally from the cached catchment
(data/planner.py). Everything here is commune-level, so it is shown only to callers at `detail` on
coverage (ARS officers, administrators, members whose college is granted it); anyone else gets a
refusal and no figure — in the page, the callback route and the export alike.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from data import siting
from data.access import AccessScope
from data.coverage import with_changes
from data.filters import Filters
from data.formatting import fmt_number
from data.models import Dataset, Departement, Epci
from data.planner import KINDS, Change, Plan, parse_plan, retiring_supply, supply_deltas, valid_change
from data.queries import coverage as q
from data.queries.common import area_for
from data.scenarios import SavedScenario, get_scenario, may_plan
from data.views.base import COMMUNE, AreaLayer, MapView, PointLayer, Stat, TableView, labelled, register_view, stat
from data.views.coverage import CoverageOptions, coverage_options

NAME, SUGGEST = "planner", "planner-suggest"
SCENARIO_TABLE, EPCI_TABLE = "couverture-scenario", "couverture-scenario-epci"
SCENARIOS_VERSION = "scenarios"  # cache version bumped when a saved scenario changes
REFUSED = ("Le planificateur de couverture travaille à la commune : il est réservé aux agents de l'ARS, aux "
           "administrateurs et aux collèges qui ont accès au détail de la couverture.")
CHANGE_COLOURS = ((0.0, "#b2182b"), (0.5, "#f7f7f7"), (1.0, "#2166ac"))  # red = lower, blue = higher (ColorBrewer)
KIND_COLOURS = {"gp": "#000000", "mobile": "#D55E00", "teleconsultation": "#0072B2"}
COMMUNE_COLUMNS = {"insee": "Code INSEE", "name": "Commune", "epci_name": "EPCI", "departement": "Département",
                   "population": "Population", "before": "Accessibilité avant", "after": "Accessibilité après",
                   "delta": "Écart", "status": "Situation"}
EPCI_COLUMNS = {"epci_name": "EPCI", "communes": "Communes", "population": "Population",
                "under_before": "Habitants sous le seuil avant", "under_after": "Habitants sous le seuil après",
                "lifted": "Habitants portés au-dessus du seuil", "dropped": "Habitants passés sous le seuil",
                "mean_before": "Accessibilité moyenne avant", "mean_after": "Accessibilité moyenne après"}
LEAVING, ENTERING, STAYING = "sort de la liste", "entre dans la liste", "reste sous le seuil"


@dataclass(frozen=True)
class PlannerOptions:
    coverage: CoverageOptions
    plan: Plan = Plan()
    scenario_id: int | None = None

    def to_query(self) -> str:
        c = self.coverage  # the page's threshold and 65+ option; the layers are the main map's business
        return (f"&seuil={c.threshold:g}" + ("" if c.exclude_65_plus else "&avec65=1") + self.plan.to_query()
                + (f"&scenario={self.scenario_id}" if self.scenario_id else ""))


def _scenario_id(value) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if 0 < n < 2**31 else None


def planner_options(*, filters: Filters, threshold=None, exclude_65_plus: bool = True, plan: Plan = Plan(),
                    scenario_id=None) -> PlannerOptions:
    return PlannerOptions(coverage_options(filters=filters, threshold=threshold, exclude_65_plus=exclude_65_plus,
                                           layers=()), plan, _scenario_id(scenario_id))


def options_from_args(args: Mapping[str, str], filters: Filters) -> PlannerOptions:
    return planner_options(filters=filters, threshold=args.get("seuil"), exclude_65_plus=args.get("avec65") != "1",
                           plan=parse_plan(args.get("plan"), args.get("retraite")), scenario_id=args.get("scenario"))


@dataclass(frozen=True)
class PlannerView:
    refused: bool
    message: str | None
    plan: Plan
    scenario: SavedScenario | None = None
    changes: tuple[str, ...] = ()  # each change, described
    stats: tuple[Stat, ...] = ()
    map: MapView | None = None
    epci: TableView | None = None
    communes: TableView | None = None
    query: str = ""


def _refused(plan: Plan = Plan()) -> PlannerView:
    return PlannerView(True, REFUSED, plan)


def _area_filters(filters: Filters) -> Filters:
    """The planner works on départements and EPCI: a chosen commune is a place to add supply, not an area."""
    return replace(filters, commune=None)


@dataclass(frozen=True, eq=False)
class _State:
    """The computation behind a planner view (scenario or suggestion): the model, the area and the after."""

    model: q.Model
    frame: pd.DataFrame  # the area's communes: insee, name, departement, epci, epci_name, population, i
    after: np.ndarray
    plan: Plan


def _frame(session: Session, scope: AccessScope, filters: Filters, m: q.Model) -> pd.DataFrame:
    area = area_for(scope, _area_filters(filters), Dataset.COVERAGE)
    inside = set(session.scalars(area.communes()))
    df = m.communes.assign(i=np.arange(len(m.communes)))
    df = df[df["insee"].isin(inside)].copy()
    epci = dict(session.query(Epci.code, Epci.name).all())
    deps = dict(session.query(Departement.code, Departement.name).all())
    df["epci_name"] = df["epci"].map(epci).fillna("Sans EPCI")
    df["departement"] = df["departement"].map(deps)
    return df


def _state(session, scope, filters, options: CoverageOptions, plan: Plan) -> _State:
    m = q.model(session, scope=scope, options=options.method)
    retiring = (retiring_supply(m.gp_rows, on=options.on, exclude_65_plus=options.exclude_65_plus)
                if plan.retire_soon else None)
    deltas = supply_deltas(m.catchment, m.supply, plan, retiring)
    return _State(m, _frame(session, scope, filters, m), with_changes(m.catchment, m.access, deltas), plan)


def _describe(change: Change, names: Mapping[str, str]) -> str:
    kind = KINDS[change.kind]
    verb = "retirer" if change.amount < 0 else "ajouter"
    return (f"{kind.label} — {names.get(change.insee, change.insee)} ({change.insee}) : {verb} "
            f"{fmt_number(abs(change.amount), 1 if change.amount % 1 else 0)} {kind.unit}, "
            f"{fmt_number(abs(change.consultations))} consultations par an")


@register_view(NAME, dataset=Dataset.COVERAGE.value,
               datasets=(Dataset.COVERAGE.value, Dataset.WORKFORCE.value, SCENARIOS_VERSION),
               options=options_from_args,
               tables={SCENARIO_TABLE: "Scénario — accessibilité avant / après par commune",
                       EPCI_TABLE: "Scénario — effet par EPCI"})
def planner_view(session: Session, *, scope: AccessScope, filters: Filters, options: PlannerOptions) -> PlannerView:
    if not may_plan(scope):
        return _refused(options.plan)
    scenario = get_scenario(session, scope=scope, scenario_id=options.scenario_id) if options.scenario_id else None
    plan = scenario.plan if scenario is not None and options.plan.empty else options.plan
    st = _state(session, scope, filters, options.coverage, plan)
    return _present(st, options, scenario, filters)


def _present(st: _State, options: PlannerOptions, scenario: SavedScenario | None, filters: Filters) -> PlannerView:
    t = options.coverage.threshold
    m, df = st.model, st.frame.copy()
    n = m.catchment.inside
    df["before"] = m.access[:n][df["i"]].round(2)
    df["after"] = st.after[:n][df["i"]].round(2)
    df["delta"] = (st.after[:n][df["i"]] - m.access[:n][df["i"]]).round(2)
    inhabited = df["population"] > 0
    under_b = inhabited & (df["before"] < t)
    under_a = inhabited & (df["after"] < t)
    df["status"] = np.select([under_b & ~under_a, ~under_b & under_a, under_b & under_a],
                             [LEAVING, ENTERING, STAYING], "")
    pop = df["population"]
    lifted, dropped = int(pop[under_b & ~under_a].sum()), int(pop[~under_b & under_a].sum())
    total = int(pop.sum())
    mean_b = float((df["before"] * pop).sum() / total) if total else None
    mean_a = float((df["after"] * pop).sum() / total) if total else None
    names = dict(zip(m.communes["insee"], m.communes["name"], strict=True))
    changes = tuple(_describe(c, names) for c in st.plan.changes) + (
        ("Départ des médecins généralistes de 62 ans et plus (dans 3 ans, ils en auront 65)",)
        if st.plan.retire_soon else ())
    stats = (
        stat("plan-under", f"{fmt_number(int(under_b.sum()))} → {fmt_number(int(under_a.sum()))}",
             f"{fmt_number(int((under_b & ~under_a).sum()))} sortent de la liste, "
             f"{fmt_number(int((~under_b & under_a).sum()))} y entrent"),
        stat("plan-under-pop", f"{fmt_number(int(pop[under_b].sum()))} → {fmt_number(int(pop[under_a].sum()))}",
             f"seuil {fmt_number(t, 1)} consultation(s) par habitant et par an"),
        stat("plan-lifted", fmt_number(lifted),
             f"et {fmt_number(dropped)} {'passé' if dropped < 2 else 'passés'} sous le seuil"),
        stat("plan-mean", f"{fmt_number(mean_b, 2)} → {fmt_number(mean_a, 2)}",
             "consultations par habitant et par an, pondérée par la population"),
    )
    changed = df[(df["delta"] != 0) | df["status"].isin([LEAVING, ENTERING])]
    changed = changed.sort_values(["delta", "population"], ascending=[False, False])
    communes = TableView(SCENARIO_TABLE, "Communes dont l'accessibilité change", labelled(changed, COMMUNE_COLUMNS),
                         caption=f"{fmt_number(len(changed))} communes dont l'accessibilité (consultations par "
                                 "habitant et par an, deux décimales) change avec le scénario, la plus grande hausse "
                                 "d'abord ; « sort de la liste » : la commune passe au-dessus du seuil.", open=True)
    by = df.assign(under_before=pop.where(under_b, 0), under_after=pop.where(under_a, 0),
                   lifted=pop.where(under_b & ~under_a, 0), dropped=pop.where(~under_b & under_a, 0),
                   wb=df["before"] * pop, wa=df["after"] * pop)
    epci = (by.groupby("epci_name").agg(communes=("insee", "size"), population=("population", "sum"),
                                          under_before=("under_before", "sum"), under_after=("under_after", "sum"),
                                          lifted=("lifted", "sum"), dropped=("dropped", "sum"), wb=("wb", "sum"),
                                          wa=("wa", "sum")).reset_index())
    epci["mean_before"] = (epci["wb"] / epci["population"].where(epci["population"] > 0)).round(2)
    epci["mean_after"] = (epci["wa"] / epci["population"].where(epci["population"] > 0)).round(2)
    epci = epci.sort_values(["lifted", "under_after"], ascending=[False, False])
    epci_table = TableView(EPCI_TABLE, "Effet par EPCI", labelled(epci, EPCI_COLUMNS),
                           caption="Par EPCI : habitants sous le seuil avant et après le scénario, habitants portés "
                                   "au-dessus du seuil ou passés sous le seuil, accessibilité moyenne.")
    return PlannerView(False, None, st.plan, scenario, changes, stats, _change_map(st, df), epci_table, communes,
                       filters.to_query() + options.to_query())


def _change_map(st: _State, df: pd.DataFrame) -> MapView:
    biggest = float(df["delta"].abs().max()) if len(df) else 0.0
    zabs = max(biggest, 0.05)
    area = AreaLayer(
        level=COMMUNE, codes=tuple(df["insee"]),
        values=tuple(float(v) if p > 0 else None for v, p in zip(df["delta"], df["population"], strict=True)),
        value_hover=("écart %{z:+.2f} consultation / hab. / an<br>"
                     "avant %{customdata[0]:.2f} → après %{customdata[1]:.2f}"),
        customdata=tuple(zip(df["before"].tolist(), df["after"].tolist(), strict=True)),
        missing_hover="Aucun habitant", colorbar_title="Écart (consultations / hab. / an)", zmax=zabs, zmin=-zabs,
        colorscale=CHANGE_COLOURS)
    m = st.model
    where = {c: i for c, i in zip(m.communes["insee"], range(len(m.communes)), strict=True)}
    points = []
    for key, kind in KINDS.items():
        mine = [c for c in st.plan.changes if c.kind == key and c.insee in where]
        if mine:
            points.append(PointLayer(
                name=f"{kind.label} (scénario)", lat=tuple(float(m.communes["lat"].iloc[where[c.insee]]) for c in mine),
                lon=tuple(float(m.communes["lon"].iloc[where[c.insee]]) for c in mine),
                text=tuple(f"{m.communes['name'].iloc[where[c.insee]]} : {fmt_number(c.amount, 1)} {kind.unit}"
                           for c in mine),
                colour=KIND_COLOURS[key], size=13, opacity=0.95, customdata=tuple(c.insee for c in mine)))
    caption = (f"Carte de l'écart d'accessibilité dû au scénario sur {fmt_number(len(df))} communes : en bleu les "
               "hausses, en rouge les baisses ; les symboles marquent les services ajoutés. Cliquez une commune pour "
               "la choisir comme lieu du prochain changement.")
    return MapView(area, tuple(points), (tuple(df["lat"]) if "lat" in df else (), tuple(df["lon"]) if "lon" in df
                                          else ()), caption, legend=bool(points))


# --- « Proposer N emplacements » ---------------------------------------------------------------

@dataclass(frozen=True)
class SuggestOptions:
    planner: PlannerOptions  # the scenario the sites are added to
    kind: str = "gp"
    amount: float = 1.0
    count: int = 3
    objective: str = "above"
    only_hosts: bool = False  # only communes that already host a programme service
    time_limit: float = siting.TIME_LIMIT_S


MAX_SITES = 10


def suggest_options(*, planner: PlannerOptions, kind, amount, count, objective="above",
                    only_hosts=False) -> SuggestOptions:
    change = valid_change(kind, "55000", amount)
    if change is None or change.amount <= 0:
        change = Change("gp", "55000", 1.0)
    try:
        count = max(1, min(MAX_SITES, int(count)))
    except (TypeError, ValueError):
        count = 3
    return SuggestOptions(planner, change.kind, change.amount, count,
                          objective if objective in siting.OBJECTIVES else "above", bool(only_hosts))


@dataclass(frozen=True)
class Suggestion:
    refused: bool
    message: str | None
    plan: Plan = Plan()  # the scenario with the exact solution's sites added
    exact: tuple[str, ...] = ()  # names (INSEE) of the exact solution's communes
    greedy: tuple[str, ...] = ()
    exact_value: int = 0
    greedy_value: int = 0
    status: str = ""
    objective: str = ""
    seconds: float = 0.0

    @property
    def gain(self) -> int:
        return self.exact_value - self.greedy_value


def _suggest_args(args: Mapping[str, str], filters: Filters) -> SuggestOptions:
    return suggest_options(planner=options_from_args(args, filters), kind=args.get("type", "gp"),
                           amount=args.get("capacite", 1), count=args.get("n", 3), objective=args.get("objectif"),
                           only_hosts=args.get("sites") == "1")


@register_view(SUGGEST, dataset=Dataset.COVERAGE.value,
               datasets=(Dataset.COVERAGE.value, Dataset.WORKFORCE.value, Dataset.TELECONSULTATION.value,
                         Dataset.MOBILE.value, Dataset.BIOLOGY.value, SCENARIOS_VERSION),
               options=_suggest_args)
def suggest_view(session: Session, *, scope: AccessScope, filters: Filters, options: SuggestOptions) -> Suggestion:
    if not may_plan(scope):
        return Suggestion(True, REFUSED)
    popts = options.planner
    scenario = get_scenario(session, scope=scope, scenario_id=popts.scenario_id) if popts.scenario_id else None
    plan = scenario.plan if scenario is not None and popts.plan.empty else popts.plan
    st = _state(session, scope, filters, popts.coverage, plan)
    c = st.model.catchment
    area = st.frame["i"].to_numpy()
    candidates = area
    if options.only_hosts:
        points = q.service_points(session, scope=scope, filters=_area_filters(filters), options=popts.coverage.method)
        hosts = set(points.loc[points["kind"] != "gp", "insee"]) if not points.empty else set()
        candidates = st.frame.loc[st.frame["insee"].isin(hosts), "i"].to_numpy()
    counted = np.zeros(c.inside, bool)
    counted[area] = True
    capacity = KINDS[options.kind].consultations(options.amount)
    p = siting.problem(c, st.after, capacity=capacity, threshold=popts.coverage.threshold, candidates=candidates,
                       counted=counted, objective=options.objective)
    greedy = siting.greedy(p, options.count)
    exact = siting.exact(p, options.count, time_limit=options.time_limit, start=greedy)
    codes = st.model.communes["insee"].to_numpy()
    names = st.model.communes["name"].to_numpy()
    def label(sites):
        return (tuple(f"{names[j]} ({codes[j]})" for j in sites))
    if exact.optimal:
        status = f"solution optimale (prouvée par HiGHS en {fmt_number(exact.seconds, 1)} s)"
    elif exact.time_limited:
        status = (f"arrêté à la limite de temps ({fmt_number(options.time_limit, 0)} s) : meilleure solution trouvée, "
                  f"écart à l'optimum au plus {fmt_number((exact.gap or 0) * 100, 1)} %")
    else:
        status = "le solveur n'a pas conclu"
    added = tuple(Change(options.kind, str(codes[j]), options.amount) for j in exact.sites)
    return Suggestion(False, None, Plan(plan.changes + added, plan.retire_soon), label(exact.sites),
                      label(greedy.sites), int(exact.value), int(greedy.value), status,
                      siting.OBJECTIVES[options.objective], exact.seconds + greedy.seconds)
