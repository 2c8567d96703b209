"""Map callbacks answer with a Dash `Patch` of the values that changed, and the full figure when the structure did.

Called as plain functions (the operations of each answer), then through `/_dash-update-component` as a
signed-in user (the size of a threshold change's answer; a summary user's patch carries no commune value).
"""
from __future__ import annotations

import copy
import json
import re

import pytest
from dash import Patch

from callbacks.coverage import coverage_figures
from callbacks.mobile import mobile_figures
from callbacks.overview import overview_figures
from callbacks.workforce import workforce_figures
from components.filters import ALL
from components.map_patch import LAYOUT_VALUE_KEYS, VALUE_KEYS, map_state_id
from data.db import session_scope
from tests.conftest import Auth
from tests.leak_detector import Detector

ARS = "ars@demo.e-meuse-sante.fr"          # coverage at detail level
USAGERS = "usagers@demo.e-meuse-sante.fr"  # coverage at summary level
H1 = (["52", "55"], "2026-01", "2026-06", ALL, ALL)
LAYERS = ["teleconsultation"]
READY = 1
INSEE = re.compile(r"\b\d{5}\b|\b2[AB]\d{3}\b")


def coverage(threshold="2,5", exclude=("65",), layers=LAYERS, state=None, filters=H1):
    out = coverage_figures(READY, *filters, threshold, list(exclude), list(layers), "habitants", state)
    return out[0], out[-1]


def operations(answer) -> list[dict]:
    assert isinstance(answer, Patch), f"expected a Patch, got {type(answer).__name__}"
    return answer.to_plotly_json()["operations"]


def applied(figure: dict, patch: Patch) -> dict:
    """The figure after the patch's operations, as dash-renderer applies them (those map_patch uses)."""
    out = copy.deepcopy(figure)
    for op in operations(patch):
        *path, last = op["location"]
        target = out
        for key in path:
            target = target[key]
        if op["operation"] == "Assign":
            target[last] = op["params"]["value"]
        elif op["operation"] == "Delete":
            del target[last]
        elif op["operation"] == "Append":
            target[last].append(op["params"]["value"])
        else:
            raise AssertionError(f"unexpected operation {op['operation']}")
    return out


def shown(figure: dict) -> list[str]:
    """The traces drawn (hidden ones left out, the `visible` flag dropped), by key for comparison."""
    return sorted(json.dumps({k: v for k, v in t.items() if k != "visible"}, sort_keys=True)
                   for t in figure["data"] if t.get("visible", True) is not False)


def test_a_threshold_change_patches_only_value_arrays(as_user):
    with as_user(ARS):
        full, state = coverage()
        patch, new_state = coverage(threshold="1,5", state=state)
        reference, _ = coverage(threshold="1,5")  # what a first draw at this threshold shows
    assert isinstance(full, dict) and full["data"]
    ops = operations(patch)
    assert ops, "the threshold is written in the hover: something must change"
    for op in ops:
        assert op["operation"] == "Assign"
        root, index, key = op["location"]
        trace = full["data"][index]
        assert root == "data" and key in VALUE_KEYS[trace["type"]], op["location"]
        assert key not in ("locations", "geojson", "featureidkey")
    assert "layout" not in json.dumps([op["location"] for op in ops])
    after = applied(full, patch)
    assert after == reference  # the patched map is exactly the one a first draw gives
    assert "seuil 1,5" in after["data"][0]["hovertemplate"]
    assert new_state["traces"] and new_state["layout"] == state["layout"]


def test_the_65_plus_option_patches_values_not_geometry(as_user):
    with as_user(ARS):
        full, state = coverage()
        patch, _ = coverage(exclude=(), state=state)
        reference, _ = coverage(exclude=())
    touched = {tuple(op["location"]) for op in operations(patch)}
    assert ("data", 0, "z") in touched
    assert all(loc[0] == "data" and loc[2] in VALUE_KEYS[full["data"][loc[1]]["type"]] for loc in touched)
    assert applied(full, patch) == reference


