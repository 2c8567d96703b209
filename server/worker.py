"""The background worker (`flask --app app worker`): every interval, evaluate the alert rules, keep the
partitions of the event tables (PostgreSQL), make the monthly reports, then send the mail outbox. Several
workers may run at once (two hosts): the database makes each notification and each sending happen once
(data/alerts.py, data/outbox.py), and one partition maintenance at a time (an advisory lock), so no worker
needs to know about the others."""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask

from data.alerts import evaluate_all
from data.outbox import deliver_pending
from settings import Settings

log = logging.getLogger(__name__)


def _reports(app: Flask) -> None:
    """The monthly reports (server/reports.py): last month's report of every subscription, once each."""
    from server.reports import report_job

    report_job(app)


PARTITIONS_EVERY = 3600.0  # seconds: months ahead are made months ahead, an hourly look is plenty
_partitions_done_at: dict[int, float] = {}  # per app, in this process


def _partitions(app: Flask) -> None:
    """PostgreSQL: next months' partitions of the raw event tables, old ones detached (data/partitions.py);
    the first round, then hourly."""
    from data import partitions

    settings: Settings = app.config["EMEUSE_SETTINGS"]
    engine = app.extensions["emeuse.engine"]
    if engine.dialect.name != "postgresql":
        return
    last = _partitions_done_at.get(id(app))
    if last is not None and time.monotonic() - last < PARTITIONS_EVERY:
        return
    _partitions_done_at[id(app)] = time.monotonic()
    with engine.begin() as conn:
        done = partitions.maintain(conn, today=date.today(), premake=settings.partition_premake_months,
                                   retention_months=settings.partition_retention_months or None)
    for name in done.created:
        log.info("worker: partition %s created", name)
    for name in done.detached:
        log.info("worker: partition %s detached (to archive, then drop)", name)


# Jobs run each round after the alerts and before delivery, so what they queue leaves in the same round.
JOBS: list[Callable[[Flask], None]] = [_partitions, _reports]


@dataclass(frozen=True)
class RoundReport:
    rules: int
    transitions: int
    mails_sent: int
    mails_failed: int
    errors: tuple[str, ...]


def run_round(app: Flask) -> RoundReport:
    """One round: rules, extra jobs, then the outbox."""
    settings: Settings = app.config["EMEUSE_SETTINGS"]
    factory = app.extensions["emeuse.sessions"]
    report = evaluate_all(factory, territory=settings.departements, base_url=settings.public_base_url,
                          reminder=timedelta(hours=settings.alert_reminder_hours)
                          if settings.alert_reminder_hours > 0 else None)
    errors = list(report.errors)
    for job in JOBS:
        try:
            job(app)
        except Exception as err:  # noqa: BLE001 — one failing job does not stop the worker
            errors.append(f"{getattr(job, '__name__', job)}: {type(err).__name__}: {err}")
    delivery = deliver_pending(factory, config=settings.smtp_config)
    for error in errors:
        log.error("worker: %s", error)
    return RoundReport(report.rules, len(report.transitions), delivery.sent, delivery.failed, tuple(errors))


def run_forever(app: Flask, *, interval: float, rounds: int | None = None,
                echo: Callable[[str], None] = print) -> None:
    """Rounds every `interval` seconds until SIGTERM/SIGINT (or `rounds` rounds)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    done = 0
    while not stop.is_set():
        started = time.monotonic()
        with app.app_context():
            r = run_round(app)
        echo(f"règles : {r.rules}, transitions : {r.transitions}, courriels envoyés : {r.mails_sent}, "
             f"en échec : {r.mails_failed}, erreurs : {len(r.errors)}")
        done += 1
        if rounds is not None and done >= rounds:
            break
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
