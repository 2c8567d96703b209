"""Admin page builders: rows for the grids and the forms around them (French labels)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.formatting import fmt_datetime
from components.grid import grid
from data.access import COLLEGES
from data.audit import ACTION_LABELS
from data.audit_text import describe
from data.models import AuditEvent, Dataset, FeedKind, FeedSource, User

ROLE_LABELS = {"member": "Membre", "ars": "Officier ARS", "admin": "Administrateur"}
LEVEL_LABELS = {"none": "aucun", "summary": "synthèse", "detail": "détail"}
LEVEL_VALUES = {v: k for k, v in LEVEL_LABELS.items()}
DATASET_LABELS = {
    "teleconsultation": "Téléconsultation", "mobile": "Cabinets mobiles", "biology": "Biologie délocalisée",
    "workforce": "Professionnels de santé", "coverage": "Couverture (ARS)", "programme": "Programme",
    "feeds": "Flux",
}
FEED_LABELS = {"teleconsultation": "Téléconsultation", "mobile": "Cabinets mobiles", "biology": "Biologie",
               "workforce": "Professionnels de santé", "programme": "Indicateurs du programme"}


def _dt(value) -> str:
    """A stored (UTC) time as Paris wall-clock time; the columns say « (heure de Paris) »."""
    return fmt_datetime(value) if value else "—"


def user_rows(users: list[User]) -> list[dict]:
    return [{"id": u.id, "email": u.email, "nom": u.full_name, "role": ROLE_LABELS.get(u.role, u.role),
             "role_code": u.role, "college": COLLEGES.get(u.college_slug or "", "—"),
             "college_code": u.college_slug, "departements": ", ".join(u.departements or []) or "tous",
             "departements_codes": u.departements or [], "actif": "oui" if u.active else "non",
             "active": u.active, "derniere_connexion": _dt(u.last_login_at),
             "mdp_a_changer": "oui" if u.must_change_password else "non"} for u in users]


USER_COLUMNS = [
    {"field": "email", "headerName": "Adresse"}, {"field": "nom", "headerName": "Nom"},
    {"field": "role", "headerName": "Rôle"}, {"field": "college", "headerName": "Collège"},
    {"field": "departements", "headerName": "Départements"}, {"field": "actif", "headerName": "Actif"},
    {"field": "derniere_connexion", "headerName": "Dernière connexion (heure de Paris)", "minWidth": 230},
    {"field": "mdp_a_changer", "headerName": "Mot de passe à changer"},
]


def grant_rows(matrix: dict[str, dict[str, str]]) -> list[dict]:
    return [{"college": c, "college_label": COLLEGES[c], **{d: LEVEL_LABELS[lvl] for d, lvl in levels.items()}}
            for c, levels in matrix.items()]


GRANT_COLUMNS = [{"field": "college_label", "headerName": "Collège", "editable": False, "pinned": "left",
                  "minWidth": 220}] + [
    {"field": d.value, "headerName": DATASET_LABELS[d.value], "editable": True,
     "cellEditor": "agSelectCellEditor", "cellEditorParams": {"values": list(LEVEL_LABELS.values())}}
    for d in Dataset
]


def source_rows(sources: list[FeedSource]) -> list[dict]:
    def state(s: FeedSource) -> str:
        if s.key_hash is None:
            return "sans clé"
        return "révoquée" if s.revoked_at else "active"

    return [{"id": s.id, "nom": s.name, "flux": FEED_LABELS.get(s.feed_kind, s.feed_kind),
             "cle": f"emk_{s.key_prefix}_…" if s.key_prefix else "—", "etat": state(s),
             "creee": _dt(s.created_at), "derniere_utilisation": _dt(s.last_seen_at)} for s in sources]


SOURCE_COLUMNS = [
    {"field": "nom", "headerName": "Source"}, {"field": "flux", "headerName": "Flux"},
    {"field": "cle", "headerName": "Clé (début)"}, {"field": "etat", "headerName": "État de la clé"},
    {"field": "creee", "headerName": "Créée le (heure de Paris)", "minWidth": 230},
    {"field": "derniere_utilisation", "headerName": "Dernier envoi (heure de Paris)", "minWidth": 230},
]


def audit_rows(events: list[AuditEvent]) -> list[dict]:
    return [{"quand": _dt(e.at), "qui": e.actor, "action": ACTION_LABELS.get(e.action, e.action),
             "code": e.action, "cible": e.target or "", "depuis": e.ip or "",
             "detail": describe(e.action, e.detail)} for e in events]


AUDIT_COLUMNS = [
    {"field": "quand", "headerName": "Date (heure de Paris)", "minWidth": 190, "maxWidth": 220},
    {"field": "qui", "headerName": "Qui"},
    {"field": "action", "headerName": "Action"}, {"field": "cible", "headerName": "Cible"},
    {"field": "depuis", "headerName": "Adresse IP", "maxWidth": 140}, {"field": "detail", "headerName": "Détail"},
]


def _labelled(label: str, control, control_id: str) -> html.Div:
    return html.Div([dbc.Label(label, html_for=control_id), control], className="mb-2")


def users_tab(rows: list[dict], departements: dict[str, str]) -> html.Div:
    roles = [{"label": v, "value": k} for k, v in ROLE_LABELS.items()]
    colleges = [{"label": "— aucun —", "value": ""}] + [{"label": v, "value": k} for k, v in COLLEGES.items()]
    deps = [{"label": f"{n} ({c})", "value": c} for c, n in departements.items()]
    return html.Div([
        html.Div(id=ids.ADMIN_USERS_MESSAGE, role="status", **{"aria-live": "polite"}),
        grid(ids.ADMIN_USERS_GRID, USER_COLUMNS, rows, selectable=True),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody([
                html.H2("Nouvel utilisateur", className="h6"),
                _labelled("Adresse électronique", dbc.Input(id=ids.ADMIN_NEW_EMAIL, type="email"), ids.ADMIN_NEW_EMAIL),
                _labelled("Nom complet", dbc.Input(id=ids.ADMIN_NEW_NAME), ids.ADMIN_NEW_NAME),
                _labelled("Rôle", dbc.Select(id=ids.ADMIN_NEW_ROLE, options=roles, value="member"), ids.ADMIN_NEW_ROLE),
                _labelled("Collège", dbc.Select(id=ids.ADMIN_NEW_COLLEGE, options=colleges, value=""),
                          ids.ADMIN_NEW_COLLEGE),
                _labelled("Limité aux départements (aucun coché : tout le territoire)",
                          dbc.Checklist(id=ids.ADMIN_NEW_DEPS, options=deps, value=[], inline=True),
                          ids.ADMIN_NEW_DEPS),
                dbc.Button("Créer le compte", id=ids.ADMIN_NEW_SUBMIT, color="primary"),
            ])), md=6, className="mt-3"),
            dbc.Col(dbc.Card(dbc.CardBody([
                html.H2("Utilisateur sélectionné : aucun", className="h6", id=ids.ADMIN_EDIT_TITLE),
                _labelled("Rôle", dbc.Select(id=ids.ADMIN_EDIT_ROLE, options=roles), ids.ADMIN_EDIT_ROLE),
                _labelled("Collège", dbc.Select(id=ids.ADMIN_EDIT_COLLEGE, options=colleges), ids.ADMIN_EDIT_COLLEGE),
                _labelled("Limité aux départements",
                          dbc.Checklist(id=ids.ADMIN_EDIT_DEPS, options=deps, value=[], inline=True),
                          ids.ADMIN_EDIT_DEPS),
                dbc.Switch(id=ids.ADMIN_EDIT_ACTIVE, label="Compte actif", value=True, className="mb-3"),
                dbc.Button("Enregistrer", id=ids.ADMIN_EDIT_SAVE, color="primary", className="me-2"),
                dbc.Button("Réinitialiser le mot de passe", id=ids.ADMIN_EDIT_RESET, color="secondary", outline=True),
            ])), md=6, className="mt-3"),
        ]),
    ])


def grants_tab(rows: list[dict]) -> html.Div:
    return html.Div([
        html.P(["Niveaux : ", html.Strong("aucun"), " (page et données invisibles), ", html.Strong("synthèse"),
                " (totaux départementaux, effectifs de 1 à 10 masqués), ", html.Strong("détail"),
                " (communes et sites). Double-cliquez sur une cellule pour la modifier ; chaque changement est "
                "journalisé."], className="small"),
        html.Div(id=ids.ADMIN_GRANTS_MESSAGE, role="status", **{"aria-live": "polite"}),
        grid(ids.ADMIN_GRANTS_GRID, GRANT_COLUMNS, rows, height=400),
    ])


def sources_tab(rows: list[dict]) -> html.Div:
    kinds = [{"label": v, "value": k} for k, v in FEED_LABELS.items() if k in {f.value for f in FeedKind}]
    return html.Div([
        html.Div(id=ids.ADMIN_SOURCES_MESSAGE, role="status", **{"aria-live": "polite"}),
        grid(ids.ADMIN_SOURCES_GRID, SOURCE_COLUMNS, rows, selectable=True, height=300),
        dbc.Row([
            dbc.Col(_labelled("Nom de la nouvelle source", dbc.Input(id=ids.ADMIN_SOURCE_NAME), ids.ADMIN_SOURCE_NAME),
                    md=5),
            dbc.Col(_labelled("Flux", dbc.Select(id=ids.ADMIN_SOURCE_KIND, options=kinds, value="teleconsultation"),
                              ids.ADMIN_SOURCE_KIND), md=4),
            dbc.Col(dbc.Button("Créer la source", id=ids.ADMIN_SOURCE_CREATE, color="primary", className="mt-4"),
                    md=3),
        ], className="mt-3"),
        html.Div([
            dbc.Button("Émettre une nouvelle clé pour la source sélectionnée", id=ids.ADMIN_SOURCE_ISSUE,
                       color="secondary", className="me-2"),
            dbc.Button("Révoquer la clé de la source sélectionnée", id=ids.ADMIN_SOURCE_REVOKE, color="danger",
                       outline=True),
        ], className="mt-2"),
    ])


def audit_tab(rows: list[dict]) -> html.Div:
    actions = [{"label": "Toutes les actions", "value": ""}] + [
        {"label": v, "value": k} for k, v in sorted(ACTION_LABELS.items(), key=lambda kv: kv[1])]
    return html.Div([
        dbc.Row([
            dbc.Col(_labelled("Utilisateur (adresse contenant)", dbc.Input(id=ids.ADMIN_AUDIT_ACTOR),
                              ids.ADMIN_AUDIT_ACTOR), md=3),
            dbc.Col(_labelled("Action", dbc.Select(id=ids.ADMIN_AUDIT_ACTION, options=actions, value=""),
                              ids.ADMIN_AUDIT_ACTION), md=3),
            dbc.Col(_labelled("Du", dbc.Input(id=ids.ADMIN_AUDIT_FROM, type="date"), ids.ADMIN_AUDIT_FROM), md=2),
            dbc.Col(_labelled("Au", dbc.Input(id=ids.ADMIN_AUDIT_TO, type="date"), ids.ADMIN_AUDIT_TO), md=2),
            dbc.Col([dbc.Button("Filtrer", id=ids.ADMIN_AUDIT_SEARCH, color="primary", className="mt-4 me-2"),
                     dbc.Button("Exporter (CSV)", id=ids.ADMIN_AUDIT_EXPORT, color="secondary", outline=True,
                                className="mt-4")], md=2),
        ]),
        grid(ids.ADMIN_AUDIT_GRID, AUDIT_COLUMNS, rows, height=460, page_size=50),
        dcc.Download(id=ids.ADMIN_AUDIT_DOWNLOAD),
    ])


def message(text: str, color: str = "success", *, secret: str | None = None) -> dbc.Alert:
    """A result message; `secret` (a password, a key) is shown once, selectable, never stored."""
    body = [html.Span(text)]
    if secret:
        body += [html.Br(), html.Code(secret, className="fs-6 user-select-all", id="admin-secret")]
    return dbc.Alert(body, color=color, dismissable=True, className="mb-2")
