"""An administrator changes a grant in the admin page; the member's view changes accordingly."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import login

pytestmark = pytest.mark.browser
USAGERS_ROW = 3  # fourth college in the grants matrix


@pytest.fixture()
def restore_usagers_grant(engine):
    yield
    from data.db import make_session_factory, session_scope
    from data.models import Grant

    with session_scope(make_session_factory(engine)) as s:
        s.get(Grant, ("usagers", "biology")).level = "none"


def test_grant_change_shows_biology_to_usagers(dash_duo, served, restore_usagers_grant):
    driver = dash_duo.driver
    login(dash_duo, served, "usagers@demo.e-meuse-sante.fr", "demo-usagers-2026")
    dash_duo.wait_for_element("#kpi-teleconsultations", timeout=20)
    assert not driver.find_elements(By.ID, "kpi-poc_tests")
    driver.get(served + "/logout")

    login(dash_duo, served, "admin@demo.e-meuse-sante.fr", "demo-admin-2026")
    driver.get(served + "/admin")
    dash_duo.wait_for_element("#admin-users-grid .ag-row", timeout=20)
    driver.find_element(By.LINK_TEXT, "Droits d'accès").click()
    cell = WebDriverWait(driver, 20).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f'#admin-grants-grid .ag-center-cols-container [row-index="{USAGERS_ROW}"] '
                          '[col-id="biology"]')))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    assert cell.text == "aucun"
    ActionChains(driver).double_click(cell).perform()
    WebDriverWait(driver, 10).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, "#admin-grants-grid .ag-cell-inline-editing .ag-picker-field-wrapper"))).click()
    option = WebDriverWait(driver, 10).until(EC.element_to_be_clickable(
        (By.XPATH, "//*[contains(@class,'ag-list-item') and normalize-space()='détail']")))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", option)
    option.click()
    dash_duo.wait_for_contains_text("#admin-grants-message", "Droit modifié", timeout=20)
    assert dash_duo.get_logs() == []
    driver.get(served + "/logout")

    login(dash_duo, served, "usagers@demo.e-meuse-sante.fr", "demo-usagers-2026")
    dash_duo.wait_for_element("#kpi-poc_tests", timeout=20)
    assert dash_duo.get_logs() == []


def test_member_opening_the_admin_url_gets_a_french_refusal(dash_duo, served):
    login(dash_duo, served, "entreprises@demo.e-meuse-sante.fr", "demo-entreprises-2026")
    assert not dash_duo.driver.find_elements(By.LINK_TEXT, "Administration")
    dash_duo.driver.get(served + "/admin")
    dash_duo.wait_for_contains_text("#error-page", "Accès refusé", timeout=10)
