"""The query cache never serves one college's answer to another, and ingestion invalidates it."""
from __future__ import annotations

from callbacks.overview import overview_cards, overview_figures
from data.access import AccessScope
from server.cache import bump, cache_key, cached


def update_overview(*args):
    """KPIs, map, caption and time stamp: the overview's two callbacks, cards first."""
    *filters, tick = args
    kpis, stamp, ready = overview_cards(*filters, tick)
    figure, caption, _map_state = overview_figures(ready, *filters)
    return kpis, figure, caption, stamp


def _scope(college: str, level: str) -> AccessScope:
    return AccessScope(1, "member", college, frozenset({"55"}), (("workforce", level),))


def test_same_filters_different_scopes_different_entries(app):
    calls = []
    with app.app_context():
        a = cached("t", scope=_scope("usagers", "summary"), params=("55",), datasets=["workforce"],
                   compute=lambda: calls.append("a") or "answer for usagers")
        b = cached("t", scope=_scope("collectivites", "detail"), params=("55",), datasets=["workforce"],
                   compute=lambda: calls.append("b") or "answer for collectivites")
        again = cached("t", scope=_scope("usagers", "summary"), params=("55",), datasets=["workforce"],
                       compute=lambda: calls.append("c") or "recomputed")
    assert (a, b, again) == ("answer for usagers", "answer for collectivites", "answer for usagers")
    assert calls == ["a", "b"]


def test_bump_invalidates_only_its_dataset(app):
    with app.app_context():
        scope = _scope("usagers", "summary")
        before = cache_key("t", scope, (), ["workforce"])
        other = cache_key("t", scope, (), ["biology"])
        bump("workforce")
        assert cache_key("t", scope, (), ["workforce"]) != before
        assert cache_key("t", scope, (), ["biology"]) == other


def test_an_evicted_version_never_brings_back_an_older_key(app):
    """A version dropped by the cache (SimpleCache prunes when full, Redis evicts) must not read as « no change »:
    the key of the state before the bump, and whatever was cached under it, would come back."""
    from server.cache import _VERSION_KEY
    from server.extensions import cache

    with app.app_context():
        scope = _scope("usagers", "summary")
        cache.delete(_VERSION_KEY.format("workforce"))
        old = cache_key("t", scope, (), ["workforce"])
        bump("workforce")
        new = cache_key("t", scope, (), ["workforce"])
        cache.delete(_VERSION_KEY.format("workforce"))  # evicted
        after = cache_key("t", scope, (), ["workforce"])
        assert after not in (old, new)
        assert cache_key("t", scope, (), ["workforce"]) == after  # stable once replaced


def test_versions_survive_a_full_simple_cache(app):
    """SimpleCache removes the entries that expire first when over its threshold: versions must not be those."""
    from server.extensions import cache

    with app.app_context():
        scope = _scope("usagers", "summary")
        bump("workforce")
        key = cache_key("t", scope, (), ["workforce"])
        for i in range(1200):  # more than SimpleCache's threshold of 500 entries
            cache.set(f"filler:{i}", i)
        assert cache_key("t", scope, (), ["workforce"]) == key


def test_overview_for_two_colleges_with_the_same_filters(as_user):
    args = (["55", "52"], "2026-01", "2026-06", "tous", "tous", 0)
    with as_user("usagers@demo.e-meuse-sante.fr"):
        usagers = update_overview(*args)
    with as_user("collectivites@demo.e-meuse-sante.fr"):
        collectivites = update_overview(*args)
    with as_user("usagers@demo.e-meuse-sante.fr"):
        usagers_again = update_overview(*args)
    # summary (one value per département) vs detail (one per commune), each served to its own college
    assert len(set(usagers[1]["data"][0]["z"])) <= 2
    assert len(set(collectivites[1]["data"][0]["z"])) > 10
    assert usagers_again[1] == usagers[1]
