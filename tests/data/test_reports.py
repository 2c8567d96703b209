"""Monthly reports: what the PDF may say at summary level, its images, and exactly one report per
(subscription, month) — generated twice, concurrently, after a failure, by the worker's cycle."""
from __future__ import annotations

import io
import json
import re
import threading
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from data import reports
from data.access import scope_for_user
from data.db import make_session_factory
from data.models import AuditEvent, Commune, Device, GeneratedReport, MobileUnit, ReportSubscription, Site
from data.report_content import compose, user_by_email
from data.report_render import render
from tests.conftest import TERRITORY
from tests.leak_detector import Detector, small_counts_in_text
from tests.reports_support import OCTOBER_NOW, clear_reports, pdf_images, pdf_lines, pdf_page_lines

NOW = datetime.fromisoformat(OCTOBER_NOW)
OCTOBER = date(2026, 10, 1)
USAGERS = "usagers@demo.e-meuse-sante.fr"
PROFESSIONNELS = "professionnels@demo.e-meuse-sante.fr"
QUICK = ["teleconsultation"]  # one page: a report drawn in a few seconds, for the claim tests


@pytest.fixture(autouse=True)
def no_reports(engine, demo_counts):
    clear_reports(engine)
    yield
    clear_reports(engine)


@pytest.fixture(scope="module")
def usagers_report(engine, demo_counts):
    """The October report of the `usagers` member (summary level on most datasets), every page they may see."""
    session = make_session_factory(engine)()
    try:
        user = user_by_email(session, USAGERS)
        scope = scope_for_user(session, user, territory=TERRITORY)
        content = compose(session, scope=scope, user=user, month=OCTOBER, pages=None, territory=TERRITORY, now=NOW)
        pdf, xlsx = render(content)
        yield content, pdf, xlsx
    finally:
        session.close()


def _subscription(session, email: str, pages: list[str] | None = QUICK) -> int:
    user = user_by_email(session, email)
    scope = scope_for_user(session, user, territory=TERRITORY)
    sub = reports.subscribe(session, scope=scope, actor=email, pages=pages, now=NOW)
    session.commit()
    return sub.id


def test_usagers_report_names_no_place_and_shows_no_small_count(db, usagers_report):
    content, pdf, xlsx = usagers_report
    assert {s.page for s in content.sections} >= {"overview", "teleconsultation", "mobile", "workforce"}
    assert "biology" not in {s.page for s in content.sections}  # no grant on biology: not in their report
    lines = pdf_lines(pdf)
    text = "\n".join(lines)
    assert "Rapport mensuel\nOctobre 2026" in text and "Page 1 / " in text
    assert "Définitions des chiffres du mois" in text  # from the registry (data.indicators)
    # a provenance, without its name (other tests may have declared more sources in the shared database)
    assert re.search(r"Sources\s:\sTéléconsultation\s\(\d+\ssources?\)\s·\sdonnées\sjusqu'au", text), text[:3000]
    names = {n for n in db.scalars(select(Site.name))} | {n for n in db.scalars(select(Device.serial))} \
        | {n for n in db.scalars(select(MobileUnit.name))} | {n for n in db.scalars(select(Commune.name))}
    detector = Detector.from_session(db)
    leaks = detector.find_leaks(json.dumps(lines, ensure_ascii=False))
    assert leaks == []
    named = sorted({name for line in lines for name, _ in detector._names_in(line) if name in names})
    assert named == []
    assert [c for line in lines for c in small_counts_in_text(line)] == []
    book = load_workbook(io.BytesIO(xlsx))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert detector.find_leaks(json.dumps(cells, ensure_ascii=False)) == []


def test_the_detector_would_see_a_site_name_and_a_small_count(db):
    """The check above is not blind: a line naming a site or counting 3 sessions is reported."""
    detector = Detector.from_session(db)
    site = db.scalar(select(Site.name).limit(1))
    found = detector.find_leaks(json.dumps([f"Le plus actif : {site}", "3 séances réalisées"], ensure_ascii=False))
    assert len(found) == 2


def test_report_images_are_real_pngs(usagers_report):
    content, pdf, _ = usagers_report
    charts = [c for s in content.sections for c in s.charts]
    images = pdf_images(pdf)
    assert len(images) == len(charts) >= 5
    from PIL import Image

    for png in images:
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
        picture = Image.open(io.BytesIO(png)).convert("L")
        assert picture.width >= 900
        low, high = picture.getextrema()
        assert high - low > 100  # drawn: not a blank page
    assert "Sources : IGN" not in "\n".join(pdf_lines(pdf))  # the map credit is inside the images, not text


