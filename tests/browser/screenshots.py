"""Headless-Chromium screenshots of every page as a given demo user (for reviewing the UI).

    .venv/bin/python -m tests.browser.screenshots --user ars --pages / /teleconsultation --out /tmp/shots
    .venv/bin/python -m tests.browser.screenshots --user ars --width 390 --height 844 --pages /   # a phone
    .venv/bin/python -m tests.browser.screenshots --user ars --print --pages /couverture         # print media
    .venv/bin/python -m tests.browser.screenshots --user ars --pages /biologie --click '#about-bio-tests'

With --full the screenshot covers the whole page height (the window is stretched to it).
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
    d = webdriver.Chrome(options=options)
    if width < 600:  # headless windows are at least ~500 px wide: emulate the phone's viewport instead
        phone_viewport(d, width, height)
    return d


def phone_viewport(d, width: int, height: int) -> None:
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8050")
    parser.add_argument("--user", default="admin", help="college slug, 'ars' or 'admin'")
    parser.add_argument("--pages", nargs="+", default=["/"])
    parser.add_argument("--out", default="/tmp/shots")
    parser.add_argument("--wait", type=float, default=6.0)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2200)
    parser.add_argument("--full", action="store_true", help="stretch the window to the page's height")
    parser.add_argument("--print", action="store_true", help="emulate print media (as the print stylesheet)")
    parser.add_argument("--click", help="CSS selector of an element clicked before the screenshot (a card's « ? »)")
    args = parser.parse_args()
    account = next(a for a in demo_accounts() if a.email.startswith(args.user + "@"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    d = driver(args.width, args.height)
    try:
        d.get(args.url + "/login")
        d.find_element(By.NAME, "email").send_keys(account.email)
        d.find_element(By.NAME, "password").send_keys(account.password)
        d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        time.sleep(1)
        if args.print:  # after signing in: the print stylesheet hides forms
            d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        for page in args.pages:
            d.get(args.url + page)
            time.sleep(args.wait)
            if args.click:
                d.find_element(By.CSS_SELECTOR, args.click).click()
                time.sleep(1)
            if args.full:
                height = d.execute_script("return document.documentElement.scrollHeight")
                d.set_window_size(args.width, height + 100)
                if args.width < 600:
                    phone_viewport(d, args.width, height + 100)
                time.sleep(1)
            slug = page.strip('/').split('?')[0].replace('/', '_') or 'overview'
            clicked = "_clic" if args.click else ""
            name = out / f"{args.user}_{slug}_{args.width}{clicked}{'_print' if args.print else ''}.png"
            d.save_screenshot(str(name))
            if args.full:
                d.set_window_size(args.width, args.height)
                if args.width < 600:
                    phone_viewport(d, args.width, args.height)
            errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
            print(name, "console errors:", errors or "none")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
