"""Alert centre builders: the header badge, firing alerts, their history, the rules and the new-rule form."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.page import empty_state
from data.views.alerts import AlertCentre, AlertItem, HistoryItem, RuleItem

# Bootstrap colours of the severities (the text label is always shown too: colour is never the only cue)
SEVERITY_COLORS = {"critical": "danger", "warning": "warning", "info": "info"}
BADGE_SECONDS = 60
SILENCE_CHOICES = ((1, "1 heure"), (4, "4 heures"), (24, "24 heures"), (72, "3 jours"), (168, "7 jours"))


def badge_text(count: int) -> tuple[str, str, str]:
    """The badge's text, its accessible label and its class (hidden at zero)."""
    label = ("Aucune alerte active" if count == 0 else
             "1 alerte active" if count == 1 else f"{count} alertes actives")
    return str(count), label, "ms-1" if count else "ms-1 d-none"


def header_badge() -> html.Span:
    """« Alertes » in the header with the count of firing alerts (callbacks/alerts.py refreshes it)."""
    return html.Span([
        dcc.Interval(id=ids.ALERTS_BADGE_INTERVAL, interval=BADGE_SECONDS * 1000, n_intervals=0),
        dbc.Button(["Alertes", dbc.Badge("", id=ids.ALERTS_BADGE, color="danger", pill=True, className="ms-1 d-none")],
                   href="/alertes", external_link=True, color="light", size="sm", outline=True, className="me-2",
                   id=ids.ALERTS_BADGE_LINK, title="Alertes actives"),
    ])


def _firing_card(item: AlertItem) -> dbc.ListGroupItem:
    color = SEVERITY_COLORS.get(item.severity, "secondary")
    silenced = (html.Span(f"En silence jusqu'au {item.silenced_until}", className="badge text-bg-secondary ms-2")
                if item.silenced_until else None)
    return dbc.ListGroupItem([
        html.Div([dbc.Badge(item.severity_label, color=color, className="me-2"),
                  html.Strong(item.title), silenced], className="mb-1"),
        html.Div(item.cause, className="small"),
        html.Div([html.Span(f"Règle « {item.rule_name} » — active depuis le {item.since}", className="text-muted"),
                  dcc.Link("Voir la cause", href=item.link, className="ms-3 alert-cause-link")], className="small"),
    ], className="alert-item")


def firing_list(items: tuple[AlertItem, ...]) -> html.Div:
    if not items:
        return empty_state("Aucune alerte active parmi celles que vos droits vous permettent de voir.")
    return dbc.ListGroup([_firing_card(i) for i in items], id="alerts-firing-list")


def history_table(items: tuple[HistoryItem, ...]) -> html.Div:
    if not items:
        return empty_state("Aucun événement d'alerte pour l'instant.")
    rows = [html.Tr([html.Td(i.at), html.Td(i.event), html.Td(i.rule_name),
                     html.Td(dcc.Link(i.title, href=i.link)),
                     html.Td("en silence" if i.silenced else str(i.mails))]) for i in items]
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in
                               ("Moment", "Événement", "Règle", "Alerte", "Courriels")]))
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, hover=True, className="mb-0"),
                    className="table-responsive")


def _rule_buttons(rule: RuleItem, manage: bool) -> list:
    buttons = [dbc.Button("Se désabonner" if rule.subscribed else "S'abonner",
                          id=ids.alert_rule_action("unsubscribe" if rule.subscribed else "subscribe", rule.rule_id),
                          size="sm", color="secondary" if rule.subscribed else "primary", outline=rule.subscribed,
                          className="me-1 mb-1")]
    if manage:
        buttons.append(dbc.Button("Désactiver" if rule.active else "Activer",
                                  id=ids.alert_rule_action("deactivate" if rule.active else "activate", rule.rule_id),
                                  size="sm", color="secondary", outline=True, className="me-1 mb-1"))
        buttons.append(dbc.Button("Mettre en silence", id=ids.alert_rule_action("silence", rule.rule_id), size="sm",
                                  color="secondary", outline=True, className="mb-1"))
    return buttons


