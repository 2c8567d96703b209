"""A user signs in and sees the overview: KPIs, the map, filters in the URL, a clean console."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_wrong_password_shows_a_french_message(dash_duo, served):
    login(dash_duo, served, "admin@demo.e-meuse-sante.fr", "mauvais-mot-de-passe", expect_success=False)
    dash_duo.wait_for_text_to_equal("#login-error", "Identifiant ou mot de passe incorrect.", timeout=10)
    assert "/login" in dash_duo.driver.current_url


def test_admin_sees_kpis_map_and_filters_in_the_url(dash_duo, served):
    login(dash_duo, served, "admin@demo.e-meuse-sante.fr", "demo-admin-2026")
    dash_duo.driver.get(served + "/?dep=55&du=2026-01&au=2026-06")
    dash_duo.wait_for_element("#kpi-teleconsultations", timeout=20)
    for kpi in ("teleconsultations", "poc_tests", "mobile_consultations", "gp_density"):
        assert dash_duo.find_element(f"#kpi-{kpi}").text not in ("", "—")
    dash_duo.wait_for_element("#overview-map .maplibregl-canvas", timeout=20)
    dash_duo.wait_for_contains_text("#overview-map-caption", "499 communes", timeout=20)
    # the URL carries the filters, and the menu links keep them
    assert dash_duo.driver.current_url.endswith("/?dep=55&du=2026-01&au=2026-06")
    brand = dash_duo.find_element("a.navbar-brand").get_attribute("href")
    assert brand.endswith("/?dep=55&du=2026-01&au=2026-06")
    assert dash_duo.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert dash_duo.get_logs() == []


def test_changing_a_filter_updates_kpis_and_url(dash_duo, served):
    login(dash_duo, served, "collectivites@demo.e-meuse-sante.fr", "demo-collectivites-2026")
    dash_duo.driver.get(served + "/?dep=55&du=2026-01&au=2026-06")
    dash_duo.wait_for_contains_text("#overview-map-caption", "499 communes", timeout=20)
    before = dash_duo.find_element("#kpi-teleconsultations").text
    dash_duo.driver.get(served + "/?dep=52,55&du=2026-01&au=2026-06")
    dash_duo.wait_for_contains_text("#overview-map-caption", "925 communes", timeout=20)
    after = dash_duo.find_element("#kpi-teleconsultations").text
    assert after != before
    assert dash_duo.get_logs() == []
