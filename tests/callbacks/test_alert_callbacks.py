"""Alert centre callbacks as plain functions: rule actions are checked on the server (role, grant), audited."""
from __future__ import annotations

from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict
from sqlalchemy import delete, select

from components import ids
from data.models import AlertRule, AlertSubscription, AuditEvent, Site

ADMIN, ARS = "admin@demo.e-meuse-sante.fr", "ars@demo.e-meuse-sante.fr"
FIN, PRO, USAGERS = (f"{c}@demo.e-meuse-sante.fr" for c in ("financeurs", "professionnels", "usagers"))
NAME = "Règle de test des rappels"


def _click(func, prop_id: str, *args):
    def call():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": 1}],
                                        inputs_list=[], states_list=[], outputs_list=[]))
        return func(*args)
    return copy_context().run(call)


def _action(action: str, rule_id: int) -> str:
    import json

    return json.dumps(ids.alert_rule_action(action, rule_id), sort_keys=True, separators=(",", ":")) + ".n_clicks"


def _create(as_user, email, kind="device_silent", deps=None):
    from callbacks.alerts import alerts_action

    with as_user(email):
        return _click(alerts_action, f"{ids.ALERTS_NEW_SUBMIT}.n_clicks", 1, [], NAME, kind, "30", deps,
                      "critical", None, None, "24", 0)


def _cleanup(engine):
    with engine.begin() as conn:
        rules = select(AlertRule.id).where(AlertRule.name == NAME)
        conn.execute(delete(AlertSubscription).where(AlertSubscription.rule_id.in_(rules)))
        from data.models import AlertSilence

        conn.execute(delete(AlertSilence).where(AlertSilence.rule_id.in_(rules)))
        conn.execute(delete(AlertRule).where(AlertRule.name == NAME))


def test_ars_creates_a_rule_and_a_member_may_not(as_user, engine):
    try:
        message, refresh = _create(as_user, ARS, deps=["55"])
        assert "créée" in str(message) and refresh == 1
        message, refresh = _create(as_user, PRO)
        assert "danger" in str(message) and refresh.__class__.__name__ == "NoUpdate"
        with engine.connect() as conn:
            rules = conn.execute(select(AlertRule.departements, AlertRule.params)
                                 .where(AlertRule.name == NAME)).all()
            assert rules == [(["55"], {"hours": 30.0})]
            assert conn.execute(select(AuditEvent.id).where(AuditEvent.action == "alert.rule_create",
                                                            AuditEvent.actor == ARS)).first() is not None
    finally:
        _cleanup(engine)


def test_member_cannot_subscribe_to_a_rule_their_grant_does_not_cover(as_user, engine):
    from callbacks.alerts import alerts_action

    try:
        _create(as_user, ARS)
        with engine.connect() as conn:
            rule_id = conn.scalar(select(AlertRule.id).where(AlertRule.name == NAME))
            site_id = conn.scalar(select(Site.id).order_by(Site.id))
        for email in (USAGERS,):  # no biology grant
            with as_user(email):
                message, _ = _click(alerts_action, _action("subscribe", rule_id), None, [1], None, None, None, None,
                                    None, None, None, None, 0)
            assert "ne couvrent pas" in str(message)
        with as_user(FIN):  # summary on biology: a territory rule is fine
            message, _ = _click(alerts_action, _action("subscribe", rule_id), None, [1], None, None, None, None,
                                None, None, None, None, 0)
            assert "Abonnement enregistré" in str(message)
        with engine.begin() as conn:  # the same rule scoped on one site needs detail
            conn.execute(AlertRule.__table__.update().where(AlertRule.id == rule_id).values(site_id=site_id))
        with as_user(FIN):
            message, _ = _click(alerts_action, _action("unsubscribe", rule_id), None, [1], None, None, None, None,
                                None, None, None, None, 0)
            message, _ = _click(alerts_action, _action("subscribe", rule_id), None, [1], None, None, None, None,
                                None, None, None, None, 0)
            assert "ne couvrent pas" in str(message)
        with as_user(PRO):  # detail on biology
            message, _ = _click(alerts_action, _action("subscribe", rule_id), None, [1], None, None, None, None,
                                None, None, None, None, 0)
            assert "Abonnement enregistré" in str(message)
            # a member may not switch a rule off nor silence it
            for action in ("deactivate", "silence"):
                message, _ = _click(alerts_action, _action(action, rule_id), None, [1], None, None, None, None,
                                    None, None, None, "24", 0)
                assert "danger" in str(message)
        with engine.connect() as conn:
            subscribers = conn.scalars(select(AlertSubscription.user_id).where(AlertSubscription.rule_id == rule_id))
            assert len(list(subscribers)) == 2  # the ARS author and the detail member
            assert conn.scalar(select(AlertRule.active).where(AlertRule.id == rule_id)) is True
    finally:
        _cleanup(engine)


def test_ars_silences_a_rule_for_a_chosen_time(as_user, engine):
    from callbacks.alerts import alerts_action

    try:
        _create(as_user, ARS)
        with engine.connect() as conn:
            rule_id = conn.scalar(select(AlertRule.id).where(AlertRule.name == NAME))
        with as_user(ARS):
            message, _ = _click(alerts_action, _action("silence", rule_id), None, [1], None, None, None, None, None,
                                None, None, "4", 0)
        assert "en silence jusqu'au" in str(message)
    finally:
        _cleanup(engine)


def test_a_rule_on_one_site_and_a_refused_combination(as_user, engine):
    from callbacks.alerts import alerts_action

    with engine.connect() as conn:
        site_id = conn.scalar(select(Site.id).where(Site.code == "EHPAD-55-BLANPAIN"))
    try:
        with as_user(ARS):
            message, _ = _click(alerts_action, f"{ids.ALERTS_NEW_SUBMIT}.n_clicks", 1, [], NAME, "device_silent",
                                "", None, "warning", str(site_id), None, "24", 0)
            assert "créée" in str(message)
            message, _ = _click(alerts_action, f"{ids.ALERTS_NEW_SUBMIT}.n_clicks", 2, [], NAME, "source_silent",
                                "", None, "warning", str(site_id), None, "24", 0)
            assert "ne porte pas sur un site" in str(message)
        with engine.connect() as conn:
            assert conn.execute(select(AlertRule.site_id, AlertRule.params).where(AlertRule.name == NAME)).all() \
                == [(site_id, {"hours": 24.0})]
    finally:
        _cleanup(engine)


def test_badge_counts_what_the_user_may_see(as_user):
    from callbacks.alerts import alerts_badge

    with as_user(ADMIN):
        text, label, css = copy_context().run(lambda: alerts_badge(0))
    assert text.isdigit() and "alerte" in label
