"""Every data callback × every demo college × every grant level, through `/_dash-update-component`.

Grants are set through `data.admin.set_grant` (all datasets of the college at one level, restored
afterwards), the college's demo account signs in with the real login form, and each callback is
posted the JSON body dash-renderer sends, with the CSRF header, for inputs drawn by hypothesis.

- `none`: a refusal — 204 (no update) or 401/403 with no data; a callback without a dataset of
  its own (the overview, which covers every dataset) may answer 200 only if it carries no data;
- `summary`: 200 and `tests/leak_detector.Detector.find_leaks(body) == []`;
- `detail`: 200.

A summary test collects the findings of every callback and example before failing, so its message
lists them all (grouped by callback and kind). Set LEAKS_REPORT=<file> to append a JSON line per
summary finding group to that file (used to build the table of the issue).
"""
from __future__ import annotations

import json
import os
import re
import time
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from callbacks._access import REGISTRY
from components.filters import ALL
from data import admin
from data.access import COLLEGES, scope_for_user
from data.db import make_session_factory, session_scope
from data.models import Commune, Dataset, Epci, FeedKind, FeedSource, Grant, Site
from data.queries.coverage import LAYERS
from data.queries.workforce import PROFESSION_CHOICES, SCALES
from data.terminology import EXPERIMENTS
from data.users import get_by_email, utcnow
from tests.conftest import TERRITORY, Auth
from tests.leak_detector import Detector

LEVELS = ("none", "summary", "detail")
ADMIN_EMAIL = "admin@demo.e-meuse-sante.fr"
SITE_SOURCE = "Passerelle biologie — EHPAD Blanpain-Couchot"  # a feed source scoped to one site
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)
          if "2024-11" <= f"{y}-{m:02d}" <= "2026-10"]
EXAMPLES = int(os.environ.get("LEAKS_EXAMPLES", "5"))
# Periods of up to 12 months (the pages' default length) keep the file under ~90 s: at summary level
# the secrecy of weekly grids costs seconds per request beyond that (a 22-month teleconsultation
# page took 50 s, data/secrecy.protect_2d). LEAKS_MAX_MONTHS=24 draws over the whole demo range.
MAX_MONTHS = int(os.environ.get("LEAKS_MAX_MONTHS", "12"))
SLOW_SECONDS = 2.0  # requests slower than this are printed (run with -s)


# --- the callbacks under test ----------------------------------------------------------------------

def _entry_for(spec):
    guarded = {e.func: e for e in REGISTRY}
    func = spec["callback"]
    while func not in guarded and hasattr(func, "__wrapped__"):
        func = func.__wrapped__
    return guarded.get(func)


def data_callbacks(app) -> list[tuple[str, dict, object]]:
    """(callback-map key, spec, registry entry) of every server callback that returns dataset data.

    Kept: a dataset of its own, or no dataset but neither public (reference geography, UI state)
    nor restricted to roles (admin screens): the overview, whose KPIs cover every dataset.
    """
    out = []
    for key, spec in app.extensions["emeuse.dash"].callback_map.items():
        if "_pages_" in key or "callback" not in spec:  # Dash's router; clientside callbacks
            continue
        entry = _entry_for(spec)
        assert entry is not None, f"{key} is not in the guarded registry"
        if entry.dataset is not None or (not entry.public and entry.roles is None):
            out.append((key, spec, entry))
    return out