def test_generated_twice_is_one_report(engine):
    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)
        first = reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW)
        again = reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW)
        assert first.status == reports.READY and again.id == first.id and again.rendered_at == first.rendered_at
        assert first.data_until == date(2026, 10, 31)
        assert session.scalar(select(func.count()).select_from(GeneratedReport)) == 1
        assert first.pdf[:5] == b"%PDF-" and first.xlsx[:2] == b"PK"


def test_two_workers_at_once_make_one_report(engine):
    """Two threads, each with its own session (and connection), claim the same (subscription, month)."""
    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)
        audit_before = session.scalar(select(func.max(AuditEvent.id))) or 0
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with factory() as own:
            try:
                start.wait()
                report = reports.generate(own, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW)
                results.append(report.id if report is not None else None)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    with factory() as session:
        rows = session.scalars(select(GeneratedReport).where(GeneratedReport.subscription_id == sub_id)).all()
        assert len(rows) == 1 and rows[0].status == reports.READY and rows[0].attempts == 1
        rendered = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "report.generate", AuditEvent.id > audit_before))
        assert rendered == 1  # one rendering, hence one mail
    assert set(results) == {rows[0].id}


def test_a_failed_render_is_retried_on_the_same_row(engine, monkeypatch):
    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)

        def broken(_content):
            raise RuntimeError("Chromium absent")

        import data.report_render

        monkeypatch.setattr(data.report_render, "render", broken)
        failed = reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW)
        assert failed.status == reports.FAILED and "Chromium absent" in failed.error
        monkeypatch.undo()
        done = reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW)
        assert done.id == failed.id and done.status == reports.READY and done.attempts == 2 and done.error is None
        assert session.scalar(select(func.count()).select_from(GeneratedReport)) == 1


def test_worker_cycle_renders_last_month_once_and_completes_a_partial_month(engine):
    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)
        mid = reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY,
                               now=datetime(2026, 10, 15, 8, 0))
        assert mid.data_until == date(2026, 10, 14)  # the current month stops yesterday
        first_cycle = reports.run_due_reports(session, now=datetime(2026, 11, 1, 5, 0), territory=TERRITORY)
        assert first_cycle == [mid.id]  # the same row, now complete
        second_cycle = reports.run_due_reports(session, now=datetime(2026, 11, 1, 5, 1), territory=TERRITORY)
        assert second_cycle == []
        row = session.scalars(select(GeneratedReport)).one()
        session.refresh(row)
        assert row.data_until == date(2026, 10, 31) and row.status == reports.READY


def test_inactive_subscriptions_get_nothing(engine):
    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)
        user = user_by_email(session, PROFESSIONNELS)
        scope = scope_for_user(session, user, territory=TERRITORY)
        reports.unsubscribe(session, scope=scope, actor=PROFESSIONNELS, subscription_id=sub_id)
        session.commit()
        assert reports.run_due_reports(session, now=datetime(2026, 11, 1, 5, 0), territory=TERRITORY) == []


def test_subscription_keeps_only_pages_the_user_may_open(db):
    user = user_by_email(db, USAGERS)
    scope = scope_for_user(db, user, territory=TERRITORY)
    sub = reports.subscribe(db, scope=scope, actor=USAGERS, pages=["biology", "teleconsultation", "nope"])
    assert sub.pages == ["teleconsultation"]  # no grant on biology
    other = scope_for_user(db, user_by_email(db, PROFESSIONNELS), territory=TERRITORY)
    with pytest.raises(reports.ReportRefused):
        reports.unsubscribe(db, scope=other, actor=PROFESSIONNELS, subscription_id=sub.id)
    assert db.scalar(select(ReportSubscription.active).where(ReportSubscription.id == sub.id)) is True


def test_mail_subject_is_french():
    assert reports.subject(date(2026, 11, 1)) == "[e-Meuse Santé] Rapport de novembre 2026"
    assert reports.subject(date(2026, 10, 1)) == "[e-Meuse Santé] Rapport d'octobre 2026"


def test_a_new_report_is_mailed_once_with_its_pdf_and_xlsx(engine):
    from data.outbox import SmtpConfig, deliver_pending
    from tests.mail_server import SmtpServer, body_text

    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)
        report = reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW)
        reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW)
        reports.run_due_reports(session, now=datetime(2026, 11, 1, 5, 0), territory=TERRITORY)
    with SmtpServer() as smtp:
        config = SmtpConfig(host=smtp.host, port=smtp.port, sender="e-Meuse Santé <rapports@example.org>")
        deliver_pending(factory, config=config)
        deliver_pending(factory, config=config)
        received = smtp.mailbox.to(PROFESSIONNELS)
    assert len(received) == 1
    assert received[0]["Subject"] == "[e-Meuse Santé] Rapport d'octobre 2026"
    assert "rapport d'octobre 2026" in body_text(received[0]) and "« Rapports »" in body_text(received[0])
    files = {p.get_filename(): p.get_content() for p in received[0].iter_attachments()}
    assert set(files) == {"e-meuse-sante_rapport_2026-10.pdf", "e-meuse-sante_rapport_2026-10.xlsx"}
    assert files["e-meuse-sante_rapport_2026-10.pdf"] == report.pdf


