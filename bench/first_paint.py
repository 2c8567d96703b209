"""First paint in headless Chromium: time from navigation to the KPI cards visible and to every chart drawn.

    python -m bench.first_paint                                  # starts app.py on --port (demo database, S scale)
    python -m bench.first_paint --url http://127.0.0.1:8050      # against a running `make run`
    python -m bench.first_paint --save /tmp/before.json          # keep the figures ...
    python -m bench.first_paint --against /tmp/before.json       # ... and print them next to this run's
    make bench-first-paint

For each page, signed in as `--user`, the page is opened `--runs` times by a full navigation (the
browser keeps its HTTP cache, as a user moving through the menu with Ctrl+clic or a shared link does).
A script installed before any of the page's own (`Page.addScriptToEvaluateOnNewDocument`) watches
the document every animation frame and records `performance.now()` — milliseconds since the
navigation started — when:
- `kpis`: the first headline card's value (`.kpi-card .kpi-value`) has text and is visible
  (not under a loading overlay);
- `charts`: every Plotly graph of the page holds the server's figure (its layout carries the French
  `separators` every figure builder sets) and every map subplot's MapLibre map reports `loaded()`
  (geometry fetched and drawn).
Budgets (issue #14): KPIs ≤ 1 000 ms, charts ≤ 2 500 ms. The table gives the median and the worst
run. Tests never assert timings: this prints.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/teleconsultation", "/cabinets-mobiles", "/biologie", "/professionnels", "/couverture",
         "/programme"]
BUDGET_KPIS_MS, BUDGET_CHARTS_MS = 1000, 2500

WATCH = """
(function () {
  var marks = window.__firstPaint = {kpis: null, charts: null};
  function shown(el) {
    if (!el) { return false; }
    if (el.checkVisibility && !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) { return false; }
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }
  function visible(el) { return !!el && !!el.textContent.trim() && shown(el); }
  function mapsLoaded(gd) {
    var full = gd._fullLayout || {};
    return Object.keys(full).filter(function (k) { return /^map\\d*$/.test(k); }).every(function (k) {
      var sub = full[k] && full[k]._subplot;
      return sub && sub.map && sub.map.loaded();
    });
  }
  function chartsDrawn() {
    var graphs = document.querySelectorAll('.dash-graph');
    if (!graphs.length) { return false; }
    return Array.prototype.every.call(graphs, function (g) {
      var gd = g.querySelector('.js-plotly-plot');
      return gd && gd.layout && gd.layout.separators && gd._fullLayout && !gd._transitioning
        && shown(gd) && mapsLoaded(gd);
    });
  }
  function tick() {
    var now = performance.now();
    if (marks.kpis === null && visible(document.querySelector('.kpi-card .kpi-value'))) { marks.kpis = now; }
    if (marks.charts === null && chartsDrawn()) { marks.charts = now; }
    if (marks.kpis === null || marks.charts === null) { requestAnimationFrame(tick); }
  }
  requestAnimationFrame(tick);
})();
"""


def chrome(width: int, height: int):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options)


def sign_in(driver, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from data.demo import demo_accounts

    account = next(a for a in demo_accounts() if a.email.startswith(user + "@"))
    driver.get(base + "/login")
    driver.find_element(By.NAME, "email").send_keys(account.email)
    driver.find_element(By.NAME, "password").send_keys(account.password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "logout-link")))


def measure(driver, url: str, timeout: float) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.05).until(
            lambda d: d.execute_script("var m = window.__firstPaint; return m && m.charts !== null"
                                       " && (m.kpis !== null || !document.querySelector('.kpi-card'));"))
    except Exception:  # noqa: BLE001 — a page that never finishes is reported as such
        pass
    marks = driver.execute_script("return window.__firstPaint || {};")
    return {"kpis": marks.get("kpis"), "charts": marks.get("charts")}


def start_app(port: int) -> subprocess.Popen:
    """`python app.py` on the demo database (created and filled on its first start)."""
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env={**os.environ, "PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("app.py exited before answering /healthz") from None
            time.sleep(1)
    proc.terminate()
    raise SystemExit("app.py did not answer /healthz within 10 minutes")


def _ms(value) -> str:
    return "—" if value is None else f"{value:,.0f}".replace(",", "\u202f")


def summarise(samples: list[dict]) -> dict:
    out = {}
    for key in ("kpis", "charts"):
        values = [s[key] for s in samples if s[key] is not None]
        out[key] = {"median": statistics.median(values) if values else None, "max": max(values) if values else None,
                    "missing": len(samples) - len(values)}
    return out


def print_table(results: dict, against: dict | None, width: int) -> None:
    head = f"{'page':20} {'KPIs médiane':>12} {'pire':>7} {'graphiques médiane':>18} {'pire':>7}"
    if against:
        head += f" {'avant: KPIs':>12} {'graphiques':>11}"
    print(f"# {width} px — budgets : KPIs ≤ {BUDGET_KPIS_MS} ms, graphiques ≤ {BUDGET_CHARTS_MS} ms (ms depuis la "
          "navigation)")
    print(head)
    for page, r in results.items():
        line = (f"{page:20} {_ms(r['kpis']['median']):>12} {_ms(r['kpis']['max']):>7} "
                f"{_ms(r['charts']['median']):>18} {_ms(r['charts']['max']):>7}")
        if against and page in against:
            b = against[page]
            line += f" {_ms(b['kpis']['median']):>12} {_ms(b['charts']['median']):>11}"
        missing = r["kpis"]["missing"] + r["charts"]["missing"]
        print(line + (f"  ({missing} mesure(s) non atteinte(s))" if missing else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running app (else app.py is started on --port)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("FIRST_PAINT_PORT", "8059")))
    parser.add_argument("--user", default="ars", help="college slug, 'ars' or 'admin'")
    parser.add_argument("--pages", nargs="+", default=PAGES)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--save", type=Path, help="write this run's figures (JSON)")
    parser.add_argument("--against", type=Path, help="an earlier --save, printed beside this run")
    args = parser.parse_args()
    proc = None if args.url else start_app(args.port)
    base = (args.url or f"http://127.0.0.1:{args.port}").rstrip("/")
    driver = chrome(args.width, args.height)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
        sign_in(driver, base, args.user)
        for page in args.pages:  # once, untimed: the server's cache and the browser's HTTP cache are warm
            measure(driver, base + page, args.timeout)
        results = {}
        for page in args.pages:
            results[page] = summarise([measure(driver, base + page, args.timeout) for _ in range(args.runs)])
    finally:
        driver.quit()
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"# e-Meuse Santé first paint, headless Chromium, user {args.user}, {args.runs} runs per page, "
          f"{os.cpu_count()} CPU, {time.strftime('%Y-%m-%d %H:%M')}")
    print_table(results, json.loads(args.against.read_text()) if args.against else None, args.width)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
