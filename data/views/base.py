"""What a page view returns, and the one definition of the `summary` level.

A page view (`data/views/<page>.py`) computes everything its page shows — headline figures, tables,
map layers, captions — from one set of frames, already reduced to the caller's level of detail with
statistical secrecy applied. Callbacks, exports and reports only present it, so they cannot leak
detail nor disagree with each other.

The `summary` level, defined here once (DESIGN.md §4, issue #11):
- values per département only; maps draw département polygons (`departements.geojson`), never commune
  borders, framed on the territory; no point finer than a département's reference point;
- no name of a site, EHPAD, device, vehicle or commune, no commune code;
- every count from 1 to 10, in any text, card, hover, table or export, reads « < 11 »;
- captions say what level they show.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, is_dataclass, replace
from datetime import date, timedelta
from functools import wraps
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.formatting import fmt_number
from data.formatting import plural as plural_text
from data.indicators import indicator as registry_entry
from data.models import Commune, Dataset, Departement, Level
from data.queries.common import Area, area_for
from data.secrecy import SMALL_LABEL, is_small

COMMUNE, DEPARTEMENT = "commune", "departement"  # map levels (static geometry files, data.geography)
SUMMARY_NOTE = ("Niveau « synthèse » : chiffres par département et par mois, publiés après une légère perturbation "
                "statistique (chaque effectif de 1 à 10 lu « < 11 », les autres à ±2 près, toujours de la même "
                "façon) ; les filtres EPCI et commune ne s'appliquent pas.")
SECRET_NOTE = "Des effectifs sont masqués (secret statistique)."


@dataclass(frozen=True)
class Stat:
    """A headline figure as shown: label, value text and one line of context."""

    key: str
    label: str
    value: str
    detail: str | None = None
    hidden: bool = False  # the value is masked by statistical secrecy
    indicator: str | None = None  # its registry entry (data.indicators), when not `key` itself
    provenance: Any = field(default=None, compare=False)  # data.views.provenance.Provenance, set by the view

    @property
    def ref(self) -> str:
        """The registry key documenting this figure."""
        return self.indicator or self.key


def stat(key: str, value: str, detail: str | None = None, *, hidden: bool = False, indicator: str | None = None,
         **words: str) -> Stat:
    """A headline figure labelled by the registry (data.indicators): its text cannot drift from its method."""
    return Stat(key, registry_entry(indicator or key).label(**words), value, detail, hidden, indicator)


@dataclass(frozen=True)
class TableView:
    """A table under a chart, and exactly what its export serves (French headers, display order)."""

    key: str  # export key: /export/<key>.<csv|xlsx>
    title: str
    frame: pd.DataFrame = field(compare=False)
    caption: str = ""
    open: bool = False
    provenance: Any = field(default=None, compare=False)  # data.views.provenance.Provenance, set by the view


@dataclass(frozen=True)
class AreaLayer:
    """A choropleth: one value per area (commune or département), codes and numbers only."""

    level: str  # COMMUNE or DEPARTEMENT: which static geometry the browser draws
    codes: tuple[str, ...]
    values: tuple[float | None, ...]  # None: drawn grey, with `missing_hover`
    value_hover: str  # Plotly hovertemplate fragment over %{z} and %{customdata}
    colorbar_title: str
    customdata: tuple | None = None
    missing_hover: str | tuple[str, ...] = "Sans valeur"
    zmax: float | None = None
    zmin: float | None = None  # 0 unless said (a change map is centred on 0)
    colorscale: str | tuple | None = None  # the maps' sequential scale unless said (a diverging one for a change)


@dataclass(frozen=True)
class SizeLegend:
    """What the circles of a point layer sized by a count stand for: reference values and their diameters."""

    title: str  # what is counted, e.g. « Séances réalisées »
    values: tuple[float, ...]  # round reference values, smallest first
    sizes: tuple[float, ...]  # their circles' diameters (px), as the layer's markers are drawn


def reference_values(top: float, n: int = 3) -> tuple[float, ...]:
    """Up to `n` round values (1, 2 or 5 × 10^k) for a size legend, the largest at most `top`, each about a
    fifth of the next: 1 234 → (50, 200, 1 000)."""
    if top <= 0:
        return ()
    values: list[float] = []
    target = float(top)
    while len(values) < n and target >= 1:
        exp = math.floor(math.log10(target))
        nice = max(m * 10 ** exp for m in (1, 2, 5) if m * 10 ** exp <= target)
        if not values or nice < values[-1]:
            values.append(nice)
        target = nice / 5
    return tuple(sorted(int(v) if float(v).is_integer() else v for v in values))


@dataclass(frozen=True)
class SizeScale:
    """Circles whose surface grows with a count: diameter = base + span × √(value / top) pixels. The one rule
    that sizes a layer's markers and its legend's circles, so they cannot disagree."""

    base: float
    span: float
    top: float

    def size(self, value: float) -> float:
        return self.base + self.span * math.sqrt(max(float(value), 0.0) / max(float(self.top), 1.0))

    def sizes(self, values) -> tuple[float, ...]:
        return tuple(self.size(v) for v in values)

    def legend(self, title: str) -> SizeLegend:
        values = reference_values(max(float(self.top), 1.0))
        return SizeLegend(title, values, self.sizes(values))


@dataclass(frozen=True)
class PointLayer:
    """Markers on the map (sites, stops, vehicles; at summary level never finer than a département)."""

    name: str
    lat: tuple[float, ...]
    lon: tuple[float, ...]
    text: tuple[str, ...]
    colour: str
    size: float | tuple[float, ...] = 10
    opacity: float = 0.85
    customdata: tuple[str, ...] | None = None  # commune codes a click filters on (detail only)
    size_legend: SizeLegend | None = None  # markers sized by a count say what their sizes stand for


@dataclass(frozen=True)
class MapView:
    area: AreaLayer | None
    points: tuple[PointLayer, ...]
    bounds: tuple[tuple[float, ...], tuple[float, ...]]  # lats, lons the map is framed on
    caption: str
    outline: str = COMMUNE  # which borders a points-only map draws under its markers
    legend: bool = False
    highlight: str | None = None  # commune code drawn outlined (the commune chosen; detail level only)
    key: str | None = None  # its registry entry (data.indicators), set by the view
    provenance: Any = field(default=None, compare=False)

    @property
    def empty(self) -> bool:
        return (self.area is None or not self.area.codes) and not any(p.lat for p in self.points)


@dataclass(frozen=True)
class Detail:
    """The level at which one dataset is shown to the caller, and how counts read at that level."""

    level: Level
    area: Area
    filters: Filters

    @property
    def summary(self) -> bool:
        return self.level == Level.SUMMARY

    @property
    def none(self) -> bool:
        return self.area.empty

    @property
    def map_level(self) -> str:
        return DEPARTEMENT if self.summary else COMMUNE

    def hidden(self, n: int | float | None) -> bool:
        return self.summary and is_small(n)

    def count(self, n: int | float | str | None) -> str:
        """A count of people or events as shown: « < 11 » for 1–10 at summary level."""
        return shown_count(n, summary=self.summary)

    def secret(self, n: int | float | None) -> str:
        """A count that the query already withheld (None) reads « < 11 »; any other as `count`."""
        return SMALL_LABEL if n is None else self.count(n)

    def counted(self, n: int | float | str | None, singular: str, plural: str | None = None) -> str:
        """« 1 commune », « 3 communes », « < 11 communes » (hidden), « 0 commune »."""
        return shown_counted(n, singular, plural, summary=self.summary)

    def counted_secret(self, n: int | float | None, singular: str, plural: str | None = None) -> str:
        """`counted` of a count the query may have withheld (None: « < 11 … »)."""
        return self.counted(SMALL_LABEL if n is None else n, singular, plural)

    @property
    def note(self) -> str | None:
        if not self.summary:
            return None
        return SUMMARY_NOTE if self.filters.finer_than_departement else SUMMARY_NOTE.split(" ; les filtres")[0] + "."

    @property
    def scale_words(self) -> str:
        return "par département (niveau « synthèse »)" if self.summary else "par commune"


def departement_counts(counts: Mapping[str, int | str], *, noun: str, none: str, hover: str,
                       title: str) -> AreaLayer:
    """A summary map of a count per département (« < 11 » ones drawn grey, said in their hover)."""
    codes = tuple(counts)
    return AreaLayer(level=DEPARTEMENT, codes=codes,
                     values=tuple(None if isinstance(counts[c], str) else float(counts[c]) for c in codes),
                     value_hover=hover, colorbar_title=title,
                     missing_hover=tuple(f"{counts[c]} {noun} (secret statistique)" if isinstance(counts[c], str)
                                         else none for c in codes))


def shown_counted(n: int | float | str | None, singular: str, plural: str | None = None, *, summary: bool) -> str:
    """A count with its noun, agreed in French: « 0 commune », « 1 commune », « 3 communes », « < 11 communes »."""
    if n is None or isinstance(n, str) or (summary and is_small(n)):
        label = "—" if n is None else n if isinstance(n, str) else SMALL_LABEL
        return f"{label} {plural or singular + 's'}"
    return plural_text(n, singular, plural)


def shown_count(n: int | float | str | None, *, summary: bool) -> str:
    """The one rule for a count in text: « < 11 » for 1–10 at summary level, a label kept as it is."""
    if n is None:
        return "—"
    if isinstance(n, str):  # already a secrecy label
        return n
    return SMALL_LABEL if summary and is_small(n) else fmt_number(n)


def detail_for(scope: AccessScope, filters: Filters, dataset: Dataset) -> Detail:
    area = area_for(scope, filters, dataset)
    return Detail(scope.level(dataset), area, filters)


def departement_points(session: Session, departements: tuple[str, ...]) -> pd.DataFrame:
    """Each département's reference point (mean of its communes' points), name and population: the only
    coordinates a summary-level view may publish."""
    rows = session.execute(
        select(Commune.departement_code, Departement.name, func.avg(Commune.lat), func.avg(Commune.lon),
               func.sum(Commune.population))
        .join(Departement, Departement.code == Commune.departement_code)
        .where(Commune.departement_code.in_(departements))
        .group_by(Commune.departement_code, Departement.name).order_by(Commune.departement_code)).all()
    return pd.DataFrame([(c, n, float(la), float(lo), int(p or 0)) for c, n, la, lo, p in rows],
                        columns=["code", "name", "lat", "lon", "population"])


def territory_bounds(session: Session, departements: tuple[str, ...]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The box of the départements (their communes' extreme points): what a map is framed on."""
    if not departements:
        return (), ()
    la0, la1, lo0, lo1 = session.execute(
        select(func.min(Commune.lat), func.max(Commune.lat), func.min(Commune.lon), func.max(Commune.lon))
        .where(Commune.departement_code.in_(departements))).one()
    if la0 is None:
        return (), ()
    return (float(la0), float(la1)), (float(lo0), float(lo1))


