"""Benchmark of the coverage planner: a scenario recompute and « Proposer 5 emplacements ».

    python -m bench.planner --scale s                 # 3 départements (1,516 communes)
    python -m bench.planner --scale l --keep /tmp/l-planner.sqlite3   # Grand Est, 10 départements (5,115)

The database holds one year of demo data (the planner reads the workforce registry and the
geography, not the event tables, so more years change nothing here). Printed, as in bench.dashboard:
- scenario recompute: the server time of a POST to `/_dash-update-component` for the planner's
  callback with one added GP, signed in, the process warm (catchment computed once) but each request a
  new scenario (another commune: the view cache cannot answer it), median of the repeats; then the
  same scenario asked again (cached view); and the bare incremental update beside the full 2SFCA;
- « Proposer 5 emplacements »: HiGHS on the maximal-covering programme (data/siting.py) for the whole
  territory, both objectives, with the planner's time limit (10 s) and with a long one, whether it was
  proven optimal, the greedy value and the exact one. Tests never assert timings: this prints.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time
from datetime import datetime
from pathlib import Path

from bench.dashboard import END, SCALES, bench_server, geo_dir_for
from data import demo
from data.db import make_engine, make_session_factory, session_scope, upgrade

QUERY = {"du": "2025-11", "au": "2026-10"}


def fill(url: str, scale: str) -> None:
    deps = SCALES[scale][1]
    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    with session_scope(make_session_factory(engine)) as session:
        demo.generate(session, end=END, years=1, departements=deps, geo_dir=geo_dir_for(scale))
    print(f"# demo data: 1 year, départements {','.join(deps)}, {time.perf_counter() - t0:.0f} s")
    engine.dispose()


def _body(dash_app, plan: dict) -> dict:
    key = next(k for k in dash_app.callback_map if k.startswith("..planner-stats.children"))  # the cards
    spec = dash_app.callback_map[key]
    values = {"planner-plan": plan, "planner-scenario": None, "filter-departements": [],
              "filter-month-from": QUERY["du"], "filter-month-to": QUERY["au"], "filter-epci": "tous",
              "filter-commune": "tous", "coverage-threshold": 2.5, "coverage-exclude": ["65"]}
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in key[2:-2].split("...")]
    inputs = [{"id": d["id"], "property": d["property"], "value": values[d["id"]]} for d in spec["inputs"]]
    return {"output": key, "outputs": outputs, "inputs": inputs, "state": [],
            "changedPropIds": ["planner-plan.data"]}


def _gp(insee: str) -> dict:
    return {"changes": [{"kind": "gp", "insee": insee, "amount": 1.0}], "retire_soon": False}


def run(url: str, scale: str, repeats: int, filled: bool) -> None:
    import numpy as np

    from data import siting
    from data.access import full_scope
    from data.coverage import two_step_fca
    from data.filters import parse_filters
    from data.planner import KINDS
    from data.queries import coverage as q
    from data.views.coverage import coverage_options

    if filled:
        print(f"# reusing {url}")
        upgrade(make_engine(url))
    else:
        fill(url, scale)
    server, client, headers, deps = bench_server(url, scale)
    dash_app = server.extensions["emeuse.dash"]
    factory = make_session_factory(make_engine(url))
    filters = parse_filters(QUERY, today=END, territory=deps)
    options = coverage_options(filters=filters).method
    with session_scope(factory) as s:
        m = q.model(s, scope=full_scope(deps), options=options)
    communes = m.communes
    n = len(communes)
    print(f"# {n:,} communes, {len(m.catchment.population) - n:,} in the border ring, "
          f"{len(m.catchment.rows):,} pairs within reach".replace(",", " "))
    rng = np.random.default_rng(1)
    picks = [str(c) for c in rng.choice(communes["insee"].to_numpy(), repeats + 1, replace=False)]

    def post(plan):
        t0 = time.perf_counter()
        r = client.post("/_dash-update-component", json=_body(dash_app, plan), headers=headers)
        took = (time.perf_counter() - t0) * 1000
        assert r.status_code == 200 and "Habitants portés" in r.get_data(as_text=True), r.status_code
        return took, len(r.data)

    post(_gp(picks[0]))  # the first request computes the catchment (once per process)
    new = [post(_gp(c)) for c in picks[1:]]
    again = [post(_gp(picks[-1]))[0] for _ in range(repeats)]
    server_ms = statistics.median(t for t, _ in new)
    kib = statistics.median(b for _, b in new) / 1024
    print(f"scenario recompute, one added GP, {len(deps)} départements: server {server_ms:.0f} ms (new scenario each "
          f"time, median of {repeats}; response {kib:.0f} KiB), same scenario again {statistics.median(again):.0f} ms "
          "(cached view)")
    c = m.catchment
    j = c.index[picks[1]]
    t0 = time.perf_counter()
    for _ in range(repeats):
        from data.coverage import with_changes
        with_changes(c, m.access, {j: KINDS["gp"].consultations(1)})
    inc = (time.perf_counter() - t0) * 1000 / repeats
    supply = {str(k): v for k, v in zip(c.insee[:n], m.supply[:n], strict=True) if v > 0}
    import pandas as pd

    ring = pd.DataFrame({"insee": c.insee[n:], "population": c.population[n:], "lat": c.lat[n:], "lon": c.lon[n:]})
    t0 = time.perf_counter()
    two_step_fca(communes, pd.Series(supply), ring=ring)
    full = (time.perf_counter() - t0) * 1000
    print(f"  of which the accessibility update: incremental {inc:.2f} ms vs full 2SFCA {full:.1f} ms (pairs cached)")

    counted = np.ones(n, bool)
    for objective in ("above", "reach"):
        p = siting.problem(c, m.access, capacity=KINDS["gp"].consultations(1), threshold=2.5,
                           candidates=np.arange(n), counted=counted, objective=objective)
        greedy = siting.greedy(p, 5)
        for limit in (siting.TIME_LIMIT_S, 120.0 if scale == "s" else 300.0):
            exact = siting.exact(p, 5, time_limit=limit, start=greedy)
            state = ("optimal" if exact.optimal else
                     f"stopped at the time limit, gap {100 * (exact.gap or 0):.1f} %" if exact.time_limited else "?")
            print(f"Proposer 5 emplacements ({objective}, 1 ETP each, limit {limit:.0f} s): {exact.seconds:.1f} s, "
                  f"{state}; exact {exact.value:_.0f} vs greedy {greedy.value:_.0f} inhabitants "
                  f"({len(p.targets):_} under-served communes, {len(p.candidates):_} candidates)".replace("_", " "))
    # the callback itself (the planner's time limit), as the page asks it
    key = next(k for k in dash_app.callback_map if k.startswith("..planner-suggestion.children"))
    spec = dash_app.callback_map[key]
    values = {"planner-suggest": 1, "planner-count": 5, "planner-objective": "above", "planner-hosts": [],
              "planner-kind": "gp", "planner-amount": 1, "planner-plan": None, "planner-scenario": None,
              "filter-departements": [], "filter-month-from": QUERY["du"], "filter-month-to": QUERY["au"],
              "filter-epci": "tous", "filter-commune": "tous", "coverage-threshold": 2.5, "coverage-exclude": ["65"]}
    body = {"output": key, "outputs": [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
                                       for p in key[2:-2].split("...")],
            "inputs": [{"id": d["id"], "property": d["property"], "value": values[d["id"]]} for d in spec["inputs"]],
            "state": [{"id": d["id"], "property": d["property"], "value": values[d["id"]]} for d in spec["state"]],
            "changedPropIds": ["planner-suggest.n_clicks"]}
    t0 = time.perf_counter()
    r = client.post("/_dash-update-component", json=body, headers=headers)
    text = json.loads(r.data)["response"]["planner-suggestion"]["children"]
    status = json.dumps(text, ensure_ascii=False)
    print(f"Proposer 5 emplacements through the callback: server {time.perf_counter() - t0:.1f} s — "
          + ("optimal" if "solution optimale" in status else "arrêté à la limite de temps" if "limite" in status
             else status[:200]))


def _run_new(scale: str, repeats: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'planner.sqlite3'}", scale, repeats, False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=("s", "l"), default="s")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--keep", metavar="FILE", type=Path, help="SQLite file to fill once and reuse")
    args = parser.parse_args()
    print(f"# e-Meuse Santé coverage planner benchmark, scale {args.scale.upper()}, {os.cpu_count()} CPU, "
          f"{datetime.now():%Y-%m-%d %H:%M}")
    if args.keep:
        run(f"sqlite:///{args.keep.resolve()}", args.scale, args.repeats, args.keep.exists())
        return
    child = multiprocessing.get_context("spawn").Process(target=_run_new, args=(args.scale, args.repeats))
    child.start()
    child.join()
    raise SystemExit(child.exitcode)


if __name__ == "__main__":
    main()



