"""Automated accessibility audit (axe-core): no serious or critical violation on any page."""
from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, login

pytestmark = pytest.mark.browser


def test_sign_in_page(dash_duo, served):
    dash_duo.driver.get(served + "/login")
    dash_duo.wait_for_element("#login-submit", timeout=10)
    assert axe_violations(dash_duo) == []


@pytest.mark.parametrize("path,ready", [
    ("/?dep=55&du=2026-01&au=2026-06", "#overview-map .maplibregl-canvas"),
    ("/admin", "#admin-users-grid .ag-row"),
    ("/compte", "#password-submit"),
    ("/api/v1/docs", "#biology-results"),
])
def test_signed_in_pages(dash_duo, served, path, ready):
    login(dash_duo, served, "admin@demo.e-meuse-sante.fr", "demo-admin-2026")
    dash_duo.driver.get(served + path)
    dash_duo.wait_for_element(ready, timeout=20)
    assert axe_violations(dash_duo) == []
    assert dash_duo.get_logs() == []