def _outputs(key: str) -> list[dict]:
    """`..a.figure...b.children..` (or `a.figure`) → the renderer's `outputs` list."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop})
    return out


def _id(raw: str):
    return json.loads(raw) if raw.startswith("{") else raw


def _strategy_key(dep: dict) -> str:
    cid = _id(dep["id"])
    return f"{{type={cid['type']}}}.{dep['property']}" if isinstance(cid, dict) else f"{cid}.{dep['property']}"


# --- realistic inputs --------------------------------------------------------------------------------

def strategies(territory) -> dict[str, st.SearchStrategy]:
    """One strategy per control (component id or pattern type, property). A new control needs one."""
    epcis, communes = territory
    months = st.sampled_from(MONTHS)
    return {
        "filter-departements.value": st.lists(st.sampled_from(TERRITORY), unique=True, max_size=3),
        "filter-month-from.value": months,  # drawn as an ordered pair, see draw_inputs
        "filter-month-to.value": months,
        "filter-epci.value": st.one_of(st.just(ALL), st.sampled_from(epcis)),
        "filter-commune.value": st.one_of(st.just(ALL), st.sampled_from(communes)),
        "coverage-threshold.value": st.one_of(st.floats(0, 10, allow_nan=False).map(lambda t: round(t, 1)),
                                             st.none()),
        "coverage-exclude.value": st.sampled_from([["65"], []]),
        "coverage-layers.value": st.lists(st.sampled_from(sorted(LAYERS)), unique=True),
        "coverage-sort.value": st.sampled_from(["habitants", "accessibilite", "medecin", "service", "x"]),
        "workforce-profession.value": st.sampled_from(sorted(PROFESSION_CHOICES)),
        "workforce-scale.value": st.sampled_from(sorted(SCALES)),
        "programme-experiment.value": st.sampled_from(sorted(EXPERIMENTS)),
        "{type=live-interval}.n_intervals": st.one_of(st.just(0), st.integers(1, 5000)),
        "{type=view-ready}.data": st.one_of(st.none(), st.integers(1, 2**62)),  # a cards callback's trigger
        # what a map holds (components/map_patch.py): nothing yet, or a store a browser made up (a full figure then;
        # the patches a summary user gets are checked in tests/callbacks/test_map_patch.py)
        "{type=map-state}.data": st.one_of(st.none(), st.just({"scope": "x", "layout": "y", "lv": {}, "traces": []})),
        **{f"{page}-map-graph.clickData": st.one_of(st.none(), st.sampled_from(communes).map(
            lambda c: {"points": [{"location": c, "customdata": c}]}))
           for page in ("coverage", "mobile", "teleconsultation", "workforce")},
        "overview-map.clickData": st.one_of(st.none(), st.sampled_from(communes).map(
            lambda c: {"points": [{"location": c}]})),
        # the coverage planner (a plan of one to three changes; saving with no name writes nothing)
        "planner-plan.data": st.lists(st.tuples(st.sampled_from(["gp", "mobile", "teleconsultation"]),
                                                st.sampled_from(communes), st.integers(1, 4)), max_size=3).map(
            lambda cs: {"changes": [{"kind": k, "insee": c, "amount": a} for k, c, a in cs], "retire_soon": False}),
        "planner-scenario.data": st.one_of(st.none(), st.integers(1, 3)),
        "planner-deleted.data": st.integers(0, 2),
        "planner-suggest.n_clicks": st.integers(1, 3),
        "planner-save.n_clicks": st.integers(1, 3),
        "planner-count.value": st.just(1),
        "planner-objective.value": st.sampled_from(["above", "reach"]),
        "planner-hosts.value": st.sampled_from([[], ["1"]]),
        "planner-kind.value": st.sampled_from(["gp", "mobile", "teleconsultation"]),
        "planner-amount.value": st.sampled_from([0.5, 1, 2, 4]),
        "planner-name.value": st.sampled_from(["", "  "]),
        # the « Rapports » page: its buttons are not pressed here (a report takes seconds to draw; its PDF at
        # summary level is checked in tests/data/test_reports.py), the form's values are drawn
        "reports-save.n_clicks": st.none(),
        "reports-stop.n_clicks": st.none(),
        "reports-generate.n_clicks": st.none(),
        "reports-mode.value": st.sampled_from(["all", "chosen"]),
        "reports-pages.value": st.lists(st.sampled_from(["overview", "teleconsultation", "mobile", "biology",
                                                         "workforce", "coverage", "programme"]), unique=True),
        "reports-month.value": st.one_of(st.none(), months),
        # the alert centre and the header badge (timers and the redraw counter)
        "alerts-badge-interval.n_intervals": st.integers(0, 5000),
        "alerts-interval.n_intervals": st.integers(0, 5000),
        "alerts-refresh.data": st.integers(0, 50),
    }


def missing_strategies(callbacks, table) -> list[str]:
    return sorted({f"{key}: {_strategy_key(dep)}" for key, spec, _ in callbacks
                   for dep in [*spec["inputs"], *spec["state"]] if _strategy_key(dep) not in table})


@st.composite
def draw_inputs(draw, spec, table):
    """The body's `inputs` and `state`, values drawn from `table` (months as an ordered pair)."""
    start = draw(st.integers(0, len(MONTHS) - 1))
    pair = [MONTHS[start], MONTHS[min(start + draw(st.integers(0, MAX_MONTHS - 1)), len(MONTHS) - 1)]]

    def value(dep):
        key = _strategy_key(dep)
        if key == "filter-month-from.value":
            return pair[0]
        if key == "filter-month-to.value":
            return pair[1]
        return draw(table[key])

    inputs = [{"id": _id(d["id"]), "property": d["property"], "value": value(d)} for d in spec["inputs"]]
    state = [{"id": _id(d["id"]), "property": d["property"], "value": value(d)} for d in spec["state"]]
    return inputs, state


