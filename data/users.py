"""Users and passwords (hashed with werkzeug's scrypt)."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from data.models import User


def utcnow() -> datetime:
    """Naive UTC now, the storage convention of every timestamp."""
    return datetime.now(UTC).replace(tzinfo=None)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def create_user(session: Session, *, email: str, full_name: str, password: str, role: str,
                college: str | None = None, departements: list[str] | None = None) -> User:
    user = User(email=email.strip().lower(), full_name=full_name, password_hash=hash_password(password),
                role=role, college_slug=college, departements=departements, active=True,
                failed_logins=0, created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def get_by_email(session: Session, *, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, made like every stored one (same algorithm and cost)."""
    return hash_password(secrets.token_urlsafe(24))


def check_sign_in(user: User | None, password: str) -> bool:
    """The password check of a sign-in, as slow for an unknown account as for a known one: a hash is
    always computed, so timing does not tell whether an account exists."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return verify_password(user, password)
