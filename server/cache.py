"""Query cache (Flask-Caching): keys carry the caller's access scope and each dataset's version."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from data.access import AccessScope
from data.views import VIEWS
from server.extensions import cache

T = TypeVar("T")
_VERSION_KEY = "dataset-version:{}"


def dataset_version(dataset: str) -> int:
    return int(cache.get(_VERSION_KEY.format(dataset)) or 0)


def bump(dataset: str) -> None:
    """Invalidate everything cached for a dataset (called by ingestion when it changes data).

    The version is a fresh timestamp that never expires, so concurrent bumps from several
    workers cannot cancel each other out.
    """
    cache.set(_VERSION_KEY.format(dataset), time.time_ns(), timeout=0)


def dataset_versions(datasets: Iterable[str]) -> str:
    """Every dataset's version in one round trip (`get_many`)."""
    names = sorted(set(datasets))
    values = cache.get_many(*[_VERSION_KEY.format(d) for d in names]) if names else []
    return ",".join(f"{d}={int(v or 0)}" for d, v in zip(names, values, strict=True))


def cache_key(namespace: str, scope: AccessScope, params: tuple, datasets: Iterable[str]) -> str:
    raw = f"{namespace}|{scope.cache_key}|{dataset_versions(datasets)}|{params!r}"
    return "q:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(namespace: str, *, scope: AccessScope, params: tuple, datasets: Iterable[str],
           compute: Callable[[], T]) -> T:
    """The value for (namespace, scope, params), computed once per dataset version."""
    key = cache_key(namespace, scope, params, tuple(datasets))
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    cache.set(key, value)
    return value


def page_view(name: str, *, session, scope: AccessScope, filters, options):
    """A page's view for the caller, cached once per (view, scope, filters, options, dataset versions):
    the page's callback and its exports read the same entry, in two cache round trips."""
    spec = VIEWS[name]
    return cached(f"view.{name}", scope=scope, params=(filters, options), datasets=spec.datasets,
                  compute=lambda: spec.compute(session, scope=scope, filters=filters, options=options))