def examples_of(inputs: list) -> dict:
    """The drawn values by control, for messages."""
    return {i["id"] if isinstance(i["id"], str) else i["id"]["type"]: i["value"] for i in inputs}


def _label(key: str) -> str:
    """A callback's name in messages: its first output's component id."""
    first = _outputs(key)[0]["id"]
    return first if isinstance(first, str) else key


def body_for(key: str, spec: dict, inputs: list, state: list) -> dict:
    changed = f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"
    return {"output": key, "outputs": _outputs(key), "inputs": inputs, "state": state, "changedPropIds": [changed]}


# --- fixtures ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def factory(engine, demo_counts):
    return make_session_factory(engine)


@pytest.fixture(scope="module")
def site_scoped_source(app, factory):
    """A feed source restricted to one EHPAD, named after it: the feeds page must not name it."""
    with session_scope(factory) as s:
        code = s.scalar(select(Site.code).where(Site.name == "EHPAD Blanpain-Couchot"))
        s.add(FeedSource(name=SITE_SOURCE, feed_kind=FeedKind.BIOLOGY.value, site_codes=[code], created_at=utcnow()))
    with app.app_context():
        from server.cache import bump

        bump(Dataset.FEEDS.value)
    yield SITE_SOURCE
    with session_scope(factory) as s:
        s.execute(delete(FeedSource).where(FeedSource.name == SITE_SOURCE))


@pytest.fixture(scope="module")
def detector(factory, site_scoped_source) -> Detector:
    with session_scope(factory) as s:
        return Detector.from_session(s)


@pytest.fixture(scope="module")
def territory(factory):
    with session_scope(factory) as s:
        epcis = sorted(s.scalars(select(Epci.code)))
        communes = sorted(s.scalars(select(Commune.insee)))
    return epcis, communes


@pytest.fixture(scope="module")
def callbacks(app):
    found = data_callbacks(app)
    assert found, "no data callback found in the callback map"
    return found


@pytest.fixture()
def college_at(factory):
    """Set every grant of a college to one level (as the demo admin); restore them afterwards."""
    saved: dict[str, dict[str, str]] = {}

    def _admin(s):
        user = get_by_email(s, email=ADMIN_EMAIL)
        return admin.Actor(scope_for_user(s, user, territory=TERRITORY), user.email, "127.0.0.1")

    def set_level(college: str, level: str) -> None:
        with session_scope(factory) as s:
            if college not in saved:
                saved[college] = {g.dataset: g.level
                                  for g in s.scalars(select(Grant).where(Grant.college_slug == college))}
            actor = _admin(s)
            for d in Dataset:
                admin.set_grant(s, actor=actor, college=college, dataset=d.value, level=level)

    try:
        yield set_level
    finally:
        with session_scope(factory) as s:
            actor = _admin(s)
            for college, grants in saved.items():
                for d in Dataset:
                    if d.value in grants:
                        admin.set_grant(s, actor=actor, college=college, dataset=d.value, level=grants[d.value])
                    else:  # the row did not exist: leave none behind
                        s.execute(delete(Grant).where(Grant.college_slug == college, Grant.dataset == d.value))


# --- the checks --------------------------------------------------------------------------------------

def _values(raw: str, outputs: list[dict]) -> list:
    response = json.loads(raw)["response"]
    out = []
    for o in outputs:
        cid = o["id"] if isinstance(o["id"], str) else json.dumps(o["id"], sort_keys=True, separators=(",", ":"))
        out.append(response.get(cid, {}).get(o["property"].split("@")[0]))
    return out


