"""« D'où vient ce chiffre ? » in Chromium: a card's « ? » opens its definition and provenance (by mouse and by
keyboard), and the « Méthodes » page lists every registry entry with its formula and sources."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from data.demo import demo_accounts
from data.indicators import INDICATORS, indicator
from tests.browser.conftest import axe_violations, login, wait_for

pytestmark = pytest.mark.browser
QUERY = "?dep=55&du=2026-01&au=2026-06"


def _sign_in(dash_duo, base: str, who: str) -> None:
    account = next(a for a in demo_accounts() if a.email.startswith(who + "@"))
    login(dash_duo, base, account.email, account.password)


def _popover_text(driver) -> str:
    """The open popover's text (its DOM text: `.text` is empty while it fades in)."""
    wait_for(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".about-popover .popover-body"))
    wait_for(driver, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, ".about-popover").is_displayed())
    return driver.find_element(By.CSS_SELECTOR, ".about-popover").get_attribute("textContent")


def test_question_mark_opens_the_definition(dash_duo, served):
    _sign_in(dash_duo, served, "usagers")  # summary level
    driver = dash_duo.driver
    driver.get(served + "/teleconsultation" + QUERY)
    dash_duo.wait_for_element("#about-tc-completion", timeout=30)
    button = driver.find_element(By.ID, "about-tc-completion")
    assert button.get_attribute("aria-label") == "Définition et provenance : Taux de réalisation"
    button.click()
    text = _popover_text(driver)
    entry = indicator("tc-completion")
    assert entry.formula in text and "Téléconsultation (" in text and "synthèse" in text
    link = driver.find_element(By.CSS_SELECTOR, ".about-popover a.about-link")
    assert link.get_attribute("href").endswith("/methodes#tc-completion")
    assert axe_violations(dash_duo) == []

    driver.find_element(By.TAG_NAME, "h1").click()  # a click elsewhere closes it
    wait_for(driver, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".about-popover"))
    other = driver.find_element(By.ID, "about-tc-median")  # the keyboard opens it too
    other.send_keys(Keys.ENTER)
    assert indicator("tc-median").definition in _popover_text(driver)
    assert dash_duo.get_logs() == []


def test_overview_kpi_has_its_question_mark(dash_duo, served):
    _sign_in(dash_duo, served, "ars")
    driver = dash_duo.driver
    driver.get(served + "/" + QUERY)
    dash_duo.wait_for_element("#about-teleconsultations", timeout=30).click()
    text = _popover_text(driver)
    assert indicator("teleconsultations").definition in text and "Aucune perturbation" in text
    assert dash_duo.get_logs() == []


def test_methods_page_lists_every_indicator(dash_duo, served):
    _sign_in(dash_duo, served, "usagers")
    driver = dash_duo.driver
    dash_duo.wait_for_element("#main-nav", timeout=20)
    driver.find_element(By.XPATH, "//nav//a[normalize-space()='Méthodes']").click()
    dash_duo.wait_for_element("#methodes", timeout=20)
    assert driver.current_url.split("?")[0].endswith("/methodes")
    for key, entry in INDICATORS.items():
        text = driver.find_element(By.ID, key).get_attribute("textContent")
        assert entry.formula in text and entry.name in text, key
        assert all(part in text for part in entry.source_text.split(" ; ")), key
    assert "6301-6" in driver.find_element(By.ID, "methodes-examens").text
    assert axe_violations(dash_duo) == []
    assert dash_duo.get_logs() == []
