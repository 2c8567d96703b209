"""Malformed Dash callback requests (`/_dash-update-component`) get a clean 400 in French, never a 500.

The body's shape is checked against the callback it names before Dash reads it; a value the
callback cannot use (a number where a list is expected, say) fails inside it and is answered the
same way, with the traceback kept in the server log only.
"""
from __future__ import annotations

import functools
import logging
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
CALLBACK_ROUTE = "/_dash-update-component"
INVALID = "requête invalide"
# what ill-typed input values raise in a callback or a view; any other exception stays a 500
INPUT_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def _is_dependency(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("id"), str | dict)
            and isinstance(item.get("property"), str))


def _is_dependency_or_group(item: Any) -> bool:
    """One dependency, or the list a pattern-matching (ALL, ALLSMALLER) one stands for."""
    return _is_dependency(item) or (isinstance(item, list) and all(_is_dependency(i) for i in item))


def body_problem(body: Any, callback_map: dict) -> str | None:
    """Why this body cannot be a request for one of the app's callbacks (French), or None."""
    if not isinstance(body, dict):
        return "un objet JSON est attendu"
    spec = callback_map.get(body.get("output")) if isinstance(body.get("output"), str) else None
    if spec is None:
        return "sortie inconnue"
    outputs = body.get("outputs")
    if not (_is_dependency(outputs) or (isinstance(outputs, list) and all(map(_is_dependency_or_group, outputs)))):
        return "sorties illisibles"
    for key, declared in (("inputs", spec["inputs"]), ("state", spec["state"])):
        given = body.get(key, [])
        if not isinstance(given, list) or len(given) != len(declared) or not all(map(_is_dependency_or_group, given)):
            return "entrées illisibles" if key == "inputs" else "états illisibles"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "déclencheurs illisibles"
    return None


def _invalid(message: str):
    response = jsonify(error=INVALID, message=message)
    response.status_code = 400
    return response


def install(server: Flask, callback_map: dict) -> None:
    """Wrap Dash's callback view (installed once Dash has set up its routes)."""
    dispatch = server.view_functions[CALLBACK_ROUTE]

    @functools.wraps(dispatch)
    def checked(*args, **kwargs):
        problem = body_problem(request.get_json(silent=True), callback_map)
        if problem is not None:
            return _invalid(problem)
        try:
            return dispatch(*args, **kwargs)
        except HTTPException:
            raise
        except INPUT_ERRORS:
            log.warning("callback %s refused input values", request.get_json()["output"][:200], exc_info=True)
            return _invalid("valeurs d'entrée inutilisables")

    server.view_functions[CALLBACK_ROUTE] = checked
