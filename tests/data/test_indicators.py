"""The registry of indicators documents every figure the pages show, and provenance follows the level of detail.

The walk computes every registered page view (data.views.base.VIEWS) for an ARS officer (detail everywhere)
and for the « usagers » college (summary level on most datasets), and collects every card (Stat), overview
KPI, table (TableView) and map (MapView) they return.
"""
from __future__ import annotations

import json
from dataclasses import fields, is_dataclass, replace
from datetime import date, datetime

import pytest
from sqlalchemy import select

from components.stat_card import stat_cards
from data.access import AccessScope, scope_for_user
from data.filters import parse_filters
from data.indicators import INDICATORS, SOURCES, biology_tests, indicator
from data.models import Dataset, FeedSource, Site
from data.queries.overview import Kpi
from data.terminology import BIOLOGY_TESTS
from data.users import get_by_email
from data.views import EXPORTS, VIEWS
from data.views.base import MapView, Stat, TableView
from tests.conftest import DEMO_END, TERRITORY

ARS, USAGERS = "ars@demo.e-meuse-sante.fr", "usagers@demo.e-meuse-sante.fr"
H1 = {"dep": "55", "du": "2026-01", "au": "2026-06"}


def _shown(view) -> tuple[list[Stat], list[Kpi], list[TableView], list[MapView]]:
    """Every card, KPI, table and map of a view, at any depth of its dataclass fields."""
    stats, kpis, tables, maps = [], [], [], []

    def walk(value):
        if isinstance(value, Stat):
            stats.append(value)
        elif isinstance(value, Kpi):
            kpis.append(value)
        elif isinstance(value, TableView):
            tables.append(value)
        elif isinstance(value, MapView):
            maps.append(value)
        elif isinstance(value, (tuple, list)):
            for v in value:
                walk(v)
        elif is_dataclass(value) and not isinstance(value, type):
            for f in fields(value):
                walk(getattr(value, f.name))

    walk(view)
    return stats, kpis, tables, maps


def _views(db, email: str):
    scope = scope_for_user(db, get_by_email(db, email=email), territory=TERRITORY)
    filters = parse_filters(H1, today=DEMO_END, territory=TERRITORY)
    for spec in VIEWS.values():
        if not scope.can_open(spec.dataset, spec.roles):
            continue
        options = spec.options({}, filters)
        yield spec, spec.compute(db, scope=scope, filters=None if spec.name == "feeds" else filters, options=options)


def _documented(key: str) -> list[str]:
    entry = INDICATORS.get(key)
    if entry is None:
        return [f"{key}: pas d'entrée dans le registre"]
    missing = [f for f in ("name", "definition", "formula") if not getattr(entry, f).strip()]
    if not entry.sources or any(s not in SOURCES for s in entry.sources):
        missing.append("sources")
    return [f"{key}: {f} vide" for f in missing]


@pytest.mark.parametrize("email", [ARS, USAGERS])
def test_every_indicator_shown_has_a_registry_entry(db, email):
    problems, summaries, seen = [], [], {"stats": 0, "kpis": 0, "tables": 0, "maps": 0}
    for spec, view in _views(db, email):
        stats, kpis, tables, maps = _shown(view)
        seen["stats"] += len(stats)
        seen["kpis"] += len(kpis)
        seen["tables"] += len(tables)
        seen["maps"] += len(maps)
        for s in stats:
            problems += [f"{spec.name} carte {p}" for p in _documented(s.ref)]
            if s.ref in INDICATORS and INDICATORS[s.ref].card is None:  # its label is the registry's name
                assert s.label == INDICATORS[s.ref].name, (s.key, s.label)
            assert s.provenance is not None, s.key
        for k in kpis:
            problems += [f"{spec.name} KPI {p}" for p in _documented(k.key)]
            assert k.label == indicator(k.key).name and k.provenance is not None
        for t in tables:
            problems += [f"{spec.name} tableau {p}" for p in _documented(t.key)]
            assert t.provenance is not None, t.key
        for m in maps:
            problems += [f"{spec.name} carte géographique {p}" for p in _documented(m.key or "(sans clé)")]
        summaries += [s.provenance.summary for s in stats]
    assert problems == []
    assert seen["stats"] >= 12 and seen["kpis"] >= 3 and seen["tables"] >= 8 and seen["maps"] >= 4, seen
    assert any(summaries) == (email == USAGERS)  # the walk reached summary-level views for the college


