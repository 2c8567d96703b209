"""Scheduled reports: subscriptions, exactly one report per (subscription, month), rendering and delivery.

Exactly once, with any number of workers: a report is claimed by inserting its (subscription, month) row
(`INSERT … ON CONFLICT DO NOTHING`, the UNIQUE constraint decides who won), or by a conditional UPDATE that
takes over a failed render, a claim left by a dead worker, or a partial month that more data now completes;
the database, not timing, guarantees one owner. The claim is committed before the (slow) rendering, so no
lock is held meanwhile. Who may: a subscriber sees and downloads only their own reports (an administrator
any); what a report shows is decided by the page views for its recipient's scope (`data.report_content`).
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data import audit
from data.access import AccessScope, scope_for_user
from data.filters import add_months, month_end, month_start
from data.formatting import de, fmt_month, to_paris
from data.models import GeneratedReport, ReportSubscription, Role, User
from data.outbox import Attachment, queue_mail
from data.report_content import PAGES_BY_NAME, compose, page_choices, report_filters
from data.users import utcnow

PENDING, RENDERING, READY, FAILED = "pending", "rendering", "ready", "failed"
STATUS_WORDS = {PENDING: "en attente", RENDERING: "en cours", READY: "prêt", FAILED: "échec"}
STALE_CLAIM = timedelta(minutes=30)  # a claim older than this belongs to a worker that died: taken over
MAX_ATTEMPTS = 5  # a report failing this often waits for an administrator (or « Générer maintenant »)
WORKER_ACTOR = "worker"
Reader = Callable[[], AbstractContextManager[Session]]  # opens the session a report's content is read on
MIME = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ReportRefused(PermissionError):
    """The caller may not see or change this subscription or report."""


@dataclass(frozen=True)
class ReportRow:
    """A generated report as listed (no file bytes loaded)."""

    id: int
    subscription_id: int
    month: date
    status: str
    created_at: datetime
    rendered_at: datetime | None
    data_until: date | None
    error: str | None
    pdf_size: int
    xlsx_size: int


def subject(month: date) -> str:
    return f"[e-Meuse Santé] Rapport {de(fmt_month(month))}"


def file_name(report_month: date, fmt: str) -> str:
    return f"e-meuse-sante_rapport_{report_month:%Y-%m}.{fmt}"


# --- subscriptions --------------------------------------------------------------------------------------

def _clean_pages(scope: AccessScope, pages: list[str] | None) -> list[str] | None:
    """None stays « every page I may see »; a list keeps the known pages the caller may open."""
    if pages is None:
        return None
    allowed = {name for name, _ in page_choices(scope)}
    return [p for p in PAGES_BY_NAME if p in set(pages) and p in allowed]


def subscriptions_of(session: Session, *, user_id: int) -> list[ReportSubscription]:
    return list(session.scalars(select(ReportSubscription).where(ReportSubscription.user_id == user_id)
                                .order_by(ReportSubscription.id)))


def subscribe(session: Session, *, scope: AccessScope, actor: str, pages: list[str] | None,
              ip: str | None = None, now: datetime | None = None) -> ReportSubscription:
    """The caller's monthly subscription (created, or its pages changed and made active); audited."""
    if scope.user_id is None:
        raise ReportRefused("un abonnement appartient à un utilisateur connecté")
    pages = _clean_pages(scope, pages)
    sub = session.scalar(select(ReportSubscription).where(ReportSubscription.user_id == scope.user_id)
                         .order_by(ReportSubscription.id).limit(1))
    before = None if sub is None else {"pages": sub.pages, "active": sub.active}
    if sub is None:
        sub = ReportSubscription(user_id=scope.user_id, pages=pages, frequency="monthly", active=True,
                                 created_at=now or utcnow())
        session.add(sub)
    else:
        sub.pages, sub.active = pages, True
    session.flush()
    audit.record(session, action="report.subscribe", actor=actor, user_id=scope.user_id,
                 target=f"subscription {sub.id}", ip=ip,
                 detail={"before": before, "after": {"pages": pages, "active": True}})
    return sub


def unsubscribe(session: Session, *, scope: AccessScope, actor: str, subscription_id: int,
                ip: str | None = None) -> None:
    """Stop a subscription of the caller's own (its reports stay downloadable); audited."""
    sub = session.get(ReportSubscription, subscription_id)
    if sub is None or (sub.user_id != scope.user_id and scope.role != Role.ADMIN.value):
        raise ReportRefused("cet abonnement n'est pas le vôtre")
    sub.active = False
    audit.record(session, action="report.unsubscribe", actor=actor, user_id=scope.user_id,
                 target=f"subscription {sub.id}", ip=ip)


# --- listing and downloading -----------------------------------------------------------------------------

