"""Partitioned raw event tables on PostgreSQL (data/partitions.py, migration 0013); skipped on SQLite.

The migration of a filled unpartitioned database keeps every row and every rollup; an event's key holds
across months and partitions (re-delivered after its partition was made, or claiming another day, it is
still a duplicate); a stop's correction still updates it; the maintenance is idempotent and never loses a row.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from data import demo, partitions, rollups
from data.access import full_scope
from data.db import alembic_config, make_engine, make_session_factory, session_scope
from data.filters import parse_filters
from data.ingestion.examples import json_examples
from data.ingestion.pipeline import ENDPOINTS, ingest
from data.models import Base, EhpadActivity, FeedSource, TeleconsultationSession
from data.queries import biology, mobile, overview, teleconsultation
from tests.conftest import DEMO_END, TERRITORY, _postgres_url

pytestmark = pytest.mark.skipif(_postgres_url() is None, reason="partitions exist on PostgreSQL only")


@pytest.fixture()
def scratch_url():
    """An empty database of its own (the migration test starts from revision 0012)."""
    pg = _postgres_url()
    admin = create_engine(make_url(pg).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"emeuse_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


LATER_TABLES = {EhpadActivity.__tablename__}


def _fingerprint(conn) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of their text, in a stable order, for every table of the models the 0012 schema has
    (tables of later revisions, e.g. 0014's EHPAD activity, are not the migration's business)."""
    out = {}
    for table in Base.metadata.sorted_tables:
        if table.name in LATER_TABLES:
            continue
        out[table.name] = tuple(conn.execute(text(
            f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{table.name}" t'
        )).one())
    return out


def _plain(value):
    if isinstance(value, pd.DataFrame):
        return value.to_dict("split")
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _page_views(session) -> dict:
    filters = parse_filters({"du": "2025-11", "au": "2026-10"}, today=DEMO_END, territory=TERRITORY)
    kw = {"scope": full_scope(TERRITORY), "filters": filters}
    now = datetime(2026, 10, 31, 20, 0)
    return _plain({
        "overview": overview.overview_kpis(session, **kw),
        "teleconsultation": [teleconsultation.summary(session, **kw), teleconsultation.weekly(session, **kw)],
        "biology": [biology.summary(session, now=now, **kw), biology.devices(session, now=now, **kw)],
        "mobile": [mobile.summary(session, **kw), mobile.vehicles(session, **kw)],
    })


def test_migration_keeps_every_row_and_rollup(scratch_url):
    cfg = alembic_config(scratch_url)
    command.upgrade(cfg, "0012")
    engine = make_engine(scratch_url)
    factory = make_session_factory(engine)
    try:
        # today's demo also fills a table of a later revision (0014, EHPAD activity): made for the fill, then
        # dropped, so the database is the 0012 schema the migration starts from
        EhpadActivity.__table__.create(engine)
        with session_scope(factory) as session:
            demo.generate(session, end=DEMO_END, years=1, departements=TERRITORY, live_tail=100)
        EhpadActivity.__table__.drop(engine)
        with engine.connect() as conn:
            assert not partitions.is_partitioned(conn, "biology_result")
            before = _fingerprint(conn)
        with session_scope(factory) as session:
            views_before = _page_views(session)
        assert all(before[t][0] > 0 for t in partitions.PARTITIONED)
        next_id = {}
        with engine.connect() as conn:
            for t in partitions.PARTITIONED:
                next_id[t] = conn.scalar(text(f"SELECT max(id) FROM {t}"))

        command.upgrade(cfg, "head")

        with engine.connect() as conn:
            assert all(partitions.is_partitioned(conn, t) for t in partitions.PARTITIONED)
            assert not partitions.is_partitioned(conn, "mobile_stop")
            assert _fingerprint(conn) == before  # every table: same rows, same content (ids included)
            keys = dict(conn.execute(text("SELECT event_table, count(*) FROM event_key GROUP BY 1")).all())
            assert keys == {t: before[t][0] for t in partitions.PARTITIONED}
            for t in partitions.PARTITIONED:  # the rows sit in their months' partitions, none in the default
                assert conn.scalar(text(f"SELECT count(*) FROM {t}_default")) == 0
                assert conn.scalar(text(f"SELECT count(DISTINCT tableoid) FROM {t}")) > 1
        with session_scope(factory) as session:
            assert _page_views(session) == views_before
            rollups.rebuild_all(session)  # rollups recomputed from the partitioned events: the same
        with engine.connect() as conn:
            assert _fingerprint(conn) == before
        with session_scope(factory) as session:  # the sequences moved with their tables: new ids follow
            source = session.scalars(select(FeedSource).where(FeedSource.feed_kind == "teleconsultation")).first()
            item = json_examples(suffix=uuid.uuid4().hex)["teleconsultation/sessions"]
            assert ingest(session, source=source, endpoint=ENDPOINTS["teleconsultation/sessions"],
                          items=[item]).accepted == 1
            new = session.scalar(select(TeleconsultationSession.id).where(
                TeleconsultationSession.source_event_id == item["event_id"]))
            assert new > next_id["teleconsultation_session"]

        command.downgrade(cfg, "0012")  # and back to plain tables, without a row lost either
        with engine.connect() as conn:
            assert not partitions.is_partitioned(conn, "biology_result")
            after = _fingerprint(conn)
        assert after["biology_result"] == before["biology_result"]
        assert after["teleconsultation_session"][0] == before["teleconsultation_session"][0] + 1
    finally:
        engine.dispose()


