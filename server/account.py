"""/compte: change one's own password; enrol or remove the second factor (TOTP); see and end one's sessions."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import segno
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from data import admin, audit, recovery_codes, user_sessions
from data.users import use_totp_code, verify_password
from server.database import db_session
from server.sessions import current_token, renew_session

bp = Blueprint("account", __name__)
ISSUER = "e-Meuse Santé"


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (no image request, nothing the CSP must allow)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code de la clé" id="totp-qr" ', 1))


def _with_codes(codes: list[str], message: str):
    """/compte showing the new recovery codes, once: the page is never cached and the codes are not kept."""
    response = make_response(render_template("account.html", **_context(recovery_codes=codes,
                                                                         recovery_message=message)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _context(**extra):
    settings = current_app.config["EMEUSE_SETTINGS"]
    user = current_user.record
    pending = user.totp_pending_secret
    open_sessions = user_sessions.list_active(db_session(), user_id=user.id,
                                              idle=timedelta(minutes=settings.session_idle_minutes),
                                              absolute=timedelta(hours=settings.session_absolute_hours))
    token = current_token()
    uri = pyotp.TOTP(pending).provisioning_uri(name=user.email, issuer_name=ISSUER) if pending else None
    return dict(user=user, reason=request.args.get("raison"),
                sessions=[(row, user_sessions.is_current(row, token)) for row in open_sessions],
                totp_required=user.role in settings.totp_required_for,
                pending_secret=pending, pending_uri=uri, pending_qr=qr_svg(uri) if uri else None,
                recovery_left=recovery_codes.remaining(db_session(), user_id=user.id) if user.totp_secret else 0,
                **extra)


@bp.route("/compte")
def account():
    return render_template("account.html", **_context())


@bp.route("/compte/mot-de-passe", methods=["POST"])
def change_password():
    user = current_user.record
    current = request.form.get("current_password") or ""
    new, confirm = request.form.get("new_password") or "", request.form.get("confirm_password") or ""
    errors = []
    if not verify_password(user, current):
        errors.append("Le mot de passe actuel est incorrect.")
    elif new != confirm:
        errors.append("Les deux saisies du nouveau mot de passe diffèrent.")
    elif new == current:
        errors.append("Le nouveau mot de passe doit être différent de l'actuel.")
    else:
        errors = admin.change_own_password(db_session(), user=user, new_password=new, ip=request.remote_addr)
    if errors:
        return render_template("account.html", **_context(password_errors=errors)), 400
    renew_session(user, reason="password_change")
    db_session().commit()
    flash("Votre mot de passe a été changé ; vos autres sessions sont terminées.", "success")
    return redirect(url_for("account.account"))


@bp.route("/compte/2fa/preparer", methods=["POST"])
def totp_prepare():
    """A new enrolment secret, kept on the server (never in the cookie) until a code confirms it."""
    current_user.record.totp_pending_secret = pyotp.random_base32()
    db_session().commit()
    return redirect(url_for("account.account") + "#double-authentification")


@bp.route("/compte/2fa/activer", methods=["POST"])
def totp_enable():
    user = current_user.record
    secret = user.totp_pending_secret
    code = (request.form.get("code") or "").replace(" ", "")[:12]
    if secret:
        user.totp_last_step = None  # steps spent belonged to the previous secret
        db_session().flush()
    if not secret or not use_totp_code(db_session(), user=user, code=code, secret=secret):
        return render_template("account.html", **_context(totp_error="Code incorrect : vérifiez l'heure de "
                                                                        "votre téléphone et réessayez.")), 400
    user.totp_secret, user.totp_pending_secret = secret, None
    codes = recovery_codes.regenerate(db_session(), user=user)
    audit.record(db_session(), action="totp.enable", actor=user.email, user_id=user.id, target=user.email,
                 detail={"recovery_codes": len(codes)}, ip=request.remote_addr)
    renew_session(user, reason="totp_change")
    db_session().commit()
    return _with_codes(codes, "La double authentification est activée.")


@bp.route("/compte/2fa/codes-secours", methods=["POST"])
def recovery_regenerate():
    """New recovery codes (the old ones stop working), against a current TOTP code."""
    user = current_user.record
    code = (request.form.get("code") or "").replace(" ", "")[:12]
    if not user.totp_secret or not use_totp_code(db_session(), user=user, code=code):
        return render_template("account.html", **_context(totp_error="Code incorrect.")), 400
    codes = recovery_codes.regenerate(db_session(), user=user)
    audit.record(db_session(), action="recovery.regenerate", actor=user.email, user_id=user.id, target=user.email,
                 detail={"recovery_codes": len(codes)}, ip=request.remote_addr)
    db_session().commit()
    return _with_codes(codes, "Nouveaux codes de secours : les précédents ne fonctionnent plus.")


@bp.route("/compte/2fa/desactiver", methods=["POST"])
def totp_disable():
    user = current_user.record
    settings = current_app.config["EMEUSE_SETTINGS"]
    if user.role in settings.totp_required_for:
        return render_template("account.html", **_context(
            totp_error="La double authentification est obligatoire pour votre rôle.")), 403
    code = (request.form.get("code") or "").replace(" ", "")[:12]
    if not user.totp_secret or not use_totp_code(db_session(), user=user, code=code):
        return render_template("account.html", **_context(totp_error="Code incorrect.")), 400
    user.totp_secret = None
    recovery_codes.remove_all(db_session(), user_id=user.id)
    audit.record(db_session(), action="totp.disable", actor=user.email, user_id=user.id, target=user.email,
                 ip=request.remote_addr)
    renew_session(user, reason="totp_change")
    db_session().commit()
    flash("La double authentification est désactivée.", "info")
    return redirect(url_for("account.account"))


@bp.route("/compte/sessions/terminer-autres", methods=["POST"])
def end_other_sessions():
    user = current_user.record
    ended = user_sessions.revoke(db_session(), reason="user", user_ids=[user.id], keep_token=current_token())
    audit.record(db_session(), action="session.revoke", actor=user.email, user_id=user.id, target=user.email,
                 detail={"sessions": ended, "by": "user"}, ip=request.remote_addr)
    db_session().commit()
    flash(f"{ended} autre(s) session(s) terminée(s).", "success")
    return redirect(url_for("account.account") + "#sessions")