def reports_of(session: Session, *, user_id: int, limit: int = 60) -> list[ReportRow]:
    """The user's reports, newest month first, without loading their files."""
    from sqlalchemy import func

    rows = session.execute(
        select(GeneratedReport.id, GeneratedReport.subscription_id, GeneratedReport.month, GeneratedReport.status,
               GeneratedReport.created_at, GeneratedReport.rendered_at, GeneratedReport.data_until,
               GeneratedReport.error, func.coalesce(func.length(GeneratedReport.pdf), 0),
               func.coalesce(func.length(GeneratedReport.xlsx), 0))
        .join(ReportSubscription, ReportSubscription.id == GeneratedReport.subscription_id)
        .where(ReportSubscription.user_id == user_id)
        .order_by(GeneratedReport.month.desc(), GeneratedReport.id.desc()).limit(limit)).all()
    return [ReportRow(*r) for r in rows]


def report_file(session: Session, *, scope: AccessScope | None, report_id: int, fmt: str) -> tuple[bytes, str]:
    """(file, name) of a ready report, for its recipient or an administrator only."""
    if scope is None or fmt not in MIME:
        raise ReportRefused("fichier inconnu")
    found = session.execute(select(GeneratedReport, ReportSubscription.user_id)
                            .join(ReportSubscription, ReportSubscription.id == GeneratedReport.subscription_id)
                            .where(GeneratedReport.id == report_id)).first()
    if found is None or (found[1] != scope.user_id and scope.role != Role.ADMIN.value):
        raise ReportRefused("ce rapport n'est pas le vôtre")
    report = found[0]
    data = report.pdf if fmt == "pdf" else report.xlsx
    if report.status != READY or not data:
        raise LookupError("rapport pas encore prêt")
    return data, file_name(report.month, fmt)


# --- claiming, rendering --------------------------------------------------------------------------------

def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim(session: Session, *, subscription_id: int, month: date, until: date, now: datetime,
          asked: bool = False) -> int | None:
    """The id of the (subscription, month) report if this caller now owns its rendering, else None. Committed.

    New: inserted (ON CONFLICT DO NOTHING). Existing: taken over only if failed (fewer than MAX_ATTEMPTS),
    claimed long ago by a worker that died, or ready but covering less data than `until` (a partial month).
    `asked` (someone pressed « Générer maintenant »): a failed report is retried however often it failed."""
    month = month_start(month)
    stmt = (_insert(session)(GeneratedReport)
            .values(subscription_id=subscription_id, month=month, created_at=now, status=RENDERING, claimed_at=now,
                    attempts=1)
            .on_conflict_do_nothing(index_elements=["subscription_id", "month"]).returning(GeneratedReport.id))
    report_id = session.execute(stmt).scalar()
    if report_id is None:
        failed = GeneratedReport.status == FAILED
        retry = failed if asked else failed & (GeneratedReport.attempts < MAX_ATTEMPTS)
        report_id = session.execute(
            update(GeneratedReport)
            .where(GeneratedReport.subscription_id == subscription_id, GeneratedReport.month == month,
                   or_(retry,
                       GeneratedReport.status.in_((PENDING, RENDERING))
                       & (GeneratedReport.claimed_at < now - STALE_CLAIM),
                       (GeneratedReport.status == READY) & (GeneratedReport.data_until < until)))
            .values(status=RENDERING, claimed_at=now, attempts=GeneratedReport.attempts + 1, error=None)
            .returning(GeneratedReport.id)).scalar()
    session.commit()
    return report_id


def _version(session: Session) -> str:
    from data.db import schema_revision

    return f"schéma {schema_revision(session.get_bind()) or 'inconnu'}"


def render_report(session: Session, *, report_id: int, territory: tuple[str, ...], now: datetime,
                  base_url: str = "", read: Reader | None = None) -> GeneratedReport:
    """Render a claimed report for its recipient's current scope, store it (ready or failed), queue its mail.

    `read()` opens the session its content is read on (server/database.py `reader`: the replica once it has
    replayed what the primary had committed at the start); without it, `session`."""
    from data.report_render import render

    report = session.get(GeneratedReport, report_id)
    sub = report.subscription
    user = session.get(User, sub.user_id)
    try:
        scope = scope_for_user(session, user, territory=territory)
        with read() if read is not None else nullcontext(session) as reading:
            content = compose(reading, scope=scope, user=user, month=report.month, pages=sub.pages,
                              territory=territory, now=now, version=_version(session), base_url=base_url)
        pdf, xlsx = render(content)
    except Exception as exc:  # stored on the row and retried by the next cycle; never lost silently
        session.rollback()
        report = session.get(GeneratedReport, report_id)
        report.status, report.error = FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        audit.record(session, action="report.failed", actor=WORKER_ACTOR, user_id=sub.user_id,
                     target=f"report {report_id}", detail={"month": f"{report.month:%Y-%m}", "error": report.error})
        session.commit()
        return report
    session.commit()  # end the read transaction before writing (SQLite: no stale snapshot to upgrade)
    report = session.get(GeneratedReport, report_id)
    report.pdf, report.xlsx, report.status = pdf, xlsx, READY
    report.rendered_at, report.data_until, report.error = utcnow(), content.data_until, None
    audit.record(session, action="report.generate", actor=WORKER_ACTOR, user_id=sub.user_id,
                 target=f"report {report_id}",
                 detail={"month": f"{report.month:%Y-%m}", "pages": [s.page for s in content.sections],
                         "data_until": content.data_until.isoformat(), "pdf_bytes": len(pdf),
                         "xlsx_bytes": len(xlsx)})
    mail_report(session, report=report, user=user)
    session.commit()
    return report


