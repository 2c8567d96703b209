"""Locust users of the dashboard (run by bench/loadtest.py; needs only locust, not the app).

Each user signs in, then opens pages, changes filters and keeps live pages polling, sending the same
requests as a browser: the page, its layout, then the page's callback with the filters.
"""
from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, task

with open(os.environ["EMEUSE_LOAD_PLAN"], encoding="utf-8") as fh:
    PLAN = json.load(fh)  # {"accounts": [[email, password], ...], "pages": {page: {"path": ..., "body": {...}}}}
LIVE = [p for p in PLAN["pages"] if PLAN["pages"][p]["live"]]
DEPARTEMENTS = ["52", "54", "55"]
MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][:22]


class DashboardUser(HttpUser):
    wait_time = between(2, 6)

    def on_start(self) -> None:
        email, password = random.choice(PLAN["accounts"])
        form = self.client.get("/login", name="GET /login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        self.client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                         name="POST /login")
        self.client.get("/", name="GET page")
        self.headers = {"X-CSRFToken": self.client.cookies.get("_csrf_token", "")}
        self.page = random.choice(list(PLAN["pages"]))
        self.ticks = 0

    def _callback(self, page: str, *, filters: dict | None = None, tick: int = 0) -> None:
        """The page's cards callback with the filters, then (as the browser does when the cards' `ready`
        store changes) its figures callback, which reads the view the first one cached."""
        for kind, name in (("body", "callback"), ("figures", "figures")):
            if not PLAN["pages"][page].get(kind):
                continue
            body = json.loads(json.dumps(PLAN["pages"][page][kind]))
            for item in body["inputs"] + body.get("state", []):
                if filters and item["id"] in filters:
                    item["value"] = filters[item["id"]]
                if item["property"] == "n_intervals":
                    item["value"] = tick
            with self.client.post("/_dash-update-component", json=body, headers=self.headers,
                                  name=f"{name} {page}", catch_response=True) as response:
                if response.status_code not in (200, 204):
                    response.failure(f"HTTP {response.status_code}")
                    return

    @task(3)
    def open_page(self) -> None:
        self.page = random.choice(list(PLAN["pages"]))
        self.client.get(PLAN["pages"][self.page]["path"], name="GET page")
        self.client.get("/_dash-layout", name="GET /_dash-layout")
        self._callback(self.page)

    @task(3)
    def change_filters(self) -> None:
        start = random.randrange(len(MONTHS) - 3)
        deps = sorted(random.sample(DEPARTEMENTS, random.randint(1, 3)))
        self._callback(self.page, filters={"filter-departements": deps, "filter-month-from": MONTHS[start],
                                           "filter-month-to": MONTHS[random.randrange(start, len(MONTHS))]})

    @task(4)
    def poll_live_page(self) -> None:
        self.ticks += 1
        self._callback(random.choice(LIVE), tick=self.ticks)
