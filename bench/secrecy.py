"""How useful the summary level stays: the publication grid's cells on the demo data, what the cell-key
method does to them (share small, mean absolute perturbation) and the largest relative change of a
département total over the whole period.

    python -m bench.secrecy                      # the database of `make run` (instance/emeuse.sqlite3)
    python -m bench.secrecy --database-url sqlite:///...  --from 2024-11 --to 2026-10
"""
from __future__ import annotations

import argparse

from data.db import make_engine, make_session_factory
from data.filters import Period, month_end, parse_month
from data.secrecy import Published
from data.views import grid
from settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=get_settings().database_url)
    parser.add_argument("--from", dest="start", default="2024-11")
    parser.add_argument("--to", dest="end", default="2026-10")
    args = parser.parse_args()
    period = Period(parse_month(args.start), month_end(parse_month(args.end)))
    deps = get_settings().departements
    p = grid.perturbation()
    session = make_session_factory(make_engine(args.database_url))()
    grids = {**{f"teleconsultation.{k}": v for k, v in grid.teleconsultation_grids(session, deps, period).items()},
             **{f"biology.{k}": v for k, v in grid.biology_grids(session, deps, period).items()
                if isinstance(v, grid.Grid)},
             **{f"mobile.{k}": v for k, v in grid.mobile_grids(session, deps, period).items()},
             "workforce.active.medecin_gp": grid.workforce_stock(session, deps, "medecin_gp", period.end),
             "workforce.flows.medecin_gp": grid.workforce_flows(session, deps, "medecin_gp", period)}
    truth = _truth(session, deps, period)
    print(f"# publication grid, {args.start}..{args.end}, départements {','.join(deps)}, noise {p.noise}")
    print(f"{'measure':34} {'cells':>6} {'zero':>6} {'1-10':>6} {'>=11':>6} {'small %':>8} {'mean |noise|':>12} "
          f"{'max dep total change':>21}")
    all_cells = all_small = 0
    for name, g in grids.items():
        true = truth[name]
        values = [true.get(k, 0) for k in g.cells]
        small = sum(1 for v in values if 1 <= v <= 10)
        large = [(true.get(k, 0), c.value) for k, c in g.cells.items() if true.get(k, 0) > 10]
        noise = sum(abs(b - a) for a, b in large) / len(large) if large else 0.0
        worst = 0.0
        for d in deps:
            t = sum(v for k, v in true.items() if k[0] == d)
            pub = g.total(deps={d}).value
            if t:
                worst = max(worst, abs(pub - t) / t)
        all_cells += len(values)
        all_small += small
        print(f"{name:34} {len(values):6d} {values.count(0):6d} {small:6d} {len(large):6d} "
              f"{small / len(values) * 100 if values else 0:7.1f}% {noise:12.2f} {worst * 100:20.2f}%")
    print(f"# all measures: {all_cells} cells, {all_small} of 1–10 shown « < 11 » "
          f"({all_small / all_cells * 100:.1f} %); each enters totals as 0 or 11")


def _truth(session, deps, period) -> dict[str, dict]:
    """The same grids read without publication (each cell its true count, 1–10 included): bench only."""
    original = grid.publish
    grid.publish = lambda value, coordinates, p: Published(int(value))
    try:
        out = {}
        for prefix, grids in (("teleconsultation", grid.teleconsultation_grids(session, deps, period)),
                              ("biology", grid.biology_grids(session, deps, period)),
                              ("mobile", grid.mobile_grids(session, deps, period))):
            for k, g in grids.items():
                if isinstance(g, grid.Grid):
                    out[f"{prefix}.{k}"] = {key: c.value for key, c in g.cells.items()}
        out["workforce.active.medecin_gp"] = {k: c.value for k, c in grid.workforce_stock(
            session, deps, "medecin_gp", period.end).cells.items()}
        out["workforce.flows.medecin_gp"] = {k: c.value for k, c in grid.workforce_flows(
            session, deps, "medecin_gp", period).cells.items()}
        return out
    finally:
        grid.publish = original



if __name__ == "__main__":
    main()
