"""Browser tests need Debian's chromium and chromium-driver: skipped outside CI when absent, fatal in CI."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from dash.testing.application_runners import BaseDashRunner
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Several test runs on one machine (worktrees, helpers) each take their own range of ports.
if os.environ.get("DASH_TEST_PORT"):
    BaseDashRunner._next_port = int(os.environ["DASH_TEST_PORT"])


def wait_for(driver, timeout: float) -> WebDriverWait:
    """A WebDriverWait that reads again an element Dash redrew between finding and reading it.

    Dash replaces a component's DOM node when its callback answers; a condition that finds an element and
    then reads it can hit the old node (StaleElementReferenceException): that is « not yet », not a failure.
    """
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


@pytest.fixture(autouse=True)
def _chromium_available():
    if shutil.which("chromedriver") and (shutil.which("chromium") or shutil.which("google-chrome")):
        return
    if os.environ.get("CI"):
        pytest.fail("chromium and chromium-driver are required in CI (apt-get install chromium chromium-driver)")
    pytest.skip("chromium / chromedriver not installed (browser tests run in CI)")


@pytest.fixture()
def served(dash_duo, app):
    """The app under test served by dash_duo's thread server; returns its base URL.

    (`start_server` would wait for the Dash page at `/`, which redirects anonymous users to /login.)
    """
    dash_duo.driver.set_window_size(1400, 1200)
    dash_duo.server(app.extensions["emeuse.dash"])
    return dash_duo.server.url.rstrip("/")


def login(dash_duo, base: str, email: str, password: str, *, expect_success: bool = True) -> None:
    driver = dash_duo.driver
    driver.get(base + "/login")
    wait_for(driver, 10).until(EC.presence_of_element_located((By.ID, "email")))
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    if expect_success:  # wait for the signed-in shell before navigating anywhere else
        wait_for(driver, 20).until(EC.presence_of_element_located((By.ID, "logout-link")))


def logout(dash_duo) -> None:
    """Sign out with the navbar's button (a POST form with its CSRF token), back on the sign-in page."""
    driver = dash_duo.driver
    button = wait_for(driver, 20).until(EC.element_to_be_clickable((By.ID, "logout-link")))
    driver.execute_script("arguments[0].click()", button)  # the header may be scrolled away: click it where it is
    wait_for(driver, 20).until(EC.presence_of_element_located((By.ID, "email")))


AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"


def axe_violations(dash_duo) -> list[tuple[str, str, int]]:
    """Serious or critical accessibility violations of the current page (axe-core 4)."""
    from axe_selenium_python import Axe

    axe = Axe(dash_duo.driver, script_url=str(AXE_SCRIPT))
    axe.inject()
    results = axe.run()
    return [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"]
            if v["impact"] in ("serious", "critical")]
