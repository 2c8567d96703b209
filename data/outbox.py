"""The mail outbox: queue a message once (by its dedupe key), deliver it over SMTP, retry, never lose it.

Anything that sends mail (alert notifications, scheduled reports) calls `queue_mail` inside its own
transaction: the message is sent only if that transaction commits, and queueing the same `dedupe_key`
twice — two workers, a retried job — is a no-op. The worker calls `deliver_pending`, which claims each
due row under a row lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite runs one worker and locks the
whole database on write), sends it, and marks it sent in the same transaction: two workers never send a
message twice. A failed attempt is retried with exponential backoff; the row stays until it is sent.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from data import audit
from data.models import MailAttachment, MailMessage
from data.users import utcnow

WORKER_ACTOR = "worker"
BACKOFF_BASE = timedelta(seconds=30)  # 30 s, 1 min, 2 min, 4 min… after each failed attempt
BACKOFF_MAX = timedelta(hours=6)


@dataclass(frozen=True)
class Attachment:
    """A file attached to a mail."""

    filename: str
    content_type: str  # e.g. application/pdf
    data: bytes


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send (settings.Settings.smtp_config builds it from the environment)."""

    host: str = "localhost"
    port: int = 25
    tls: str = "none"  # none | starttls | ssl
    user: str | None = None
    password: str | None = None
    sender: str = "e-Meuse Santé <ne-pas-repondre@e-meuse-sante.fr>"
    timeout: float = 20.0


def queue_mail(session: Session, *, to: str, subject: str, body: str, dedupe_key: str,
               attachments: Iterable[Attachment] = (), kind: str = "other", user_id: int | None = None,
               now: datetime | None = None) -> int | None:
    """Queue one message in the caller's transaction; the new row's id, or None when `dedupe_key` was
    already queued (by this or another worker), which makes every caller idempotent."""
    now = now or utcnow()
    values = dict(dedupe_key=dedupe_key[:200], kind=kind, user_id=user_id, recipient=to[:200],
                  subject=subject[:300], body=body, created_at=now, attempts=0, next_attempt_at=now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(MailMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(MailMessage.id))
    message_id = session.execute(stmt).scalar()
    if message_id is None:
        return None
    for item in attachments:
        session.add(MailAttachment(message_id=message_id, filename=item.filename, content_type=item.content_type,
                                   content=item.data))
    session.flush()
    return message_id


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed ones (exponential, capped)."""
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_MAX)


def build_message(message: MailMessage, attachments: list[MailAttachment], *, sender: str) -> EmailMessage:
    """The RFC 5322 message of an outbox row (UTF-8 text, attachments as MIME parts)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="e-meuse-sante.fr")
    mail["X-Emeuse-Dedupe"] = message.dedupe_key
    mail.set_content(message.body)
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        mail.add_attachment(item.content, maintype=maintype, subtype=subtype or "octet-stream",
                            filename=item.filename)
    return mail


def smtp_send(config: SmtpConfig, mail: EmailMessage) -> None:
    """Send one message; raises on any refusal (the caller retries later)."""
    if config.tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with client:
        if config.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if config.user:
            client.login(config.user, config.password or "")
        refused = client.send_message(mail)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int


def deliver_pending(factory: sessionmaker[Session], *, config: SmtpConfig, now: Callable[[], datetime] = utcnow,
                    limit: int = 100, send: Callable[[SmtpConfig, EmailMessage], None] = smtp_send) -> DeliveryReport:
    """Send the due messages, one transaction each: claim (row lock, skipping rows another worker holds),
    send, mark sent and audit, commit. A failure records the error and the next attempt time."""
    sent = failed = 0
    for _ in range(limit):
        with factory() as session:
            moment = now()
            row = session.scalar(
                select(MailMessage).where(MailMessage.sent_at.is_(None), MailMessage.next_attempt_at <= moment)
                .order_by(MailMessage.next_attempt_at, MailMessage.id).limit(1)
                .with_for_update(skip_locked=True))
            if row is None:
                session.rollback()
                break
            attachments = list(session.scalars(select(MailAttachment).where(MailAttachment.message_id == row.id)
                                               .order_by(MailAttachment.id)))
            row.attempts += 1
            try:
                send(config, build_message(row, attachments, sender=config.sender))
            except (smtplib.SMTPException, OSError) as err:
                row.last_error = f"{type(err).__name__}: {err}"[:2000]
                row.next_attempt_at = moment + backoff(row.attempts)
                audit.record(session, action="mail.failure", actor=WORKER_ACTOR, user_id=row.user_id,
                             target=row.recipient, detail={"message": row.id, "kind": row.kind,
                                                           "attempts": row.attempts, "error": row.last_error[:300]})
                session.commit()
                failed += 1
                continue
            row.sent_at = now()
            row.last_error = None
            audit.record(session, action="mail.sent", actor=WORKER_ACTOR, user_id=row.user_id, target=row.recipient,
                         detail={"message": row.id, "kind": row.kind, "subject": row.subject[:200],
                                 "attempts": row.attempts, "attachments": len(attachments)})
            session.commit()
            sent += 1
    return DeliveryReport(sent=sent, failed=failed)


def pending_count(session: Session) -> int:
    """Messages not sent yet (due or waiting for their next attempt)."""
    return int(session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.sent_at.is_(None))))
