"""/alertes in a browser, as the ARS officer: the header badge counts the firing alerts, the page lists them,
and « Voir la cause » opens the page and filters that show it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import delete, select

from tests.browser.conftest import login, wait_for
from tests.conftest import TERRITORY

pytestmark = pytest.mark.browser
ARS = ("ars@demo.e-meuse-sante.fr", "demo-ars-grand-est-2026")
RULE = "Automates de Blanpain (test navigateur)"


@pytest.fixture()
def firing(engine):
    """A rule on one demo EHPAD whose devices are all silent (the demo data ends in October), evaluated now."""
    from data import alerts
    from data.access import scope_for_user
    from data.db import make_session_factory
    from data.models import AlertEvent, AlertRule, AlertState, AlertSubscription, MailMessage, Site
    from data.users import get_by_email, utcnow

    factory = make_session_factory(engine)
    with factory() as s:
        site = s.scalar(select(Site).where(Site.code == "EHPAD-55-BLANPAIN"))
        scope = scope_for_user(s, get_by_email(s, email=ARS[0]), territory=TERRITORY)
        rule = alerts.create_rule(s, scope=scope, actor=ARS[0], name=RULE, kind="device_silent", threshold=1,
                                  departements=None, site_id=site.id, severity="critical")
        transitions = alerts.run_rule(s, rule=rule, now=utcnow(), territory=TERRITORY, base_url="http://x",
                                      reminder=timedelta(hours=24))
        s.commit()
        assert transitions, "the demo EHPAD's devices should be silent"
        rule_id, site_name = rule.id, site.name
    yield rule_id, site_name
    with factory() as s:
        events = list(s.scalars(select(AlertEvent.id).where(AlertEvent.rule_id == rule_id)))
        for event_id in events:
            s.execute(delete(MailMessage).where(MailMessage.dedupe_key.like(f"alert-event:{event_id}:%")))
        for table in (AlertEvent, AlertState, AlertSubscription):
            s.execute(delete(table).where(table.rule_id == rule_id))
        s.execute(delete(AlertRule).where(AlertRule.id == rule_id))
        s.commit()


def test_badge_list_and_link_to_the_cause(dash_duo, served, firing, engine):
    from data.access import scope_for_user
    from data.db import make_session_factory
    from data.users import get_by_email
    from data.views.alerts import firing_alerts

    _rule_id, site_name = firing
    with make_session_factory(engine)() as s:
        expected = len(firing_alerts(s, scope=scope_for_user(s, get_by_email(s, email=ARS[0]), territory=TERRITORY)))
    driver = dash_duo.driver
    login(dash_duo, served, *ARS)
    badge = wait_for(driver, 20).until(EC.visibility_of_element_located((By.ID, "alerts-badge")))
    wait_for(driver, 20).until(lambda d: badge.text.strip() == str(expected))
    driver.find_element(By.ID, "alerts-badge-link").click()
    wait_for(driver, 20).until(EC.presence_of_element_located((By.ID, "alerts-firing-list")))
    items = driver.find_elements(By.CSS_SELECTOR, "#alerts-firing-list .alert-item")
    assert len(items) == expected
    ours = [i for i in items if site_name in i.text and "Automate silencieux depuis" in i.text]
    assert ours, [i.text for i in items][:5]
    assert "Critique" in ours[0].text
    rules = driver.find_element(By.ID, "alerts-rules").text
    assert RULE in rules and "Se désabonner" in rules  # its author follows it
    ours[0].find_element(By.CSS_SELECTOR, "a.alert-cause-link").click()
    wait_for(driver, 20).until(lambda d: "/biologie?" in d.current_url)
    assert "dep=55" in driver.current_url and "commune=55029" in driver.current_url
    wait_for(driver, 20).until(EC.presence_of_element_located((By.ID, "biology-devices-data")))
    assert dash_duo.get_logs() == []
