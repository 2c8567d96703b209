"""Admin callbacks: every one requires the administrator role, checked on the server."""
from __future__ import annotations

from datetime import date

from dash import Input, Output, State, callback, ctx, no_update
from flask import request
from flask_login import current_user

from callbacks._access import guarded
from components import ids
from components.admin import DATASET_LABELS, LEVEL_VALUES, audit_rows, grant_rows, message, source_rows, user_rows
from data import admin, audit
from data.audit import AuditQuery
from data.audit_text import describe
from data.exports import to_csv
from data.formatting import fmt_datetime
from server.database import db_session

ADMIN = ("admin",)
NEW_USER_BLANK = ("", "", "member", "", [])  # the new-user form as the page first shows it
NEW_SOURCE_BLANK = ("", "teleconsultation")


def _kept(n: int) -> tuple:
    """A form left as typed (its action failed, or was not this form's)."""
    return (no_update,) * n


def _actor(scope) -> admin.Actor:
    return admin.Actor(scope, current_user.email, request.remote_addr)


def _deps(values: list[str] | None) -> list[str] | None:
    return sorted(values) if values else None


@callback(
    Output(ids.ADMIN_USERS_MESSAGE, "children"),
    Output(ids.ADMIN_USERS_GRID, "rowData"),
    Output(ids.ADMIN_NEW_EMAIL, "value"), Output(ids.ADMIN_NEW_NAME, "value"), Output(ids.ADMIN_NEW_ROLE, "value"),
    Output(ids.ADMIN_NEW_COLLEGE, "value"), Output(ids.ADMIN_NEW_DEPS, "value"),
    Input(ids.ADMIN_NEW_SUBMIT, "n_clicks"),
    Input(ids.ADMIN_EDIT_SAVE, "n_clicks"),
    Input(ids.ADMIN_EDIT_RESET, "n_clicks"),
    State(ids.ADMIN_NEW_EMAIL, "value"), State(ids.ADMIN_NEW_NAME, "value"), State(ids.ADMIN_NEW_ROLE, "value"),
    State(ids.ADMIN_NEW_COLLEGE, "value"), State(ids.ADMIN_NEW_DEPS, "value"),
    State(ids.ADMIN_USERS_GRID, "selectedRows"),
    State(ids.ADMIN_EDIT_ROLE, "value"), State(ids.ADMIN_EDIT_COLLEGE, "value"), State(ids.ADMIN_EDIT_DEPS, "value"),
    State(ids.ADMIN_EDIT_ACTIVE, "value"),
    prevent_initial_call=True,
)
@guarded(roles=ADMIN, sample_args=(None, None, None, None, None, "member", "", [], [], "member", "", [], True),
         has_data=lambda result: bool(result[1]))
def admin_users(_create, _save, _reset, email, name, role, college, deps, selected, edit_role, edit_college,
                edit_deps, edit_active, *, scope):
    session = db_session()
    actor = _actor(scope)
    reply, form = None, _kept(len(NEW_USER_BLANK))
    try:
        if ctx.triggered_id == ids.ADMIN_NEW_SUBMIT:
            user, password = admin.add_user(session, actor=actor, email=email or "", full_name=name or "",
                                            role=role or "member", college=college or None, departements=_deps(deps))
            session.commit()
            reply = message(f"Compte créé pour {user.email}. Mot de passe provisoire, à transmettre de façon "
                            "sûre (il ne sera plus affiché ; à changer à la première connexion) :", secret=password)
            form = NEW_USER_BLANK
        elif ctx.triggered_id in (ids.ADMIN_EDIT_SAVE, ids.ADMIN_EDIT_RESET):
            if not selected:
                return (message("Sélectionnez d'abord un utilisateur dans le tableau.", "warning"), no_update,
                        *form)
            user_id = int(selected[0]["id"])
            if ctx.triggered_id == ids.ADMIN_EDIT_SAVE:
                user = admin.update_user(session, actor=actor, user_id=user_id, role=edit_role or "member",
                                         college=edit_college or None, departements=_deps(edit_deps),
                                         active=bool(edit_active))
                session.commit()
                reply = message(f"Compte {user.email} enregistré.")
            else:
                password = admin.reset_password(session, actor=actor, user_id=user_id)
                session.commit()
                reply = message(f"Mot de passe de {selected[0]['email']} réinitialisé. Mot de passe provisoire :",
                                secret=password)
    except admin.AdminError as err:
        session.rollback()
        return message(str(err), "danger"), no_update, *form
    return reply, user_rows(admin.list_users(session, actor=actor)), *form


