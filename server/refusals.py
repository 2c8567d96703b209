"""Refused accesses go to the audit: every place that refuses a signed-in user calls `note_refusal`."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from data import audit
from server.database import db_session


def note_refusal(kind: str, target: str, **detail) -> None:
    """Journal that the signed-in caller was refused `target` (a path, an export, a callback), from the
    request's address; once per (user, target) per `audit.REFUSAL_WINDOW`."""
    if not current_user.is_authenticated:
        return  # an anonymous request is sent to sign in, never refused here
    session = db_session()
    if audit.record_refusal(session, actor=current_user.email, user_id=int(current_user.id), target=target,
                            kind=kind, ip=request.remote_addr,
                            detail={k: v for k, v in detail.items() if v is not None}):
        session.commit()
