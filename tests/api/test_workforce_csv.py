"""Registry extract import from the command line: created / updated / unchanged / rejected, line by line."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from data.demo import rpps_hash
from data.models import HealthProfessional, RejectedPayload

FIXTURE = Path(__file__).parent.parent / "fixtures" / "rpps_extract.csv"


def test_import_then_reimport_then_update(app, db, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import-workforce", str(FIXTURE), "--source", "Extraction test CSV"])
    assert first.exit_code == 0, first.output
    assert "6 lignes : 3 créées, 0 mises à jour, 0 inchangées, 3 refusées" in first.output
    assert "ligne 5 : profession" in first.output       # « Astronaute »
    assert "ligne 6 : commune" in first.output          # 99999 is not in the territory
    assert "ligne 7 : activity_start" in first.output   # 31/02/2019 does not exist
    nurse = db.scalar(select(HealthProfessional).where(HealthProfessional.rpps_hash == rpps_hash("19900000002")))
    assert (nurse.profession, nurse.fte, str(nurse.activity_start)) == ("infirmier", 0.8, "2010-03-15")
    assert db.scalar(select(HealthProfessional.rpps_hash).where(HealthProfessional.rpps_hash == "19900000001")) is None

    again = runner.invoke(args=["import-workforce", str(FIXTURE), "--source", "Extraction test CSV"])
    assert "0 créées, 0 mises à jour, 3 inchangées, 3 refusées" in again.output

    changed = tmp_path / "extract.csv"
    changed.write_text(FIXTURE.read_text(encoding="utf-8").replace("2010-03-15||0,8", "2010-03-15|31/10/2026|0,8"),
                       encoding="utf-8")
    third = runner.invoke(args=["import-workforce", str(changed), "--source", "Extraction test CSV"])
    assert "0 créées, 1 mises à jour, 2 inchangées, 3 refusées" in third.output
    db.expire_all()
    assert str(db.get(HealthProfessional, nurse.id).activity_end) == "2026-10-31"


def test_comma_separated_with_other_headers(app, tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text("Identifiant PP,Code profession,Code INSEE,Date de naissance,Date de début d'activité,ETP\n"
                    "19900000010,10,55545,12/03/1980,01/01/2012,1\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-workforce", str(path), "--source", "Extraction test 2"])
    assert "1 lignes : 1 créées" in result.output


def test_unreadable_file_is_refused_and_kept(app, db, tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text("nom;prenom\nDupont;Jean\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-workforce", str(path), "--source", "Extraction test 3"])
    assert result.exit_code != 0 and "colonnes obligatoires absentes" in result.output
    db.expire_all()
    assert db.scalar(select(RejectedPayload).where(RejectedPayload.reason == "unreadable_extract")) is not None
