"""KPI cards are rendered before and independently of the charts: on every dashboard page one callback
fills the cards (and writes the page's `ready` store), another — triggered only by that store — fills the
figures and tables, and the second reads the view the first one cached."""
from __future__ import annotations

import json
from contextvars import copy_context

import pytest

from callbacks.common import SAMPLE_FILTERS
from pages._shell import ready_id

PAGES = ("overview", "teleconsultation", "mobile", "biology", "workforce", "coverage", "programme", "feeds")
CARDS = {"overview": "overview-kpis"}  # else `<page>-stats`


def _callbacks(app) -> list[tuple[list[str], list[str], list[str]]]:
    """(outputs, inputs, states) of every server callback, as 'id.property' strings."""
    out = []
    for key, spec in app.extensions["emeuse.dash"].callback_map.items():
        if "_pages_" in key or "callback" not in spec:
            continue
        outputs = [o.strip(".") for o in (key[2:-2].split("...") if key.startswith("..") else [key])]
        out.append((outputs, [f"{d['id']}.{d['property']}" for d in spec["inputs"]],
                    [f"{d['id']}.{d['property']}" for d in spec["state"]]))
    return out


def _ready(page: str) -> str:
    return json.dumps(ready_id(page), sort_keys=True, separators=(",", ":")) + ".data"


@pytest.mark.parametrize("page", PAGES)
def test_cards_and_figures_are_two_callbacks_chained_by_the_ready_store(app, page):
    callbacks = _callbacks(app)
    cards_output = f"{CARDS.get(page, f'{page}-stats')}.children"
    [cards] = [c for c in callbacks if cards_output in c[0]]
    after = [c for c in callbacks if _ready(page) in c[1]]  # the figures, and a page's further sections (/flux)
    assert _ready(page) in cards[0]  # the cards callback says when the view is cached
    assert not any(o.endswith(".figure") for o in cards[0])  # ... and draws no chart
    assert any(o.endswith(".figure") for c in after for o in c[0])
    for figures in after:
        assert cards_output not in figures[0]
        assert figures[1] == [_ready(page)]  # they run only after the cards, reading the controls as State
        assert not set(cards[1]) & set(figures[0])  # the cards depend on nothing the figures produce


def test_no_callback_sends_cards_and_charts_together(app):
    for outputs, _, _ in _callbacks(app):
        cards = [o for o in outputs if o.endswith("-stats.children") or o.startswith("overview-kpis.")]
        assert not (cards and any(o.endswith(".figure") for o in outputs)), outputs


def test_the_figures_callback_reads_the_view_the_cards_callback_cached(app, as_user, monkeypatch):
    from callbacks.teleconsultation import teleconsultation_cards, teleconsultation_figures
    from server.extensions import cache

    writes = []
    original = cache.set
    monkeypatch.setattr(cache, "set", lambda *a, **k: writes.append(a[0]) or original(*a, **k))
    with as_user("admin@demo.e-meuse-sante.fr"):
        cache.clear()
        ready = copy_context().run(lambda: teleconsultation_cards(*SAMPLE_FILTERS, 0))[-1]
        assert len(writes) == 1  # the view, computed once
        figures = copy_context().run(lambda: teleconsultation_figures(ready, *SAMPLE_FILTERS))
    assert len(writes) == 1  # a cache hit: nothing computed again
    assert figures[0]["data"] and figures[2]["data"]
