"""Users and passwords (hashed with werkzeug's scrypt)."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import lru_cache

import pyotp
from sqlalchemy import func, or_, select, update
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


TOTP_DRIFT_STEPS = 1  # a code of the previous or next 30-second step is accepted (clock drift)


def use_totp_code(session: Session, *, user: User, code: str, secret: str | None = None) -> bool:
    """Check a code against `secret` (the user's by default) and spend it: a code — and any code of an
    earlier step — is accepted once. The step is claimed by a conditional UPDATE, so two concurrent
    sign-ins with the same code cannot both succeed."""
    secret = secret or user.totp_secret
    code = (code or "").strip()
    if not secret or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(datetime.now(UTC))
    step = next((s for s in range(now_step - TOTP_DRIFT_STEPS, now_step + TOTP_DRIFT_STEPS + 1)
                 if secrets.compare_digest(totp.at(s * totp.interval), code)), None)
    if step is None:
        return False
    claimed = session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step), execution_options={"synchronize_session": False}).rowcount
    if claimed != 1:
        return False
    user.totp_last_step = step
    return True
