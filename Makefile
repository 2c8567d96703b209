# e-Meuse Santé — two commands: `make run` (app with demo data on SQLite) and `make test` (whole suite).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PORT   ?= 8050

.PHONY: run test lint geo demo simulate bench bench-first-paint loadtest loadtest-lb cluster failover bench-ingestion \
  attack bench-secrecy clean replica replica-stop

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

## Start the app on http://127.0.0.1:$(PORT) (SQLite database created and filled with demo data on first start)
run: $(VENV)/.run-deps
	PORT=$(PORT) $(PY) app.py

## Lint, then every test (unit, integration, browser); DATABASE_URL=postgresql+psycopg://... runs them on PostgreSQL
test: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .

## Rebuild the committed geography (DEPS="52 54 55" by default)
DEPS ?= 52 54 55
geo: $(VENV)/.dev-deps
	$(PY) -m data.geo_build --departements $(DEPS)

## Replace the database content with fresh demo data (YEARS=2 by default)
YEARS ?= 2
demo: $(VENV)/.run-deps
	$(PY) -m data.demo --years $(YEARS)

## Replay live events into the running app (make run in another terminal): RATE events/s for SECONDS;
## BATCH=1 sends each second's events as one batch per endpoint, in parallel (gateways), instead of one by one
RATE ?= 10
SECONDS ?= 60
BATCH ?= 0
simulate: $(VENV)/.run-deps
	$(VENV)/bin/flask --app app simulate --url http://127.0.0.1:$(PORT) --rate $(RATE) --seconds $(SECONDS) \
	  --batch-seconds $(BATCH)

$(VENV)/.bench-deps: requirements-bench.txt requirements-dev.txt requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@ $(VENV)/.dev-deps $(VENV)/.run-deps

## Every page callback end to end vs its bare queries vs DuckDB (SCALE=s|m|l; POSTGRES=postgresql+psycopg://... adds PostgreSQL,
## its event tables partitioned by month; PARTITIONED=0 on plain tables (revision 0012), PARTITIONED=both the two)
SCALE ?= s
PARTITIONED ?= 1
bench: $(VENV)/.bench-deps
	$(PY) -m bench.dashboard --scale $(SCALE) $(if $(POSTGRES),--postgres $(POSTGRES) \
	  --pg-schema $(if $(filter 0,$(PARTITIONED)),unpartitioned,$(if $(filter both,$(PARTITIONED)),both,partitioned)),)
	$(PY) -m bench.planner --scale $(if $(filter l,$(SCALE)),l,s)

## First paint in headless Chromium: navigation → KPI cards visible, → every chart drawn, per page (starts app.py on
## FIRST_PAINT_PORT, demo database; URL=http://... measures a running app instead; USER=ars by default)
FIRST_PAINT_PORT ?= 8059
USER_FP ?= ars
bench-first-paint: $(VENV)/.dev-deps
	$(PY) -m bench.first_paint --port $(FIRST_PAINT_PORT) --user $(USER_FP) $(if $(URL),--url $(URL),)

.venv-load/.deps: requirements-load.txt
	$(PYTHON) -m venv .venv-load
	.venv-load/bin/python -m pip install --quiet -r requirements-load.txt
	touch $@

## Load test on loopback: INSTANCES gunicorn instances (WORKERS × THREADS each) behind HAProxy, USERS locust users,
## the simulator at LOAD_RATE events/s, for LOAD_SECONDS; INSTANCES>1 needs POSTGRES=... and REDIS=...
USERS ?= 50
INSTANCES ?= 1
WORKERS ?= 4
THREADS ?= 1
LOAD_RATE ?= 100
LOAD_SECONDS ?= 90
loadtest: $(VENV)/.bench-deps .venv-load/.deps
	$(PY) -m bench.loadtest --users $(USERS) --instances $(INSTANCES) --workers $(WORKERS) --threads $(THREADS) \
	  --rate $(LOAD_RATE) --seconds $(LOAD_SECONDS) $(if $(POSTGRES),--postgres $(POSTGRES),) $(if $(REDIS),--redis $(REDIS),)

