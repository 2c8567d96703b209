"""Sign-in, sign-out and the caller's access scope (flask-login, hashed passwords, CSRF token)."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf

from data.access import AccessScope, scope_for_user
from data.models import AuditEvent, User
from data.users import get_by_email, utcnow, verify_password
from server.database import db_session
from server.extensions import login_manager

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
INACTIVE = "Ce compte est désactivé. Contactez un administrateur."
CSRF_EXPIRED = "Le formulaire a expiré. Merci de réessayer."


class LoginUser(UserMixin):
    """The session's view of a user: an id, re-read from the database on every request."""

    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.email = user.email
        self.full_name = user.full_name
        self.role = user.role
        self.college = user.college_slug
        self.record = user


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    try:
        user = db_session().get(User, int(user_id))
    except ValueError:
        return None
    return LoginUser(user) if user is not None and user.active else None


def current_scope() -> AccessScope | None:
    """The logged-in user's scope, computed once per request from the database."""
    if not current_user.is_authenticated:
        return None
    if "access_scope" not in g:
        g.access_scope = scope_for_user(db_session(), current_user.record,
                                        territory=current_app.config["EMEUSE_SETTINGS"].departements)
    return g.access_scope


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _audit(action: str, *, user: User | None, actor: str, detail: dict | None = None) -> None:
    s = db_session()
    s.add(AuditEvent(at=utcnow(), user_id=user.id if user else None, actor=actor, action=action,
                     target="session", detail=detail, ip=request.remote_addr))
    s.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    email = ""
    status = 200
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        try:
            validate_csrf(request.form.get("csrf_token"))
        except CSRFError:
            error, status = CSRF_EXPIRED, 400
        except Exception:  # flask-wtf raises ValidationError for a missing/invalid token
            error, status = CSRF_EXPIRED, 400
        else:
            user = get_by_email(db_session(), email=email) if email else None
            if user is None or not verify_password(user, password):
                _audit("login.failure", user=user, actor=email[:200] or "(vide)")
                error, status = BAD_CREDENTIALS, 401
            elif not user.active:
                _audit("login.inactive", user=user, actor=user.email)
                error, status = INACTIVE, 403
            else:
                session.clear()  # a fresh session on login
                login_user(LoginUser(user))
                user.last_login_at = utcnow()
                _audit("login.success", user=user, actor=user.email)
                return redirect(_safe_next(request.args.get("next")))
    notice = None
    if request.args.get("reason") == "expired":
        notice = "Votre session a expiré. Merci de vous reconnecter."
    return render_template("login.html", error=error, notice=notice, email=email,
                           csrf_token=generate_csrf()), status


@bp.route("/logout")
def logout():
    if current_user.is_authenticated:
        _audit("logout", user=current_user.record, actor=current_user.email)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
