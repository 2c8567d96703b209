"""Sign-in (password, then TOTP when enrolled), sign-out and the caller's access scope."""
from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user

from data import audit, recovery_codes, user_sessions
from data.access import AccessScope, scope_for_user
from data.models import User
from data.users import check_sign_in, get_by_email, use_totp_code, utcnow
from server.database import db_session
from server.extensions import limiter, login_manager
from server.sessions import current_token, end_session, start_session

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
LOCKED = ("Trop d'échecs de connexion pour ce compte depuis votre poste. "
          "Réessayez dans {minutes} minutes.")
INACTIVE = "Ce compte est désactivé. Contactez un administrateur."
BAD_CODE = "Code de vérification incorrect ou expiré."
PENDING_TTL_SECONDS = 300


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
    """The signed-in user, only while the cookie's server-side session is live (not ended anywhere)."""
    try:
        user = db_session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    row = user_sessions.find_active(db_session(), token=current_token(), user_id=user.id)
    if row is None:
        return None
    g.user_session = row
    return LoginUser(user)


def current_scope() -> AccessScope | None:
    """The logged-in user's scope, computed once per request from the database."""
    if not current_user.is_authenticated:
        return None
    if "access_scope" not in g:
        g.access_scope = scope_for_user(db_session(), current_user.record,
                                        territory=current_app.config["EMEUSE_SETTINGS"].departements)
    return g.access_scope


NEXT_MAX_LENGTH = 2000


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a same-site path (with its query), else the overview.

    Refused: anything not starting with a single `/` (schemes, `//host`, `///host`), backslashes
    (browsers read them as slashes), control characters (browsers drop tabs and newlines inside a URL,
    turning `/\t/host` into `//host`; CR/LF would inject headers), and absurd lengths.
    """
    if not isinstance(target, str) or not target or len(target) > NEXT_MAX_LENGTH:
        return "/"
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return "/"
    if not target.startswith("/") or target.startswith("//"):
        return "/"
    parsed = urlsplit(target)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/"):
        return "/"
    return target


def login_url(target: str | None, **params: str) -> str:
    """The sign-in page that brings the user back to `target` (a same-site path), `next` URL-encoded."""
    query = {**params, **({"next": safe_next(target)} if target else {})}
    return "/login" + ("?" + urlencode(query) if query else "")


def _audit(action: str, *, user: User | None, actor: str, detail: dict | None = None) -> None:
    s = db_session()
    audit.record(s, action=action, actor=actor or "(vide)", user_id=user.id if user else None, target="session",
                 detail=detail, ip=request.remote_addr)
    s.commit()


def _finish_login(user: User):
    session.clear()  # a fresh session: nothing from before sign-in survives
    start_session(user)
    login_user(LoginUser(user))
    user.last_login_at = utcnow()
    _audit("login.success", user=user, actor=user.email)
    return _forget_browser_state(redirect(safe_next(request.args.get("next"))))


def _login_rate_limit() -> str:
    return current_app.config["EMEUSE_SETTINGS"].login_rate_limit


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    settings = current_app.config["EMEUSE_SETTINGS"]
    error, email, status = None, "", 200
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()[:200]
        password = request.form.get("password") or ""
        window = timedelta(minutes=settings.lockout_minutes)
        if audit.recent_failures(db_session(), actor=email, ip=request.remote_addr, window=window) \
                >= settings.lockout_failures:
            _audit("login.lockout", user=None, actor=email)
            error, status = LOCKED.format(minutes=settings.lockout_minutes), 429
        else:
            user = get_by_email(db_session(), email=email) if email else None
            if not check_sign_in(user, password):
                _audit("login.failure", user=user, actor=email)
                error, status = BAD_CREDENTIALS, 401
            elif not user.active:
                _audit("login.inactive", user=user, actor=user.email)
                error, status = INACTIVE, 403
            elif user.totp_secret:
                session.clear()
                session["pending_user_id"] = user.id
                session["pending_at"] = int(time.time())
                return redirect(url_for("auth.login_totp", next=request.args.get("next")))
            else:
                return _finish_login(user)
    notice = "Votre session a expiré. Merci de vous reconnecter." if request.args.get("reason") == "expired" else None
    return render_template("login.html", error=error, notice=notice, email=email), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login_totp():
    user_id, pending_at = session.get("pending_user_id"), session.get("pending_at", 0)
    if not user_id or time.time() - pending_at > PENDING_TTL_SECONDS:
        session.clear()
        return redirect(url_for("auth.login", reason="expired"))
    user = db_session().get(User, user_id)
    if user is None or not user.active or not user.totp_secret:
        session.clear()
        return redirect(url_for("auth.login"))
    error, status = None, 200
    if request.method == "POST":
        settings = current_app.config["EMEUSE_SETTINGS"]
        code = (request.form.get("code") or "").replace(" ", "")[:40]
        # wrong codes count as failed sign-ins of the account from this address: the same lockout as passwords
        if audit.recent_failures(db_session(), actor=user.email, ip=request.remote_addr,
                                 window=timedelta(minutes=settings.lockout_minutes)) >= settings.lockout_failures:
            _audit("login.lockout", user=user, actor=user.email, detail={"step": "totp"})
            return render_template("login_totp.html",
                                   error=LOCKED.format(minutes=settings.lockout_minutes)), 429
        if recovery_codes.looks_like_recovery_code(code):  # a one-time recovery code instead of a TOTP code
            if recovery_codes.use(db_session(), user=user, code=code):
                left = recovery_codes.remaining(db_session(), user_id=user.id)
                _audit("recovery.use", user=user, actor=user.email, detail={"remaining": left})
                return _finish_login(user)
            step = "recovery"
        elif use_totp_code(db_session(), user=user, code=code[:12]):
            return _finish_login(user)
        else:
            step = "totp"
        _audit("login.totp_failure", user=user, actor=user.email, detail={"step": step})
        _audit("login.failure", user=user, actor=user.email, detail={"step": step})
        error, status = BAD_CODE, 401
    return render_template("login_totp.html", error=error), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """GET asks (a link, a prefetch or an image ends nothing); POST, with its CSRF token, signs out."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("logout.html")
    if current_user.is_authenticated:
        _audit("logout", user=current_user.record, actor=current_user.email)
    end_session("logout")
    db_session().commit()
    logout_user()
    session.clear()
    return _forget_browser_state(redirect(url_for("auth.login")))


def _forget_browser_state(response):
    """The browser forgets what the pages kept in its storage (the menu's memory of filters and page
    controls, assets/url_state.js) at sign-in and sign-out: the next user of a shared tab starts afresh."""
    response.headers["Clear-Site-Data"] = '"storage"'
    return response
