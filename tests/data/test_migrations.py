"""Alembic migrations bring an empty database to exactly the models' schema (SQLite and PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from data.db import alembic_config, schema_revision
from data.models import Base
from data.partitions import PARTITIONED, include_object, is_partitioned


def test_upgrade_reaches_head(engine):
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    assert schema_revision(engine) == head


def test_schema_matches_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True,
                                                                    "include_object": include_object}), Base.metadata)
    assert diff == []


def test_every_event_table_is_unique_per_source_event(engine):
    """A unique (source, event id) on every event table; on PostgreSQL a partitioned one can only hold it
    with its day, and the key is held across months by event_key (tests/data/test_partitions.py)."""
    insp = inspect(engine)
    with engine.connect() as conn:
        partitioned = {t for t in PARTITIONED if is_partitioned(conn, t)}
    assert partitioned in (set(), set(PARTITIONED)), partitioned
    if partitioned:
        assert insp.get_pk_constraint("event_key")["constrained_columns"] == [
            "event_table", "source_id", "source_event_id"]
    for table in ("teleconsultation_session", "mobile_stop", "vehicle_position", "biology_result",
                  "device_status", "health_professional", "programme_indicator_value"):
        uniques = [set(u["column_names"]) for u in insp.get_unique_constraints(table)]
        key = {"source_id", "source_event_id"} | ({"day"} if table in partitioned else set())
        assert key in uniques, table
