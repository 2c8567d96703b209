"""Chart axes as Chromium draws them: French month names (« janv. », « juin »), never « Jun » or « Dec »."""
from __future__ import annotations

import re

import pytest

from data.demo import demo_accounts
from data.formatting import MONTH_ABBR_FR
from tests.browser.conftest import login, wait_for

pytestmark = pytest.mark.browser
ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def test_weekly_axis_reads_french_months(dash_duo, served):
    account = next(a for a in demo_accounts() if a.email.startswith("collectivites@"))  # teleconsultation: detail
    login(dash_duo, served, account.email, account.password)
    driver = dash_duo.driver
    driver.get(served + "/teleconsultation?dep=55&du=2026-01&au=2026-10")
    ticks = "#teleconsultation-weekly-graph .xtick text"
    # read in one script: the figure may be redrawn between finding a tick and reading it (a stale element)
    # the empty figure drawn before the data arrives has numeric ticks (−1, 0, 1…): wait for date ticks
    def date_ticks(d):
        found = d.execute_script("return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)",
                                 ticks)
        return found if len(found) >= 3 and any(re.search(r"[^\d\s,.−-]", t) for t in found) else False

    labels = wait_for(driver, 40).until(date_ticks)
    assert not [t for t in labels if ENGLISH_MONTHS.search(t)], labels
    assert any(abbr in t for t in labels for abbr in MONTH_ABBR_FR), labels
    assert dash_duo.get_logs() == []
