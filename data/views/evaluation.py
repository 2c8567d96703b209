"""Évaluation: what the programme changed — impact estimates with their uncertainty, one section per service.

The page view is a list of sections, each computed by its own builder registered with `section(...)` (one
module per service: data/views/evaluation_ehpad.py, …). A builder receives the session, the caller's scope,
the filters and the `Detail` of the programme dataset, and returns a `Section`: headline figures, charts
with their tables, other tables, and a sentence instead of a number when the data are too few. The level
rules are applied by the builders, in the view layer (data/views/base.py); callbacks/evaluation.py only
presents the sections, generically.

Adding a section: a module with
    @section("cle", order=20, tables={"evaluation-cle-tableau": "Titre de l'export"})
    def my_section(session, *, scope, filters, detail) -> Section: ...
imported in data/views/__init__.py; each of its tables and figures has a registry entry (data.indicators).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.models import Dataset
from data.views.base import EXPORTS, Detail, ExportSpec, Stat, TableView, detail_for, register_view

NAME = "evaluation"
SUMMARY_NOTE = ("Niveau « synthèse » : estimations pour l'ensemble des départements choisis et pour chacun, sans "
                "EHPAD ni site nommé ; tout nombre d'EHPAD ou de personnes de 1 à 10 est lu « < 11 » ; les filtres "
                "EPCI et commune ne s'appliquent pas.")
# What the sections read: the activity records of the programme, and the services' own feeds.
DATASETS = (Dataset.PROGRAMME.value, Dataset.TELECONSULTATION.value, Dataset.MOBILE.value, Dataset.BIOLOGY.value,
            Dataset.WORKFORCE.value)


@dataclass(frozen=True)
class Series:
    """One trace of a chart: a line (with an optional 95 % band), bars or points with error bars."""

    name: str
    y: tuple[float | None, ...]
    lower: tuple[float | None, ...] | None = None  # 95 % interval, drawn as a band (lines) or error bars
    upper: tuple[float | None, ...] | None = None
    kind: str = "line"  # line | bar | markers | heat (one row of a heatmap: the chart's heat rows form it)


@dataclass(frozen=True)
class EvalChart:
    """A chart of a section, with the table holding its data (exported under the table's key)."""

    key: str  # its registry entry (data.indicators)
    title: str
    x: tuple
    series: tuple[Series, ...]
    x_title: str
    y_title: str
    table: TableView
    caption: str = ""
    vline: float | str | None = None  # a vertical marker (e.g. the first session at relative month 0)
    vline_label: str = ""
    hline: float | None = None  # a horizontal reference (e.g. no change)
    y_range: tuple[float, float] | None = None  # the axis shown (intervals beyond it are cut at its edge)

    @property
    def empty(self) -> bool:
        return not self.x


@dataclass(frozen=True)
class Section:
    """One service's evaluation as shown at the caller's level."""

    key: str
    title: str
    intro: str
    stats: tuple[Stat, ...] = ()
    charts: tuple[EvalChart, ...] = ()
    tables: tuple[TableView, ...] = ()
    message: str | None = None  # « données insuffisantes … » instead of a number
    notes: tuple[str, ...] = ()  # limits read next to the figures


@dataclass(frozen=True)
class EvaluationOptions:
    """No page control yet (the URL carries the shared filters only)."""

    def in_words(self) -> tuple[tuple[str, str], ...]:
        return ()

    def to_query(self) -> str:
        return ""


def options_from_args(_args: Mapping[str, str], _filters: Filters) -> EvaluationOptions:
    return EvaluationOptions()


Builder = Callable[..., Section]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    order: int
    build: Builder = field(compare=False)


SECTIONS: dict[str, SectionSpec] = {}


def section(key: str, *, order: int, tables: Mapping[str, str] = ()):
    """Register a section builder `build(session, *, scope, filters, detail) -> Section` and its exports."""

    def decorate(build: Builder) -> Builder:
        assert key not in SECTIONS, key
        SECTIONS[key] = SectionSpec(key, order, build)
        for table_key, title in dict(tables).items():
            EXPORTS[table_key] = ExportSpec(table_key, title, NAME)
        return build

    return decorate


@dataclass(frozen=True)
class EvaluationView:
    detail: Detail
    options: EvaluationOptions
    sections: tuple[Section, ...]
    note: str | None
    query: str

    @property
    def stats(self) -> tuple[Stat, ...]:
        """Every section's headline figures, in section order (the page's row of cards)."""
        return tuple(s for sec in self.sections for s in sec.stats)


@register_view(NAME, dataset=Dataset.PROGRAMME.value, datasets=DATASETS, options=options_from_args)
def evaluation_view(session: Session, *, scope: AccessScope, filters: Filters,
                    options: EvaluationOptions) -> EvaluationView:
    detail = detail_for(scope, filters, Dataset.PROGRAMME)
    sections = tuple(spec.build(session, scope=scope, filters=filters, detail=detail)
                     for spec in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key)))
    return EvaluationView(detail, options, sections, SUMMARY_NOTE if detail.summary else None,
                          filters.to_query() + options.to_query())