FOCUS_LAT, FOCUS_LON = 0.06, 0.09  # around a chosen commune: its neighbours stay in the frame


def map_context(filters: Filters, detail: Detail) -> Filters:
    """The filters a map's values are computed on. A commune chosen at detail level is drawn among its
    neighbours — the rest of the selection (its EPCI if one is chosen, else the départements) —, framed
    on and outlined (`focus`); the headline figures and tables keep the commune alone. At summary level
    the commune filter does not apply at all."""
    if detail.summary or not filters.commune:
        return filters
    return replace(filters, commune=None)


def focus(session: Session, detail: Detail, filters: Filters,
          bounds: tuple[tuple[float, ...], tuple[float, ...]]) -> tuple[tuple[tuple[float, ...], tuple[float, ...]],
                                                                       str | None]:
    """(bounds, highlight) of a map: around the chosen commune, outlined, at detail level; else `bounds`."""
    if detail.summary or not filters.commune:
        return bounds, None
    point = session.execute(select(Commune.lat, Commune.lon).where(Commune.insee == filters.commune)).one_or_none()
    if point is None or point[0] is None:
        return bounds, None
    lat, lon = float(point[0]), float(point[1])
    return ((lat - FOCUS_LAT, lat + FOCUS_LAT), (lon - FOCUS_LON, lon + FOCUS_LON)), filters.commune


