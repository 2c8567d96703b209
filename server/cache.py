"""Query cache (Flask-Caching): keys carry the caller's access scope and the versions of the data they read.

Versions are kept per dataset and per (dataset, month):
- `dataset-version:<d>` changes with every change of the dataset: a view that reads it as a whole (latest
  states, trailing windows, all-time figures) carries it;
- `dataset-version:<d>:base` changes when something not tied to months changes (a registry import, a rollup
  rebuild, an indicator or a practitioner, a planner scenario);
- `dataset-version:<d>:<YYYY-MM>` changes when an event of that month (its `day`) arrives or moves: a view that
  declares the months it reads (`register_view(..., months=...)`) carries `base` and those months only, so
  today's events do not invalidate a past year's figures.
Every version a key needs is read in one `get_many`. Each version is `(timestamp, WAL position)`: the position of
the primary right after the change was committed (None without a replica). A view computed on the replica is
computed only once the replica has replayed the highest position its key's versions name (`view_session`), so a
cached page never shows data older than its key claims.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy.exc import DBAPIError, OperationalError

from data.access import AccessScope
from data.views import VIEWS
from server.extensions import cache

T = TypeVar("T")
_VERSION_KEY = "dataset-version:{}"
_BASE_KEY = "dataset-version:{}:base"
_MONTH_KEY = "dataset-version:{}:{:%Y-%m}"
# Versions expire (every bump renews them): SimpleCache prunes never-expiring entries first
# when it is full, which dropped versions under load. A version missing for any reason (evicted, expired, never
# set) is replaced by a fresh one, never read as « no change »: a key can never fall back to an older state.
VERSION_TIMEOUT = 90 * 24 * 3600
# The primary's WAL position when this cache first served a view with a replica: a version never set since then
# stands for no change since, so for data at or below that position.
_EPOCH_KEY = "dataset-version-epoch"
# dataset → the months a change touched (None: not tied to months, the whole dataset)
Changes = Mapping[str, Iterable[date] | None]
# dataset → the months a view reads (None: the whole dataset)
Dependencies = Mapping[str, Iterable[date] | None]


def _stamp(value) -> tuple[int, int | None]:
    if isinstance(value, tuple):
        return int(value[0]), value[1]
    return int(value or 0), None


def bump_changes(changes: Changes) -> None:
    """Invalidate what the changes touched (called after the change is committed).

    The version is a fresh timestamp that never expires, so concurrent bumps from several workers cannot cancel
    each other out; it carries the primary's WAL position after the commit, for views read on the replica."""
    from server.database import primary_lsn

    if not changes:
        return
    stamp = (time.time_ns(), primary_lsn())
    mapping = {}
    for dataset, months in changes.items():
        mapping[_VERSION_KEY.format(dataset)] = stamp
        if months is None:
            mapping[_BASE_KEY.format(dataset)] = stamp
        else:
            mapping.update({_MONTH_KEY.format(dataset, m): stamp for m in months})
    cache.set_many(mapping, timeout=VERSION_TIMEOUT)


def bump(dataset: str, months: Iterable[date] | None = None) -> None:
    """Invalidate a dataset (months None) or the given months of it."""
    bump_changes({dataset: months})


@dataclass(frozen=True)
class Versions:
    text: str  # what the key carries
    lsn: int | None  # the highest WAL position they name; None: unknown (a version set without one, or no epoch)
    epoch: bool = True  # False: the cache has no epoch yet (first view with a replica, or the cache was emptied)


def _keys(dependencies: Dependencies) -> list[str]:
    keys: list[str] = []
    for dataset in sorted(dependencies):
        months = dependencies[dataset]
        if months is None:
            keys.append(_VERSION_KEY.format(dataset))
        else:
            keys.append(_BASE_KEY.format(dataset))
            keys += [_MONTH_KEY.format(dataset, m) for m in sorted(set(months))]
    return keys


def read_versions(dependencies: Dependencies | Iterable[str]) -> Versions:
    """Every version the dependencies need, and the epoch, in one round trip (`get_many`)."""
    if not isinstance(dependencies, Mapping):
        dependencies = dict.fromkeys(dependencies)
    keys = _keys(dependencies)
    *values, epoch = cache.get_many(*keys, _EPOCH_KEY)
    if None in values:
        values = _fill_missing(keys, values)
    stamps = [_stamp(v) for v in values]
    epoch_lsn = _stamp(epoch)[1] if epoch is not None else None
    lsns = [lsn if v is not None else epoch_lsn for v, (_, lsn) in zip(values, stamps, strict=True)]
    text = ",".join(f"{k.removeprefix('dataset-version:')}={ns}" for k, (ns, _) in zip(keys, stamps, strict=True))
    return Versions(text, None if None in lsns else max(lsns, default=epoch_lsn), epoch is not None)


def _fill_missing(keys: list[str], values: list) -> list:
    """Missing versions get a fresh stamp (`add`: the first reader's wins, the others read it back).

    Reading a missing version as 0 would bring back the key of the state before an evicted bump, and the entry
    cached under it: a stale figure. A fresh stamp costs one recomputation, and claims the primary's position now.
    """
    from server.database import primary_lsn

    missing = [k for k, v in zip(keys, values, strict=True) if v is None]
    fresh = (time.time_ns(), primary_lsn())
    for k in missing:
        cache.add(k, fresh, timeout=VERSION_TIMEOUT)
    found = dict(zip(missing, cache.get_many(*missing), strict=True))
    # a cache that keeps nothing (or lost it again at once): the fresh stamp, so this key is new
    return [v if v is not None else (found[k] if found[k] is not None else fresh)
            for k, v in zip(keys, values, strict=True)]


