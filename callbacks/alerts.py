"""Alert centre callbacks: the header badge, the centre (firing, rules, history) and the rule actions.

The actions (create, switch on/off, silence, subscribe) go through `data.alerts`, which checks the caller's
role and grant on the server and audits; Dash sends each request with the CSRF header like every callback."""
from __future__ import annotations

from datetime import timedelta

from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from callbacks._access import guarded, rendered_text
from components import ids
from components.alerts import badge_text, firing_list, history_table, message, rules_table
from data import alerts
from data.formatting import fmt_datetime_long
from data.users import utcnow
from data.views.alerts import centre
from server.database import db_session

ACTION = {"type": "alert-rule-action", "action": ALL, "rule": ALL}


@callback(
    Output(ids.ALERTS_BADGE, "children"), Output(ids.ALERTS_BADGE_LINK, "title"),
    Output(ids.ALERTS_BADGE, "className"),
    Input(ids.ALERTS_BADGE_INTERVAL, "n_intervals"),
)
@guarded(sample_args=(0,))
def alerts_badge(_tick, *, scope):
    """How many alerts the user may see are firing (nothing for a user whom no rule concerns)."""
    view = centre(db_session(), scope=scope, history=0)
    if not view.rules:
        raise PreventUpdate
    return badge_text(len(view.firing))


@callback(
    Output(ids.ALERTS_FIRING, "children"), Output(ids.ALERTS_RULES, "children"),
    Output(ids.ALERTS_HISTORY, "children"),
    Input(ids.ALERTS_INTERVAL, "n_intervals"), Input(ids.ALERTS_REFRESH, "data"),
)
@guarded(sample_args=(0, 0), has_data=lambda result: result is not None and "Automates de biologie silencieux"
         in rendered_text(result[1]))
def alerts_centre(_tick, _refresh, *, scope):
    view = centre(db_session(), scope=scope)
    return firing_list(view.firing), rules_table(view), history_table(view.history)


@callback(
    Output(ids.ALERTS_MESSAGE, "children"), Output(ids.ALERTS_REFRESH, "data"),
    Input(ids.ALERTS_NEW_SUBMIT, "n_clicks"), Input(ACTION, "n_clicks"),
    State(ids.ALERTS_NEW_NAME, "value"), State(ids.ALERTS_NEW_KIND, "value"), State(ids.ALERTS_NEW_THRESHOLD, "value"),
    State(ids.ALERTS_NEW_DEPS, "value"), State(ids.ALERTS_NEW_SEVERITY, "value"),
    State(ids.ALERTS_NEW_SITE, "value"), State(ids.ALERTS_NEW_SOURCE, "value"),
    State(ids.ALERTS_SILENCE_HOURS, "value"), State(ids.ALERTS_REFRESH, "data"),
    prevent_initial_call=True,
)
@guarded(sample_args=(None, [], None, None, None, None, None, None, None, None, 0), public=True)
def alerts_action(_create, _clicks, name, kind, threshold, deps, severity, site_id, source_id, silence_hours, refresh,
                  *, scope):
    """One button pressed: its action checked and done by the data layer; a message, then the centre redrawn."""
    trigger = ctx.triggered_id
    if trigger is None or not any(t.get("value") for t in ctx.triggered):
        return no_update, no_update
    session = db_session()
    actor = current_user.email
    try:
        if trigger == ids.ALERTS_NEW_SUBMIT:
            rule = alerts.create_rule(session, scope=scope, actor=actor, name=name or "", kind=kind or "",
                                      threshold=_number(threshold), departements=deps or None,
                                      severity=severity or "warning", site_id=_id(site_id), source_id=_id(source_id))
            text = f"Règle « {rule.name} » créée ; vous y êtes abonné."
        elif isinstance(trigger, dict) and trigger.get("type") == "alert-rule-action":
            rule_id, action = int(trigger["rule"]), str(trigger["action"])
            if action == "subscribe":
                alerts.subscribe(session, scope=scope, actor=actor, rule_id=rule_id)
                text = "Abonnement enregistré : les alertes de cette règle vous seront envoyées par courriel."
            elif action == "unsubscribe":
                alerts.unsubscribe(session, scope=scope, actor=actor, rule_id=rule_id)
                text = "Désabonnement enregistré."
            elif action in ("activate", "deactivate"):
                alerts.set_active(session, scope=scope, actor=actor, rule_id=rule_id, active=action == "activate")
                text = "Règle activée." if action == "activate" else "Règle désactivée."
            elif action == "silence":
                hours = int(_number(silence_hours) or 24)
                item = alerts.silence(session, scope=scope, actor=actor, rule_id=rule_id,
                                      until=utcnow() + timedelta(hours=hours))
                text = f"Règle en silence jusqu'au {fmt_datetime_long(item.until)} : aucun courriel d'ici là."
            else:
                raise alerts.AlertError("Action inconnue.")
        else:
            return no_update, no_update
        session.commit()
    except alerts.AlertError as err:
        session.rollback()
        return message(str(err), ok=False), no_update
    return message(text, ok=True), (refresh or 0) + 1


def _id(value) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _number(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
