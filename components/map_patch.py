"""A map callback's answer: the full figure, or a Dash `Patch` of what changed since the figure the browser holds.

The browser keeps, next to each map, a store with the fingerprint of the figure it was last sent (`map_state`):
its scope, its layout without the value parts, and per trace a key, a structure fingerprint and one fingerprint
per value array. A figure is rebuilt whole from the view on every call; then, against that store:
- first draw, another scope, another layout (territory, framing, legend) or another geometry / set of communes
  of a trace → the full figure;
- otherwise a Patch: only the value arrays whose fingerprint differs (z, customdata, hover texts, marker sizes,
  positions), a layer the view no longer has hidden (`visible: false`, kept for its return), a layer shown again
  made visible, a new point layer appended; nothing changed → no update at all.
What is patched is always taken from the figure just built from the caller's own view (nothing decided here: the
store only says what the browser already has, never what may be shown), so a store sent by a browser can at
worst make its own map wrong, never show more than the view gives.
"""
from __future__ import annotations

import hashlib

import orjson
from dash import Patch, no_update

# The parts of a trace that may change while its geometry and its communes stay (patched one by one).
VALUE_KEYS = {
    "choroplethmap": ("z", "zmin", "zmax", "colorbar", "customdata", "text", "hovertemplate"),
    "scattermap": ("lat", "lon", "text", "customdata", "marker"),
}
LAYOUT_VALUE_KEYS = ("shapes", "annotations")  # size legends and the credit line


def map_state_id(graph: str) -> dict:
    """The store holding the fingerprint of the figure a map graph holds."""
    return {"type": "map-state", "graph": graph}


def _fp(value) -> str:
    raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY, default=str)
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def _keys(traces: list[dict]) -> list[str]:
    """One key per trace, stable across calls: its type, its name (a layer's), and its rank among equals."""
    seen: dict[str, int] = {}
    out = []
    for t in traces:
        base = f"{t.get('type')}:{t.get('name') or ''}"
        out.append(f"{base}:{seen.get(base, 0)}")
        seen[base] = seen.get(base, 0) + 1
    return out


def figure_state(figure: dict, scope_key: str) -> dict:
    """The fingerprint of a full figure, as the browser's store keeps it."""
    layout = figure.get("layout") or {}
    traces = []
    for key, trace in zip(_keys(figure.get("data") or []), figure.get("data") or [], strict=True):
        values = VALUE_KEYS.get(trace.get("type"), ())
        traces.append({"key": key, "s": _fp({k: v for k, v in trace.items() if k not in values}),
                       "v": {k: _fp(trace.get(k)) for k in values}, "on": True})
    return {"scope": _fp(scope_key),
            "layout": _fp({k: v for k, v in layout.items() if k not in LAYOUT_VALUE_KEYS}),
            "lv": {k: _fp(layout.get(k)) for k in LAYOUT_VALUE_KEYS},
            "traces": traces}


def _well_formed(state) -> bool:
    try:
        return (isinstance(state, dict) and isinstance(state["scope"], str) and isinstance(state["layout"], str)
                and isinstance(state["lv"], dict)
                and all(isinstance(t["key"], str) and isinstance(t["s"], str) and isinstance(t["v"], dict)
                        and isinstance(t["on"], bool) for t in state["traces"]))
    except (KeyError, TypeError):
        return False


def map_answer(figure: dict, previous, *, scope_key: str):
    """(figure output, store output) for a freshly built `figure`, given the store the browser sent."""
    state = figure_state(figure, scope_key)
    if (not _well_formed(previous) or previous["scope"] != state["scope"] or previous["layout"] != state["layout"]
            or not figure.get("data")):
        return figure, state
    patch = Patch()
    client = [dict(t, v=dict(t["v"])) for t in previous["traces"]]  # the browser's traces, as patched below
    index = {t["key"]: i for i, t in enumerate(client)}
    wanted = set()
    for trace, new in zip(figure["data"], state["traces"], strict=True):
        wanted.add(new["key"])
        i = index.get(new["key"])
        if i is None:
            if trace.get("type") != "scattermap":  # a new area or outline: its place in the stack matters
                return figure, state
            patch["data"].append(trace)  # a point layer shown for the first time: drawn above the others
            index[new["key"]] = len(client)
            client.append(new)
            continue
        old = client[i]
        if old["s"] != new["s"]:  # another geometry, other communes: not a value change
            return figure, state
        for k, fp in new["v"].items():
            if old["v"].get(k) != fp:
                if k in trace:
                    patch["data"][i][k] = trace[k]
                else:
                    del patch["data"][i][k]
        if not old["on"]:
            patch["data"][i]["visible"] = True
        client[i] = new
    for i, t in enumerate(client):
        if t["on"] and t["key"] not in wanted:  # a layer toggled off: hidden, its data kept for its return
            patch["data"][i]["visible"] = False
            client[i] = dict(t, on=False)
    for k, fp in state["lv"].items():
        if previous["lv"].get(k) != fp:
            if k in figure["layout"]:
                patch["layout"][k] = figure["layout"][k]
            else:
                del patch["layout"][k]
    if not patch._operations:  # noqa: SLF001 — nothing changed (a live poll with no news)
        return no_update, no_update
    return patch, {**state, "traces": client}
