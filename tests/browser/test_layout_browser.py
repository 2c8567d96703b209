"""Phone width (390 px) and print media in Chromium: a collapsed menu, the KPI cards on the first screen,
the filters in an off-canvas panel, and a page that prints without navbar or filters."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from data.demo import demo_accounts
from tests.browser.conftest import login, wait_for

pytestmark = pytest.mark.browser
QUERY = "?dep=55&du=2026-01&au=2026-06"


def _sign_in(dash_duo, base: str, who: str) -> None:
    account = next(a for a in demo_accounts() if a.email.startswith(who + "@"))
    login(dash_duo, base, account.email, account.password)


def _phone(driver, width: int = 390, height: int = 844) -> None:
    """A phone's viewport (a headless window cannot be narrower than ~500 px)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})


def _shown(driver, selector: str) -> list[bool]:
    return [e.is_displayed() for e in driver.find_elements(By.CSS_SELECTOR, selector)]


@pytest.mark.parametrize("path,cards", [("/teleconsultation", "#teleconsultation-stats .kpi-card"),
                                        ("/", "#overview-kpis .kpi-card")])
def test_at_390_px_the_menu_is_collapsed_and_the_kpis_are_on_the_first_screen(dash_duo, served, path, cards):
    _sign_in(dash_duo, served, "financeurs")
    driver = dash_duo.driver
    _phone(driver)
    driver.get(served + path + QUERY)
    dash_duo.wait_for_element(cards, timeout=30)
    assert driver.execute_script("return window.innerWidth") == 390
    toggler = driver.find_element(By.ID, "nav-toggler")
    assert toggler.is_displayed() and toggler.get_attribute("aria-expanded") == "false"
    links = driver.find_elements(By.CSS_SELECTOR, "a.nav-page-link")
    assert links and not any(link.is_displayed() for link in links)
    assert not driver.find_element(By.ID, "logout-link").is_displayed()
    # the page title and the first cards are within the first screen
    height = driver.execute_script("return window.innerHeight")
    assert driver.find_element(By.TAG_NAME, "h1").rect["y"] < height
    top = driver.execute_script(f"return document.querySelector('{cards}').getBoundingClientRect().top")
    assert 0 < top < height, (top, height)
    assert not driver.find_element(By.ID, "filters-panel").is_displayed()  # the filters are off-canvas
    assert "Meuse (55)" in driver.find_element(By.ID, "filters-summary").text  # ... and said in words

    toggler.click()
    wait_for(driver, 10).until(lambda d: all(link.is_displayed() for link in links))
    assert toggler.get_attribute("aria-expanded") == "true"
    toggler.click()
    wait_for(driver, 10).until(lambda d: not any(link.is_displayed() for link in links))
    assert dash_duo.get_logs() == []


def test_at_390_px_the_filters_open_in_a_panel_and_still_filter(dash_duo, served):
    _sign_in(dash_duo, served, "ars")
    driver = dash_duo.driver
    _phone(driver)
    driver.get(served + "/teleconsultation" + QUERY)
    dash_duo.wait_for_element("#stat-tc-completed", timeout=30)
    wait_for(driver, 30).until(lambda d: d.find_element(By.ID, "stat-tc-completed").text.strip())
    before = driver.find_element(By.ID, "stat-tc-completed").text
    driver.find_element(By.ID, "filters-open").click()
    panel = driver.find_element(By.ID, "filters-panel")
    wait_for(driver, 10).until(lambda d: panel.is_displayed() and panel.rect["x"] >= 0)
    driver.find_element(By.XPATH, "//label[contains(., 'Haute-Marne (52)')]").click()
    wait_for(driver, 20).until(lambda d: "Haute-Marne (52)" in d.find_element(By.ID, "filters-summary").text)
    driver.find_element(By.ID, "filters-close").click()
    wait_for(driver, 10).until(lambda d: not panel.is_displayed())
    wait_for(driver, 30).until(lambda d: d.find_element(By.ID, "stat-tc-completed").text != before)
    assert "dep=52,55" in driver.current_url
    assert dash_duo.get_logs() == []


def test_print_media_shows_the_report_without_navbar_nor_filters(dash_duo, served):
    _sign_in(dash_duo, served, "ars")
    driver = dash_duo.driver
    driver.get(served + "/couverture" + QUERY)
    dash_duo.wait_for_element("#coverage-map-graph .maplibregl-canvas", timeout=40)
    assert driver.find_element(By.CSS_SELECTOR, "header").is_displayed()  # on screen: the chrome is there
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element(By.CSS_SELECTOR, "header").is_displayed()
        assert not _shown(driver, "a.nav-page-link") or not any(_shown(driver, "a.nav-page-link"))
        assert not driver.find_element(By.ID, "filters-panel").is_displayed()
        assert not any(_shown(driver, ".live-controls, .export-links, .modebar-container"))
        header = driver.find_element(By.CSS_SELECTOR, ".print-header")
        assert header.is_displayed() and "imprimé le" in header.text
        wait_for(driver, 5).until(lambda d: d.find_element(By.ID, "print-date").text.strip())
        summary = driver.find_element(By.ID, "filters-summary")
        assert summary.is_displayed() and "Meuse (55)" in summary.text and "janvier 2026" in summary.text
        assert driver.find_element(By.TAG_NAME, "h1").is_displayed()
        assert driver.find_element(By.ID, "coverage-map-graph").is_displayed()
        assert driver.execute_script(
            "return getComputedStyle(document.querySelector('.card')).breakInside") == "avoid"
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert dash_duo.get_logs() == []
