"""One-time recovery codes of the second factor: shown once at enrolment, stored as hashes only, each
accepted once instead of a TOTP code at sign-in.

A code is 15 random characters (75 bits, like an API key: far beyond guessing within the sign-in lockout),
so a SHA-256 bound to its user is enough to store it; a code of one user is never another's.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from data.models import RecoveryCode, User
from data.users import utcnow

CODE_COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied by hand
GROUPS, GROUP_LENGTH = 3, 5


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    """A sign-in code that is not a TOTP code (digits only) is tried as a recovery code."""
    return len(normalise(code)) == GROUPS * GROUP_LENGTH and not normalise(code).isdigit()


def code_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"recovery:{user_id}:{normalise(code)}".encode()).hexdigest()


def _new_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))


def regenerate(session: Session, *, user: User) -> list[str]:
    """A fresh set of codes for the user (the previous ones stop working); returned once, never stored."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(CODE_COUNT)]
    now = utcnow()
    session.add_all(RecoveryCode(user_id=user.id, code_hash=code_hash(user.id, c), created_at=now) for c in codes)
    session.flush()
    return codes


def use(session: Session, *, user: User, code: str) -> bool:
    """Spend one of the user's unused codes; claimed by a conditional UPDATE, so a code works once even
    when two sign-ins send it at the same time."""
    if not looks_like_recovery_code(code):
        return False
    claimed = session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == code_hash(user.id, code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()), execution_options={"synchronize_session": False}).rowcount
    return claimed == 1


def remaining(session: Session, *, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(RecoveryCode)
                              .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))))


def remove_all(session: Session, *, user_id: int) -> None:
    """The second factor is removed: its recovery codes go with it."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
