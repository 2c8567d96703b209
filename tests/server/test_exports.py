"""Exports of page tables: recomputed on the server with the caller's scope, journalled, formula-safe."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from data.exports import to_csv, to_xlsx
from data.models import AuditEvent
from data.views import EXPORTS
from tests.csv_exports import read_export, table_lines

QUERY = "?dep=52,55&du=2026-01&au=2026-06"


def test_anonymous_export_is_refused(client):
    response = client.get("/export/teleconsultation-sites.csv" + QUERY)
    assert response.status_code in (302, 401)
    assert b"Haute-Marne" not in response.data


def test_detail_export_is_journalled(auth, client, db):
    auth.login_as("collectivites")
    response = client.get("/export/teleconsultation-sites.csv" + QUERY)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True).lstrip("\ufeff")
    header = table_lines(body)[0]
    assert header.startswith("Site / département;Type;Commune;Code INSEE;Séances;Réalisées")
    assert "EHPAD" in body and len(table_lines(body)) > 20
    db.expire_all()
    row = db.scalars(select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.target ==
                                              "teleconsultation-sites").order_by(AuditEvent.id.desc())).first()
    assert row.actor == "collectivites@demo.e-meuse-sante.fr" and row.detail["format"] == "csv"
    assert row.detail["rows"] == len(table_lines(body)) - 1


def test_summary_export_has_no_site_and_hides_small_counts(auth, client):
    auth.login_as("usagers")  # teleconsultation: summary
    body = client.get("/export/teleconsultation-sites.csv" + QUERY).get_data(as_text=True)
    assert "EHPAD" not in body
    assert sorted(line.split(";")[0] for line in table_lines(body)[1:]) == ["Haute-Marne", "Meuse"]
    weekly = client.get("/export/teleconsultation-hebdo.csv" + QUERY).get_data(as_text=True)
    cells = [c for line in table_lines(weekly)[1:] for c in line.split(";")[2:]]
    assert not any(c.isdigit() and 1 <= int(c) <= 10 for c in cells)  # 1..10 never published


def test_export_without_the_grant_is_refused_in_french(auth, client):
    auth.login_as("usagers")  # biology: none
    response = client.get("/export/biologie-automates.xlsx" + QUERY)
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)


def test_unknown_export(auth, client):
    auth.login_as("admin")
    assert client.get("/export/nothing.csv").status_code == 404
    assert client.get("/export/teleconsultation-sites.pdf").status_code == 404


def test_xlsx_export_opens_and_keeps_numbers(auth, client):
    auth.login_as("ars")
    response = client.get("/export/couverture-sous-dotees.xlsx" + QUERY + "&seuil=2.5")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Commune", "Code INSEE"]
    population, access = header.index("Population") + 1, header.index("Accessibilité (consultations / hab. / an)") + 1
    assert isinstance(sheet.cell(2, population).value, int)  # numbers stay numbers, not text
    assert isinstance(sheet.cell(2, access).value, (int, float))


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\t=1"])
def test_spreadsheet_formulas_are_neutralised(hostile):
    rows = list(csv.reader(io.StringIO(to_csv([[hostile, 3]], ["Site", "n"]).lstrip("\ufeff")), delimiter=";"))
    assert rows[1] == [f"'{hostile}", "3"]
    sheet = load_workbook(io.BytesIO(to_xlsx([[hostile, 3]], ["Site", "n"]))).active
    assert sheet.cell(2, 1).value.startswith("'") and sheet.cell(2, 2).value == 3


def test_every_table_is_exportable_by_the_admin(auth, client):
    auth.login_as("admin")
    for key in EXPORTS:
        response = client.get(f"/export/{key}.csv{QUERY}")
        assert response.status_code == 200, key
        assert table_lines(response.get_data(as_text=True))[0].split(";")[0], key


@pytest.mark.parametrize("who", ["ars", "financeurs"])
def test_every_export_is_the_table_of_its_page_view(auth, client, app, who):
    """The export is the view's own table (same rows, same headers), at detail and at summary level."""
    from datetime import date as day

    from data.access import scope_for_user
    from data.filters import parse_filters
    from data.users import get_by_email
    from data.views import EXPORTS, VIEWS
    from data.views.base import find_table
    from server.database import db_session

    auth.login_as(who)
    args = {"dep": "52,55", "du": "2026-01", "au": "2026-06", "seuil": "3"}
    with app.test_request_context("/"):
        session = db_session()
        user = get_by_email(session, email=f"{who}@demo.e-meuse-sante.fr")
        scope = scope_for_user(session, user, territory=app.config["EMEUSE_SETTINGS"].departements)
        filters = parse_filters(args, today=day.today(), territory=app.config["EMEUSE_SETTINGS"].departements)
        for key, spec in EXPORTS.items():
            view_spec = VIEWS[spec.view]
            response = client.get(f"/export/{key}.csv?" + "&".join(f"{k}={v}" for k, v in args.items()))
            if not scope.can_open(view_spec.dataset, view_spec.roles):
                assert response.status_code == 403, key
                continue
            view = view_spec.compute(session, scope=scope, filters=filters, options=view_spec.options(args, filters))
            if getattr(view, "refused", False):  # the view itself refuses the caller (the planner at summary)
                assert response.status_code == 403, key
                continue
            table = find_table(view, key)
            if table is None:  # a table the view has at detail level only (the EPCI totals of coverage)
                assert response.status_code == 403, key
                continue
            _metadata, header, rows = read_export(response.get_data(as_text=True))
            assert header == list(table.frame.columns), key
            assert len(rows) == len(table.frame), key