def test_every_export_has_a_registry_entry():
    assert [k for k in EXPORTS if k not in INDICATORS] == []
    assert all(INDICATORS[k].kind == "table" for k in EXPORTS)


def test_biology_tests_come_from_the_terminology():
    rows = biology_tests()
    assert [r["LOINC"] for r in rows] == [t.loinc for t in BIOLOGY_TESTS]
    assert rows[0]["Intervalle de référence"] == "2,0 – 3,0 {INR}"


def test_the_limits_say_what_the_code_does():
    """Straight-line distance and the 65+ exclusion are in data/coverage.py: the registry says so."""
    limits = indicator("cov-mean").limits
    assert "vol d'oiseau" in limits and "65 ans et plus exclus" in limits
    assert "DREES" in indicator("cov-mean").reference and "APL" in indicator("cov-mean").reference
    assert "SNDS" in indicator("tc-completed").reference


# --- provenance: sources named at detail level only ------------------------------------------------

SOURCE_NAME = "Passerelle biologie — EHPAD des Tilleuls"  # a source named after its site


def _scope(level: str) -> AccessScope:
    return AccessScope(9, "member", "usagers", frozenset({"55"}), tuple((d.value, level) for d in Dataset))


def _card_text(view) -> str:
    return json.dumps(stat_cards(view.stats).to_plotly_json(), default=lambda o: o.to_plotly_json(),
                      ensure_ascii=False)


def test_provenance_names_sources_at_detail_level_only(db):
    site = db.scalars(select(Site).where(Site.kind == "ehpad", Site.commune_insee.like("55%"))).first()
    db.add(FeedSource(name=SOURCE_NAME, feed_kind="biology", site_codes=[site.code], created_at=datetime(2026, 1, 1)))
    db.flush()
    filters = parse_filters(H1, today=DEMO_END, territory=TERRITORY)
    spec = VIEWS["biology"]
    options = spec.options({}, filters)
    views = {level: spec.compute(db, scope=_scope(level), filters=filters, options=options)
             for level in ("summary", "detail")}

    summary, detail = views["summary"].stats[0].provenance, views["detail"].stats[0].provenance
    assert summary.summary and summary.source_count == detail.source_count >= 2
    assert all(f.names == () for f in summary.feeds)
    assert SOURCE_NAME in detail.feeds[0].names and SOURCE_NAME in detail.sources_words
    assert detail.secrecy.startswith("Aucune perturbation") and "synthèse" in summary.secrecy
    assert detail.last_day is not None and detail.last_day <= date(2026, 6, 30)
    assert "2017" in summary.population and summary.period == "janvier 2026 – juin 2026"

    summary_text, detail_text = _card_text(views["summary"]), _card_text(views["detail"])
    for name in (SOURCE_NAME, site.name):
        assert name not in summary_text
    assert SOURCE_NAME in detail_text and "/methodes#bio-tests" in summary_text
    assert "Biologie délocalisée (" in summary_text  # how many sources, of which feed


def test_a_source_scoped_to_another_departement_is_not_counted(db):
    site = db.scalars(select(Site).where(Site.commune_insee.like("52%"))).first()
    db.add(FeedSource(name="Passerelle — Haute-Marne", feed_kind="biology", site_codes=[site.code],
                      created_at=datetime(2026, 1, 1)))
    db.flush()
    filters = parse_filters(H1, today=DEMO_END, territory=TERRITORY)
    spec = VIEWS["biology"]
    view = spec.compute(db, scope=_scope("detail"), filters=filters, options=spec.options({}, filters))
    assert "Passerelle — Haute-Marne" not in view.stats[0].provenance.sources_words


def test_a_card_without_registry_entry_cannot_be_built():
    from data.views.base import stat

    with pytest.raises(KeyError):
        stat("inconnu", "3")
    assert replace(stat("tc-completed", "3"), value="4").label == "Séances réalisées"
