"""Headless-Chromium screenshots of every page as a given demo user (for reviewing the UI).

    .venv/bin/python -m tests.browser.screenshots --user ars --pages / /teleconsultation --out /tmp/shots
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By

from data.demo import demo_accounts


def driver(width: int = 1400, height: int = 2200) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8050")
    parser.add_argument("--user", default="admin", help="college slug, 'ars' or 'admin'")
    parser.add_argument("--pages", nargs="+", default=["/"])
    parser.add_argument("--out", default="/tmp/shots")
    parser.add_argument("--wait", type=float, default=6.0)
    args = parser.parse_args()
    account = next(a for a in demo_accounts() if a.email.startswith(args.user + "@"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    d = driver()
    try:
        d.get(args.url + "/login")
        d.find_element(By.NAME, "email").send_keys(account.email)
        d.find_element(By.NAME, "password").send_keys(account.password)
        d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        time.sleep(1)
        for page in args.pages:
            d.get(args.url + page)
            time.sleep(args.wait)
            name = out / f"{args.user}_{page.strip('/').split('?')[0].replace('/', '_') or 'overview'}.png"
            d.save_screenshot(str(name))
            errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
            print(name, "console errors:", errors or "none")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
