"""The « Métadonnées » of an export, read from the page view that computed the table.

The level of detail and the secrecy rule are the ones the view applied (its `detail`, its note, the
table's caption): the export does not decide them again. Filters are said in words (départements
by name, « janvier 2025 – juin 2025 », EPCI and commune names), with the sources, the population
vintage of the geography and the extraction time on the one clock (Europe/Paris); the table's definition,
formula and limits come from the registry of indicators (data.indicators), as on the « Méthodes » page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.formatting import fmt_date, fmt_datetime_long, fmt_month_range
from data.geography import POPULATION_VINTAGE
from data.indicators import INDICATORS, SOURCES
from data.models import Commune, Departement, Epci, Level
from data.views.base import SUMMARY_NOTE, TableView, ViewSpec

APP_NAME = "e-Meuse Santé — tableau de bord du consortium"
PAGE_PATHS = {"overview": "/", "teleconsultation": "/teleconsultation", "mobile": "/cabinets-mobiles",
              "biology": "/biologie", "workforce": "/professionnels", "coverage": "/couverture",
              "programme": "/programme", "evaluation": "/evaluation", "feeds": "/flux"}
LEVEL_WORDS = {Level.DETAIL: "détail (communes et sites)", Level.SUMMARY: "synthèse (totaux par département)",
               Level.NONE: "aucun"}
DETAIL_RULE = ("Aucune perturbation : niveau « détail », valeurs exactes accordées à ce profil ; "
               "à ne pas diffuser au-delà des destinataires habilités.")


@dataclass(frozen=True)
class ExportMetadata:
    """(label, value) lines, in order: the CSV preamble and the XLSX « Métadonnées » sheet."""

    lines: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, str]:
        return dict(self.lines)


def view_level(view) -> Level:
    """The level the view computed its tables at (its `detail`, or its own `level`)."""
    detail = getattr(view, "detail", None)
    return Level(detail.level) if detail is not None else Level(getattr(view, "level", Level.DETAIL))


def _filters_in_words(session: Session, scope: AccessScope, filters: Filters | None,
                      level: Level) -> list[tuple[str, str]]:
    if filters is None:
        return [("Période", "48 dernières heures (7 jours pour les refus)")]
    names = dict(session.execute(select(Departement.code, Departement.name)).all())
    chosen = scope.restrict(filters.departements)
    deps = ", ".join(f"{names.get(c, c)} ({c})" for c in chosen) or "aucun"
    out = [("Départements", deps if filters.departements else f"tous ceux du profil : {deps}")]
    period = fmt_month_range(filters.month_from, filters.month_to)
    if filters.period.end < filters.month_to.replace(day=28):
        period += f" (données jusqu'au {fmt_date(filters.period.end)})"
    out.append(("Période", period))
    finer = level == Level.SUMMARY
    if filters.epci:
        name = session.scalar(select(Epci.name).where(Epci.code == filters.epci)) or filters.epci
        out.append(("EPCI", f"{name} (SIREN {filters.epci})" + (" — non appliqué au niveau « synthèse »"
                                                                 if finer else "")))
    if filters.commune:
        name = session.scalar(select(Commune.name).where(Commune.insee == filters.commune)) or filters.commune
        out.append(("Commune", f"{name} (code INSEE {filters.commune})" + (" — non appliqué au niveau « synthèse »"
                                                                          if finer else "")))
    return out


def export_metadata(session: Session, *, spec: ViewSpec, view, table: TableView, scope: AccessScope,
                    filters: Filters | None, options, base_url: str, version: str,
                    extracted_at: datetime) -> ExportMetadata:
    """What an export of `table` (from `view`, computed for `scope`, `filters` and the page's `options`)
    carries besides its rows; the page's address is the view's own query (filters and page controls)."""
    level = view_level(view)
    query = getattr(view, "query", None) or (filters.to_query() if filters is not None else "")
    detail = getattr(view, "detail", None)
    rule = (detail.note if detail is not None and detail.note else SUMMARY_NOTE) if level == Level.SUMMARY \
        else DETAIL_RULE
    controls = options.in_words() if hasattr(options, "in_words") else ()
    lines = [("Titre", table.title), *_filters_in_words(session, scope, filters, level), *controls,
             ("Niveau de détail", f"{LEVEL_WORDS[level]}, celui de votre profil pour ces données"),
             ("Secret statistique", rule)]
    if table.caption:
        lines.append(("Note du tableau", table.caption))
    entry = INDICATORS.get(table.key)
    if entry is not None:  # the table's indicator as the « Méthodes » page documents it (data.indicators)
        lines += [("Définition", entry.definition), ("Formule", entry.formula), ("Unité", entry.unit)]
        if entry.limits:
            lines.append(("Limites connues", entry.limits))
        lines.append(("Méthode", f"{base_url.rstrip('/')}{entry.anchor}"))
    lines += [("Sources", " ; ".join(SOURCES[d] for d in spec.datasets if d in SOURCES)),
              ("Population et géographie", POPULATION_VINTAGE),
              ("Extraction", fmt_datetime_long(extracted_at)),
              ("Page", f"{base_url.rstrip('/')}{PAGE_PATHS.get(spec.name, '/')}{query}"),
              ("Application", f"{APP_NAME}, version {version}"),
              ("Lignes", str(len(table.frame)))]
    return ExportMetadata(tuple(lines))
