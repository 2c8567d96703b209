"""Data quality after ingestion: the sudden-drop check, the score formula, and the summary level."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from data.access import AccessScope, full_scope
from data.models import FeedHourly, FeedSource, QualityFlag
from data.queries import quality as q
from data.views.quality import quality_view, shown_score
from tests.conftest import TERRITORY

NOW = datetime(2026, 11, 18, 9, 30)  # a Wednesday (UTC, naive as stored): yesterday is Tuesday 17 November
DETAIL = full_scope(TERRITORY)
SUMMARY = AccessScope(3, "member", "etablissements", frozenset(TERRITORY), (("feeds", "summary"),))


def _source(db, kind: str = "biology") -> FeedSource:
    source = FeedSource(name=f"Test qualité {uuid.uuid4().hex[:8]}", feed_kind=kind, created_at=NOW)
    db.add(source)
    db.flush()
    return source


def _history(db, source: FeedSource, per_day: dict[int, int]) -> None:
    """`per_day[k]`: events delivered on the day k days before NOW's Paris day, spread over two hours."""
    for days_ago, n in per_day.items():
        start, _ = q.utc_bounds(NOW.date() - timedelta(days=days_ago))
        db.add(FeedHourly(source_id=source.id, hour=start + timedelta(hours=8), accepted=n - n // 2, updated=0,
                          duplicates=0, rejected=0))
        db.add(FeedHourly(source_id=source.id, hour=start + timedelta(hours=15), accepted=n // 2, updated=0,
                          duplicates=0, rejected=0))
    db.flush()


def _drop(db, source: FeedSource):
    rows = q.volume_drops(db, scope=DETAIL, now=NOW)
    return rows[rows["source_id"] == source.id].iloc[0]


def test_drop_fires_on_a_sudden_fall_and_not_on_a_steady_source(db):
    steady, fallen, small = _source(db), _source(db), _source(db)
    same_weekdays = (1, 8, 15, 22, 29)
    _history(db, steady, {d: 100 + d for d in same_weekdays} | {2: 5, 3: 0})
    _history(db, fallen, {1: 30} | {d: 100 for d in same_weekdays[1:]} | {2: 100})
    _history(db, small, {1: 0} | {d: 12 for d in same_weekdays[1:]})
    row = _drop(db, steady)
    assert (row["yesterday"], row["baseline"], row["drop"]) == (101, (108 + 115 + 122 + 129) / 4, False)
    row = _drop(db, fallen)  # 30 events yesterday against a mean of 100 on the previous four Tuesdays
    assert (row["yesterday"], row["baseline"], row["drop"]) == (30, 100.0, True)
    row = _drop(db, small)  # a mean of 12 is below the check's minimum: too small to judge
    assert (row["yesterday"], row["drop"]) == (0, False)


def test_drop_counts_the_paris_day(db):
    """An event at 23:30 UTC on Monday is Tuesday in Paris: it counts for Tuesday."""
    source = _source(db)
    monday_late = datetime(2026, 11, 16, 23, 0)
    db.add(FeedHourly(source_id=source.id, hour=monday_late, accepted=40, updated=0, duplicates=0, rejected=0))
    db.flush()
    assert _drop(db, source)["yesterday"] == 40


def test_score_formula_on_a_known_set(db):
    source = _source(db)
    db.add(FeedHourly(source_id=source.id, hour=NOW.replace(minute=0) - timedelta(days=2), accepted=80, updated=10,
                      duplicates=50, rejected=10))
    db.add(FeedHourly(source_id=source.id, hour=NOW.replace(minute=0) - timedelta(days=9), accepted=500, updated=0,
                      duplicates=0, rejected=500))  # older than 7 days: out
    for i in range(5):
        db.add(QualityFlag(source_id=source.id, feed_kind="biology", event_table="biology_result",
                           source_event_id=f"E{i}", check_code="implausible_value", message="m",
                           flagged_at=NOW - timedelta(days=1)))
    db.add(QualityFlag(source_id=source.id, feed_kind="biology", event_table="biology_result",
                       source_event_id="E0", check_code="other_check", message="m",
                       flagged_at=NOW - timedelta(days=1)))  # the same event twice: one flagged event
    db.add(QualityFlag(source_id=source.id, feed_kind="biology", event_table="biology_result",
                       source_event_id="OLD", check_code="implausible_value", message="m",
                       flagged_at=NOW - timedelta(days=8)))
    db.flush()
    rows = q.source_quality(db, scope=DETAIL, now=NOW)
    row = rows[rows["source_id"] == source.id].iloc[0]
    assert (row["accepted"], row["rejected"], row["flagged"]) == (90, 10, 5)
    assert row["score"] == 85.0  # 100 × (90 − 5) / (90 + 10): duplicates left out
    assert q.score(0, 0, 0) is None and q.score(3, 0, 7) == 0.0


def test_score_at_summary_never_gives_a_hidden_count_back():
    assert shown_score(997, 3, 0, summary=False) == "99,7\u00a0%"
    assert shown_score(997, 3, 0, summary=True) == "≥\u00a099,0\u00a0%"  # (1 000 − 10) / 1 000
    assert shown_score(980, 20, 0, summary=True) == "98,0\u00a0%"  # nothing hidden: exact
    assert shown_score(5, 2, 0, summary=True) == "—"  # the events themselves are hidden


def test_summary_level_names_no_source_and_lists_no_event(db):
    names = set(db.scalars(select(FeedSource.name)))
    view = quality_view(db, scope=SUMMARY, now=NOW)
    assert view.flags_table is None and "synthèse" in view.flags_note
    for table in (view.scores_table, view.checks_table):
        cells = {str(v) for v in table.frame.to_numpy().ravel()} | set(table.frame.columns)
        assert not cells & names, table.key
        assert "Source" not in table.frame.columns
    detail = quality_view(db, scope=DETAIL, now=NOW)
    assert detail.flags_table is not None and set(detail.scores_table.frame["Source"]) <= names


def test_no_feeds_grant_no_quality(db):
    none = AccessScope(3, "member", "usagers", frozenset(TERRITORY), (("feeds", "none"),))
    assert q.source_quality(db, scope=none, now=NOW).empty and q.latest_flags(db, scope=none).empty


def test_biology_card_says_how_many_values_are_flagged(db):
    """The demo sends three results outside physiological limits on its last day: the abnormal-rate card
    counts them at detail level and only says so at summary level."""
    from datetime import date

    from data.filters import Filters
    from data.views.biology import biology_options, biology_view

    year = Filters(TERRITORY, date(2025, 11, 1), date(2026, 10, 1), date(2026, 11, 1))  # up to 31 October
    detail = biology_view(db, scope=DETAIL, filters=year, options=biology_options())
    card = next(s for s in detail.stats if s.key == "bio-abnormal")
    assert card.detail == ("hors des valeurs de référence, dont 3 valeurs hors des limites physiologiques "
                           "signalées")
    summary = AccessScope(3, "member", "etablissements", frozenset(TERRITORY), (("biology", "summary"),))
    card = next(s for s in biology_view(db, scope=summary, filters=year, options=biology_options()).stats
                if s.key == "bio-abnormal")
    assert card.detail.endswith("dont des valeurs hors des limites physiologiques signalées")
    before = Filters(TERRITORY, date(2025, 11, 1), date(2026, 9, 1), date(2026, 11, 1))
    card = next(s for s in biology_view(db, scope=DETAIL, filters=before, options=biology_options()).stats
                if s.key == "bio-abnormal")
    assert card.detail == "hors des valeurs de référence"
