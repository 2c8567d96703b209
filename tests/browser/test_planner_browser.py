"""The coverage planner as the ARS officer uses it: a scenario from the map, before / after, saved,
reopened from its URL, then three suggested sites."""
from __future__ import annotations

import time

from selenium.webdriver.common.action_chains import ActionChains
from sqlalchemy import delete

from data.db import make_session_factory, session_scope
from data.demo import demo_accounts
from data.models import CoverageScenario
from tests.browser.conftest import login


def _wait_value(dash_duo, selector: str, timeout: float = 20) -> str:
    end = time.time() + timeout
    while time.time() < end:
        value = dash_duo.driver.execute_script(
            f"var s = document.querySelector('{selector}');"
            "return s && s.value ? s.options[s.selectedIndex].text : '';")
        if "(55)" in value:
            return value.strip()
        time.sleep(0.3)
    raise AssertionError(f"no value in {selector}")


def test_ars_officer_plans_saves_reopens_and_asks_for_three_sites(dash_duo, served, engine):
    base = served
    account = next(a for a in demo_accounts() if a.role == "ars")
    login(dash_duo, base, account.email, account.password)
    driver = dash_duo.driver
    driver.get(base + "/couverture?dep=55")
    dash_duo.wait_for_element("#planner-section", timeout=30)
    canvas = dash_duo.wait_for_element("#planner-map-graph .maplibregl-canvas", timeout=40)
    dash_duo.wait_for_contains_text("#planner-stats", "Habitants portés au-dessus du seuil", timeout=40)
    assert "Scénario vide" in dash_duo.find_element("#planner-changes").text
    # a commune chosen on the scenario map (its centre is inside the Meuse) becomes the place of the change
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    time.sleep(1.5)
    ActionChains(driver).move_to_element(canvas).pause(0.5).click().perform()
    chosen = _wait_value(dash_duo, "#planner-commune")
    assert "(55)" in chosen
    dash_duo.find_element("#planner-amount").clear()
    dash_duo.find_element("#planner-amount").send_keys("3")
    driver.execute_script("arguments[0].click()", dash_duo.find_element("#planner-add"))
    dash_duo.wait_for_contains_text("#planner-changes", "ajouter 3 ETP", timeout=20)
    assert chosen.split(" (")[0] in dash_duo.find_element("#planner-changes").text
    dash_duo.wait_for_contains_text("#planner-communes", "Accessibilité après", timeout=30)
    before_after = dash_duo.find_element("#planner-stats").text
    assert "→" in before_after
    # saved under a name, reopened from its URL
    dash_duo.find_element("#planner-name").send_keys("Trois médecins (test navigateur)")
    driver.execute_script("arguments[0].click()", dash_duo.find_element("#planner-save"))
    dash_duo.wait_for_element("#planner-saved-link", timeout=20)
    href = dash_duo.find_element("#planner-saved-link").get_attribute("href")
    assert "scenario=" in href and "plan=" not in href
    dash_duo.wait_for_contains_text("#planner-saved", "Trois médecins (test navigateur)", timeout=20)
    try:
        driver.get(href)
        dash_duo.wait_for_contains_text("#planner-section", "Scénario « Trois médecins (test navigateur) »",
                                        timeout=30)
        dash_duo.wait_for_contains_text("#planner-changes", "ajouter 3 ETP", timeout=30)
        dash_duo.wait_for_contains_text("#planner-stats", "→", timeout=30)
        assert dash_duo.find_element("#planner-stats").text == before_after
        # « Proposer 3 emplacements »: the exact solution beside the greedy pick, added to the scenario
        assert dash_duo.find_element("#planner-suggest").text == "Proposer 3 emplacements"
        driver.execute_script("arguments[0].click()", dash_duo.find_element("#planner-suggest"))
        dash_duo.wait_for_contains_text("#planner-suggestion", "Solution exacte", timeout=60)
        text = dash_duo.find_element("#planner-suggestion").text
        assert "Choix glouton" in text and "Gain de la solution exacte" in text
        dash_duo.wait_for_contains_text("#planner-changes", "ajouter 1 ETP", timeout=30)
        assert len(dash_duo.find_elements("#planner-changes li")) == 4
        assert dash_duo.get_logs() == []
    finally:
        with session_scope(make_session_factory(engine)) as s:
            s.execute(delete(CoverageScenario))
