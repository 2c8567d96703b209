"""Administration: users, grants, feed sources and API keys — every change audited with before/after."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import audit, user_sessions
from data.access import COLLEGES, AccessScope
from data.models import Dataset, FeedKind, FeedSource, Grant, Level, Role, User
from data.passwords import policy_errors, temporary_password
from data.users import create_user, get_by_email, hash_password, utcnow

API_KEY_PREFIX = "emk"


class AdminError(ValueError):
    """A refused administrative change, with a French message for the administrator."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change: the caller's scope plus what the audit trail records."""

    scope: AccessScope
    email: str
    ip: str | None = None


def _require_admin(actor: Actor) -> None:
    if actor.scope.role != Role.ADMIN.value:
        raise PermissionError("administrator role required")


def _user_snapshot(user: User) -> dict:
    return {"email": user.email, "full_name": user.full_name, "role": user.role, "college": user.college_slug,
            "departements": user.departements, "active": user.active}


# --- users -----------------------------------------------------------------------------------

def list_users(session: Session, *, actor: Actor) -> list[User]:
    _require_admin(actor)
    return list(session.scalars(select(User).order_by(User.role, User.college_slug, User.email)))


def _validate_user_fields(role: str, college: str | None, departements: list[str] | None,
                          territory: frozenset[str]) -> None:
    if role not in {r.value for r in Role}:
        raise AdminError("Rôle inconnu.")
    if role == Role.MEMBER.value and college not in COLLEGES:
        raise AdminError("Un membre doit appartenir à l'un des sept collèges.")
    if college is not None and college not in COLLEGES:
        raise AdminError("Collège inconnu.")
    if departements and not set(departements) <= territory:
        raise AdminError("Département hors du territoire du programme.")


def add_user(session: Session, *, actor: Actor, email: str, full_name: str, role: str, college: str | None,
             departements: list[str] | None) -> tuple[User, str]:
    """Create a user with a temporary password (returned once; to be changed at first sign-in)."""
    _require_admin(actor)
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 200:
        raise AdminError("Adresse électronique invalide.")
    if not (full_name or "").strip():
        raise AdminError("Le nom est obligatoire.")
    _validate_user_fields(role, college, departements, actor.scope.departements)
    if get_by_email(session, email=email):
        raise AdminError("Un compte existe déjà avec cette adresse.")
    password = temporary_password()
    user = create_user(session, email=email, full_name=full_name.strip(), password=password, role=role,
                       college=college if role == Role.MEMBER.value else college or None,
                       departements=sorted(departements) if departements else None)
    user.must_change_password = True
    audit.record(session, action="user.create", actor=actor.email, user_id=actor.scope.user_id,
                 target=email, detail={"after": _user_snapshot(user)}, ip=actor.ip)
    return user, password


def update_user(session: Session, *, actor: Actor, user_id: int, role: str, college: str | None,
                departements: list[str] | None, active: bool) -> User:
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise AdminError("Utilisateur introuvable.")
    _validate_user_fields(role, college, departements, actor.scope.departements)
    if user.id == actor.scope.user_id and (not active or role != Role.ADMIN.value):
        raise AdminError("Vous ne pouvez ni désactiver votre propre compte ni retirer votre rôle d'administrateur.")
    if user.role == Role.ADMIN.value and (role != Role.ADMIN.value or not active):
        admins = session.scalar(select(func.count()).select_from(User)
                                .where(User.role == Role.ADMIN.value, User.active.is_(True)))
        if admins <= 1:
            raise AdminError("Il doit rester au moins un administrateur actif.")
    before = _user_snapshot(user)
    user.role, user.active = role, active
    user.college_slug = college if role == Role.MEMBER.value else (college or None)
    user.departements = sorted(departements) if departements else None
    after = _user_snapshot(user)
    if after != before:
        audit.record(session, action="user.update", actor=actor.email, user_id=actor.scope.user_id,
                     target=user.email, detail={"before": before, "after": after}, ip=actor.ip)
        # what the user may see changed: their open sessions end (they sign in again under the new rights)
        user_sessions.revoke(session, reason="account_change", user_ids=[user.id])
    return user


def reset_password(session: Session, *, actor: Actor, user_id: int) -> str:
    """A new temporary password (returned once); the user must change it at next sign-in."""
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise AdminError("Utilisateur introuvable.")
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = utcnow()
    audit.record(session, action="user.password_reset", actor=actor.email, user_id=actor.scope.user_id,
                 target=user.email, ip=actor.ip)
    user_sessions.revoke(session, reason="password_reset", user_ids=[user.id])
    return password


def change_own_password(session: Session, *, user: User, new_password: str, ip: str | None) -> list[str]:
    """Apply the policy and change the password; returns the French reasons when refused."""
    errors = policy_errors(new_password, user_inputs=[user.email, user.full_name])
    if errors:
        return errors
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    audit.record(session, action="password.change", actor=user.email, user_id=user.id, target=user.email, ip=ip)
    user_sessions.revoke(session, reason="password_change", user_ids=[user.id])  # the web side opens a new one
    return []


# --- grants ----------------------------------------------------------------------------------

