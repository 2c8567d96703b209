"""Server-side sessions: the browser's cookie names one of these rows, which any change of the account
(sign-out, password, role, college, départements, grants of the college, deactivation) can end."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.models import User, UserSession
from data.users import utcnow

SEEN_EVERY = timedelta(minutes=1)  # last-seen is written at most once a minute per session


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, *, user: User, ip: str | None, user_agent: str | None) -> str:
    """A new session for `user`; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                            ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:200] or None))
    session.flush()
    return token


def find_active(session: Session, *, token: str | None, user_id: int) -> UserSession | None:
    """The live session row of this token for this user, or None (unknown, revoked, someone else's)."""
    if not token or not isinstance(token, str):
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or row.user_id != user_id:
        return None
    return row


def touch(row: UserSession, *, ip: str | None, now: datetime | None = None) -> bool:
    """Record activity (at most once a minute); True when the row changed and needs a commit."""
    now = now or utcnow()
    if now - row.last_seen_at < SEEN_EVERY:
        return False
    row.last_seen_at, row.ip = now, (ip or "")[:64] or row.ip
    return True


def revoke(session: Session, *, reason: str, token: str | None = None, user_ids: list[int] | None = None,
           keep_token: str | None = None) -> int:
    """End the session of `token`, or every live session of `user_ids` (but `keep_token`'s); returns how many."""
    stmt = update(UserSession).where(UserSession.revoked_at.is_(None))
    if token is not None:
        stmt = stmt.where(UserSession.token_hash == _hash(token))
    elif user_ids is not None:
        if not user_ids:
            return 0
        stmt = stmt.where(UserSession.user_id.in_(user_ids))
    else:
        raise ValueError("a token or users to revoke")
    if keep_token is not None:
        stmt = stmt.where(UserSession.token_hash != _hash(keep_token))
    result = session.execute(stmt.values(revoked_at=utcnow(), revoked_reason=reason[:40]),
                             execution_options={"synchronize_session": False})
    return result.rowcount or 0


def revoke_college(session: Session, *, college: str, reason: str) -> int:
    """End the sessions of every user of a college (its grants changed)."""
    ids = list(session.scalars(select(User.id).where(User.college_slug == college)))
    return revoke(session, reason=reason, user_ids=ids)


def list_active(session: Session, *, user_id: int, idle: timedelta, absolute: timedelta) -> list[UserSession]:
    """The user's sessions still open (not revoked, within the idle and absolute timeouts), newest first."""
    now = utcnow()
    return list(session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
        UserSession.created_at >= now - absolute, UserSession.last_seen_at >= now - idle - SEEN_EVERY)
        .order_by(UserSession.created_at.desc())))


def is_current(row: UserSession, token: str | None) -> bool:
    return bool(token) and row.token_hash == _hash(token)
