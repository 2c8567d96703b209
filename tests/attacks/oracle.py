"""What a signed-in summary-level user can learn, asked through the real HTTP routes only.

`Oracle.export` reads `/export/<key>.csv`, `Oracle.callback` posts to `/_dash-update-component` the
body a browser would send (built from the Dash callback map) and parses what the page shows: headline
cards (`stat-…`, `kpi-…`: value and detail lines) and the tables under the charts. Numbers are read as
the page writes them (French formatting) into `Shown` values: exact, rounded (an interval) or hidden.
Answers are cached per question; `requests` counts the HTTP requests actually made.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from tests.csv_exports import read_export

SMALL, SECONDARY = "< 11", "s"
NNBSP, NBSP = "\u202f", "\u00a0"
NUMBER_RE = re.compile(r"[−-]?\d+(?:[\u202f\u00a0 ]\d{3})*(?:,\d+)?")


@dataclass(frozen=True)
class Shown:
    """A published figure: hidden (label), or a value known to lie in [lo, hi) (lo == hi: exact)."""

    text: str
    lo: float | None = None
    hi: float | None = None
    decimals: int = 0

    @property
    def hidden(self) -> bool:
        return self.lo is None and self.text.strip() in (SMALL, SECONDARY)

    @property
    def missing(self) -> bool:
        return self.lo is None

    @property
    def exact(self) -> bool:
        return self.lo is not None and self.lo == self.hi

    @property
    def value(self) -> float | None:
        return self.lo if self.exact else None


def parse_shown(text, *, rounded: bool | None = None) -> Shown:
    """« 1 234 », « 1,8 », « 1,8 % », « < 11 », « s », « — » → Shown.

    A number with d decimals is read as rounded to d decimals ([x − ½·10⁻ᵈ, x + ½·10⁻ᵈ]) unless it is a
    whole count (no decimals and `rounded` not set), which is exact.
    """
    if text is None:
        return Shown("—")
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if isinstance(text, float) and math.isnan(text):
            return Shown("—")
        return Shown(str(text), float(text), float(text))
    raw = str(text).strip()
    if raw in (SMALL, SECONDARY) or raw.startswith(SMALL):
        return Shown(SMALL if raw.startswith(SMALL) else SECONDARY)
    m = NUMBER_RE.search(raw)
    if not m or raw in ("—", ""):
        return Shown(raw)
    return number(m.group(0), rounded=rounded)


def parse_csv(cell: str | None) -> Shown:
    """A CSV cell: « < 11 », « s », empty, a whole count (exact) or a float written by Python, read as rounded
    to the decimals it shows (the views round rates to 1 decimal, densities to 2)."""
    if cell is None or cell == "":
        return Shown("—")
    if cell in (SMALL, SECONDARY):
        return Shown(cell)
    try:
        return number(cell, raw_csv=True)
    except ValueError:
        return Shown(cell)


def number(token: str, *, rounded: bool | None = None, raw_csv: bool = False) -> Shown:
    t = token.replace(NNBSP, "").replace(NBSP, "").replace(" ", "").replace("−", "-")
    if raw_csv:  # CSV: a float with a decimal comma, or an int
        t = t.replace(",", ".")
        if "." in t:
            dec = len(t.split(".")[1])
            v = float(t)
            half = 0.5 * 10 ** -dec
            return Shown(token, v - half, v + half, dec) if rounded is not False else Shown(token, v, v, dec)
        v = float(t)
        return Shown(token, v, v)
    if "," in t:
        whole, frac = t.split(",")
        dec = len(frac)
        v = float(f"{whole}.{frac}")
        half = 0.5 * 10 ** -dec
        if rounded is False:
            return Shown(token, v, v, dec)
        return Shown(token, v - half, v + half, dec)
    v = float(t)
    if rounded:
        return Shown(token, v - 0.5, v + 0.5)
    return Shown(token, v, v)


def numbers_in(text: str) -> list[Shown]:
    """Every figure of a sentence, « < 11 » included, in order."""
    out = []
    for m in re.finditer(r"< 11|" + NUMBER_RE.pattern, text):
        tok = m.group(0)
        out.append(Shown(SMALL) if tok == SMALL else number(tok))
    return out


@dataclass
class Card:
    key: str
    value: str
    detail: str = ""


@dataclass
class Table:
    key: str
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, r, strict=False)) for r in self.rows]


@dataclass
class PageAnswer:
    cards: dict[str, Card] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # captions and other sentences


FILTER_IDS = {"filter-departements", "filter-month-from", "filter-month-to", "filter-epci", "filter-commune"}
DEFAULT_CONTROLS = {"workforce-profession": "medecin_gp", "workforce-scale": "commune", "coverage-threshold": "2.5",
                    "coverage-exclude": ["65"], "coverage-layers": ["teleconsultation", "mobile"],
                    "coverage-sort": "habitants", "programme-experiment": "teleconsultation"}


def _output_spec(key: str) -> list[dict]:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return out


class Oracle:
    """A summary-level user (default: college « usagers ») asking the app, through HTTP only."""

    def __init__(self, app, who: str = "usagers", max_requests: int = 5000) -> None:
        from data import demo

        self.app = app
        self.client = app.test_client()
        self.requests = 0
        self.max_requests = max_requests
        self._cache: dict = {}
        account = next(a for a in demo.demo_accounts() if a.email.startswith(who + "@"))
        page = self._get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = self._post("/login", data={"email": account.email, "password": account.password, "csrf_token": token})
        assert r.status_code in (200, 302), r.status_code
        self._get("/")
        self.headers = {"X-CSRFToken": self.client.get_cookie("_csrf_token").value}
        self.callbacks = self._page_callbacks()

    # --- counted HTTP ---------------------------------------------------------------------------
    def _count(self) -> None:
        self.requests += 1
        assert self.requests <= self.max_requests, "request budget exhausted"

    def _get(self, url: str, **kw):
        self._count()
        return self.client.get(url, **kw)

    def _post(self, url: str, **kw):
        self._count()
        return self.client.post(url, **kw)

    # --- exports -----------------------------------------------------------------------------------
    @staticmethod
    def query(deps, month_from: str, month_to: str, **params) -> str:
        from urllib.parse import urlencode

        args = {}
        if deps:
            args["dep"] = ",".join(sorted(deps))
        args.update({"du": month_from, "au": month_to})
        args.update({k: (",".join(v) if isinstance(v, (list, tuple)) else v) for k, v in params.items()
                     if v is not None})
        return "?" + urlencode(args, safe=",")

    def export(self, key: str, deps, month_from: str, month_to: str, **params) -> list[dict[str, str]]:
        """Rows of /export/<key>.csv as {header: cell text} (cells as the CSV writes them)."""
        url = f"/export/{key}.csv" + self.query(deps, month_from, month_to, **params)
        if url not in self._cache:
            r = self._get(url)
            assert r.status_code == 200, (url, r.status_code)
            _metadata, header, rows = read_export(r.get_data(as_text=True))
            self._cache[url] = [dict(zip(header, row, strict=True)) for row in rows]
        return self._cache[url]

    # --- callbacks ---------------------------------------------------------------------------------
    def _page_callbacks(self) -> dict[str, tuple[str, dict]]:
        dash_app = self.app.extensions["emeuse.dash"]
        out = {}
        for key, spec in dash_app.callback_map.items():
            first = _output_spec(key)[0]["id"]
            if not isinstance(first, str):
                continue
            page = first.split("-")[0]
            if first.endswith("-stats") or first == "overview-kpis":
                out[page] = (key, spec)
        return out

    def callback(self, page: str, deps, month_from: str, month_to: str, *, epci: str = "tous",
                 commune: str = "tous", **controls) -> PageAnswer:
        values = {"filter-departements": sorted(deps or []), "filter-month-from": month_from,
                  "filter-month-to": month_to, "filter-epci": epci, "filter-commune": commune}
        for k, v in controls.items():
            values[f"{page}-{k}"] = v
        key, spec = self.callbacks[page]
        inputs = []
        for item in spec["inputs"]:
            cid = json.loads(item["id"]) if item["id"].startswith("{") else item["id"]
            value = 0 if item["property"] == "n_intervals" else values.get(cid, DEFAULT_CONTROLS.get(cid))
            inputs.append({"id": cid, "property": item["property"], "value": value})
        body = {"output": key, "outputs": _output_spec(key), "inputs": inputs, "state": [],
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        ck = json.dumps(body, sort_keys=True)
        if ck not in self._cache:
            r = self._post("/_dash-update-component", json=body, headers=self.headers)
            assert r.status_code == 200, (page, r.status_code, r.get_data(as_text=True)[:300])
            self._cache[ck] = parse_response(r.get_json())
        return self._cache[ck]


def _walk(node, answer: PageAnswer) -> None:
    if isinstance(node, list):
        for n in node:
            _walk(n, answer)
        return
    if not isinstance(node, dict):
        return
    if "props" in node and "type" in node:
        props = node["props"]
        cid = props.get("id")
        if isinstance(cid, str) and (cid.startswith("stat-") or cid.startswith("kpi-")):
            answer.cards[cid] = Card(cid, _text(props.get("children")))
            answer._last_card = cid  # type: ignore[attr-defined]
        elif isinstance(cid, dict) and cid.get("type") == "table-data":
            data = props.get("data") or {}
            answer.tables[cid["key"]] = Table(cid["key"], data.get("columns", []), data.get("rows", []),
                                              data.get("caption", ""))
        elif node["type"] == "P" and getattr(answer, "_last_card", None):
            # the lines after a card's value, inside the same card body
            card = answer.cards[answer._last_card]  # type: ignore[attr-defined]
            card.detail = (card.detail + " " + _text(props.get("children"))).strip()
        elif node["type"] == "P":
            answer.texts.append(_text(props.get("children")))
        if node["type"] in ("Card",):
            answer._last_card = None  # type: ignore[attr-defined]
            _walk(props.get("children"), answer)
            answer._last_card = None  # type: ignore[attr-defined]
            return
        _walk(props.get("children"), answer)
        return
    for v in node.values():
        _walk(v, answer)


def _text(children) -> str:
    if children is None:
        return ""
    if isinstance(children, str):
        return children
    if isinstance(children, (int, float)):
        return str(children)
    if isinstance(children, list):
        return " ".join(t for t in (_text(c) for c in children) if t)
    if isinstance(children, dict):
        return _text(children.get("props", {}).get("children"))
    return ""


def parse_response(payload: dict) -> PageAnswer:
    answer = PageAnswer()
    for _cid, props in (payload.get("response") or {}).items():
        for prop, value in props.items():
            if prop == "figure":
                continue
            _walk(value, answer)
    return answer


def fraction(x: float) -> Fraction:
    return Fraction(x).limit_denominator(10**9)
