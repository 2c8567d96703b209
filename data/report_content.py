"""What a monthly report says: the recipient's page views for a calendar month, presented for print.

Every figure, table and caption comes from the page views (`data/views/`) computed for the recipient's own
access scope, so the level of detail and statistical secrecy are the ones the screen applies — decided
there, never here. Charts are built by the figures' builders the pages use (`components/charts.py`,
`components/maps.py`) with the geometry inlined, so a headless browser can draw them offline.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from components.charts import indicator_chart, series_bars
from components.maps import view_map
from data.access import COLLEGES, AccessScope
from data.filters import Filters, add_months, month_end, month_start, parse_filters
from data.formatting import PARIS, fmt_date, fmt_number, to_paris
from data.geography import GEO_DIR, GEOMETRY_FILES, departement_names
from data.indicators import INDICATORS, SOURCES
from data.models import Level, User
from data.terminology import EXPERIMENTS
from data.views import VIEWS
from data.views.base import Stat, TableView
from data.views.biology import biology_options
from data.views.coverage import coverage_options
from data.views.metadata import DETAIL_RULE, PAGE_PATHS, export_metadata, view_level
from data.views.mobile import MobileOptions
from data.views.programme import programme_options
from data.views.workforce import workforce_options

ROLE_WORDS = {"member": "Membre", "ars": "Officier ARS", "admin": "Administrateur"}


@dataclass(frozen=True)
class Chart:
    """A page's chart for print: its panel title, the figure as the page builds it, the view's caption."""

    title: str
    figure: dict = field(compare=False)
    caption: str = ""
    height: int = 380
    provenance: str = ""  # the view's « Sources : … · données jusqu'au … » line (data.views.provenance)


@dataclass(frozen=True)
class Headline:
    """A headline figure for the month and the same figure for the month before, as the views show them."""

    label: str
    value: str
    previous: str
    detail: str | None = None


@dataclass(frozen=True)
class Table:
    """A view's table and what its export says about itself (« Métadonnées »)."""

    page: str
    view_table: TableView = field(compare=False)
    metadata: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Section:
    page: str
    title: str
    subtitle: str  # which of the page's views (a programme's experiment), or ""
    level: Level
    note: str | None
    rule: str
    headlines: tuple[Headline, ...]
    charts: tuple[Chart, ...]
    tables: tuple[Table, ...]
    sources: tuple[str, ...]
    address: str
    window: str = ""  # when the page is read on more than the month (quarterly indicators)
    definitions: tuple[tuple[str, str], ...] = ()  # (name, definition) of its headline figures (data.indicators)


@dataclass(frozen=True)
class ReportContent:
    recipient: str
    email: str
    profile: str
    departements: str
    month: date
    previous_month: date
    data_until: date
    generated_at: datetime
    sections: tuple[Section, ...]


# --- the pages a report carries, and how each page view is presented --------------------------------------

@dataclass(frozen=True)
class ReportPage:
    """One page of the dashboard in a report: its view(s) for the month, their charts and tables."""

    name: str
    title: str
    options: Callable[[Filters, datetime], list[tuple[str, Any]]]  # (subtitle, options) per view computed
    charts: Callable[[Any, Callable], list[Chart]]
    tables: Callable[[Any], list[TableView | None]]
    months: int = 1  # the window the page is read on, ending with the report's month (indicators are quarterly)
    window_words: str = ""
    several: bool = False  # one view per option (a programme experiment), those without a value left out


def _only(value) -> Callable[[Filters, datetime], list[tuple[str, Any]]]:
    return lambda filters, at: [("", value(filters, at))]


def _overview_charts(view, geo) -> list[Chart]:
    return [Chart("Médecins généralistes pour 10 000 habitants", view_map(view.map, geojson_url=geo),
                  view.map.caption, 520)]


def _tc_charts(view, geo) -> list[Chart]:
    return [Chart("Séances réalisées par semaine (par mois au niveau « synthèse »)",
                  series_bars(view.weekly, y_title="Séances réalisées", x_title="Semaine du"),
                  view.weekly_table.caption),
            Chart("Sites de téléconsultation", view_map(view.map, geojson_url=geo), view.map.caption, 520)]


def _mobile_charts(view, geo) -> list[Chart]:
    return [Chart("Véhicules et communes desservies", view_map(view.map, geojson_url=geo), view.map.caption, 520),
            Chart("Arrêts par semaine (par mois au niveau « synthèse »)",
                  series_bars(view.weekly, y_title="Arrêts", x_title="Semaine du", height=500),
                  view.weekly_table.caption, 500)]


def _biology_charts(view, _geo) -> list[Chart]:
    return [Chart("Analyses par semaine (par mois au niveau « synthèse ») et par examen",
                  series_bars(view.weekly, y_title="Analyses", x_title="Semaine du"), view.weekly_table.caption),
            Chart("Par EHPAD et par examen : taux d'anormaux",
                  series_bars(view.sites, y_title="Résultats anormaux (%)", stacked=False, height=420,
                              hover_format=",.1f"), view.sites_table.caption, 420)]