def commune_name(session: Session, insee: str | None) -> str | None:
    return session.scalar(select(Commune.name).where(Commune.insee == insee)) if insee else None


def with_epci(session: Session, frame: pd.DataFrame, insee: str = "insee") -> pd.DataFrame:
    """The frame with each commune's EPCI SIREN and name (columns `epci`, `epci_name`), for exports and tables."""
    from data.models import Epci

    if frame.empty or insee not in frame.columns:
        return frame.assign(epci=pd.Series(dtype=object), epci_name=pd.Series(dtype=object))
    rows = session.execute(select(Commune.insee, Commune.epci_code, Epci.name)
                           .outerjoin(Epci, Epci.code == Commune.epci_code)
                           .where(Commune.insee.in_(list(frame[insee].dropna().unique())))).all()
    codes = {c: (e, n) for c, e, n in rows}
    return frame.assign(epci=frame[insee].map(lambda c: codes.get(c, (None, None))[0]),
                        epci_name=frame[insee].map(lambda c: codes.get(c, (None, None))[1]))


def view_tables(view) -> Iterator[TableView]:
    """Every table of a view, those of its sections (a field holding a dataclass of tables, or a tuple of
    them) included."""
    for value in vars(view).values():
        yield from _tables_in(value)


def _tables_in(value) -> Iterator[TableView]:
    if isinstance(value, TableView):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tables_in(item)
    elif is_dataclass(value) and not isinstance(value, type):
        yield from view_tables(value)


