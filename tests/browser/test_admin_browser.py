"""An administrator changes a grant in the admin page; the member's view changes accordingly."""
from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.conftest import login, logout, wait_for

pytestmark = pytest.mark.browser
USAGERS_ROW = 3  # fourth college in the grants matrix
GRANT_CELL = f'#admin-grants-grid .ag-center-cols-container [row-index="{USAGERS_ROW}"] [col-id="biology"]'


@pytest.fixture()
def restore_usagers_grant(engine):
    yield
    from data.db import make_session_factory, session_scope
    from data.models import Grant

    with session_scope(make_session_factory(engine)) as s:
        s.get(Grant, ("usagers", "biology")).level = "none"


def choose_level(driver, selector: str, *, steps_down: int, expected: str, attempts: int = 3) -> None:
    """Edit a grants cell with the keyboard (open the list, arrows, Enter).

    AG Grid's popup sometimes closes before taking the keys; the interaction is repeated until the
    cell shows the new value (the server side is checked by the caller through the message).
    """
    def cell_text(d) -> str:
        try:
            return d.find_element(By.CSS_SELECTOR, selector).text  # rows are re-rendered: find it again
        except StaleElementReferenceException:
            return ""

    for _ in range(attempts):
        ActionChains(driver).double_click(driver.find_element(By.CSS_SELECTOR, selector)).perform()
        try:  # on a loaded machine the double click is sometimes lost: try again
            picker = wait_for(driver, 10).until(EC.presence_of_element_located(
                (By.CSS_SELECTOR, "#admin-grants-grid .ag-cell-inline-editing .ag-picker-field-wrapper")))
            picker.send_keys(Keys.ENTER)
            wait_for(driver, 10).until(lambda _d, p=picker: "ag-picker-expanded" in p.get_attribute("class"))
        except (TimeoutException, StaleElementReferenceException):
            continue
        for key in [Keys.ARROW_DOWN] * steps_down + [Keys.ENTER]:
            picker.send_keys(key)
        try:
            wait_for(driver, 3).until(lambda d: cell_text(d) == expected)
            return
        except TimeoutException:
            continue
    raise AssertionError(f"the grants cell never showed {expected!r}")


def test_grant_change_shows_biology_to_usagers(dash_duo, served, restore_usagers_grant):
    driver = dash_duo.driver
    login(dash_duo, served, "usagers@demo.e-meuse-sante.fr", "demo-usagers-2026")
    dash_duo.wait_for_element("#kpi-teleconsultations", timeout=20)
    assert not driver.find_elements(By.ID, "kpi-poc_tests")
    logout(dash_duo)

    login(dash_duo, served, "admin@demo.e-meuse-sante.fr", "demo-admin-2026")
    driver.get(served + "/admin")
    dash_duo.wait_for_element("#admin-users-grid .ag-row", timeout=20)
    driver.find_element(By.LINK_TEXT, "Droits d'accès").click()
    cell = wait_for(driver, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, GRANT_CELL)))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    assert cell.text == "aucun"
    choose_level(driver, GRANT_CELL, steps_down=2, expected="détail")
    dash_duo.wait_for_contains_text("#admin-grants-message", "Droit modifié", timeout=20)
    assert dash_duo.get_logs() == []
    logout(dash_duo)

    login(dash_duo, served, "usagers@demo.e-meuse-sante.fr", "demo-usagers-2026")
    dash_duo.wait_for_element("#kpi-poc_tests", timeout=20)
    assert dash_duo.get_logs() == []


def test_member_opening_the_admin_url_gets_a_french_refusal(dash_duo, served):
    login(dash_duo, served, "entreprises@demo.e-meuse-sante.fr", "demo-entreprises-2026")
    assert not dash_duo.driver.find_elements(By.LINK_TEXT, "Administration")
    dash_duo.driver.get(served + "/admin")
    dash_duo.wait_for_contains_text("#error-page", "Accès refusé", timeout=10)
