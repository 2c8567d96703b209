"""The « Méthodes » page is generated from the registry: every entry, with its formula and sources."""
from __future__ import annotations

import json

import dash

from components.navbar import visible_pages
from data.access import AccessScope
from data.indicators import INDICATORS
from data.models import Dataset
from data.terminology import BIOLOGY_TESTS


def _json(component) -> dict:
    return json.loads(json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json(),
                                 ensure_ascii=False))


def _by_id(node, found: dict) -> dict:
    if isinstance(node, dict):
        props = node.get("props", node)
        if isinstance(props, dict) and isinstance(props.get("id"), str):
            found[props["id"]] = props
        for value in node.values():
            _by_id(value, found)
    elif isinstance(node, list):
        for item in node:
            _by_id(item, found)
    return found


def _text(node) -> str:
    return json.dumps(node, ensure_ascii=False)


def test_methods_page_lists_every_entry_with_its_formula_and_sources(app):
    from pages.methods import layout

    page = _json(layout())
    anchors = _by_id(page, {})
    for key, entry in INDICATORS.items():
        assert key in anchors, key
        text = _text(anchors[key])
        assert entry.name in text and entry.formula in text and entry.definition in text, key
        assert all(part in text for part in entry.source_text.split(" ; ")), key
    tests = _text(anchors["methodes-examens"])
    for t in BIOLOGY_TESTS:
        assert t.loinc in tests and t.label in tests and t.unit in tests
    assert "< 11" in _text(anchors["secret-statistique"]) and "SNDS" in _text(anchors["secret-statistique"])


def test_methods_page_is_listed_for_every_signed_in_user(app):
    nothing = AccessScope(3, "member", "usagers", frozenset({"55"}), tuple((d.value, "none") for d in Dataset))
    with app.test_request_context("/"):
        paths = [p["path"] for p in visible_pages(nothing)]
    assert "/methodes" in paths
    assert dash.page_registry["pages.methods"]["dataset"] is None
