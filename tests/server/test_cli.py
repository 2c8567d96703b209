"""Command-line commands an operator runs on the server."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select

from data.admin import source_for_key
from data.models import AuditEvent, FeedSource


def test_create_source_prints_the_key_once_and_stores_its_hash(app, engine, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-source", "--name", "Passerelle test CLI", "--feed", "biology",
                                 "--site", "EHPAD-55-BLANPAIN"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("emk_")
    source = source_for_key(db, key=key)
    assert source.name == "Passerelle test CLI" and source.site_codes == ["EHPAD-55-BLANPAIN"]
    assert key not in str(db.scalars(select(FeedSource.key_hash)).all())
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "apikey.issue",
                                              AuditEvent.target == "Passerelle test CLI")) is not None
    again = runner.invoke(args=["create-source", "--name", "Passerelle test CLI", "--feed", "biology"])
    assert again.exit_code != 0 and "porte déjà ce nom" in again.output


ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "ENV": "test", "DEMO_ON_FIRST_START": "1"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_importing_app_builds_nothing(tmp_path):
    """gunicorn and the flask CLI import app.py: the import alone opens no database and builds no server."""
    database = tmp_path / "instance" / "emeuse.sqlite3"
    check = "import flask, app; assert not [v for v in vars(app).values() if isinstance(v, flask.Flask)]"
    result = _run("-c", check, database=database)
    assert result.returncode == 0, result.stderr
    assert not database.parent.exists()


def test_cli_help_finds_the_factory_and_touches_no_database(tmp_path):
    """`flask --app app` builds the app with create_app(); listing the commands migrates and generates nothing."""
    database = tmp_path / "emeuse.sqlite3"
    result = _run("-m", "flask", "--app", "app", "--help", database=database)
    assert result.returncode == 0, result.stderr
    assert "init-db" in result.stdout and "create-source" in result.stdout
    assert not database.exists()


def test_init_db_is_idempotent(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "schema up to date" in result.output


def test_init_db_gives_a_database_loaded_before_the_border_ring_its_ring(app, db):
    """A territory loaded before migration 0008 has no ring: supply near a border would be overstated."""
    from sqlalchemy import delete, func

    from data.models import RingCommune

    def ring():
        db.expire_all()
        return db.scalar(select(func.count()).select_from(RingCommune))

    loaded = ring()
    assert loaded > 1000  # 1 280 communes within 20 km outside 52/54/55
    db.execute(delete(RingCommune))
    db.commit()
    assert ring() == 0
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert ring() == loaded
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert ring() == loaded  # filled once, never twice


def test_rebuild_rollups_recomputes_what_ingestion_maintains(app, db):
    from sqlalchemy import func

    from data.models import MobileDaily, TeleconsultationDaily

    def totals():
        return (db.execute(select(func.sum(TeleconsultationDaily.sessions), func.sum(TeleconsultationDaily.minutes))
                           .where(TeleconsultationDaily.sessions != 0)).one(),
                db.execute(select(func.sum(MobileDaily.stops), func.sum(MobileDaily.consultations))).one())

    before = totals()
    db.execute(TeleconsultationDaily.__table__.delete())
    db.commit()
    assert totals()[0] == (None, None)
    result = app.test_cli_runner().invoke(args=["rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert "teleconsultation_daily:" in result.output and "rebuilt in" in result.output
    db.expire_all()
    assert totals() == before


def test_end_sessions_command_signs_a_user_out_everywhere(app, db):
    from tests.conftest import Auth

    client = app.test_client()
    Auth(client).login_as("usagers")
    assert client.get("/").status_code == 200
    result = app.test_cli_runner().invoke(args=["end-sessions", "usagers@demo.e-meuse-sante.fr"])
    assert result.exit_code == 0 and "ended" in result.output, result.output
    assert client.get("/").status_code == 302
    assert app.test_cli_runner().invoke(args=["end-sessions", "personne@nulle.part"]).exit_code != 0


def test_partitions_command_keeps_the_months_ahead(app, engine, db):
    """`flask partitions`: nothing to do on SQLite; on PostgreSQL the months ahead exist, a second run creates none."""
    from data import partitions

    runner = app.test_cli_runner()
    result = runner.invoke(args=["partitions", "--premake", "7"])
    assert result.exit_code == 0, result.output
    if engine.dialect.name != "postgresql":
        assert "rien à faire" in result.output
        return
    with engine.connect() as conn:
        months = partitions.partitions(conn, "vehicle_position")
    assert partitions.add_months(partitions.month_start(date.today()), 7) in months
    again = runner.invoke(args=["partitions", "--premake", "7"])
    assert "partitions créées : 0, détachées : 0" in again.output
