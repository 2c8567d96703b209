"""Alert rules end to end against a real SMTP server on loopback and the real database: one mail per
transition, none while firing or silenced, secrecy of the text per recipient, subscriptions checked
against the grant, and two worker processes on one PostgreSQL database notifying each transition once."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from data import alerts
from data.access import scope_for_user
from data.db import make_session_factory
from data.models import (
    AlertEvent,
    AlertRule,
    AlertSilence,
    AlertState,
    AlertSubscription,
    BiologyDaily,
    Device,
    DeviceStatus,
    FeedSource,
    MailMessage,
    Site,
    User,
)
from data.outbox import SmtpConfig, deliver_pending
from data.users import get_by_email, utcnow
from tests.conftest import TERRITORY
from tests.mail_server import SmtpServer, body_text

ARS, PRO, FIN, USAGERS = (f"{who}@demo.e-meuse-sante.fr" for who in ("ars", "professionnels", "financeurs",
                                                                        "usagers"))
SITE_NAME = "EHPAD Les Essais d'Alerte"
SERIAL = "TEST-ALERTE-0001"
BASE = "https://tableau.example.org"
T0 = datetime(2031, 1, 1, 8, 0)
RULE_NAME = "Essai (test)"


@pytest.fixture()
def factory(engine, demo_counts):
    return make_session_factory(engine)


@pytest.fixture()
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture()
def world(factory):
    """A test EHPAD in Bar-le-Duc (55) with one device; everything made here is removed afterwards."""
    with factory() as session:
        source = session.scalar(select(FeedSource).where(FeedSource.feed_kind == "biology").order_by(FeedSource.id))
        site = Site(code="TEST-ALERTES", name=SITE_NAME, kind="ehpad", commune_insee="55029", residents=40)
        session.add(site)
        session.flush()
        device = Device(serial=SERIAL, model="Analyseur d'essai", site_id=site.id)
        session.add(device)
        session.commit()
        ids = {"site": site.id, "device": device.id, "source": source.id}
    yield ids
    with factory() as session:
        rules = select(AlertRule.id).where(AlertRule.name == RULE_NAME)
        events = select(AlertEvent.id).where(AlertEvent.rule_id.in_(rules))
        keys = [f"alert-event:{e}:%" for e in session.scalars(events)]
        for key in keys:
            session.execute(delete(MailMessage).where(MailMessage.dedupe_key.like(key)))
        for table in (AlertEvent, AlertState, AlertSilence, AlertSubscription):
            session.execute(delete(table).where(table.rule_id.in_(rules)))
        session.execute(delete(AlertRule).where(AlertRule.name == RULE_NAME))
        session.execute(delete(DeviceStatus).where(DeviceStatus.device_id == ids["device"]))
        session.execute(delete(BiologyDaily).where(BiologyDaily.site_id == ids["site"]))
        session.execute(delete(Device).where(Device.id == ids["device"]))
        session.execute(delete(Site).where(Site.id == ids["site"]))
        session.commit()


def _status(factory, ids, at: datetime) -> None:
    with factory() as session:
        session.add(DeviceStatus(source_id=ids["source"], source_event_id=f"test-alerte-{at.isoformat()}",
                                 received_at=at, device_id=ids["device"], recorded_at=at, day=at.date(),
                                 battery_pct=80, qc_status="passed"))
        session.commit()


def _scope(session, email):
    return scope_for_user(session, get_by_email(session, email=email), territory=TERRITORY)


def _rule(factory, ids, *, kind="device_silent", threshold=24.0, subscribers=(PRO,), site=True,
          departements=None) -> int:
    """A rule made by the ARS officer (subscribed as its author) and followed by `subscribers`."""
    with factory() as session:
        rule = alerts.create_rule(session, scope=_scope(session, ARS), actor=ARS, name=RULE_NAME, kind=kind,
                                  threshold=threshold, departements=departements,
                                  site_id=ids["site"] if site else None, severity="critical")
        for email in subscribers:
            alerts.subscribe(session, scope=_scope(session, email), actor=email, rule_id=rule.id)
        session.commit()
        return rule.id


def _round(factory, smtp, now: datetime):
    """What one worker round does: evaluate every rule at `now`, then send the outbox."""
    report = alerts.evaluate_all(factory, now=now, territory=TERRITORY, base_url=BASE, reminder=timedelta(hours=24))
    assert report.errors == []
    deliver_pending(factory, config=SmtpConfig(host=smtp.host, port=smtp.port))
    return report


def test_silent_device_fires_once_stays_quiet_and_resolves_once(factory, world, smtp):
    _status(factory, world, T0)
    rule_id = _rule(factory, world)
    _round(factory, smtp, T0 + timedelta(hours=2))
    assert smtp.mailbox.messages == []  # reported 2 h ago: fine
    for hours in (26, 26.5, 27, 30):  # silent: one mail per recipient, then nothing while firing
        _round(factory, smtp, T0 + timedelta(hours=hours))
    ars, pro = smtp.mailbox.to(ARS), smtp.mailbox.to(PRO)
    assert len(ars) == 1 and len(pro) == 1
    subject = ars[0]["Subject"]
    assert subject.startswith("[e-Meuse Santé] Alerte : automate silencieux depuis 26\u00a0h — ")
    assert SITE_NAME in subject
    body = body_text(ars[0])
    assert f"{BASE}/biologie?dep=55&commune=55029&du=2031-01&au=2031-01" in body
    assert "Gravité : Critique".lower() in body.lower()
    _status(factory, world, T0 + timedelta(hours=31))
    _round(factory, smtp, T0 + timedelta(hours=31, minutes=1))
    _round(factory, smtp, T0 + timedelta(hours=31, minutes=2))
    resolved = [m for m in smtp.mailbox.to(ARS) if m["Subject"].startswith("[e-Meuse Santé] Résolue : ")]
    assert len(resolved) == 1 and len(smtp.mailbox.to(ARS)) == 2
    with factory() as session:
        kinds = session.scalars(select(AlertEvent.kind).where(AlertEvent.rule_id == rule_id)
                                .order_by(AlertEvent.seq)).all()
        assert kinds == ["firing", "resolved"]
        state = session.scalar(select(AlertState).where(AlertState.rule_id == rule_id))
        assert state.status == "resolved" and state.seq == 2


def test_reminder_after_the_delay_while_firing(factory, world, smtp):
    _status(factory, world, T0)
    _rule(factory, world, subscribers=())
    _round(factory, smtp, T0 + timedelta(hours=25))
    _round(factory, smtp, T0 + timedelta(hours=30))
    _round(factory, smtp, T0 + timedelta(hours=49, minutes=1))  # 24 h after the first mail
    _round(factory, smtp, T0 + timedelta(hours=50))
    subjects = [m["Subject"] for m in smtp.mailbox.to(ARS)]
    assert len(subjects) == 2 and subjects[1].startswith("[e-Meuse Santé] Rappel : ")


def test_silence_suppresses_the_mails(factory, world, smtp):
    _status(factory, world, T0)
    rule_id = _rule(factory, world)
    with factory() as session:
        alerts.silence(session, scope=_scope(session, ARS), actor=ARS, rule_id=rule_id,
                       until=T0 + timedelta(hours=40), now=T0)
        session.commit()
    for hours in (26, 30, 35):
        _round(factory, smtp, T0 + timedelta(hours=hours))
    assert smtp.mailbox.messages == []
    with factory() as session:  # the transition is in the history, marked silenced
        event = session.scalar(select(AlertEvent).where(AlertEvent.rule_id == rule_id))
        assert event.kind == "firing" and event.silenced and event.recipients == 0
    _round(factory, smtp, T0 + timedelta(hours=41))  # the silence is over, still firing: one mail now
    assert len(smtp.mailbox.to(ARS)) == 1


def test_member_cannot_follow_what_their_grant_does_not_cover(factory, world):
    rule_id = _rule(factory, world, subscribers=())
    with factory() as session:
        for email in (FIN, USAGERS):  # biology at summary (a site rule needs detail), biology none
            with pytest.raises(alerts.AlertError):
                alerts.subscribe(session, scope=_scope(session, email), actor=email, rule_id=rule_id)
        with pytest.raises(alerts.AlertError):
            alerts.create_rule(session, scope=_scope(session, PRO), actor=PRO, name="x", kind="device_silent",
                               threshold=1, departements=None)


def test_summary_recipient_reads_the_departement_and_small_counts(factory, world, smtp):
    today = T0.date()
    with factory() as session:  # 9 abnormal results of 25 this week in the test EHPAD: 36 %
        for i, (tests, abnormal) in enumerate(((10, 4), (15, 5))):
            session.add(BiologyDaily(day=today - timedelta(days=i), site_id=world["site"], loinc="2345-7",
                                     tests=tests, abnormal=abnormal, sample_to_result_min=0, result_to_lab_min=0,
                                     transmitted=tests))
        session.commit()
    with factory() as session:  # a site rule needs detail: the summary reader may not follow it
        with pytest.raises(alerts.AlertError):
            alerts.subscribe(session, scope=_scope(session, FIN), actor=FIN,
                             rule_id=_rule(factory, world, kind="biology_abnormal_rate", subscribers=()))
    # département-wide (no demo data in this week of 2031: only the test EHPAD can fire)
    _rule(factory, world, kind="biology_abnormal_rate", threshold=30, subscribers=(FIN, PRO), site=False,
          departements=["55"])
    with factory() as session:  # a member without the biology grant cannot follow it either
        with pytest.raises(alerts.AlertError):
            alerts.subscribe(session, scope=_scope(session, USAGERS), actor=USAGERS,
                             rule_id=session.scalar(select(func.max(AlertRule.id))))
    _round(factory, smtp, T0)
    fin, pro = smtp.mailbox.to(FIN), smtp.mailbox.to(PRO)
    assert smtp.mailbox.to(USAGERS) == []
    assert len(pro) == 1 and SITE_NAME in pro[0]["Subject"] and "9 résultats anormaux sur 25" in body_text(pro[0])
    assert len(fin) == 1
    text = fin[0]["Subject"] + "\n" + body_text(fin[0])
    assert SITE_NAME not in text and "Bar-le-Duc" not in text and "55029" not in text and SERIAL not in text
    assert "un EHPAD de Meuse (55)" in text
    assert "< 11 résultats anormaux sur 25" in text
    assert "36" not in text  # the rate of a hidden count is not given (it would give the count back)
    assert f"{BASE}/biologie?dep=55&du=2031-01&au=2031-01" in text


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="two workers on one database: PostgreSQL (SQLite runs a single worker)")
def test_two_worker_processes_notify_each_transition_once(factory, world, smtp, database_url):
    now = utcnow()
    _status(factory, world, now - timedelta(hours=3))
    _rule(factory, world, threshold=1)

    def workers(rounds: int):
        env = {**os.environ, "DATABASE_URL": database_url, "SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port),
               "DEMO_ON_FIRST_START": "false", "ENV": "test", "PUBLIC_BASE_URL": BASE,
               "TERRITORY_DEPARTEMENTS": ",".join(TERRITORY)}
        procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "0.05",
                                   "--rounds", str(rounds)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        return outputs

    def ours(email: str) -> list[str]:
        # the workers serve the whole shared test database: rules and queued mails other test files left there
        # go out too; a second notification of this rule still counts
        return [m["Subject"] for m in smtp.mailbox.to(email) if SITE_NAME in m["Subject"]]

    workers(8)
    assert len(ours(ARS)) == 1 and len(ours(PRO)) == 1, [m["Subject"] for m in smtp.mailbox.messages]
    _status(factory, world, utcnow())
    workers(8)
    for email in (ARS, PRO):
        subjects = ours(email)
        assert len(subjects) == 2 and subjects[1].startswith("[e-Meuse Santé] Résolue : "), subjects
    with factory() as session:
        sent = session.scalar(select(func.count()).select_from(MailMessage)
                              .where(MailMessage.recipient.in_([ARS, PRO]), MailMessage.sent_at.is_not(None),
                                     MailMessage.dedupe_key.like("alert-event:%")))
        assert sent >= 4


def test_grant_withdrawn_after_subscribing_stops_the_mails(factory, world, smtp):
    _status(factory, world, T0)
    _rule(factory, world)
    with factory() as session:
        pro = get_by_email(session, email=PRO)
        pro.active = False
        session.commit()
    try:
        _round(factory, smtp, T0 + timedelta(hours=26))
        assert smtp.mailbox.to(PRO) == [] and len(smtp.mailbox.to(ARS)) == 1
    finally:
        with factory() as session:
            session.scalar(select(User).where(User.email == PRO)).active = True
            session.commit()


def test_every_kind_evaluates_on_the_demo_data(factory):
    """Each kind's SQL runs on both engines over the demo data, and its findings are readable by the ARS."""
    with factory() as session:
        ars = _scope(session, ARS)
        for kind in alerts.KINDS:
            rule = AlertRule(id=None, name="x", kind=kind, dataset=alerts.KINDS[kind].dataset.value,
                             params={alerts.KINDS[kind].param: 0} if alerts.KINDS[kind].param != "none" else {},
                             departements=None, severity="info", active=True, created_at=T0)
            findings = alerts.evaluate(session, rule=rule, now=datetime(2026, 10, 31, 12), territory=TERRITORY)
            for finding in findings[:3]:
                from data.views.alerts import describe

                assert describe(rule=rule, facts=finding.facts, at=T0, scope=ars) is not None, kind


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="two workers on one database: PostgreSQL (SQLite runs a single worker)")
def test_two_workers_in_lockstep_notify_once(database_url, factory, world, smtp):
    """Two threads, each with its own engine, evaluate and deliver at the same instant, 6 times."""
    import threading

    from data.db import make_engine

    _status(factory, world, T0)
    _rule(factory, world)
    engines = [make_engine(database_url) for _ in range(2)]
    factories = [make_session_factory(e) for e in engines]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(f):
        try:
            for hours in (26, 26, 27, 27, 28, 28):
                barrier.wait(timeout=30)
                report = alerts.evaluate_all(f, now=T0 + timedelta(hours=hours), territory=TERRITORY,
                                             base_url=BASE, reminder=None)
                assert report.errors == []
                barrier.wait(timeout=30)
                deliver_pending(f, config=SmtpConfig(host=smtp.host, port=smtp.port))
        except BaseException as err:  # noqa: BLE001 — reported by the test
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(f,)) for f in factories]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for e in engines:
        e.dispose()
    assert errors == []
    assert len(smtp.mailbox.to(ARS)) == 1 and len(smtp.mailbox.to(PRO)) == 1