def rules_table(centre: AlertCentre) -> html.Div:
    if not centre.rules:
        return empty_state("Aucune règle d'alerte ne porte sur les données que vos droits couvrent.")
    rows = []
    for r in centre.rules:
        state = ("active" if r.active else "désactivée") + (f", en silence jusqu'au {r.silenced_until}"
                                                            if r.silenced_until else "")
        rows.append(html.Tr([html.Td(r.name), html.Td(r.kind_label), html.Td(r.threshold), html.Td(r.scope_label),
                             html.Td(r.severity_label), html.Td(state), html.Td(str(r.firing)),
                             html.Td(_rule_buttons(r, centre.can_manage))]))
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Règle", "Type", "Seuil", "Portée", "Gravité",
                                                                  "État", "Alertes actives", "Actions")]))
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="mb-0 align-middle"),
                    className="table-responsive")


def new_rule_form(kinds: list[tuple[str, str]], departements: list[tuple[str, str]],
                  severities: list[tuple[str, str]], sites: list[tuple[int, str]],
                  sources: list[tuple[int, str]]) -> dbc.Card:
    """Admin and ARS: a rule on the territory, some départements, one site or one feed source."""
    def field(label, control, width):
        return dbc.Col([dbc.Label(label, html_for=control.id), control], md=width, className="mb-2")

    return dbc.Card(dbc.CardBody([
        html.H2("Nouvelle règle", className="h5"),
        dbc.Row([
            field("Nom", dbc.Input(id=ids.ALERTS_NEW_NAME, maxLength=200, placeholder="par défaut : le type"), 3),
            field("Type", dbc.Select(id=ids.ALERTS_NEW_KIND, options=[{"label": lbl, "value": k} for k, lbl in kinds],
                                     value=kinds[0][0]), 3),
            field("Seuil", dbc.Input(id=ids.ALERTS_NEW_THRESHOLD, type="number", min=0, step="any",
                                     placeholder="par défaut"), 2),
            field("Départements (aucun : tout le territoire)",
                  dcc.Dropdown(id=ids.ALERTS_NEW_DEPS, multi=True, placeholder="Tout le territoire",
                               options=[{"label": f"{name} ({code})", "value": code} for code, name in departements]),
                  2),
            field("Gravité", dbc.Select(id=ids.ALERTS_NEW_SEVERITY, value="warning",
                                        options=[{"label": lbl, "value": k} for k, lbl in severities]), 2),
        ]),
        dbc.Row([
            field("Un seul site (facultatif ; ses abonnés ont besoin du niveau « détail »)",
                  dcc.Dropdown(id=ids.ALERTS_NEW_SITE, placeholder="Tous les sites",
                               options=[{"label": name, "value": sid} for sid, name in sites]), 6),
            field("Une seule source de flux (facultatif, règles de flux)",
                  dcc.Dropdown(id=ids.ALERTS_NEW_SOURCE, placeholder="Toutes les sources",
                               options=[{"label": name, "value": sid} for sid, name in sources]), 6),
        ]),
        dbc.Button("Créer la règle", id=ids.ALERTS_NEW_SUBMIT, color="primary", size="sm"),
    ]), className="mb-3")


def silence_select() -> html.Div:
    return html.Div([
        dbc.Label("Durée d'une mise en silence", html_for=ids.ALERTS_SILENCE_HOURS, className="me-2 mb-0 small"),
        dbc.Select(id=ids.ALERTS_SILENCE_HOURS, value="24", size="sm", style={"maxWidth": "10rem"},
                   options=[{"label": lbl, "value": str(h)} for h, lbl in SILENCE_CHOICES]),
    ], className="d-flex align-items-center mb-2")


def message(text: str, ok: bool) -> dbc.Alert:
    return dbc.Alert(text, color="success" if ok else "danger", className="py-2 small", dismissable=True)