def _workforce_charts(view, geo) -> list[Chart]:
    return [Chart("Densité pour 10 000 habitants", view_map(view.map, geojson_url=geo), view.map.caption, 520),
            Chart("Pyramide des âges", series_bars(view.ages, y_title="Professionnels", horizontal=True, height=480),
                  view.ages_table.caption, 480),
            Chart("Installations et départs par trimestre", series_bars(view.flows, y_title=view.label, stacked=False),
                  view.flows_table.caption)]


def _coverage_charts(view, geo) -> list[Chart]:
    return [Chart("Accessibilité aux médecins généralistes", view_map(view.map, geojson_url=geo), view.map.caption,
                  600)]


def _programme_charts(view, _geo) -> list[Chart]:
    return [Chart("Valeur de l'indicateur et cible, par territoire", indicator_chart(view.chart),
                  view.table.caption, 420)]


def _month_clock(filters: Filters, at: datetime) -> datetime:
    """The clock live figures (device state, vehicles) are read at: the end of the month (Paris), or `at`
    (naive UTC) if sooner, to the hour."""
    end = datetime.combine(filters.period.end + timedelta(days=1), time(), tzinfo=PARIS)
    return min(at, end.astimezone(UTC).replace(tzinfo=None)).replace(minute=0, second=0, microsecond=0)


REPORT_PAGES: tuple[ReportPage, ...] = (
    ReportPage("overview", "Vue d'ensemble", _only(lambda f, at: None), _overview_charts, lambda v: []),
    ReportPage("teleconsultation", "Téléconsultation", _only(lambda f, at: None), _tc_charts,
               lambda v: [v.weekly_table, v.sites_table]),
    ReportPage("mobile", "Cabinets mobiles", _only(lambda f, at: MobileOptions(_month_clock(f, at))), _mobile_charts,
               lambda v: [v.weekly_table, v.communes_table]),
    ReportPage("biology", "Biologie délocalisée", _only(lambda f, at: biology_options(_month_clock(f, at))),
               _biology_charts, lambda v: [v.devices_table, v.weekly_table, v.sites_table]),
    ReportPage("workforce", "Professionnels de santé", _only(lambda f, at: workforce_options()), _workforce_charts,
               lambda v: [v.density_table, v.ages_table, v.flows_table]),
    ReportPage("coverage", "Couverture", _only(lambda f, at: coverage_options(filters=f)), _coverage_charts,
               lambda v: [v.under, v.under_epci]),
    ReportPage("programme", "Programme",
               lambda f, at: [(label, programme_options(key)) for key, label in EXPERIMENTS.items()],
               _programme_charts, lambda v: [v.table], months=12, several=True,
               window_words="indicateurs trimestriels ou annuels : les 12 mois jusqu'au mois du rapport"),
)
PAGES_BY_NAME = {p.name: p for p in REPORT_PAGES}


def page_choices(scope: AccessScope) -> list[tuple[str, str]]:
    """(view name, French title) of the report pages this scope may open, in menu order."""
    return [(p.name, p.title) for p in REPORT_PAGES if scope.can_open(VIEWS[p.name].dataset, VIEWS[p.name].roles)]


def report_filters(month: date, *, today: date, territory: tuple[str, ...], months: int = 1) -> Filters:
    """The filters of the page's own link for that calendar month (`?du=2026-11&au=2026-11`), or for the
    `months` ending with it."""
    return parse_filters({"du": f"{add_months(month, 1 - months):%Y-%m}", "au": f"{month:%Y-%m}"}, today=today,
                         territory=territory)


@lru_cache(maxsize=4)
def _geometry(level: str) -> dict:
    return json.loads((GEO_DIR / GEOMETRY_FILES[level]).read_text(encoding="utf-8"))


def inline_geometry(level: str) -> dict:
    """The geometry itself where the page passes its URL: a report is drawn without the app's server."""
    return _geometry(level)


# --- composing ---------------------------------------------------------------------------------------------

def _stat_value(stat: Stat | None) -> str:
    return "—" if stat is None else stat.value


def _headlines(view, previous) -> tuple[Headline, ...]:
    if hasattr(view, "kpis"):  # the overview's cards: the figure of each month, as each card shows it
        before = {k.key: k for k in previous.kpis}

        def shown(k) -> str:
            return "—" if k is None else k.value_label or fmt_number(k.value, k.decimals) + _unit(k.unit)

        return tuple(Headline(k.label, shown(k), shown(before.get(k.key)),
                              k.covers or f"dernière donnée : {fmt_date(k.last_day)}") for k in view.kpis)
    before = {s.key: s for s in getattr(previous, "stats", ())}
    return tuple(Headline(s.label, s.value, _stat_value(before.get(s.key)), s.detail) for s in view.stats)


def _unit(unit: str) -> str:
    return f"\u00a0{unit}" if unit and unit not in ("", "/10 000 hab.") else (f" {unit}" if unit else "")