# --- on the session's database (head, demo data); each test rolled back ------------------------------

def _source(db, kind: str) -> FeedSource:
    return db.scalars(select(FeedSource).where(FeedSource.feed_kind == kind, FeedSource.revoked_at.is_(None))
                      .order_by(FeedSource.id)).first()


def _where(db, table: str, event_id: str) -> list[tuple[str, date]]:
    return [tuple(r) for r in db.execute(text(
        f"SELECT tableoid::regclass::text, day FROM {table} WHERE source_event_id = :e"), {"e": event_id})]


def test_redelivery_is_a_noop_across_months_and_new_partitions(db):
    source = _source(db, "teleconsultation")
    endpoint = ENDPOINTS["teleconsultation/sessions"]
    window_old = datetime(2016, 3, 14, 10, 0, tzinfo=UTC)  # a month no partition covers: the default one
    item = json_examples(now=window_old, suffix=uuid.uuid4().hex)["teleconsultation/sessions"]
    assert ingest(db, source=source, endpoint=endpoint, items=[item]).accepted == 1
    assert _where(db, "teleconsultation_session", item["event_id"]) == [
        ("teleconsultation_session_default", date(2016, 3, 14))]

    done = partitions.maintain(db.connection(), today=date.today())  # makes 2016-03's partition, moves the row
    assert "teleconsultation_session_p201603" in done.created
    assert _where(db, "teleconsultation_session", item["event_id"]) == [
        ("teleconsultation_session_p201603", date(2016, 3, 14))]

    again = ingest(db, source=source, endpoint=endpoint, items=[item])
    assert (again.accepted, again.duplicates) == (0, 1)
    elsewhere = dict(item, started_at=(window_old + timedelta(days=400)).isoformat())  # another month, another year
    moved = ingest(db, source=source, endpoint=endpoint, items=[elsewhere])
    assert (moved.accepted, moved.duplicates) == (0, 1)
    recent = dict(item, started_at=(datetime.now(UTC) - timedelta(hours=3)).isoformat())  # a partition made ahead
    assert ingest(db, source=source, endpoint=endpoint, items=[recent]).duplicates == 1
    assert _where(db, "teleconsultation_session", item["event_id"]) == [
        ("teleconsultation_session_p201603", date(2016, 3, 14))]


def test_key_holds_for_every_writer_and_is_released_by_a_delete(db):
    """Not only the ingestion: a plain INSERT of a known event (another day) is skipped by the database."""
    row = db.execute(text("SELECT source_id, source_event_id, day FROM biology_result ORDER BY id LIMIT 1")).one()
    copy = ("INSERT INTO biology_result (source_id, source_event_id, received_at, device_id, site_id, loinc, value, "
            "unit, abnormal, sampled_at, resulted_at, day) SELECT source_id, source_event_id, received_at, device_id, "
            "site_id, loinc, value, unit, abnormal, sampled_at, resulted_at, day - 45 FROM biology_result "
            "WHERE source_event_id = :e RETURNING id")
    assert db.execute(text(copy), {"e": row.source_event_id}).all() == []
    assert db.scalar(text("SELECT count(*) FROM biology_result WHERE source_event_id = :e"),
                     {"e": row.source_event_id}) == 1
    with pytest.raises(Exception, match="immutable"):
        with db.begin_nested():
            db.execute(text("UPDATE biology_result SET day = day + 40 WHERE source_event_id = :e"),
                       {"e": row.source_event_id})
    db.execute(text("CREATE TEMP TABLE kept ON COMMIT DROP AS SELECT * FROM biology_result WHERE source_event_id = :e"),
               {"e": row.source_event_id})
    db.execute(text("DELETE FROM biology_result WHERE source_event_id = :e"), {"e": row.source_event_id})
    assert db.scalar(text("SELECT count(*) FROM event_key WHERE event_table = 'biology_result' "
                          "AND source_id = :s AND source_event_id = :e"),
                     {"s": row.source_id, "e": row.source_event_id}) == 0
    db.execute(text("INSERT INTO biology_result SELECT * FROM kept"))  # deleted, then sent again: stored again
    assert _where(db, "biology_result", row.source_event_id) == [(f"biology_result_p{row.day:%Y%m}", row.day)]


