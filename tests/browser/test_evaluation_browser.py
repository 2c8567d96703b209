"""The « Évaluation » page in Chromium: the research college sees the estimates and the per-EHPAD series,
a summary-level college the estimates without any EHPAD; a filter changes the figures; console clean, axe."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from data.demo import demo_accounts
from tests.browser.conftest import axe_violations, login, wait_for

pytestmark = pytest.mark.browser
CARD = "#stat-eval-ehpad-transfers-did"


def _open(dash_duo, served, who: str) -> None:
    account = next(a for a in demo_accounts() if a.email.startswith(who + "@"))
    login(dash_duo, served, account.email, account.password)
    dash_duo.driver.get(served + "/evaluation?dep=52,55&du=2026-01&au=2026-06")
    dash_duo.wait_for_element(CARD, timeout=40)
    wait_for(dash_duo.driver, 40).until(lambda d: "%" in d.find_element(By.CSS_SELECTOR, CARD).text)
    dash_duo.wait_for_element("#evaluation-section-ehpad", timeout=40)


def test_research_college_sees_estimates_and_per_ehpad_series(dash_duo, served):
    _open(dash_duo, served, "recherche")
    driver = dash_duo.driver
    dash_duo.wait_for_element("#evaluation-evaluation-ehpad-par-ehpad-graph .main-svg", timeout=30)
    dash_duo.wait_for_element("#evaluation-evaluation-ehpad-series-graph .main-svg", timeout=30)
    assert "EHPAD Blanpain-Couchot" in driver.find_element(By.ID, "evaluation-section-ehpad").get_attribute(
        "innerHTML")
    assert driver.find_elements(By.CSS_SELECTOR, "#export-evaluation-ehpad-estimations-csv")
    before = driver.find_element(By.CSS_SELECTOR, CARD).text
    assert axe_violations(dash_duo) == []
    driver.find_element(By.XPATH, "//label[contains(., 'Haute-Marne (52)')]").click()
    wait_for(driver, 40).until(lambda d: "dep=55&" in d.current_url)
    wait_for(driver, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, CARD).text not in (before, ""))
    assert dash_duo.get_logs() == []


def test_summary_college_sees_no_ehpad(dash_duo, served):
    _open(dash_duo, served, "usagers")  # programme: summary
    driver = dash_duo.driver
    dash_duo.wait_for_element("#evaluation-evaluation-ehpad-temps-relatif-graph .main-svg", timeout=30)
    section = driver.find_element(By.ID, "evaluation-section-ehpad").get_attribute("innerHTML")
    assert "EHPAD Blanpain-Couchot" not in section and "EHPAD de Ligny" not in section
    assert not driver.find_elements(By.CSS_SELECTOR, "#evaluation-evaluation-ehpad-par-ehpad")
    assert "Niveau « synthèse »" in driver.find_element(By.ID, "evaluation-note").text
    assert dash_duo.get_logs() == []
