"""Every dashboard page in Chromium, as a user allowed on it: figures load, a filter changes them and
the URL, the console stays clean and axe-core finds no serious or critical violation."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from data.demo import demo_accounts
from tests.browser.conftest import axe_violations, login, wait_for

pytestmark = pytest.mark.browser
QUERY = "?dep=52,55&du=2026-01&au=2026-06"

PAGES = [
    # path, who, headline figure, map (or None)
    ("/teleconsultation", "collectivites", "#stat-tc-completed", "#teleconsultation-map-graph"),
    ("/cabinets-mobiles", "ars", "#stat-mob-stops", "#mobile-map-graph"),
    ("/biologie", "professionnels", "#stat-bio-tests", None),
    ("/professionnels", "collectivites", "#stat-wf-retiring", "#workforce-map-graph"),
    ("/couverture", "ars", "#stat-cov-under", "#coverage-map-graph"),
    ("/programme", "financeurs", "#programme-stats .kpi-value", None),
]


def _sign_in(dash_duo, base: str, who: str) -> None:
    account = next(a for a in demo_accounts() if a.email.startswith(who + "@"))
    login(dash_duo, base, account.email, account.password)


@pytest.mark.parametrize("path,who,figure,graph", PAGES, ids=[p[0] for p in PAGES])
def test_page_loads_and_follows_a_filter(dash_duo, served, path, who, figure, graph):
    _sign_in(dash_duo, served, who)
    driver = dash_duo.driver
    driver.get(served + path + QUERY)
    dash_duo.wait_for_element(figure, timeout=30)
    wait_for(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, figure).text.strip() not in ("", "—"))
    before = dash_duo.find_element(figure).text
    if graph:  # the map is drawn by MapLibre from the geometry asset
        dash_duo.wait_for_element(f"{graph} .maplibregl-canvas", timeout=40)
    assert axe_violations(dash_duo) == []

    # untick Haute-Marne: the figures follow and the address bar keeps the new filter
    driver.find_element(By.XPATH, "//label[contains(., 'Haute-Marne (52)')]").click()
    wait_for(driver, 30).until(lambda d: "dep=55&" in d.current_url)
    wait_for(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, figure).text != before)
    assert dash_duo.get_logs() == []


def test_feed_health_live_timer_can_be_paused(dash_duo, served):
    _sign_in(dash_duo, served, "entreprises")  # feeds: detail
    driver = dash_duo.driver
    driver.get(served + "/flux")
    wait_for(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stat-feeds-sources").text.isdigit())
    assert int(dash_duo.find_element("#stat-feeds-sources").text) >= 5  # the five demo sources, and any test ones
    dash_duo.wait_for_contains_text("#feeds-sources-data", "Démo — plateforme de téléconsultation", timeout=20)
    switch = driver.find_element(By.CSS_SELECTOR, "input[id*='live-switch']")
    assert switch.is_selected()
    driver.find_element(By.XPATH, "//label[contains(., 'Actualisation automatique')]").click()
    wait_for(driver, 10).until(lambda d: not switch.is_selected())
    assert axe_violations(dash_duo) == []
    assert dash_duo.get_logs() == []


def test_a_page_the_college_may_not_see_is_refused_in_french(dash_duo, served):
    _sign_in(dash_duo, served, "usagers")  # biology: none
    driver = dash_duo.driver
    assert not driver.find_elements(By.XPATH, "//nav//a[contains(., 'Biologie')]")  # not in the menu
    driver.get(served + "/biologie" + QUERY)
    dash_duo.wait_for_contains_text("#contenu", "Accès refusé", timeout=20)
    assert not driver.find_elements(By.CSS_SELECTOR, "#stat-bio-tests")
    # the page itself is answered 403 (which Chromium logs); nothing else goes wrong
    assert [e["message"].split(" - ")[1] for e in dash_duo.get_logs()] == [
        "Failed to load resource: the server responded with a status of 403 (FORBIDDEN)"]