def test_toggling_a_layer_patches_only_its_visibility(as_user):
    with as_user(ARS):
        full, state = coverage(layers=["teleconsultation", "mobile"])
        off, off_state = coverage(layers=["teleconsultation"], state=state)
        on, on_state = coverage(layers=["teleconsultation", "mobile"], state=off_state)
        new, _ = coverage(layers=["teleconsultation", "mobile", "biology"], state=on_state)
        references = [coverage(layers=ls)[0] for ls in (["teleconsultation"], ["teleconsultation", "mobile"],
                                                          ["teleconsultation", "mobile", "biology"])]
    mobile = next(i for i, t in enumerate(full["data"]) if t.get("name") == "Arrêt de cabinet mobile")
    assert [(o["operation"], o["location"], o["params"]) for o in operations(off)] == [
        ("Assign", ["data", mobile, "visible"], {"value": False})]
    assert [(o["operation"], o["location"], o["params"]) for o in operations(on)] == [
        ("Assign", ["data", mobile, "visible"], {"value": True})]
    appended = operations(new)
    assert [o["operation"] for o in appended] == ["Append"] and appended[0]["params"]["value"]["type"] == "scattermap"
    drawn = full
    for patch, reference in zip((off, on, new), references, strict=True):
        drawn = applied(drawn, patch)
        assert shown(drawn) == shown(reference)
        assert drawn["layout"] == reference["layout"]


def test_a_structure_change_sends_the_full_figure(as_user):
    with as_user(ARS):
        _, state = coverage()
        other_territory, _ = coverage(state=state, filters=(["55"], *H1[1:]))
        commune, _ = coverage(state=state, filters=(*H1[:4], "55029"))  # framed on a commune, outlined
        garbage, _ = coverage(state={"scope": 1, "traces": "x"})
    for answer in (other_territory, commune, garbage):
        assert isinstance(answer, dict) and answer["data"] and "layout" in answer


def test_a_state_from_another_scope_gets_the_full_figure(as_user):
    with as_user(ARS):
        _, detail_state = coverage()
    with as_user(USAGERS):
        answer, _ = coverage(threshold="1,5", state=detail_state)
        summary, _ = coverage(threshold="1,5")
    assert isinstance(answer, dict) and answer == summary  # département level, drawn whole


def test_a_summary_users_patch_carries_only_departement_values(as_user):
    with as_user(USAGERS):
        full, state = coverage()
        patch, _ = coverage(exclude=(), state=state)
    assert {t["featureidkey"] for t in full["data"]} == {"properties.code"}
    departements = len(full["data"][0]["locations"])
    assert departements <= 3
    for op in operations(patch):
        value = op["params"].get("value")
        if isinstance(value, list):
            assert len(value) <= departements, op["location"]
    assert not INSEE.search(json.dumps(patch.to_plotly_json()))


def test_workforce_profession_change_patches_the_density_values(as_user):
    with as_user(ARS):
        first = workforce_figures(READY, *H1, "medecin_gp", "commune", None)
        patch = workforce_figures(READY, *H1, "infirmier", "commune", first[-1])[0]
        reference = workforce_figures(READY, *H1, "infirmier", "commune", None)[0]
        other_scale = workforce_figures(READY, *H1, "infirmier", "departement", first[-1])[0]
    assert {op["location"][2] for op in operations(patch)} <= set(VALUE_KEYS["choroplethmap"])
    assert applied(first[0], patch) == reference
    assert isinstance(other_scale, dict)  # another level: another geometry, drawn whole


def test_a_live_poll_with_nothing_new_sends_no_figure(as_user):
    from dash import no_update

    with as_user(ARS):
        first = mobile_figures(READY, *H1, None)
        again = mobile_figures(READY, *H1, first[-1])
        overview = overview_figures(READY, *H1, None)
        overview_again = overview_figures(READY, *H1, overview[-1])
    assert isinstance(first[0], dict) and first[0]["data"]
    assert again[0] is no_update and again[-1] is no_update
    assert overview_again[0] is no_update


def test_value_keys_never_include_the_geometry():
    for keys in VALUE_KEYS.values():
        assert not {"locations", "geojson", "featureidkey", "type", "name"} & set(keys)
    assert "map" not in LAYOUT_VALUE_KEYS


# --- through the real route ---------------------------------------------------------------------------

GRAPH = "coverage-map-graph"
STATE = map_state_id(GRAPH)


