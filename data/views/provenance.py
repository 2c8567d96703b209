"""Where a figure comes from: its feed sources, last data date, period, population vintage and secrecy rule.

Computed once per page view (a few small queries on the sources table and the rollups, cached with the
view) and attached to each of its cards, tables and maps, restricted to the feeds their registry entry
(data.indicators) draws on. The level decision is made here, in the view layer: at `summary` level a
provenance says how many sources and of which feed, never their names (a source may be named after its
site); at `detail` level it names them.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.formatting import fmt_date, fmt_month_range, plural
from data.geography import POPULATION_SOURCE, POPULATION_YEAR
from data.indicators import FEED_KINDS, INDICATORS
from data.models import (
    BiologyDaily,
    Commune,
    Dataset,
    FeedSource,
    HealthProfessional,
    Level,
    MobileDaily,
    ProgrammeIndicatorValue,
    Site,
    TeleconsultationDaily,
)
from data.queries.feeds import KIND_LABELS
from data.views.base import FINISHERS, SUMMARY_NOTE, Detail, MapView, Stat, TableView, detail_for
from data.views.overview import OverviewView

NO_PERTURBATION = "Aucune perturbation (niveau « détail ») : valeurs exactes."
POPULATION = f"{POPULATION_SOURCE}, population municipale {POPULATION_YEAR}"
MAP_KEYS = {"overview": "accueil-carte", "teleconsultation": "teleconsultation-carte",
            "mobile": "cabinets-mobiles-carte", "workforce": "professionnels-carte", "coverage": "couverture-carte",
            "planner": "couverture-scenario-carte"}  # the registry entry of each page's map


@dataclass(frozen=True)
class FeedOrigin:
    """One feed a figure draws on: how many sources deliver it here, their names (detail level only)."""

    kind: str
    label: str
    sources: int
    names: tuple[str, ...]  # empty at summary level
    last_day: date | None


@dataclass(frozen=True)
class Provenance:
    """What a card's « ? » and a panel's « Sources » line say about the figure's origin."""

    feeds: tuple[FeedOrigin, ...]
    period: str
    population: str
    secrecy: str
    summary: bool

    @property
    def last_day(self) -> date | None:
        days = [f.last_day for f in self.feeds if f.last_day is not None]
        return max(days) if days else None

    @property
    def source_count(self) -> int:
        return sum(f.sources for f in self.feeds)

    def only(self, kinds: tuple[str, ...]) -> Provenance:
        """The provenance of a figure drawing on `kinds` only (all of the view's feeds when none is said)."""
        kept = tuple(f for f in self.feeds if f.kind in kinds) if kinds else self.feeds
        return replace(self, feeds=kept)

    @property
    def sources_words(self) -> str:
        """« Téléconsultation (2 sources : A, B) » at detail; « Téléconsultation (2 sources) » at summary."""
        if not self.feeds:
            return "aucun flux (calcul sur la géographie seule)"
        parts = []
        for f in self.feeds:
            count = plural(f.sources, "source")
            parts.append(f"{f.label} ({count} : {', '.join(f.names)})" if f.names else f"{f.label} ({count})")
        return " ; ".join(parts)

    @property
    def last_words(self) -> str:
        return fmt_date(self.last_day) if self.last_day else "aucune donnée reçue"

    @property
    def line(self) -> str:
        """The short line under a chart: « Sources : … · données jusqu'au … »."""
        return (f"Sources : {self.sources_words} · données jusqu'au {self.last_words} · population "
                f"{POPULATION_SOURCE} {POPULATION_YEAR}")


def _sources(session: Session, kinds: tuple[str, ...], departements: tuple[str, ...]) -> dict[str, list[str]]:
    """Names of the sources of each feed kind that may deliver to the départements (a source scoped to sites
    counts only where one of its sites is; a source without site scope counts everywhere)."""
    rows = session.execute(select(FeedSource.name, FeedSource.feed_kind, FeedSource.site_codes)
                           .where(FeedSource.feed_kind.in_(kinds)).order_by(FeedSource.name)).all()
    codes = {c for _, _, sites in rows for c in (sites or [])}
    site_deps = dict(session.execute(select(Site.code, Commune.departement_code)
                                     .join(Commune, Commune.insee == Site.commune_insee)
                                     .where(Site.code.in_(codes))).all()) if codes else {}
    out: dict[str, list[str]] = {k: [] for k in kinds}
    for name, kind, sites in rows:
        if not sites or any(site_deps.get(c) in departements for c in sites):
            out[kind].append(name)
    return out


def _site_last_day(session: Session, rollup, departements: tuple[str, ...], end: date | None, since: date | None):
    stmt = (select(func.max(rollup.day)).join(Site, Site.id == rollup.site_id)
            .join(Commune, Commune.insee == Site.commune_insee).where(Commune.departement_code.in_(departements)))
    return session.scalar(_within(stmt, rollup.day, end, since))


def _within(stmt, day, end: date | None, since: date | None):
    if end is not None:
        stmt = stmt.where(day <= end)
    return stmt.where(day >= since) if since is not None else stmt


