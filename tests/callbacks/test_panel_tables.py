"""Data tables travel as compact rows (formatted in French on the server) and are drawn by the browser."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from components.panel import TABLE_BODY, TABLE_DATA, TABLE_ROWS, panel_data, table_payload


def test_payload_is_french_text_with_numeric_columns_marked():
    df = pd.DataFrame({"Commune": ["Bar-le-Duc", "Verdun"], "Habitants": [14_732, 16_942],
                       "Part (%)": [12.5, None], "Au": [date(2026, 10, 31), date(2026, 10, 31)]})
    payload = table_payload(df, caption="Communes")
    assert payload["columns"] == ["Commune", "Habitants", "Part (%)", "Au"]
    assert payload["numeric"] == [False, True, True, False]
    assert payload["rows"][0][:3] == ["Bar-le-Duc", "14\u202f732", "12,5"]
    assert payload["rows"][1][2] == "—" and payload["rows"][0][3] == "31 octobre 2026"


def test_panel_data_sends_at_most_the_table_limit_and_says_so():
    df = pd.DataFrame({"n": range(TABLE_ROWS + 50)})
    out = json.dumps([c.to_plotly_json() if hasattr(c, "to_plotly_json") else c for c in
                      panel_data(caption="x", table=df, table_key="k")],
                     default=lambda o: o.to_plotly_json(), ensure_ascii=False)
    assert f'"type": "{TABLE_DATA}", "key": "k"' in out and f'"type": "{TABLE_BODY}", "key": "k"' in out
    assert "200 premières lignes sur 250" in out.replace("\u202f", " ")
    data = json.loads(out)
    store = _find(data, lambda c: isinstance(c, dict) and c.get("type") == "Store")
    assert len(store["props"]["data"]["rows"]) == TABLE_ROWS


def test_the_browser_renderer_is_shipped():
    js = (Path(__file__).resolve().parents[2] / "assets" / "tables.js").read_text(encoding="utf-8")
    assert "renderTable" in js and "createElement('table')" in js


def _find(node, match):
    """First component (as JSON) in a tree of components and lists that matches."""
    if isinstance(node, list):
        return next((f for f in (_find(child, match) for child in node) if f is not None), None)
    if not isinstance(node, dict):
        return None
    if match(node):
        return node
    return _find(node.get("props", {}).get("children"), match)