def _post(client, auth: Auth, app, threshold: str, exclude: list, state):
    spec = next(spec for key, spec in app.extensions["emeuse.dash"].callback_map.items() if key.startswith(
        f"..{GRAPH}.figure"))
    key = next(key for key in app.extensions["emeuse.dash"].callback_map if key.startswith(f"..{GRAPH}.figure"))
    values = {"filter-departements": H1[0], "filter-month-from": H1[1], "filter-month-to": H1[2],
              "filter-epci": ALL, "filter-commune": ALL, "coverage-threshold": threshold, "coverage-exclude": exclude,
              "coverage-layers": LAYERS, "coverage-sort": "habitants"}

    def value(dep):
        cid = json.loads(dep["id"]) if dep["id"].startswith("{") else dep["id"]
        if isinstance(cid, dict):
            return cid, (state if cid.get("type") == "map-state" else 1)
        return cid, values[cid]

    inputs = [{"id": value(d)[0], "property": d["property"], "value": value(d)[1]} for d in spec["inputs"]]
    states = [{"id": value(d)[0], "property": d["property"], "value": value(d)[1]} for d in spec["state"]]
    outputs = []
    for part in key[2:-2].split("..."):
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop})
    body = {"output": key, "outputs": outputs, "inputs": inputs, "state": states,
            "changedPropIds": [f"{spec['inputs'][0]['id']}.data"]}
    r = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": auth.csrf()})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_data(as_text=True)


def _map_parts(raw: str) -> tuple[object, object]:
    response = json.loads(raw)["response"]
    state_key = json.dumps(STATE, sort_keys=True, separators=(",", ":"))
    return response[GRAPH]["figure"], response[state_key]["data"]


@pytest.mark.parametrize("who", ["ars", "usagers"])
def test_a_threshold_change_answer_is_at_most_8_bytes_per_commune(app, client, who):
    auth = Auth(client)
    assert auth.login_as(who).status_code == 302
    full, state = _map_parts(_post(client, auth, app, "2,5", ["65"], None))
    raw = _post(client, auth, app, "1,5", ["65"], state)
    patch, new_state = _map_parts(raw)
    assert patch.get("__dash_patch_update") == "__dash_patch_update"
    communes = sum(len(t["locations"]) for t in full["data"] if t["type"] == "choroplethmap")
    size = len(json.dumps(patch, separators=(",", ":"))) + len(json.dumps(new_state, separators=(",", ":")))
    assert size <= 8 * communes + 1500, (size, communes)
    if who == "ars":  # 919 communes (at summary level the map has the départements only)
        assert communes > 900 and size < len(json.dumps(full, separators=(",", ":"))) / 10


def test_a_summary_users_patched_answer_has_no_leak(app, client, engine):
    from data.db import make_session_factory

    auth = Auth(client)
    assert auth.login_as("usagers").status_code == 302
    _, state = _map_parts(_post(client, auth, app, "2,5", ["65"], None))
    raw = _post(client, auth, app, "1,5", [], state)
    patch, _ = _map_parts(raw)
    assert patch.get("__dash_patch_update") and patch["operations"]
    with session_scope(make_session_factory(engine)) as s:
        detector = Detector.from_session(s)
    assert detector.find_leaks(raw) == []
    assert not INSEE.search(json.dumps(patch))


def test_a_planner_scenario_change_patches_the_change_map(as_user):
    from callbacks.planner import SAMPLE_PLAN, planner_figures

    more = {**SAMPLE_PLAN, "changes": [{**c, "amount": c["amount"] * 2} for c in SAMPLE_PLAN["changes"]]}
    with as_user(ARS):
        first = planner_figures(SAMPLE_PLAN, None, *H1, 2.5, ["65"], None)
        patch = planner_figures(more, None, *H1, 2.5, ["65"], first[-1])[0]
        reference = planner_figures(more, None, *H1, 2.5, ["65"], None)[0]
    assert isinstance(first[0], dict) and first[0]["data"]
    assert {op["location"][2] for op in operations(patch) if op["location"][0] == "data"} <= set(
        VALUE_KEYS["choroplethmap"]) | set(VALUE_KEYS["scattermap"])
    assert applied(first[0], patch) == reference