# --- exports for French spreadsheets (issue #14) -------------------------------------------------------

H1_2025 = "?dep=55&du=2025-01&au=2025-06"


def test_csv_numbers_have_a_decimal_comma_and_text_is_still_neutralised():
    text = to_csv([["=1+1", 0.21, -3, 1234, -0.5]], ["Site", "taux", "solde", "n", "écart"])
    _meta, header, rows = read_export(text)
    assert rows == [["'=1+1", "0,21", "-3", "1234", "-0,5"]]  # numbers stay numbers for French Excel
    assert "0.21" not in text


def test_csv_of_communes_for_the_ars_carries_insee_epci_and_metadata(auth, client):
    auth.login_as("ars")
    text = client.get("/export/couverture-sous-dotees.csv" + H1_2025 + "&seuil=2.5").get_data(as_text=True)
    meta, header, rows = read_export(text)
    assert header[:4] == ["Commune", "Code INSEE", "EPCI", "SIREN de l'EPCI"] and rows
    assert all(len(r[1]) == 5 and r[1].startswith("55") for r in rows)
    assert all(len(r[3]) == 9 and r[3].isdigit() for r in rows if r[3])
    access = header.index("Accessibilité (consultations / hab. / an)")
    assert any("," in r[access] for r in rows) and not any("." in r[access] for r in rows)
    assert meta["Titre"] == "Communes sous le seuil"
    assert meta["Départements"] == "Meuse (55)" and meta["Période"] == "janvier 2025 – juin 2025"
    assert meta["Niveau de détail"].startswith("détail (communes et sites)")
    assert "Aucune perturbation" in meta["Secret statistique"]
    assert "2017" in meta["Population et géographie"] and "heure de Paris" in meta["Extraction"]
    assert meta["Seuil"] == "2,5 consultations par habitant et par an"
    assert meta["Médecins de 65 ans et plus"] == "exclus"
    assert "/couverture?dep=55&du=2025-01&au=2025-06&seuil=2.5" in meta["Page"] and "schéma" in meta["Application"]
    assert meta["Lignes"] == str(len(rows))


def test_csv_for_a_summary_college_says_its_level_and_secrecy_rule(auth, client):
    auth.login_as("usagers")  # teleconsultation: summary
    text = client.get("/export/teleconsultation-sites.csv" + H1_2025 + "&commune=55029").get_data(as_text=True)
    meta, header, rows = read_export(text)
    assert meta["Niveau de détail"].startswith("synthèse (totaux par département)")
    assert "« < 11 »" in meta["Secret statistique"] and "perturbation" in meta["Secret statistique"]
    assert meta["Commune"].startswith("Bar-le-Duc (code INSEE 55029)") and "non appliqué" in meta["Commune"]
    assert "Téléconsultation" in meta["Sources"] and [r[0] for r in rows] == ["Meuse"]


def test_xlsx_has_a_metadata_sheet_and_french_number_formats(auth, client):
    auth.login_as("ars")
    response = client.get("/export/couverture-sous-dotees.xlsx" + H1_2025 + "&seuil=2.5")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[1] == "Métadonnées"
    meta = {row[0].value: row[1].value for row in book["Métadonnées"].iter_rows()}
    assert meta["Période"] == "janvier 2025 – juin 2025" and meta["Départements"] == "Meuse (55)"
    assert meta["Niveau de détail"].startswith("détail")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[1] == "Code INSEE" and sheet.cell(2, 2).value.startswith("55")
    column = header.index("Accessibilité (consultations / hab. / an)") + 1
    cells = [sheet.cell(r, column) for r in range(2, sheet.max_row + 1)]
    decimals = [c for c in cells if isinstance(c.value, float) and not c.value.is_integer()]
    assert decimals and all(c.number_format == "#,##0.0##" for c in decimals)  # numbers, shown « 1,23 »
