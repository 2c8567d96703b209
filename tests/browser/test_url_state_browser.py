"""The view follows the user (issue #14): filters and page controls live in the URL, survive menu clicks
and sign-in, and a commune clicked on the overview map filters its KPIs."""
from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from components.formatting import fmt_number
from data.access import scope_for_user
from data.filters import parse_filters
from data.users import get_by_email
from data.views.overview import overview_view
from data.views.teleconsultation import teleconsultation_view
from tests.browser.conftest import login, logout, wait_for
from tests.conftest import TERRITORY

pytestmark = pytest.mark.browser
ARS = ("ars@demo.e-meuse-sante.fr", "demo-ars-grand-est-2026")
EPCI_BAR_LE_DUC = "200033025"  # Communauté d'agglomération de Bar-le-Duc - Sud Meuse


def _params(driver) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(driver.current_url).query).items()}


def _wait_params(driver, path: str, expected: dict[str, str], timeout: int = 30) -> None:
    def ok(d):
        return urlsplit(d.current_url).path == path and all(_params(d).get(k) == v for k, v in expected.items())

    try:
        wait_for(driver, timeout).until(ok)
    except Exception as exc:  # say what the address bar held
        raise AssertionError(f"{driver.current_url} is not {path} with {expected}") from exc


def _menu(driver, label: str) -> None:
    link = wait_for(driver, 20).until(
        EC.element_to_be_clickable((By.XPATH, f"//nav//a[contains(@class, 'nav-page-link')][. = '{label}']")))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()


def _shared_filters_shown(driver) -> None:
    meuse = driver.find_element(By.XPATH, "//label[contains(., 'Meuse (55)')]/preceding-sibling::input")
    marne = driver.find_element(By.XPATH, "//label[contains(., 'Haute-Marne (52)')]/preceding-sibling::input")
    assert meuse.is_selected() and not marne.is_selected()
    assert Select(driver.find_element(By.ID, "filter-month-from")).first_selected_option.get_attribute("value") \
        == "2025-01"
    assert Select(driver.find_element(By.ID, "filter-month-to")).first_selected_option.get_attribute("value") \
        == "2025-06"


def _stat_text(dash_duo, selector: str) -> str:
    wait_for(dash_duo.driver, 40).until(
        lambda d: d.find_element(By.CSS_SELECTOR, selector).text.strip() not in ("", "—"))
    return dash_duo.find_element(selector).text.strip()


def test_filters_and_a_page_control_survive_menu_clicks(dash_duo, served):
    login(dash_duo, served, *ARS)
    driver = dash_duo.driver
    driver.get(served + "/couverture")
    dash_duo.wait_for_element("#stat-cov-under", timeout=30)
    driver.find_element(By.XPATH, "//label[contains(., 'Meuse (55)')]").click()
    Select(driver.find_element(By.ID, "filter-month-from")).select_by_value("2025-01")
    Select(driver.find_element(By.ID, "filter-month-to")).select_by_value("2025-06")
    field = driver.find_element(By.ID, "coverage-threshold")
    assert field.get_attribute("value") == "2,5"  # French decimal comma
    field.clear()
    field.send_keys("3,5", Keys.ENTER)
    _wait_params(driver, "/couverture", {"dep": "55", "du": "2025-01", "au": "2025-06", "seuil": "3.5"})

    _menu(driver, "Téléconsultation")
    _wait_params(driver, "/teleconsultation", {"dep": "55", "du": "2025-01", "au": "2025-06"})
    dash_duo.wait_for_element("#stat-tc-completed", timeout=30)
    assert "seuil" not in _params(driver)  # a page's own control stays on its page
    _shared_filters_shown(driver)

    _menu(driver, "Couverture")
    _wait_params(driver, "/couverture", {"dep": "55", "du": "2025-01", "au": "2025-06", "seuil": "3.5"})
    wait_for(driver, 30).until(lambda d: d.find_element(By.ID, "coverage-threshold").get_attribute("value")
                                    == "3,5")
    _shared_filters_shown(driver)
    # a point typed is read too; junk is refused on the server and the field says so
    field = driver.find_element(By.ID, "coverage-threshold")
    field.clear()
    field.send_keys("1.5", Keys.ENTER)
    _wait_params(driver, "/couverture", {"seuil": "1.5"})
    field.clear()
    field.send_keys("beaucoup", Keys.ENTER)
    wait_for(driver, 20).until(lambda d: "is-invalid" in d.find_element(By.ID, "coverage-threshold")
                                    .get_attribute("class"))
    _wait_params(driver, "/couverture", {"dep": "55"})
    assert "seuil" not in _params(driver)  # back to the default threshold
    assert dash_duo.get_logs() == []


