"""Query cache (Flask-Caching): keys carry the caller's access scope and each dataset's version."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from data.access import AccessScope
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


def cache_key(namespace: str, scope: AccessScope, params: tuple, datasets: Iterable[str]) -> str:
    versions = ",".join(f"{d}={dataset_version(d)}" for d in sorted(datasets))
    raw = f"{namespace}|{scope.cache_key}|{versions}|{params!r}"
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