## Two app instances behind HAProxy on 127.0.0.1:8180 (stats :8181/, instances :8171, :8172) and one worker, on a
## throwaway PostgreSQL database with demo data and Redis; Ctrl-C stops and drops it
## (POSTGRES / REDIS: a server for the throwaway database / a Redis database; these defaults otherwise)
CLUSTER_DB = $(or $(POSTGRES),postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
CLUSTER_REDIS = $(or $(REDIS),redis://127.0.0.1:6379/14)
cluster: $(VENV)/.bench-deps
	$(PY) -m bench.cluster --postgres $(CLUSTER_DB) --redis $(CLUSTER_REDIS)

## The issue-18 figures in one command: USERS=200 users and the simulator at 500 events/s through HAProxy, one
## instance then two (each LB_WORKERS gunicorn workers × LB_THREADS threads), PostgreSQL + Redis, LB_SECONDS each;
## STEADY=1: figures from the end of the sign-in ramp (locust --reset-stats)
LB_USERS ?= 200
LB_RATE ?= 500
LB_WORKERS ?= 2
LB_THREADS ?= 4
LB_SECONDS ?= 120
loadtest-lb: $(VENV)/.bench-deps .venv-load/.deps
	for n in 1 2; do $(PY) -m bench.loadtest --users $(LB_USERS) --instances $$n --workers $(LB_WORKERS) \
	  --threads $(LB_THREADS) --rate $(LB_RATE) --seconds $(LB_SECONDS) --postgres $(CLUSTER_DB) \
	  --redis $(CLUSTER_REDIS) $(if $(STEADY),--steady,) || exit 1; done

## Failover: 30 locust users + the simulator through HAProxy, app1 SIGKILLed mid-run and restarted; prints the
## requests, errors in the failover window, events sent / stored / duplicated / lost
failover: $(VENV)/.bench-deps .venv-load/.deps
	$(PY) -m bench.failover --postgres $(CLUSTER_DB) --redis $(CLUSTER_REDIS)

## Ingestion throughput vs a bare bulk insert (POSTGRES=postgresql+psycopg://... adds PostgreSQL; PARTITIONED as for bench)
bench-ingestion: $(VENV)/.dev-deps
	$(PY) -m bench.ingestion $(if $(POSTGRES),--postgres $(POSTGRES) \
	  --pg-schema $(if $(filter 0,$(PARTITIONED)),unpartitioned,$(if $(filter both,$(PARTITIONED)),both,partitioned)),)

## Longer attack run on statistical secrecy (the suite in `make test` draws 10 selections per tactic)
ATTACK_EXAMPLES ?= 40
attack: $(VENV)/.dev-deps
	ATTACK_EXAMPLES=$(ATTACK_EXAMPLES) $(PY) -m pytest -q -s tests/attacks

## What the summary level's publication grid does to the demo data (share of cells 1-10, noise, totals)
bench-secrecy: $(VENV)/.run-deps
	$(PY) -m bench.secrecy

clean:
	rm -rf $(VENV) .venv-load instance/*.sqlite3* .pytest_cache .ruff_cache

## A streaming replica of PRIMARY (postgresql://user@host:port/db, which must accept replication connections) made
## by pg_basebackup -R in REPLICA_DIR, listening on 127.0.0.1:REPLICA_PORT; prints the DATABASE_READ_URL to set
REPLICA_PORT ?= 5433
REPLICA_DIR ?= /tmp/emeuse-replica
replica: $(VENV)/.run-deps
	$(PY) -m bench.replica start --primary $(PRIMARY) --port $(REPLICA_PORT) --dir $(abspath $(REPLICA_DIR))

replica-stop: $(VENV)/.run-deps
	$(PY) -m bench.replica stop --dir $(abspath $(REPLICA_DIR)) --remove
