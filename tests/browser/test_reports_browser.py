"""/rapports in a browser: a member's generated report is listed with its download links."""
from __future__ import annotations

import os
from datetime import date, datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.conftest import login, wait_for
from tests.reports_support import OCTOBER_NOW, clear_reports

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "professionnels@demo.e-meuse-sante.fr", "demo-professionnels-2026"


@pytest.fixture()
def october_report(engine, demo_counts):
    from data import reports
    from data.access import scope_for_user
    from data.db import make_session_factory
    from data.report_content import user_by_email
    from tests.conftest import TERRITORY

    clear_reports(engine)
    with make_session_factory(engine)() as session:
        user = user_by_email(session, EMAIL)
        sub = reports.subscribe(session, scope=scope_for_user(session, user, territory=TERRITORY), actor=EMAIL,
                                pages=["teleconsultation"])
        session.commit()
        report = reports.generate(session, subscription_id=sub.id, month=date(2026, 10, 1), territory=TERRITORY,
                                  now=datetime.fromisoformat(OCTOBER_NOW))
        yield report.id
    clear_reports(engine)


def test_reports_page_lists_the_report_with_its_downloads(dash_duo, served, october_report):
    driver = dash_duo.driver
    login(dash_duo, served, EMAIL, PASSWORD)
    driver.get(served + "/rapports")
    row = wait_for(driver, 20).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".report-row")))
    assert "Octobre 2026" in row.text and "prêt" in row.text and "31 octobre 2026" in row.text
    pdf = row.find_element(By.CSS_SELECTOR, "a.report-pdf")
    assert pdf.get_attribute("href").endswith(f"/rapports/{october_report}.pdf")
    assert row.find_element(By.CSS_SELECTOR, "a.report-xlsx").get_attribute("href").endswith(".xlsx")
    state = driver.find_element(By.ID, "reports-state").text
    assert state == "Abonné : chaque mois, Téléconsultation."
    assert "Rapports" in driver.find_element(By.ID, "main-nav").text
    if os.environ.get("SCREENSHOT_DIR"):
        driver.save_screenshot(os.path.join(os.environ["SCREENSHOT_DIR"], "rapports.png"))
    assert dash_duo.get_logs() == []