def grants_matrix(session: Session, *, actor: Actor) -> dict[str, dict[str, str]]:
    """college → dataset → level, every pair present (missing rows read as `none`)."""
    _require_admin(actor)
    stored = {(g.college_slug, g.dataset): g.level for g in session.scalars(select(Grant))}
    return {c: {d.value: stored.get((c, d.value), Level.NONE.value) for d in Dataset} for c in COLLEGES}


def set_grant(session: Session, *, actor: Actor, college: str, dataset: str, level: str) -> bool:
    """Change one grant; returns False when it already had that level."""
    _require_admin(actor)
    if college not in COLLEGES or dataset not in {d.value for d in Dataset} or level not in {lv.value for lv in Level}:
        raise AdminError("Droit d'accès invalide.")
    grant = session.get(Grant, (college, dataset))
    before = grant.level if grant else Level.NONE.value
    if before == level:
        return False
    if grant is None:
        session.add(Grant(college_slug=college, dataset=dataset, level=level))
    else:
        grant.level = level
    audit.record(session, action="grant.update", actor=actor.email, user_id=actor.scope.user_id,
                 target=f"{college}/{dataset}", detail={"before": before, "after": level}, ip=actor.ip)
    user_sessions.revoke_college(session, college=college, reason="grant_change")
    return True


# --- sessions --------------------------------------------------------------------------------

def end_sessions(session: Session, *, actor: Actor | None, user_id: int) -> int:
    """End every open session of a user (a lost laptop, a departure); returns how many were open."""
    if actor is not None:
        _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise AdminError("Utilisateur introuvable.")
    ended = user_sessions.revoke(session, reason="admin", user_ids=[user.id])
    audit.record(session, action="session.revoke", actor=actor.email if actor else "ligne de commande",
                 user_id=actor.scope.user_id if actor else None, target=user.email, detail={"sessions": ended},
                 ip=actor.ip if actor else None)
    return ended


# --- feed sources and API keys ---------------------------------------------------------------

def hash_api_key(key: str) -> str:
    """Keys are 256-bit random: a plain SHA-256 is the right hash (no need for a slow KDF)."""
    return hashlib.sha256(key.encode()).hexdigest()


def list_sources(session: Session, *, actor: Actor) -> list[FeedSource]:
    _require_admin(actor)
    return list(session.scalars(select(FeedSource).order_by(FeedSource.feed_kind, FeedSource.name)))


def create_source(session: Session, *, actor: Actor | None, name: str, feed_kind: str,
                  site_codes: list[str] | None = None) -> FeedSource:
    """A new feed source (actor None = the command line, run by an operator on the server)."""
    if actor is not None:
        _require_admin(actor)
    if feed_kind not in {k.value for k in FeedKind}:
        raise AdminError("Type de flux inconnu.")
    if not (name or "").strip():
        raise AdminError("Le nom de la source est obligatoire.")
    if session.scalar(select(FeedSource).where(FeedSource.name == name.strip())):
        raise AdminError("Une source porte déjà ce nom.")
    source = FeedSource(name=name.strip(), feed_kind=feed_kind, site_codes=site_codes or None, created_at=utcnow())
    session.add(source)
    session.flush()
    return source


def issue_key(session: Session, *, actor: Actor | None, source_id: int) -> str:
    """Issue a new key for a source (replacing any previous one); the key is returned only here."""
    if actor is not None:
        _require_admin(actor)
    source = session.get(FeedSource, source_id)
    if source is None:
        raise AdminError("Source introuvable.")
    prefix = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    had_key = source.key_hash is not None and source.revoked_at is None
    source.key_prefix, source.key_hash, source.revoked_at = prefix, hash_api_key(key), None
    audit.record(session, action="apikey.issue", actor=actor.email if actor else "ligne de commande",
                 user_id=actor.scope.user_id if actor else None, target=source.name,
                 detail={"prefix": prefix, "replaced_previous": had_key, "feed_kind": source.feed_kind},
                 ip=actor.ip if actor else None)
    return key


def revoke_key(session: Session, *, actor: Actor | None, source_id: int) -> None:
    if actor is not None:
        _require_admin(actor)
    source = session.get(FeedSource, source_id)
    if source is None or source.key_hash is None:
        raise AdminError("Cette source n'a pas de clé active.")
    source.revoked_at = utcnow()
    audit.record(session, action="apikey.revoke", actor=actor.email if actor else "ligne de commande",
                 user_id=actor.scope.user_id if actor else None, target=source.name,
                 detail={"prefix": source.key_prefix}, ip=actor.ip if actor else None)


def source_for_key(session: Session, *, key: str) -> FeedSource | None:
    """The active source a presented key belongs to, or None."""
    if not key or not key.startswith(API_KEY_PREFIX + "_"):
        return None
    source = session.scalar(select(FeedSource).where(FeedSource.key_hash == hash_api_key(key)))
    if source is None or source.revoked_at is not None:
        return None
    return source


def audit_search(session: Session, *, actor: Actor, query: audit.AuditQuery):
    _require_admin(actor)
    return audit.search(session, query=query)