def refusal_problem(status: int, raw: str, entry, outputs) -> str | None:
    if status in (401, 403):
        return None if '"response"' not in raw else f"{status} with a response body"
    if status == 204:
        return None if not raw.strip() else "204 with a body"
    if status == 200 and entry.dataset is None:
        try:
            return "200 with data" if entry.has_data(_values(raw, outputs)) else None
        except Exception as err:  # noqa: BLE001 — a malformed body is a failure too
            return f"200 with an unreadable body ({err!r})"
    return f"status {status}"


def leak_kind(finding: str) -> str:
    """The kind of a finding: the words before the value, and for counts where it was found."""
    head = finding.split(" in response")[0].split(" in body")[0]
    if head.startswith("count"):
        place = re.search(r"in (text|chart|table|customdata|headline card)", finding)
        return f"count ({place.group(1) if place else '?'})"
    for kind in ("commune code", "commune geometry", "coordinate"):
        if head.startswith(kind):
            return kind
    return " ".join(head.split(" ")[:2])


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("college", list(COLLEGES))
def test_callbacks_at_level(app, callbacks, territory, detector, college_at, college, level):
    table = strategies(territory)
    missing = missing_strategies(callbacks, table)
    assert not missing, "Inputs without a hypothesis strategy (add one to strategies()): " + "; ".join(missing)
    college_at(college, level)
    client = app.test_client()
    assert Auth(client).login_as(college).status_code == 302
    problems: dict[str, dict[str, None]] = defaultdict(dict)  # callback -> findings / problems (ordered set)
    examples: dict[str, list] = defaultdict(list)
    seconds: Counter = Counter()  # time spent per callback (request + detector)
    slow: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=(Phase.explicit, Phase.generate),
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        for key, spec, entry in callbacks:
            name = _label(key)
            inputs, state = data.draw(draw_inputs(spec, table), label=name)
            body = body_for(key, spec, inputs, state)
            started = time.perf_counter()
            r = client.post("/_dash-update-component", json=body,
                            headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
            raw = r.get_data(as_text=True)
            took = time.perf_counter() - started
            seconds[name] += took
            if took > SLOW_SECONDS:
                slow.append(f"{name} {took:.1f}s for inputs {examples_of(inputs)}")
            examples[name].append(examples_of(inputs))
            if level == "none":
                problem = refusal_problem(r.status_code, raw, entry, body["outputs"])
                if problem:
                    problems[name][f"{problem} for inputs {examples[name][-1]}"] = None
            elif r.status_code != 200:
                problems[name][f"status {r.status_code} for inputs {examples[name][-1]}: {raw[:200]}"] = None
            elif level == "summary":
                sent = [i["value"] for i in [*inputs, *state]  # a figures callback reads the filters as State
                        if i["id"] == "filter-commune" and isinstance(i["value"], str)]
                started = time.perf_counter()
                problems[name].update(dict.fromkeys(detector.find_leaks(raw, sent=sent)))
                seconds["detector"] += time.perf_counter() - started

    run()
    problems = {name: found for name, found in problems.items() if found}
    print(f"{college}/{level}: " + ", ".join(f"{k} {v:.1f}s" for k, v in seconds.most_common()))
    for line in slow:
        print(f"  slow: {line}")
    if not problems:
        return
    report = os.environ.get("LEAKS_REPORT")
    lines = [f"{college} at {level}: {sum(len(v) for v in problems.values())} problems"]
    for name, found in problems.items():
        kinds = Counter(leak_kind(f) for f in found) if level == "summary" else Counter(["refusal"])
        lines.append(f"== {name} ({len(examples[name])} examples): {dict(kinds)}")
        lines.extend(f"   {f}" for f in found)
        if report and level == "summary":
            with open(report, "a", encoding="utf-8") as fh:
                by_kind = defaultdict(list)
                for f in found:
                    by_kind[leak_kind(f)].append(f)
                fh.write(json.dumps({"college": college, "callback": name, "kinds": dict(kinds),
                                     "examples": {k: v[:3] for k, v in by_kind.items()}},
                                    ensure_ascii=False) + "\n")
    pytest.fail("\n".join(lines), pytrace=False)


def test_every_control_has_a_strategy(app, callbacks, territory):
    """A new Input on a data callback fails here until it gets a hypothesis strategy."""
    assert missing_strategies(callbacks, strategies(territory)) == []
    names = {_label(k) for k, _, _ in callbacks}
    assert {"overview-kpis", "coverage-stats", "feeds-stats"} <= names