@callback(
    Output(ids.ADMIN_EDIT_TITLE, "children"),
    Output(ids.ADMIN_EDIT_ROLE, "value"),
    Output(ids.ADMIN_EDIT_COLLEGE, "value"),
    Output(ids.ADMIN_EDIT_DEPS, "value"),
    Output(ids.ADMIN_EDIT_ACTIVE, "value"),
    Input(ids.ADMIN_USERS_GRID, "selectedRows"),
    prevent_initial_call=True,
)
@guarded(roles=ADMIN, sample_args=([{"id": 1, "email": "x@y.fr", "role_code": "admin", "college_code": None,
                                     "departements_codes": [], "active": True}],),
         has_data=lambda result: "x@y.fr" in str(result[0]))
def admin_select_user(selected, *, scope):
    if not selected:
        return "Utilisateur sélectionné : aucun", no_update, no_update, no_update, no_update
    row = selected[0]
    return (f"Utilisateur sélectionné : {row['email']}", row["role_code"], row["college_code"] or "",
            row["departements_codes"], row["active"])


@callback(
    Output(ids.ADMIN_GRANTS_MESSAGE, "children"),
    Output(ids.ADMIN_GRANTS_GRID, "rowData"),
    Input(ids.ADMIN_GRANTS_GRID, "cellValueChanged"),
    prevent_initial_call=True,
)
@guarded(roles=ADMIN, sample_args=([],), has_data=lambda result: bool(result[1]))
def admin_grants(changes, *, scope):
    session = db_session()
    actor = _actor(scope)
    done = []
    try:
        for change in changes or []:
            college, dataset = change["data"]["college"], change["colId"]
            level = LEVEL_VALUES.get(change["value"])
            if level is None:
                raise admin.AdminError("Niveau inconnu : choisissez aucun, synthèse ou détail.")
            if admin.set_grant(session, actor=actor, college=college, dataset=dataset, level=level):
                done.append(f"{change['data']['college_label']} / {DATASET_LABELS[dataset]} → {change['value']}")
        session.commit()
    except admin.AdminError as err:
        session.rollback()
        return message(str(err), "danger"), grant_rows(admin.grants_matrix(session, actor=actor))
    reply = message("Droit modifié : " + " ; ".join(done)) if done else None
    return reply, grant_rows(admin.grants_matrix(session, actor=actor))


@callback(
    Output(ids.ADMIN_SOURCES_MESSAGE, "children"),
    Output(ids.ADMIN_SOURCES_GRID, "rowData"),
    Output(ids.ADMIN_SOURCE_NAME, "value"), Output(ids.ADMIN_SOURCE_KIND, "value"),
    Input(ids.ADMIN_SOURCE_CREATE, "n_clicks"),
    Input(ids.ADMIN_SOURCE_ISSUE, "n_clicks"),
    Input(ids.ADMIN_SOURCE_REVOKE, "n_clicks"),
    State(ids.ADMIN_SOURCE_NAME, "value"), State(ids.ADMIN_SOURCE_KIND, "value"),
    State(ids.ADMIN_SOURCES_GRID, "selectedRows"),
    prevent_initial_call=True,
)
@guarded(roles=ADMIN, sample_args=(None, None, None, None, "teleconsultation", []),
         has_data=lambda result: bool(result[1]))