def test_stop_correction_still_updates(db):
    source = _source(db, "mobile")
    endpoint = ENDPOINTS["mobile/stops"]
    stop = json_examples(suffix=uuid.uuid4().hex)["mobile/stops"]
    planned = {**stop, "status": "planned", "actual_arrival": None, "actual_departure": None, "consultations": 0,
               "new_patients": 0}
    assert ingest(db, source=source, endpoint=endpoint, items=[planned]).accepted == 1
    assert ingest(db, source=source, endpoint=endpoint, items=[stop]).updated == 1
    assert db.execute(text("SELECT status, consultations FROM mobile_stop WHERE source_event_id = :e"),
                      {"e": stop["event_id"]}).all() == [("completed", 10)]
    assert ingest(db, source=source, endpoint=endpoint, items=[stop]).duplicates == 1


def test_maintenance_is_idempotent_and_an_insert_always_finds_a_partition(db):
    conn = db.connection()
    today = date.today()
    first = partitions.maintain(conn, today=today, premake=8)
    second = partitions.maintain(conn, today=today, premake=8)
    assert second.created == [] and second.detached == []
    ahead = partitions.add_months(partitions.month_start(today), 8)
    for table in partitions.PARTITIONED:
        assert ahead in partitions.partitions(conn, table)
    assert {n for n in first.created if n.startswith("device_status_")} <= {
        partitions.partition_name("device_status", partitions.add_months(partitions.month_start(today), k))
        for k in range(9)}

    # far beyond the months made ahead, and before any: the default partition takes them
    far, early = date(today.year + 4, 2, 10), date(2014, 6, 1)
    ins = ("INSERT INTO device_status (source_id, source_event_id, received_at, device_id, recorded_at, day, "
           "qc_status) SELECT source_id, source_event_id || :tag, received_at, device_id, recorded_at, :day, qc_status "
           "FROM device_status ORDER BY id LIMIT 2 RETURNING source_event_id")
    far_ids = db.scalars(text(ins), {"tag": "-far", "day": far}).all()
    early_ids = db.scalars(text(ins), {"tag": "-early", "day": early}).all()
    assert len(far_ids) == len(early_ids) == 2
    assert {_where(db, "device_status", e)[0][0] for e in far_ids + early_ids} == {"device_status_default"}

    later = partitions.maintain(conn, today=date(far.year, 1, 15), premake=1)  # that month's turn has come
    assert partitions.partition_name("device_status", far.replace(day=1)) in later.created
    assert partitions.partition_name("device_status", early.replace(day=1)) in later.created  # waiting ones too
    assert {_where(db, "device_status", e)[0][0] for e in far_ids} == {f"device_status_p{far:%Y%m}"}
    assert db.scalar(text("SELECT count(*) FROM device_status_default")) == 0
    assert db.scalars(text(ins), {"tag": "-far", "day": far}).all() == []  # keys followed their rows

    total = db.scalar(text("SELECT count(*) FROM device_status"))
    oldest = min(partitions.partitions(conn, "device_status"))
    gone = db.scalar(text("SELECT count(*) FROM device_status WHERE day < :d"),
                     {"d": partitions.add_months(oldest, 1)})
    old = partitions.maintain(conn, today=partitions.add_months(oldest, 3), premake=0, retention_months=2)
    assert partitions.partition_name("device_status", oldest) in old.detached
    assert all(n.endswith(f"_p{oldest:%Y%m}") for n in old.detached)
    assert db.scalar(text("SELECT count(*) FROM device_status")) == total - gone
    assert db.scalar(text(f"SELECT count(*) FROM {partitions.partition_name('device_status', oldest)}")) == gone