def _key(namespace: str, scope: AccessScope, params: tuple, versions: Versions) -> str:
    raw = f"{namespace}|{scope.cache_key}|{versions.text}|{params!r}"
    return "q:" + hashlib.sha256(raw.encode()).hexdigest()


def cache_key(namespace: str, scope: AccessScope, params: tuple, datasets: Dependencies | Iterable[str]) -> str:
    return _key(namespace, scope, params, read_versions(datasets))


def cached(namespace: str, *, scope: AccessScope, params: tuple, datasets: Dependencies | Iterable[str],
           compute: Callable[[], T]) -> T:
    """The value for (namespace, scope, params), computed once per version of what it reads."""
    key = cache_key(namespace, scope, params, datasets)
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    cache.set(key, value)
    return value


_now = time.time  # the clock of live views' ages (a test moves it)
# How long a computation of a live view holds its claim: the others serve the latest value meanwhile.
COMPUTE_CLAIM_SECONDS = 30


def _max_age(spec, session) -> float:
    """How old a live view may be served (0: exact). Never for a given session (exports, tests, reports)."""
    if not spec.live or session is not None or not has_app_context():
        return 0.0
    return float(current_app.config["EMEUSE_SETTINGS"].live_view_max_age_seconds)


def page_view(name: str, *, scope: AccessScope, filters, options, session=None, exact: bool = False):
    """A page's view for the caller, cached once per (view, scope, filters, options, versions of what it reads):
    the page's callback and its exports read the same entry, in two cache round trips. Computed on the replica
    once it has replayed what the key's versions claim, else on the primary (`session` given: on that session).

    A live view (`register_view(live=True)`) is also kept as the latest one computed for (view, scope, filters,
    options), with the time its versions were read. While it is younger than LIVE_VIEW_MAX_AGE_SECONDS it is
    served instead of a recomputation for a newer version: at 500 events/s every batch bumps the live datasets,
    and each poll would otherwise recompute the view. Older, one request claims the computation (`cache.add`,
    shared by every instance through Redis) and the others serve the latest value while it runs, so a new version
    is computed once, not by every poll at once. A view served so is at most that old (plus one computation);
    `view_as_of()` tells the callback when its data dates from. `exact=True` (exports) never serves it."""
    spec = VIEWS[name]
    max_age = 0.0 if exact else _max_age(spec, session)
    read_at = _now()
    versions = read_versions(spec.dependencies(filters, options))
    key = _key(f"view.{name}", scope, (filters, options), versions)
    claimed = False
    if not max_age:
        hit = cache.get(key)
        if hit is not None:
            return hit
    else:
        latest_key = _key(f"latest.{name}", scope, (filters, options), _NO_VERSIONS)
        hit, latest = cache.get_many(key, latest_key)
        if hit is not None:
            return hit
        age = read_at - latest[0] if latest is not None else None
        if age is not None and age < max_age + COMPUTE_CLAIM_SECONDS:
            claimed = age >= max_age and cache.add("claim:" + key, 1, timeout=COMPUTE_CLAIM_SECONDS)
            if not claimed:  # young enough, or another request is computing this version
                _served_as_of(latest[0])
                return latest[1]
    try:
        value = _compute(spec, session, versions, scope=scope, filters=filters, options=options)
    finally:
        if claimed:
            cache.delete("claim:" + key)
    if not max_age:
        cache.set(key, value)
    else:
        cache.set_many({key: value, latest_key: (read_at, value)})
    return value


def _compute(spec, session, versions: Versions, **kwargs):
    from server.database import db_session, view_session

    where = session if session is not None else view_session(_required_lsn(versions))
    try:
        return spec.compute(where, **kwargs)
    except (OperationalError, DBAPIError):
        if session is not None or where is db_session():
            raise
        where.rollback()  # the replica failed mid-way (gone, or a query cancelled by a replay conflict)
        return spec.compute(db_session(), **kwargs)


_NO_VERSIONS = Versions("", None)


def _served_as_of(moment: float) -> None:
    """Remember, for this request, the oldest data time of the views served older than their version."""
    if has_request_context():
        g.view_as_of = min(moment, g.get("view_as_of", moment))


def view_as_of() -> float | None:
    """When the oldest view served in this request was computed, if one was served older than its version (a
    live view within LIVE_VIEW_MAX_AGE_SECONDS); None: every view served reflects the last committed change."""
    return g.get("view_as_of") if has_request_context() else None


def _required_lsn(versions: Versions) -> int | None:
    """The WAL position the replica must have replayed to compute a view under these versions (with a replica)."""
    from server.database import has_replica, primary_lsn

    if versions.lsn is not None or not has_replica():
        return versions.lsn
    lsn = primary_lsn()  # unknown: what the primary has now (≥ every change committed so far)
    if not versions.epoch:
        cache.add(_EPOCH_KEY, (time.time_ns(), lsn), timeout=VERSION_TIMEOUT)
    return lsn
