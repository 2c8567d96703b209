"""Alembic migrations bring an empty database to exactly the models' schema (SQLite and PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from data.db import alembic_config, schema_revision
from data.models import Base


def test_upgrade_reaches_head(engine):
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    assert schema_revision(engine) == head


def test_schema_matches_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}), Base.metadata)
    assert diff == []


def test_every_event_table_is_unique_per_source_event(engine):
    insp = inspect(engine)
    for table in ("teleconsultation_session", "mobile_stop", "vehicle_position", "biology_result",
                  "device_status", "health_professional", "programme_indicator_value"):
        uniques = [set(u["column_names"]) for u in insp.get_unique_constraints(table)]
        assert {"source_id", "source_event_id"} in uniques, table
