"""Command-line commands an operator runs on the server."""
from __future__ import annotations

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


def test_init_db_is_idempotent(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "schema up to date" in result.output


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