def admin_sources(_create, _issue, _revoke, name, kind, selected, *, scope):
    session = db_session()
    actor = _actor(scope)
    reply, form = None, _kept(len(NEW_SOURCE_BLANK))
    try:
        if ctx.triggered_id == ids.ADMIN_SOURCE_CREATE:
            source = admin.create_source(session, actor=actor, name=name or "", feed_kind=kind or "")
            key = admin.issue_key(session, actor=actor, source_id=source.id)
            session.commit()
            reply = message(f"Source « {source.name} » créée. Sa clé d'API, affichée une seule fois :", secret=key)
            form = NEW_SOURCE_BLANK
        elif ctx.triggered_id in (ids.ADMIN_SOURCE_ISSUE, ids.ADMIN_SOURCE_REVOKE):
            if not selected:
                return message("Sélectionnez d'abord une source dans le tableau.", "warning"), no_update, *form
            source_id = int(selected[0]["id"])
            if ctx.triggered_id == ids.ADMIN_SOURCE_ISSUE:
                key = admin.issue_key(session, actor=actor, source_id=source_id)
                session.commit()
                reply = message(f"Nouvelle clé pour « {selected[0]['nom']} » (l'ancienne ne fonctionne plus), "
                                "affichée une seule fois :", secret=key)
            else:
                admin.revoke_key(session, actor=actor, source_id=source_id)
                session.commit()
                reply = message(f"Clé de « {selected[0]['nom']} » révoquée.", "warning")
    except admin.AdminError as err:
        session.rollback()
        return message(str(err), "danger"), no_update, *form
    return reply, source_rows(admin.list_sources(session, actor=actor)), *form


def _audit_query(actor_text, action, date_from, date_to, limit=2000) -> AuditQuery:
    def day(value):
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None

    return AuditQuery(actor=actor_text or None, action=action or None, date_from=day(date_from),
                      date_to=day(date_to), limit=limit)


@callback(
    Output(ids.ADMIN_AUDIT_GRID, "rowData"),
    Input(ids.ADMIN_AUDIT_SEARCH, "n_clicks"),
    State(ids.ADMIN_AUDIT_ACTOR, "value"), State(ids.ADMIN_AUDIT_ACTION, "value"),
    State(ids.ADMIN_AUDIT_FROM, "value"), State(ids.ADMIN_AUDIT_TO, "value"),
    prevent_initial_call=True,
)
@guarded(roles=ADMIN, sample_args=(1, None, "", None, None), has_data=lambda result: bool(result))
def admin_audit_search(_n, actor_text, action, date_from, date_to, *, scope):
    events = admin.audit_search(db_session(), actor=_actor(scope),
                                query=_audit_query(actor_text, action, date_from, date_to))
    return audit_rows(events)


@callback(
    Output(ids.ADMIN_AUDIT_DOWNLOAD, "data"),
    Input(ids.ADMIN_AUDIT_EXPORT, "n_clicks"),
    State(ids.ADMIN_AUDIT_ACTOR, "value"), State(ids.ADMIN_AUDIT_ACTION, "value"),
    State(ids.ADMIN_AUDIT_FROM, "value"), State(ids.ADMIN_AUDIT_TO, "value"),
    prevent_initial_call=True,
)
@guarded(roles=ADMIN, sample_args=(1, None, "", None, None), has_data=lambda result: bool(result["content"]))
def admin_audit_export(_n, actor_text, action, date_from, date_to, *, scope):
    session = db_session()
    actor = _actor(scope)
    query = _audit_query(actor_text, action, date_from, date_to, limit=100_000)
    events = admin.audit_search(session, actor=actor, query=query)
    content = to_csv(([fmt_datetime(e.at, seconds=True), e.actor, e.action, e.target or "",
                       e.ip or "", describe(e.action, e.detail)] for e in events),
                     ["date (heure de Paris)", "qui", "action", "cible", "adresse_ip", "detail"])
    audit.record(session, action="export", actor=actor.email, user_id=scope.user_id, target="journal d'audit",
                 detail={"rows": len(events), "filters": {"actor": actor_text, "action": action,
                                                          "from": date_from, "to": date_to}}, ip=actor.ip)
    session.commit()
    return {"content": content, "filename": f"journal-audit-{date.today().isoformat()}.csv",
            "type": "text/csv"}
