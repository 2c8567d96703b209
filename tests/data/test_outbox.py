"""The outbox against a real SMTP server on loopback: queued once per dedupe key, sent once, retried with
backoff after a refusal and never lost, every sending audited."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select

from data.db import make_session_factory
from data.models import AuditEvent, MailAttachment, MailMessage
from data.outbox import Attachment, SmtpConfig, backoff, deliver_pending, queue_mail
from tests.mail_server import SmtpServer, body_text


@pytest.fixture()
def factory(engine, demo_counts):
    factory = make_session_factory(engine)
    yield factory
    with factory() as session:
        ids = select(MailMessage.id).where(MailMessage.dedupe_key.like("test-outbox:%"))
        session.execute(delete(MailAttachment).where(MailAttachment.message_id.in_(ids)))
        session.execute(delete(MailMessage).where(MailMessage.dedupe_key.like("test-outbox:%")))
        session.commit()


@pytest.fixture()
def smtp():
    with SmtpServer() as server:
        yield server


def _config(server: SmtpServer) -> SmtpConfig:
    return SmtpConfig(host=server.host, port=server.port, sender="e-Meuse Santé <alertes@example.org>")


def test_queue_is_idempotent_by_dedupe_key(factory):
    with factory() as session:
        first = queue_mail(session, to="a@example.org", subject="Sujet", body="Corps", dedupe_key="test-outbox:1")
        again = queue_mail(session, to="a@example.org", subject="Autre", body="Autre", dedupe_key="test-outbox:1")
        session.commit()
        assert first is not None and again is None
        assert session.scalars(select(MailMessage.subject).where(MailMessage.dedupe_key == "test-outbox:1")).all() \
            == ["Sujet"]


def test_sent_once_with_french_text_and_attachment(factory, smtp):
    with factory() as session:
        queue_mail(session, to="b@example.org", subject="[e-Meuse Santé] Rapport de novembre",
                   body="Bonjour,\nvoici le rapport « novembre ».", dedupe_key="test-outbox:2",
                   attachments=[Attachment("rapport.pdf", "application/pdf", b"%PDF-1.4 test")])
        session.commit()
    report = deliver_pending(factory, config=_config(smtp))
    assert report.sent >= 1
    assert deliver_pending(factory, config=_config(smtp)).sent == 0  # nothing left: no second copy
    received = smtp.mailbox.to("b@example.org")
    assert len(received) == 1
    assert received[0]["Subject"] == "[e-Meuse Santé] Rapport de novembre"
    assert "« novembre »" in body_text(received[0])
    files = [p.get_filename() for p in received[0].iter_attachments()]
    assert files == ["rapport.pdf"]
    with factory() as session:
        row = session.scalar(select(MailMessage).where(MailMessage.dedupe_key == "test-outbox:2"))
        assert row.sent_at is not None and row.attempts == 1
        audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.sent",
                                                           AuditEvent.target == "b@example.org")).all()
        assert any(e.detail["message"] == row.id for e in audited)


def test_refused_then_accepted_is_delivered_exactly_once(factory, smtp):
    smtp.mailbox.refuse_next = 2
    with factory() as session:
        queue_mail(session, to="c@example.org", subject="Essai", body="Essai", dedupe_key="test-outbox:3")
        session.commit()
    clock = [datetime(2030, 1, 1, 12, 0)]
    config = _config(smtp)
    assert deliver_pending(factory, config=config, now=lambda: clock[0]).failed == 1
    with factory() as session:
        row = session.scalar(select(MailMessage).where(MailMessage.dedupe_key == "test-outbox:3"))
        assert row.sent_at is None and row.attempts == 1 and "451" in row.last_error
        assert row.next_attempt_at == clock[0] + backoff(1)
    assert deliver_pending(factory, config=config, now=lambda: clock[0]).sent == 0  # not due yet
    clock[0] += backoff(1)
    assert deliver_pending(factory, config=config, now=lambda: clock[0]).failed == 1
    clock[0] += backoff(2)
    assert deliver_pending(factory, config=config, now=lambda: clock[0]).sent == 1
    clock[0] += timedelta(hours=1)
    deliver_pending(factory, config=config, now=lambda: clock[0])
    assert smtp.mailbox.refused == 2
    assert len(smtp.mailbox.to("c@example.org")) == 1


def test_unreachable_server_keeps_the_message(factory):
    with factory() as session:
        queue_mail(session, to="d@example.org", subject="Essai", body="Essai", dedupe_key="test-outbox:4")
        session.commit()
    from tests.mail_server import free_port

    report = deliver_pending(factory, config=SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2))
    assert report.failed >= 1
    with factory() as session:
        row = session.scalar(select(MailMessage).where(MailMessage.dedupe_key == "test-outbox:4"))
        assert row.sent_at is None and row.last_error


def test_backoff_grows_and_is_capped():
    assert backoff(1) < backoff(2) < backoff(3)
    assert backoff(50) == timedelta(hours=6)
