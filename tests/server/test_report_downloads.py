"""Report downloads: served to their recipient (and administrators) only, journalled; the `report` command."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from data import reports
from data.access import scope_for_user
from data.db import make_session_factory
from data.models import AuditEvent
from data.report_content import user_by_email
from tests.conftest import TERRITORY
from tests.reports_support import OCTOBER_NOW, clear_reports

OWNER = "professionnels@demo.e-meuse-sante.fr"


@pytest.fixture(scope="module")
def report_id(engine, demo_counts):
    clear_reports(engine)
    with make_session_factory(engine)() as session:
        user = user_by_email(session, OWNER)
        sub = reports.subscribe(session, scope=scope_for_user(session, user, territory=TERRITORY), actor=OWNER,
                                pages=["teleconsultation"])
        session.commit()
        report = reports.generate(session, subscription_id=sub.id, month=date(2026, 10, 1), territory=TERRITORY,
                                  now=datetime.fromisoformat(OCTOBER_NOW))
        assert report.status == reports.READY
        yield report.id
    clear_reports(engine)


def test_recipient_downloads_pdf_and_xlsx(client, auth, report_id, db):
    auth.login_as("professionnels")
    pdf = client.get(f"/rapports/{report_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:5] == b"%PDF-"
    assert 'filename="e-meuse-sante_rapport_2026-10.pdf"' in pdf.headers["Content-Disposition"]
    xlsx = client.get(f"/rapports/{report_id}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    last = db.scalars(select(AuditEvent).where(AuditEvent.action == "report.download")
                      .order_by(AuditEvent.id.desc())).first()
    assert last.actor == OWNER and last.detail == {"format": "xlsx"}


def test_another_member_is_refused_in_french(client, auth, report_id, db):
    auth.login_as("usagers")
    answer = client.get(f"/rapports/{report_id}.pdf")
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "Accès refusé" in page and "n'est pas le vôtre" in page.replace("&#39;", "'")
    assert b"%PDF" not in answer.data
    refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied",
                                                  AuditEvent.actor == "usagers@demo.e-meuse-sante.fr")
                         .order_by(AuditEvent.id.desc())).first()
    assert refused.target == f"/rapports/{report_id}.pdf"


def test_an_administrator_may_download(client, auth, report_id):
    auth.login_as("admin")
    assert client.get(f"/rapports/{report_id}.pdf").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, report_id):
    answer = client.get(f"/rapports/{report_id}.pdf")
    assert answer.status_code in (302, 401) and b"%PDF" not in answer.data


def test_unknown_report_or_format(client, auth, report_id):
    auth.login_as("professionnels")
    assert client.get(f"/rapports/{report_id + 999}.pdf").status_code == 403
    assert client.get(f"/rapports/{report_id}.docx").status_code == 404


def test_report_command_renders_on_demand(app, engine, demo_counts):
    clear_reports(engine)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "--email", "collectivites@demo.e-meuse-sante.fr", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "PDF" in result.output and "data until 2026-10-31" in result.output
    again = runner.invoke(args=["report", "--email", "collectivites@demo.e-meuse-sante.fr", "--month", "2026-10"])
    assert again.exit_code == 0 and again.output.split(":")[0] == result.output.split(":")[0]  # the same report
    bad = runner.invoke(args=["report", "--email", "personne@example.org", "--month", "2026-10"])
    assert bad.exit_code != 0
    clear_reports(engine)