def test_a_report_failing_too_often_waits_for_someone_to_ask(engine, monkeypatch):
    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)
        session.add(GeneratedReport(subscription_id=sub_id, month=OCTOBER, created_at=NOW, status=reports.FAILED,
                                    attempts=reports.MAX_ATTEMPTS, error="RenderError: Chromium absent"))
        session.commit()
        assert reports.run_due_reports(session, now=datetime(2026, 11, 1, 5, 0), territory=TERRITORY) == []
        done = reports.generate(session, subscription_id=sub_id, month=OCTOBER, territory=TERRITORY, now=NOW,
                                asked=True)
        assert done.status == reports.READY and done.attempts == reports.MAX_ATTEMPTS + 1


def test_a_deactivated_user_gets_no_report(engine):
    from data.models import User

    factory = make_session_factory(engine)
    with factory() as session:
        sub_id = _subscription(session, PROFESSIONNELS)
        user = session.scalar(select(User).join(ReportSubscription, ReportSubscription.user_id == User.id)
                              .where(ReportSubscription.id == sub_id))
        user.active = False
        session.commit()
        try:
            assert reports.run_due_reports(session, now=datetime(2026, 11, 1, 5, 0), territory=TERRITORY) == []
        finally:
            user.active = True
            session.commit()


def _strings(value) -> list[str]:
    """Every text a report's content holds (dataclasses, tuples, lists, dicts; frames are the tables' cells)."""
    import dataclasses

    import pandas as pd

    if isinstance(value, str):
        return [value]
    if isinstance(value, pd.DataFrame):
        return [str(v) for v in value.to_numpy().ravel()] + [str(c) for c in value.columns]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
DATA_DATE = re.compile(r"(?:dernière donnée|données jusqu'au)\s*:?\s*(1er|\d{1,2})\s+(" + "|".join(MONTHS_FR)
                       + r")\s+(\d{4})", re.IGNORECASE)


def test_a_months_report_never_dates_its_data_after_the_month(db):
    """September's report, written when October's data is in: every « dernière donnée » and « données jusqu'au »
    stops at 30 September (a headline card said the feed's last day overall, the registry its extract day)."""
    from tests.reports_support import plain

    september = date(2026, 9, 1)
    found = []
    for email in (USAGERS, PROFESSIONNELS, "ars@demo.e-meuse-sante.fr"):
        user = user_by_email(db, email)
        scope = scope_for_user(db, user, territory=TERRITORY)
        content = compose(db, scope=scope, user=user, month=september, territory=TERRITORY,
                          pages=["overview", "teleconsultation", "mobile", "workforce"], now=datetime(2026, 10, 2, 6))
        for text in _strings(content):
            for day, month, year in DATA_DATE.findall(plain(text)):
                found.append((email, date(int(year), MONTHS_FR.index(month.lower()) + 1,
                                          1 if day == "1er" else int(day)), text[:120]))
    assert found, "no data date in the report: the test shows nothing"
    assert [f for f in found if f[1] > date(2026, 9, 30)] == []


def test_no_page_holds_only_the_sources_line_of_the_table_before_it(db, usagers_report):
    """The programme part of the ARS report had tables filling their page to the last line: their sources line
    went alone onto the next page. A table (at most 15 rows) now keeps its title, rows and sources together."""
    user = user_by_email(db, "ars@demo.e-meuse-sante.fr")
    content = compose(db, scope=scope_for_user(db, user, territory=TERRITORY), user=user, month=OCTOBER,
                      pages=["programme"], territory=TERRITORY, now=NOW)
    for pdf in (usagers_report[1], render(content)[0]):
        for number, lines in enumerate(pdf_page_lines(pdf), 1):
            body = [line for line in lines if line and not re.search(r"Page \d+ / \d+$", line)]
            assert body, f"page {number} is empty"
            assert not (body[0].startswith("Sources :") and len(body) <= 3), (number, body)


def test_each_figure_of_the_month_is_defined_once_without_repeating_its_name(usagers_report):
    content, pdf, _ = usagers_report
    lines = pdf_lines(pdf)
    start = lines.index("Définitions des chiffres du mois (page « Méthodes »)")
    end = next(i for i in range(start, len(lines)) if lines[i] == "Population et géographie")
    names = {name for s in content.sections for name, _ in s.definitions}
    assert len(names) >= 5
    for name in names:
        defined = [line for line in lines[start:end] if line.startswith(f"{name} : ")]
        assert len(defined) == 1, (name, defined)
        assert not defined[0].startswith(f"{name} : {name} :"), defined[0]