def mail_report(session: Session, *, report: GeneratedReport, user: User) -> bool:
    """Queue the report to its recipient with the PDF and XLSX attached (once per rendering of the month)."""
    body = (f"Bonjour {user.full_name},\n\nVoici le rapport {de(fmt_month(report.month))} du tableau de bord "
            f"e-Meuse Santé, au niveau de détail de votre profil : le PDF et, en classeur XLSX, ses tableaux "
            f"complets.\nVous le retrouvez aussi sur la page « Rapports » du tableau de bord.\n\n"
            f"Document destiné à son seul destinataire.\n")
    key = f"report:{report.id}:{report.data_until:%Y-%m-%d}"
    return queue_mail(session, to=user.email, subject=subject(report.month), body=body, dedupe_key=key,
                      attachments=(Attachment(file_name(report.month, "pdf"), "application/pdf", report.pdf),
                                   Attachment(file_name(report.month, "xlsx"), MIME["xlsx"], report.xlsx)),
                      kind="report", user_id=user.id) is not None


def generate(session: Session, *, subscription_id: int, month: date, territory: tuple[str, ...], now: datetime,
             base_url: str = "", asked: bool = False, read: Reader | None = None) -> GeneratedReport | None:
    """Claim then render the (subscription, month) report; the existing row when someone else owns it."""
    until = report_filters(month, today=_today(month, now), territory=territory).period.end
    report_id = claim(session, subscription_id=subscription_id, month=month, until=until, now=now, asked=asked)
    if report_id is None:
        return session.scalar(select(GeneratedReport).where(GeneratedReport.subscription_id == subscription_id,
                                                            GeneratedReport.month == month_start(month)))
    return render_report(session, report_id=report_id, territory=territory, now=now, base_url=base_url, read=read)


def _today(month: date, now: datetime) -> date:
    return min(to_paris(now).date(), month_end(month_start(month)) + timedelta(days=1))


def generate_now(session: Session, *, scope: AccessScope, actor: str, month: date, territory: tuple[str, ...],
                 now: datetime | None = None, ip: str | None = None, base_url: str = "",
                 read: Reader | None = None) -> GeneratedReport | None:
    """« Générer maintenant »: the caller's report for the previous or the current month (their subscription
    is created with every page they may see if they have none); audited."""
    now = now or utcnow()
    current = month_start(to_paris(now).date())
    month = month_start(month)
    if month not in (current, add_months(current, -1)):
        raise ValueError("seuls le mois précédent et le mois en cours peuvent être générés à la demande")
    subs = subscriptions_of(session, user_id=scope.user_id) if scope.user_id else []
    sub = subs[0] if subs else subscribe(session, scope=scope, actor=actor, pages=None, ip=ip, now=now)
    audit.record(session, action="report.request", actor=actor, user_id=scope.user_id,
                 target=f"subscription {sub.id}", ip=ip, detail={"month": f"{month:%Y-%m}"})
    session.commit()
    return generate(session, subscription_id=sub.id, month=month, territory=territory, now=now, base_url=base_url,
                    asked=True, read=read)


def run_due_reports(session: Session, *, now: datetime, territory: tuple[str, ...], base_url: str = "",
                    read: Reader | None = None) -> list[int]:
    """One worker cycle: every active monthly subscription of an active user gets its report of the previous
    month (from the 1st of a month on, Paris time); idempotent — reports already complete are left alone, without
    a write. The ids rendered here."""
    previous = add_months(month_start(to_paris(now).date()), -1)
    until = report_filters(previous, today=_today(previous, now), territory=territory).period.end
    complete = select(GeneratedReport.subscription_id).where(
        GeneratedReport.month == previous, GeneratedReport.status == READY, GeneratedReport.data_until >= until)
    done = []
    for sub_id in session.scalars(select(ReportSubscription.id)
                                  .join(User, User.id == ReportSubscription.user_id)
                                  .where(ReportSubscription.active.is_(True), User.active.is_(True),
                                         ReportSubscription.frequency == "monthly",
                                         ReportSubscription.id.not_in(complete))
                                  .order_by(ReportSubscription.id)).all():
        report_id = claim(session, subscription_id=sub_id, month=previous, until=until, now=now)
        if report_id is not None:
            render_report(session, report_id=report_id, territory=territory, now=now, base_url=base_url, read=read)
            done.append(report_id)
    session.commit()
    return done