def _last_day(session: Session, kind: str, departements: tuple[str, ...], end: date | None,
              since: date | None = None) -> date | None:
    """The last day with data of a feed in the départements, up to the period's end (rollups, one MAX each), and
    from `since` on when the view reads the feed only from then (its cache entry is versioned by those months)."""
    if kind == "teleconsultation":
        return _site_last_day(session, TeleconsultationDaily, departements, end, since)
    if kind == "biology":
        return _site_last_day(session, BiologyDaily, departements, end, since)
    if kind == "mobile":
        stmt = (select(func.max(MobileDaily.day)).join(Commune, Commune.insee == MobileDaily.commune_insee)
                .where(Commune.departement_code.in_(departements), MobileDaily.status == "completed"))
        return session.scalar(_within(stmt, MobileDaily.day, end, since))
    if kind == "workforce":  # a registry extract: the day it was last received, as of the period's end
        last = session.scalar(select(func.max(HealthProfessional.received_at)))
        last = last.date() if isinstance(last, datetime) else last
        return min(last, end) if last is not None and end is not None else last
    if kind == "programme":
        stmt = select(func.max(ProgrammeIndicatorValue.period_end))
        return session.scalar(stmt.where(ProgrammeIndicatorValue.period_end <= end) if end else stmt)
    return None


def provenance(session: Session, *, scope: AccessScope, filters: Filters | None, level: Level,
               kinds: tuple[str, ...], note: str | None = None, since: dict[str, date] | None = None) -> Provenance:
    """The provenance of figures at `level` drawing on the feeds `kinds`, for the caller's territory (`since`: the
    first day each feed is read from, for views that read some feeds within months only)."""
    summary = level == Level.SUMMARY
    departements = scope.restrict(filters.departements if filters is not None else None)
    end = filters.period.end if filters is not None else None
    names = _sources(session, kinds, departements)
    feeds = tuple(FeedOrigin(k, KIND_LABELS.get(k, k), len(names[k]),
                             () if summary or scope.level(k) != Level.DETAIL else tuple(names[k]),
                             _last_day(session, k, departements, end, (since or {}).get(k))) for k in kinds)
    if filters is None:
        period = "48 dernières heures (7 jours pour les refus)"
    else:
        period = fmt_month_range(filters.month_from, filters.month_to)
        if filters.period.end < filters.month_to.replace(day=28):
            period += f" (jusqu'au {fmt_date(filters.period.end)})"
    secrecy = (note or SUMMARY_NOTE) if summary else NO_PERTURBATION
    return Provenance(feeds, period, POPULATION, secrecy, summary)


def _kinds(datasets: tuple[str, ...]) -> tuple[str, ...]:
    """The feeds a view reads: its datasets that are feeds (every feed for the feed-health page)."""
    if Dataset.FEEDS.value in datasets and len(datasets) == 1:
        return FEED_KINDS
    return tuple(k for k in FEED_KINDS if k in datasets)


def _feeds_of(key: str) -> tuple[str, ...]:
    entry = INDICATORS.get(key)
    return entry.feeds if entry is not None else ()


def _attach(value, base: Provenance, map_key: str | None):
    if isinstance(value, Stat):
        return replace(value, provenance=base.only(_feeds_of(value.ref)))
    if isinstance(value, TableView):
        return replace(value, provenance=base.only(_feeds_of(value.key)))
    if isinstance(value, MapView):
        key = value.key or map_key
        return replace(value, key=key, provenance=base.only(_feeds_of(key)) if key else base)
    if isinstance(value, tuple) and value and all(isinstance(v, Stat) for v in value):
        return tuple(_attach(v, base, map_key) for v in value)
    if isinstance(value, tuple) and value and all(_is_section(v) for v in value):  # e.g. /evaluation's sections
        attached = tuple(_attach(v, base, map_key) for v in value)
        return value if all(a is v for a, v in zip(attached, value, strict=True)) else attached
    if is_dataclass(value) and not isinstance(value, type):  # a section of the view (e.g. /flux quality)
        return _attach_fields(value, base, map_key)
    return value


def _is_section(value) -> bool:
    """A dataclass instance that may hold figures (tables, cards, charts): walked for provenance."""
    return is_dataclass(value) and not isinstance(value, type)


def _attach_fields(view, base: Provenance, map_key: str | None):
    changes = {f.name: new for f in fields(view) if f.init
               if (new := _attach(old := getattr(view, f.name), base, map_key)) is not old}
    return replace(view, **changes) if changes else view


def with_provenance(session: Session, view, *, spec, scope: AccessScope, filters: Filters | None):
    """The view with a provenance on each of its cards, tables and maps (KPIs: each of its own dataset)."""
    if not is_dataclass(view):
        return view
    if isinstance(view, OverviewView):
        kpis = tuple(replace(k, provenance=provenance(
            session, scope=scope, filters=filters, level=scope.level(k.dataset), kinds=_feeds_of(k.key),
            note=detail_for(scope, filters, Dataset(k.dataset)).note)) for k in view.kpis)
        base = provenance(session, scope=scope, filters=filters, level=view.workforce.level,
                          kinds=("workforce",), note=view.workforce.note)
        return replace(view, kpis=kpis, map=_attach(view.map, base, MAP_KEYS["overview"]))
    detail = getattr(view, "detail", None)
    if not isinstance(detail, Detail):
        if spec.dataset is None or filters is None:
            detail = None
        else:
            detail = detail_for(scope, filters, spec.dataset)
    level = detail.level if detail is not None else scope.level(spec.dataset) if spec.dataset else Level.DETAIL
    since = {d: min(months) for d, months in spec.dependencies(filters).items() if months}
    base = provenance(session, scope=scope, filters=filters, level=Level(level), kinds=_kinds(spec.datasets),
                      note=detail.note if detail is not None else None, since=since)
    return _attach_fields(view, base, MAP_KEYS.get(spec.name))


FINISHERS.append(with_provenance)
