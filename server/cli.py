"""Command-line commands: `flask --app app init-db | demo-data | rebuild-rollups | create-user | end-sessions | ...`."""
from __future__ import annotations

import time
from datetime import date

import click
from flask import Flask, current_app

from data import admin, demo
from data.db import session_scope, upgrade
from data.models import Dataset
from data.users import create_user, get_by_email
from server.database import prepare_database


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the schema (Alembic head); an empty database gets demo data if DEMO_ON_FIRST_START."""
        prepare_database(current_app, current_app.config["EMEUSE_SETTINGS"])
        click.echo("schema up to date")

    @app.cli.command("demo-data")
    @click.option("--years", default=2, show_default=True)
    @click.option("--seed", default=demo.DEFAULT_SEED, show_default=True)
    @click.option("--end", default=None, help="last day (YYYY-MM-DD); yesterday by default")
    def demo_data(years: int, seed: int, end: str | None) -> None:
        """Replace the database content with deterministic demo data."""
        upgrade(current_app.extensions["emeuse.engine"])
        t0 = time.perf_counter()
        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            counts = demo.generate(session, seed=seed, years=years,
                                   end=date.fromisoformat(end) if end else None,
                                   departements=current_app.config["EMEUSE_SETTINGS"].departements,
                                   live_tail=demo.LIVE_TAIL_EVENTS)
        for table, n in counts.items():
            click.echo(f"{table}: {n}")
        click.echo(f"generated in {time.perf_counter() - t0:.1f} s")

    @app.cli.command("rebuild-rollups")
    def rebuild_rollups() -> None:
        """Recompute every rollup table from the raw events (ingestion keeps them current otherwise)."""
        from data import rollups
        from server.cache import bump

        t0 = time.perf_counter()
        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            counts = rollups.rebuild_all(session)
        for dataset in Dataset:
            bump(dataset.value)
        for table, n in counts.items():
            click.echo(f"{table}: {n}")
        click.echo(f"rebuilt in {time.perf_counter() - t0:.1f} s")

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", "full_name", required=True)
    @click.option("--role", type=click.Choice(["member", "ars", "admin"]), default="member")
    @click.option("--college", default=None)
    @click.password_option()
    def create_user_cmd(email: str, full_name: str, role: str, college: str | None, password: str) -> None:
        """Create a user (password asked twice, never echoed)."""
        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            create_user(session, email=email, full_name=full_name, password=password, role=role,
                        college=college)
        click.echo(f"user {email} created")

    @app.cli.command("end-sessions")
    @click.argument("email")
    def end_sessions_cmd(email: str) -> None:
        """End every open session of a user (they must sign in again), audited."""
        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            user = get_by_email(session, email=email)
            if user is None:
                raise click.ClickException(f"no user {email}")
            ended = admin.end_sessions(session, actor=None, user_id=user.id)
        click.echo(f"{ended} session(s) of {email} ended")

    @app.cli.command("create-source")
    @click.option("--name", required=True, help="name of the sending system")
    @click.option("--feed", "feed_kind", required=True,
                  type=click.Choice(["teleconsultation", "mobile", "biology", "workforce", "programme"]))
    @click.option("--site", "sites", multiple=True, help="limit the key to these site codes (repeatable)")
    def create_source_cmd(name: str, feed_kind: str, sites: tuple[str, ...]) -> None:
        """Register a feed source and print its API key (shown only this once)."""
        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            try:
                source = admin.create_source(session, actor=None, name=name, feed_kind=feed_kind,
                                             site_codes=list(sites) or None)
            except admin.AdminError as err:
                raise click.ClickException(str(err)) from err
            key = admin.issue_key(session, actor=None, source_id=source.id)
        click.echo(f"source {name!r} ({feed_kind}) created; API key (shown once, store it safely):")
        click.echo(key)


    @app.cli.command("import-workforce")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--source", "source_name", default="Extraction RPPS (import CSV)", show_default=True)
    @click.option("--encoding", default="utf-8-sig", show_default=True)
    def import_workforce(path: str, source_name: str, encoding: str) -> None:
        """Import a registry extract (CSV with French headers); prints created/updated/rejected rows."""
        from sqlalchemy import select

        from data.ingestion.workforce_csv import import_registry, reject_file
        from data.models import FeedSource
        from server.cache import bump

        with open(path, encoding=encoding, newline="") as fh:
            text = fh.read()
        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            source = session.scalar(select(FeedSource).where(FeedSource.name == source_name))
            if source is None:
                source = admin.create_source(session, actor=None, name=source_name, feed_kind="workforce")
            elif source.feed_kind != "workforce":
                raise click.ClickException(f"la source {source_name!r} n'est pas une source de démographie")
            try:
                summary = import_registry(session, source=source, text=text)
            except ValueError as err:
                reject_file(session, source=source, text=text, message=str(err))
                session.commit()
                raise click.ClickException(str(err)) from err
        for dataset in ("workforce", "coverage", "feeds"):
            bump(dataset)
        click.echo(f"{summary.rows} lignes : {summary.created} créées, {summary.updated} mises à jour, "
                   f"{summary.unchanged} inchangées, {summary.rejected} refusées")
        for line, message in summary.errors[:50]:
            click.echo(f"  ligne {line} : {message}")


    @app.cli.command("partitions")
    @click.option("--premake", type=int, default=None, help="months ahead (PARTITION_PREMAKE_MONTHS)")
    @click.option("--retention", type=int, default=None,
                  help="detach partitions older than this many months (PARTITION_RETENTION_MONTHS; 0 keeps all)")
    def partitions_cmd(premake: int | None, retention: int | None) -> None:
        """PostgreSQL: create the next months' partitions of the raw event tables, detach old ones (the worker
        does it every round)."""
        from data import partitions

        settings = current_app.config["EMEUSE_SETTINGS"]
        retention = settings.partition_retention_months if retention is None else retention
        with current_app.extensions["emeuse.engine"].begin() as conn:
            if not partitions.is_postgres(conn):
                click.echo("SQLite : tables non partitionnées, rien à faire")
                return
            done = partitions.maintain(conn, today=date.today(), retention_months=retention or None,
                                       premake=settings.partition_premake_months if premake is None else premake)
        click.echo(f"partitions créées : {len(done.created)}, détachées : {len(done.detached)}")
        for name in done.created + done.detached:
            click.echo(f"  {name}")

    @app.cli.command("worker")
    @click.option("--interval", type=float, default=None, help="seconds between rounds (WORKER_INTERVAL_SECONDS)")
    @click.option("--once", is_flag=True, help="one round, then exit")
    @click.option("--rounds", type=int, default=None, help="stop after this many rounds")
    def worker_cmd(interval: float | None, once: bool, rounds: int | None) -> None:
        """Evaluate the alert rules and send the mail outbox, every minute by default (several may run)."""
        from server.worker import run_forever

        settings = current_app.config["EMEUSE_SETTINGS"]
        run_forever(current_app._get_current_object(), interval=interval or settings.worker_interval_seconds,
                    rounds=1 if once else rounds, echo=click.echo)

    @app.cli.command("simulate")
    @click.option("--url", default="http://127.0.0.1:8050", show_default=True, help="running instance (loopback)")
    @click.option("--rate", default=10.0, show_default=True, help="events per second")
    @click.option("--seconds", default=60.0, show_default=True, help="how long to run (bounded)")
    @click.option("--malformed", default=0.05, show_default=True, help="share of malformed events")
    @click.option("--batch-seconds", default=0.0, show_default=True,
                  help="0: one request per event; >0: the events of each window sent as one batch per endpoint, "
                       "endpoints in parallel")
    @click.option("--retries", default=6, show_default=True,
                  help="batches: times an unanswered (or 429/5xx) batch is sent again, same event ids")
    @click.option("--seed", default=7, show_default=True, help="random seed of the events (and their ids)")
    def simulate(url: str, rate: float, seconds: float, malformed: float, batch_seconds: float, retries: int,
                 seed: int) -> None:
        """Replay realistic live events into a running instance (sources and keys made in its database)."""
        from data import simulator

        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            keys = simulator.simulator_keys(session)
            world = simulator.World.load(session, seed=seed)
        delivery = simulator.run(base_url=url, keys=keys, world=world, rate=rate, seconds=seconds,
                                 malformed_share=malformed, batch_seconds=batch_seconds, retries=retries,
                                 log=click.echo)
        click.echo("terminé : " + delivery.summary(seconds))
