"""Authorisation inside callbacks: the scope comes from the session, never from the browser.

Every server callback is wrapped by `guarded`, which also records it in REGISTRY, so a test can
enumerate all of them and call each as an anonymous user, a user without the grant and one with it.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dash.exceptions import PreventUpdate

from server.auth import current_scope
from server.refusals import note_refusal


@dataclass(frozen=True)
class GuardedCallback:
    func: Callable
    dataset: str | None
    roles: tuple[str, ...] | None
    sample_args: tuple = ()
    has_data: Callable[[Any], bool] = field(default=lambda result: result is not None)
    public: bool = False  # returns no dataset data (reference geography, UI state): same for every caller


REGISTRY: list[GuardedCallback] = []


def rendered_text(result) -> str:
    """Everything a callback result would show, as text (component trees serialised)."""
    import json

    return json.dumps(result, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False)


def guarded(*, dataset: str | None = None, roles: tuple[str, ...] | None = None, sample_args: tuple = (),
            has_data: Callable[[Any], bool] | None = None, public: bool = False):
    """Run the callback only for a signed-in caller allowed on `dataset` / `roles`; pass it `scope`."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            scope = current_scope()
            if scope is None or not scope.can_open(dataset, roles):
                if scope is not None:  # journalled once per window: a live timer re-asks every few seconds
                    note_refusal("callback", f"callback {func.__name__}", dataset=dataset, roles=roles)
                raise PreventUpdate
            return func(*args, scope=scope, **kwargs)

        REGISTRY.append(GuardedCallback(wrapper, dataset, roles, sample_args,
                                        has_data or (lambda result: result is not None), public))
        return wrapper

    return decorate
