"""/compte: the second factor is enrolled from a QR code shown beside the key, and its recovery codes once."""
from __future__ import annotations

import os
import re
import uuid

import pyotp
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import delete, select

from tests.browser.conftest import login, wait_for

pytestmark = pytest.mark.browser
PASSWORD = "qr-navigateur-" + "x" * 12


@pytest.fixture()
def member(engine):
    from data.db import make_session_factory, session_scope
    from data.models import AuditEvent, RecoveryCode, User, UserSession
    from data.users import create_user

    email = f"qr-{uuid.uuid4().hex[:8]}@test.e-meuse-sante.fr"
    with session_scope(make_session_factory(engine)) as s:
        create_user(s, email=email, full_name="QR", password=PASSWORD, role="member", college="usagers")
    yield email
    with session_scope(make_session_factory(engine)) as s:
        user_id = s.scalar(select(User.id).where(User.email == email))
        for model in (AuditEvent, UserSession, RecoveryCode):
            s.execute(delete(model).where(model.user_id == user_id))
        s.execute(delete(User).where(User.id == user_id))


def test_enrolment_shows_a_scannable_qr_code_and_then_the_recovery_codes(dash_duo, served, member):
    driver = dash_duo.driver
    login(dash_duo, served, member, PASSWORD)
    driver.get(served + "/compte")
    wait_for(driver, 10).until(EC.element_to_be_clickable((By.ID, "totp-prepare"))).click()
    qr = wait_for(driver, 10).until(EC.visibility_of_element_located((By.ID, "totp-qr")))
    assert qr.size["width"] >= 120 and qr.size["width"] == qr.size["height"]  # drawn, square, big enough to scan
    secret = driver.find_element(By.ID, "totp-secret").text
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    if os.environ.get("SCREENSHOT_DIR"):
        driver.save_screenshot(os.path.join(os.environ["SCREENSHOT_DIR"], "compte-enrolement.png"))
    driver.find_element(By.ID, "code-on").send_keys(pyotp.TOTP(secret).now())
    driver.find_element(By.ID, "totp-enable").click()
    codes = wait_for(driver, 10).until(EC.visibility_of_element_located((By.ID, "recovery-codes")))
    assert len(codes.find_elements(By.TAG_NAME, "li")) == 10
    assert "10 codes de secours" in driver.find_element(By.ID, "recovery-left").text
    if os.environ.get("SCREENSHOT_DIR"):
        driver.save_screenshot(os.path.join(os.environ["SCREENSHOT_DIR"], "compte-codes.png"))
    assert not [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]  # CSP: nothing refused