def find_table(view, key: str) -> TableView | None:
    """The view's table exported under `key`; None when the view does not offer it (at this level)."""
    return next((t for t in view_tables(view) if t.key == key), None)


def labelled(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """The frame's columns named in `columns`, in that order, under their French headers."""
    present = [c for c in columns if c in frame.columns]
    return frame[present].rename(columns=dict(columns)).reset_index(drop=True)


# --- the registry of page views and of the tables they export -----------------------------------

@dataclass(frozen=True)
class ViewSpec:
    """A page view: what it reads (cache versions), who may ask, how URL arguments become its options."""

    name: str
    dataset: str | None
    datasets: tuple[str, ...]
    compute: Callable[..., Any] = field(compare=False)
    options: Callable[[Mapping[str, str], Filters], Any] = field(compare=False)  # URL args → options
    roles: tuple[str, ...] | None = None
    # filters → the months the view reads of some of its datasets (server/cache.py versions them per month);
    # a dataset it does not name here is read as a whole (latest states, trailing windows, all-time figures)
    months: Callable[[Filters], Mapping[str, tuple[date, ...]]] | None = field(default=None, compare=False)
    # a live page (polled): its view may be served up to LIVE_VIEW_MAX_AGE_SECONDS old (server/cache.py)
    live: bool = False

    def dependencies(self, filters: Filters | None, options=None) -> dict[str, tuple[date, ...] | None]:
        """dataset → the months of it the view reads for these filters (None: all of it)."""
        deps: dict[str, tuple[date, ...] | None] = dict.fromkeys(self.datasets)
        if self.months is not None and filters is not None:
            deps.update({d: tuple(m) for d, m in self.months(filters).items() if d in deps})
        return deps


def months_between(start: date, end: date) -> tuple[date, ...]:
    """The first days of the months from `start`'s to `end`'s, both included."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return tuple(months)


def period_months(filters: Filters, *, before_days: int = 0) -> tuple[date, ...]:
    """The months of the filters' period, starting `before_days` earlier (a baseline read before the period)."""
    return months_between(filters.period.start - timedelta(days=before_days), filters.period.end)


@dataclass(frozen=True)
class ExportSpec:
    key: str
    title: str
    view: str


VIEWS: dict[str, ViewSpec] = {}
EXPORTS: dict[str, ExportSpec] = {}
# What every view passes through once computed (data.views.provenance adds each figure's provenance), filled
# once at import time by the modules of data/views/, never changed after.
FINISHERS: list[Callable[..., Any]] = []


def register_view(name: str, *, dataset: str | None, datasets: tuple[str, ...],
                  options: Callable[[Mapping[str, str], Filters], Any], tables: Mapping[str, str] = (),
                  roles: tuple[str, ...] | None = None,
                  months: Callable[[Filters], Mapping[str, tuple[date, ...]]] | None = None, live: bool = False):
    """Register `compute(session, *, scope, filters, options)` as the view of a page, with its exports.

    `months(filters)` names, for datasets the view reads only within some months, those months: its cache entry
    then survives changes of other months (declare it only when every figure of the view, provenance included,
    reads nothing else of that dataset). `live`: the page polls for new data; its view may then be served up to
    LIVE_VIEW_MAX_AGE_SECONDS old rather than recomputed for every ingested batch (server/cache.py `page_view`)."""

    def decorate(func_):
        @wraps(func_)
        def compute(session: Session, *, scope: AccessScope, filters: Filters | None, options=None):
            view = func_(session, scope=scope, filters=filters, options=options)
            for finish in FINISHERS:
                view = finish(session, view, spec=VIEWS[name], scope=scope, filters=filters)
            return view

        VIEWS[name] = ViewSpec(name, dataset, datasets, compute, options, roles, months, live)
        for key, title in dict(tables).items():
            EXPORTS[key] = ExportSpec(key, title, name)
        return compute

    return decorate