def _compute(session: Session, name: str, *, scope: AccessScope, filters: Filters, options):
    spec = VIEWS[name]
    return spec.compute(session, scope=scope, filters=filters, options=options)


def compose(session: Session, *, scope: AccessScope, user: User, month: date, pages: list[str] | None,
            territory: tuple[str, ...], now: datetime, version: str = "", base_url: str = "") -> ReportContent:
    """The report of `month` for `user` (their own `scope`): each page they may see, as its view shows it."""
    month = month_start(month)
    today = min(to_paris(now).date(), month_end(month) + timedelta(days=1))
    filters = report_filters(month, today=today, territory=territory)
    wanted = [name for name, _ in page_choices(scope) if pages is None or name in pages]
    sections = []
    for name in wanted:
        page = PAGES_BY_NAME[name]
        spec = VIEWS[name]
        now_filters = report_filters(month, today=today, territory=territory, months=page.months)
        before_filters = report_filters(add_months(month, -1), today=today, territory=territory, months=page.months)
        found = []
        for (subtitle, options), (_, before_options) in zip(page.options(now_filters, now),
                                                           page.options(before_filters, now), strict=True):
            view = _compute(session, name, scope=scope, filters=now_filters, options=options)
            if getattr(view, "refused", False):
                continue
            tables = [t for t in page.tables(view) if t is not None]
            if subtitle and all(t.frame.empty for t in tables):  # one of several views (an experiment): no value
                continue
            before = _compute(session, name, scope=scope, filters=before_filters, options=before_options)
            found.append(_section(session, page, spec, view, before, tables, subtitle=subtitle, scope=scope,
                                  filters=now_filters, options=options, now=now, version=version, base_url=base_url))
        if not found and page.several:  # none of its views (experiments) has a value on the period
            found.append(Section(page=name, title=page.title, subtitle="", window=page.window_words,
                                 level=scope.level(spec.dataset),
                                 note="Aucune valeur d'indicateur publiée sur la période.", rule=DETAIL_RULE,
                                 headlines=(), charts=(), tables=(),
                                 sources=tuple(SOURCES[d] for d in spec.datasets if d in SOURCES),
                                 address=f"{base_url.rstrip('/')}{PAGE_PATHS.get(name, '/')}{now_filters.to_query()}"))
        sections += found
    names = departement_names(session)
    deps = ", ".join(f"{names.get(c, c)} ({c})" for c in scope.restrict(filters.departements)) or "aucun"
    profile = ROLE_WORDS.get(user.role, user.role)
    if user.college_slug:
        profile += f" — {COLLEGES.get(user.college_slug, user.college_slug)}"
    return ReportContent(recipient=user.full_name, email=user.email, profile=profile, departements=deps,
                         month=month, previous_month=add_months(month, -1), data_until=filters.period.end,
                         generated_at=now, sections=tuple(sections))


def _section(session: Session, page: ReportPage, spec, view, before, tables: list[TableView], *, subtitle: str,
             scope: AccessScope, filters: Filters, options, now: datetime, version: str, base_url: str) -> Section:
    """One page view as a part of the report: what the view decided (level, note, figures), for print."""
    detail = getattr(view, "detail", None) or getattr(view, "workforce", None)  # the overview: its map's level
    level = Level(detail.level) if detail is not None else view_level(view)
    note = getattr(view, "note", None) or (detail.note if detail is not None else None)
    rule = note if level == Level.SUMMARY and note else DETAIL_RULE
    charts = tuple(page.charts(view, inline_geometry))
    map_line = _line(getattr(getattr(view, "map", None), "provenance", None))
    charts = tuple(replace(c, provenance=map_line) if c.figure.get("layout", {}).get("map") else c for c in charts)
    said = {c.caption for c in charts}
    printed = tuple(Table(page.name, t if t.caption not in said else replace(t, caption=""),
                          export_metadata(session, spec=spec, view=view, table=t, scope=scope, filters=filters,
                                          options=options, base_url=base_url, version=version,
                                          extracted_at=now).lines) for t in tables)
    return Section(page=page.name, title=page.title, subtitle=subtitle, window=page.window_words, level=level,
                   note=note, rule=rule,
                   headlines=_headlines(view, before), charts=charts, tables=printed,
                   definitions=_definitions(view),
                   sources=tuple(SOURCES[d] for d in spec.datasets if d in SOURCES),
                   address=f"{base_url.rstrip('/')}{PAGE_PATHS.get(page.name, '/')}{filters.to_query()}")


def _line(provenance) -> str:
    return getattr(provenance, "line", "") or ""


def _definitions(view) -> tuple[tuple[str, str], ...]:
    """The registry's name and definition of each headline figure of the view (as on the « Méthodes » page)."""
    keys = [getattr(k, "key", None) for k in getattr(view, "kpis", ())] + \
        [getattr(s, "ref", s.key) for s in getattr(view, "stats", ())]
    return tuple((INDICATORS[k].name, INDICATORS[k].definition) for k in keys if k in INDICATORS)


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))