def test_a_shared_link_survives_sign_in(dash_duo, served, db):
    driver = dash_duo.driver
    query = {"dep": "55", "epci": EPCI_BAR_LE_DUC, "du": "2025-01", "au": "2025-06"}
    driver.get(served + "/teleconsultation?" + "&".join(f"{k}={v}" for k, v in query.items()))
    wait_for(driver, 20).until(EC.presence_of_element_located((By.ID, "email")))
    assert urlsplit(driver.current_url).path == "/login"
    driver.find_element(By.ID, "email").send_keys(ARS[0])
    driver.find_element(By.ID, "password").send_keys(ARS[1])
    driver.find_element(By.ID, "login-submit").click()
    _wait_params(driver, "/teleconsultation", query)
    shown = _stat_text(dash_duo, "#stat-tc-completed")

    scope = scope_for_user(db, get_by_email(db, email=ARS[0]), territory=TERRITORY)
    filters = parse_filters(query, today=date.today(), territory=TERRITORY)
    assert filters.epci == EPCI_BAR_LE_DUC
    view = teleconsultation_view(db, scope=scope, filters=filters)
    expected = next(s for s in view.stats if s.key == "tc-completed").value
    everywhere = teleconsultation_view(db, scope=scope, filters=parse_filters({}, today=date.today(),
                                                                              territory=TERRITORY))
    assert expected != next(s for s in everywhere.stats if s.key == "tc-completed").value  # the test can fail
    assert shown == expected
    assert Select(driver.find_element(By.ID, "filter-epci")).first_selected_option.get_attribute("value") \
        == EPCI_BAR_LE_DUC


def test_a_commune_clicked_on_the_overview_map_filters_the_kpis(dash_duo, served, db):
    login(dash_duo, served, *ARS)
    driver = dash_duo.driver
    driver.get(served + "/?dep=55&du=2025-01&au=2025-06")
    before = _stat_text(dash_duo, "#kpi-teleconsultations")
    dash_duo.wait_for_element("#overview-map .maplibregl-canvas", timeout=40)
    # a click on the map sends the commune's code as clickData, as MapLibre does under the pointer
    # (sent again until the graph has bound its events: the figure arrives after the canvas)
    bar_le_duc = "55029"
    for _ in range(8):
        driver.execute_script(
            "var g = document.querySelector('#overview-map .js-plotly-plot');"
            "if (g && g.emit && g.data && g.data.length) {"
            "  g.emit('plotly_click', {points: [{location: arguments[0], curveNumber: 0, pointNumber: 0}]}); }",
            bar_le_duc)
        try:
            _wait_params(driver, "/", {"dep": "55", "commune": bar_le_duc}, timeout=5)
            break
        except AssertionError:
            continue
    _wait_params(driver, "/", {"dep": "55", "commune": bar_le_duc, "du": "2025-01", "au": "2025-06"})
    # the card is redrawn as its callbacks answer: a stale element is read again, not an error
    wait_for(driver, 30).until(
        lambda d: d.find_element(By.ID, "kpi-teleconsultations").text.strip() not in ("", "—", before))

    scope = scope_for_user(db, get_by_email(db, email=ARS[0]), territory=TERRITORY)
    filters = parse_filters({"dep": "55", "commune": bar_le_duc, "du": "2025-01", "au": "2025-06"},
                            today=date.today(), territory=TERRITORY)
    view = overview_view(db, scope=scope, filters=filters)
    kpi = next(k for k in view.kpis if k.key == "teleconsultations")
    shown = fmt_number(kpi.value, kpi.decimals)
    wait_for(driver, 10).until(
        lambda d: d.find_element(By.ID, "kpi-teleconsultations").text.strip() == shown)


def test_the_next_user_of_a_tab_does_not_inherit_the_menu_memory(dash_duo, served):
    """The menu's memory (filters and page controls) lives in the tab's storage; sign-out clears it."""
    login(dash_duo, served, *ARS)
    driver = dash_duo.driver
    driver.get(served + "/couverture?dep=55&seuil=3.5")
    _wait_params(driver, "/couverture", {"dep": "55", "seuil": "3.5"})
    couverture = "//nav//a[contains(@class, 'nav-page-link')][. = 'Couverture']"
    wait_for(driver, 20).until(lambda d: "seuil=3.5" in d.find_element(By.XPATH, couverture)
                                    .get_attribute("href"))
    logout(dash_duo)
    assert driver.execute_script("return window.sessionStorage.length") == 0
    login(dash_duo, served, *ARS)
    driver.get(served + "/teleconsultation")
    dash_duo.wait_for_element("#stat-tc-completed", timeout=30)
    href = driver.find_element(By.XPATH, couverture).get_attribute("href")
    assert "seuil" not in href and "dep=55" not in href
