"""The audit trail: who did what, when, from where. Rows are only ever inserted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import AuditEvent
from data.users import utcnow

ACTION_LABELS = {
    "login.success": "Connexion réussie",
    "login.failure": "Échec de connexion",
    "login.lockout": "Connexion bloquée (trop d'échecs)",
    "login.inactive": "Connexion refusée (compte désactivé)",
    "login.totp_failure": "Code de vérification erroné",
    "logout": "Déconnexion",
    "session.expired": "Session expirée",
    "session.revoke": "Sessions terminées",
    "password.change": "Changement de mot de passe",
    "totp.enable": "Double authentification activée",
    "totp.disable": "Double authentification désactivée",
    "recovery.use": "Connexion avec un code de secours",
    "recovery.regenerate": "Nouveaux codes de secours",
    "user.create": "Création d'un utilisateur",
    "user.update": "Modification d'un utilisateur",
    "user.password_reset": "Réinitialisation d'un mot de passe",
    "grant.update": "Modification d'un droit d'accès",
    "apikey.issue": "Émission d'une clé d'API",
    "apikey.revoke": "Révocation d'une clé d'API",
    "apikey.use": "Utilisation d'une clé d'API",
    "export": "Export de données",
    "demo.generate": "Génération des données de démonstration",
    "access.denied": "Accès refusé",
    "scenario.create": "Création d'un scénario de couverture",
    "scenario.update": "Modification d'un scénario de couverture",
    "scenario.delete": "Suppression d'un scénario de couverture",
    "mail.sent": "Envoi d'un courriel",
    "mail.failure": "Échec d'envoi d'un courriel (nouvel essai prévu)",
    "alert.rule_create": "Création d'une règle d'alerte",
    "alert.rule_update": "Modification d'une règle d'alerte",
    "alert.silence": "Mise en silence d'une alerte",
    "alert.subscribe": "Abonnement à une alerte",
    "alert.unsubscribe": "Désabonnement d'une alerte",
    "report.subscribe": "Abonnement à un rapport mensuel",
    "report.unsubscribe": "Désabonnement d'un rapport mensuel",
    "report.request": "Rapport demandé",
    "report.generate": "Rapport généré",
    "report.failed": "Échec de génération d'un rapport",
    "report.download": "Téléchargement d'un rapport",
}
# A refusal of one target to one user is recorded once per window: a refused callback polled by the live
# timer every few seconds, or a page reloaded, would otherwise drown the journal.
REFUSAL_WINDOW = timedelta(minutes=10)


def record(session: Session, *, action: str, actor: str, user_id: int | None = None, target: str | None = None,
           detail: dict | None = None, ip: str | None = None) -> AuditEvent:
    event = AuditEvent(at=utcnow(), user_id=user_id, actor=actor[:200], action=action,
                       target=(target or "")[:200] or None, detail=detail, ip=ip)
    session.add(event)
    return event


def record_refusal(session: Session, *, actor: str, user_id: int | None, target: str, kind: str, ip: str | None,
                   detail: dict | None = None, window: timedelta = REFUSAL_WINDOW) -> bool:
    """Journal a refused access (page, export, callback) unless the same user was refused the same target
    within `window`; True when a row was added. The row says how often such refusals are recorded."""
    actor, target = actor[:200], target[:200]
    seen = session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "access.denied", AuditEvent.actor == actor, AuditEvent.target == target,
        AuditEvent.at >= utcnow() - window).limit(1))
    if seen is not None:
        return False
    record(session, action="access.denied", actor=actor, user_id=user_id, target=target, ip=ip,
           detail={"kind": kind, **(detail or {}), "once_per_minutes": int(window.total_seconds() // 60)})
    return True


def recent_failures(session: Session, *, actor: str, ip: str | None, window: timedelta) -> int:
    """Failed sign-ins for this email from this address within the window (for lockout)."""
    since = utcnow() - window
    stmt = (select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.action == "login.failure", AuditEvent.actor == actor[:200],
                   AuditEvent.at >= since))
    if ip is not None:
        stmt = stmt.where(AuditEvent.ip == ip)
    return int(session.scalar(stmt))


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    limit: int = 500


def search(session: Session, *, query: AuditQuery) -> list[AuditEvent]:
    """Newest first, filtered; the caller must be an administrator (checked by `data.admin`)."""
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if query.actor:
        stmt = stmt.where(func.lower(AuditEvent.actor).contains(query.actor.strip().lower()))
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.date_from:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(query.date_from, datetime.min.time()))
    if query.date_to:
        stmt = stmt.where(AuditEvent.at < datetime.combine(query.date_to + timedelta(days=1), datetime.min.time()))
    return list(session.scalars(stmt.limit(query.limit)))
