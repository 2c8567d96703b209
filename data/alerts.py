"""Alert rules: what each kind measures (SQL aggregates on the events' latest rows and the rollups), and the
evaluation that turns findings into state transitions, history and queued mails, exactly once.

A rule is evaluated per subject (a device, a feed source, a site, a mobile unit, a programme series):
`evaluate` returns the subjects in breach, with the facts a notification needs. `run_rule` compares them
with the stored states: a subject newly in breach fires, one no longer in breach resolves, one firing
for longer than the reminder delay is reminded. Each such transition is claimed by inserting its
`AlertEvent` (unique on rule, subject, seq): of two workers seeing the same transition only one inserts
it, and only that one updates the state and queues the mails, whose dedupe keys are unique as well.
What a recipient reads is built by `data.views.alerts` for that recipient's scope.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased, sessionmaker

from data import audit
from data.access import AccessScope, scope_for_user
from data.alert_kinds import (  # noqa: F401 — re-exported: the rules' vocabulary lives beside them
    FIRING,
    KINDS,
    MIN_EVENTS,
    REMINDER,
    RESOLVED,
    SEVERITIES,
    WINDOW_DAYS,
    AlertError,
    AlertKind,
    can_manage,
    recipient_allowed,
)
from data.formatting import to_paris
from data.models import (
    AlertEvent,
    AlertRule,
    AlertSilence,
    AlertState,
    AlertSubscription,
    BiologyDaily,
    Commune,
    Dataset,
    Departement,
    Device,
    DeviceStatus,
    FeedHourly,
    FeedSource,
    MobileDaily,
    MobileUnit,
    ProgrammeIndicatorValue,
    Site,
    TeleconsultationDaily,
    User,
)
from data.outbox import queue_mail
from data.users import utcnow
from data.views.alerts import notification  # the view layer writes what each recipient may read


@dataclass(frozen=True)
class Finding:
    """A subject in breach of a rule: its key, the measured value, what the notification needs."""

    subject: str
    value: float | None
    facts: dict = field(compare=False)


@dataclass(frozen=True)
class Transition:
    rule_id: int
    subject: str
    kind: str  # firing | resolved | reminder
    event_id: int
    mails: int
    silenced: bool


# --- what each kind measures -----------------------------------------------------------------------

def _site_facts(site_id: int, site: str, site_kind: str, commune: str, commune_name: str, dep: str,
                dep_name: str) -> dict:
    return {"site_id": site_id, "site": site, "site_kind": site_kind, "commune": commune,
            "commune_name": commune_name, "dep": dep, "dep_name": dep_name}


def _site_columns():
    return (Site.id, Site.name, Site.kind, Commune.insee, Commune.name, Departement.code, Departement.name)


def _area(stmt, rule: AlertRule, territory: tuple[str, ...]):
    deps = [d for d in (rule.departements or territory) if d in territory]
    stmt = stmt.where(Commune.departement_code.in_(deps))
    if rule.site_id is not None:
        stmt = stmt.where(Site.id == rule.site_id)
    return stmt


def _devices(session: Session, rule: AlertRule, now: datetime, territory: tuple[str, ...]) -> list[Finding]:
    ds = DeviceStatus
    latest = (select(ds.id).where(ds.device_id == Device.id).order_by(ds.recorded_at.desc(), ds.id.desc())
              .limit(1).correlate(Device).scalar_subquery())
    stmt = (select(Device.id, Device.serial, Device.model, ds.recorded_at, ds.qc_status, ds.battery_pct,
                   *_site_columns())
            .join(Site, Site.id == Device.site_id).join(Commune, Commune.insee == Site.commune_insee)
            .join(Departement, Departement.code == Commune.departement_code)
            .outerjoin(ds, ds.id == latest).order_by(Device.id))
    params = rule.params or {}
    out = []
    for device_id, serial, model, seen, qc, battery, *site in session.execute(_area(stmt, rule, territory)):
        facts = {**_site_facts(*site), "device_id": device_id, "serial": serial, "model": model,
                 "last_seen": seen.isoformat() if seen else None}
        if rule.kind == "device_silent":
            hours = float(params.get("hours", 24))
            silent_h = None if seen is None else (now - seen).total_seconds() / 3600
            if silent_h is None or silent_h > hours:
                out.append(Finding(f"device:{device_id}", silent_h, {**facts, "hours": silent_h, "threshold": hours}))
        elif rule.kind == "device_qc_failed":
            if qc == "failed":
                out.append(Finding(f"device:{device_id}", None, {**facts, "qc": qc}))
        elif rule.kind == "device_battery_low":
            pct = float(params.get("pct", 20))
            if battery is not None and battery < pct:
                out.append(Finding(f"device:{device_id}", float(battery), {**facts, "battery": battery,
                                                                          "threshold": pct}))
    return out


def _sources(session: Session, rule: AlertRule, now: datetime, territory: tuple[str, ...]) -> list[Finding]:
    params = rule.params or {}
    stmt = select(FeedSource).where(FeedSource.revoked_at.is_(None), FeedSource.key_hash.is_not(None))
    if rule.source_id is not None:
        stmt = stmt.where(FeedSource.id == rule.source_id)
    sources = list(session.scalars(stmt.order_by(FeedSource.id)))
    out = []
    if rule.kind == "source_silent":
        hours = float(params.get("hours", 24))
        for s in sources:
            silent_h = None if s.last_seen_at is None else (now - s.last_seen_at).total_seconds() / 3600
            if silent_h is None or silent_h > hours:
                out.append(Finding(f"source:{s.id}", silent_h, {
                    "source_id": s.id, "source": s.name, "feed_kind": s.feed_kind, "hours": silent_h,
                    "threshold": hours, "last_seen": s.last_seen_at.isoformat() if s.last_seen_at else None}))
        return out
    pct = float(params.get("pct", 10))
    delivered = FeedHourly.accepted + FeedHourly.updated + FeedHourly.duplicates + FeedHourly.rejected
    totals = {sid: (int(total or 0), int(rejected or 0)) for sid, total, rejected in session.execute(
        select(FeedHourly.source_id, func.sum(delivered), func.sum(FeedHourly.rejected))
        .where(FeedHourly.hour >= now - timedelta(hours=24)).group_by(FeedHourly.source_id))}
    for s in sources:
        total, rejected = totals.get(s.id, (0, 0))
        if total >= MIN_EVENTS and rejected * 100 > pct * total:
            out.append(Finding(f"source:{s.id}", 100 * rejected / total, {
                "source_id": s.id, "source": s.name, "feed_kind": s.feed_kind, "rate": 100 * rejected / total,
                "numerator": rejected, "denominator": total, "threshold": pct}))
    return out


def _window(now: datetime) -> tuple[date, date]:
    """The last 7 local days up to today (today's rollup rows included)."""
    today = to_paris(now).date()
    return today - timedelta(days=WINDOW_DAYS - 1), today


def _site_rates(session: Session, rule: AlertRule, now: datetime, territory: tuple[str, ...]) -> list[Finding]:
    first, last = _window(now)
    pct = float((rule.params or {}).get("pct", 10))
    if rule.kind == "biology_abnormal_rate":
        r = BiologyDaily
        num, den = func.sum(r.abnormal), func.sum(r.tests)
    else:
        r = TeleconsultationDaily
        num = func.coalesce(func.sum(r.sessions).filter(r.status == "technical_failure"), 0)
        den = func.sum(r.sessions)
    stmt = (select(*_site_columns(), num, den).select_from(r)
            .join(Site, Site.id == r.site_id).join(Commune, Commune.insee == Site.commune_insee)
            .join(Departement, Departement.code == Commune.departement_code)
            .where(r.day >= first, r.day <= last)
            .group_by(*_site_columns()).having(den >= MIN_EVENTS, num * 100 > den * pct).order_by(Site.id))
    if rule.kind == "biology_abnormal_rate":
        stmt = stmt.where(Site.kind == "ehpad")
    out = []
    for *site, n, d in session.execute(_area(stmt, rule, territory)):
        rate = 100 * int(n) / int(d)
        out.append(Finding(f"site:{site[0]}", rate, {**_site_facts(*site), "rate": rate, "numerator": int(n),
                                                     "denominator": int(d), "threshold": pct,
                                                     "first": first.isoformat(), "last": last.isoformat()}))
    return out


def _mobile(session: Session, rule: AlertRule, now: datetime, territory: tuple[str, ...]) -> list[Finding]:
    first, last = _window(now)
    limit = float((rule.params or {}).get("count", 3))
    deps = [d for d in (rule.departements or territory) if d in territory]
    cancelled = func.coalesce(func.sum(MobileDaily.stops).filter(MobileDaily.status == "cancelled"), 0)
    stmt = (select(MobileUnit.id, MobileUnit.name, Departement.code, Departement.name, cancelled)
            .select_from(MobileDaily).join(MobileUnit, MobileUnit.id == MobileDaily.unit_id)
            .join(Departement, Departement.code == MobileUnit.departement_code)
            .where(MobileDaily.day >= first, MobileDaily.day <= last, MobileUnit.departement_code.in_(deps))
            .group_by(MobileUnit.id, MobileUnit.name, Departement.code, Departement.name)
            .having(cancelled > limit).order_by(MobileUnit.id))
    return [Finding(f"unit:{uid}", float(n), {"unit_id": uid, "unit": name, "dep": dep, "dep_name": dep_name,
                                              "count": int(n), "threshold": limit, "first": first.isoformat(),
                                              "last": last.isoformat()})
            for uid, name, dep, dep_name, n in session.execute(stmt)]


def _programme(session: Session, rule: AlertRule, now: datetime, territory: tuple[str, ...]) -> list[Finding]:
    """Each series' latest ended period off its target; the objective's direction as on the page (the
    series' first value above its target: lower is better)."""
    piv = ProgrammeIndicatorValue
    today = to_paris(now).date()
    deps = [d for d in (rule.departements or territory) if d in territory]
    series = (piv.experiment, piv.indicator, piv.territory_level, piv.territory_code)
    bounds = (select(*series, func.max(piv.period_end).label("last_end"), func.min(piv.period_end).label("first_end"))
              .where(piv.period_end < today, piv.target.is_not(None), piv.departement_code.in_(deps))
              .group_by(*series).subquery())
    last, first = aliased(piv), aliased(piv)

    def same(alias, end):
        return and_(alias.experiment == bounds.c.experiment, alias.indicator == bounds.c.indicator,
                    alias.territory_level == bounds.c.territory_level,
                    alias.territory_code == bounds.c.territory_code, alias.period_end == end)

    stmt = (select(last.experiment, last.indicator, last.territory_level, last.territory_code, last.departement_code,
                   Departement.name, last.period_end, last.value, last.target, last.unit, first.value, first.target)
            .select_from(bounds).join(last, same(last, bounds.c.last_end))
            .join(first, same(first, bounds.c.first_end))
            .join(Departement, Departement.code == last.departement_code)
            .where(last.target.is_not(None))
            .where(or_(and_(first.value > first.target, last.value > last.target),
                       and_(first.value <= first.target, last.value < last.target)))
            .order_by(last.experiment, last.indicator, last.territory_level, last.territory_code))
    out, seen = [], set()
    for exp, ind, level, code, dep, dep_name, end, value, target, unit, v0, t0 in session.execute(stmt):
        subject = f"piv:{exp}:{ind}:{level}:{code}"
        if subject in seen:  # two values of the same period: one alert
            continue
        seen.add(subject)
        out.append(Finding(subject[:80], float(value), {
            "experiment": exp, "indicator": ind, "territory_level": level, "territory_code": code, "dep": dep,
            "dep_name": dep_name, "period_end": end.isoformat(), "value": float(value), "target": float(target),
            "unit": unit, "lower_is_better": bool(v0 > t0)}))
    return out


EVALUATORS: dict[str, Callable[[Session, AlertRule, datetime, tuple[str, ...]], list[Finding]]] = {
    "device_silent": _devices, "device_qc_failed": _devices, "device_battery_low": _devices,
    "source_silent": _sources, "source_reject_rate": _sources,
    "biology_abnormal_rate": _site_rates, "teleconsultation_failure_rate": _site_rates,
    "mobile_cancelled": _mobile, "programme_off_target": _programme,
}


def evaluate(session: Session, *, rule: AlertRule, now: datetime, territory: tuple[str, ...]) -> list[Finding]:
    """The subjects in breach of `rule` at `now` (an inactive rule has none)."""
    if not rule.active:
        return []
    return EVALUATORS[rule.kind](session, rule, now, territory)


# --- transitions, exactly once ---------------------------------------------------------------------

def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _claim(session: Session, *, rule_id: int, subject: str, seq: int, kind: str, at: datetime, value: float | None,
           facts: dict, silenced: bool) -> int | None:
    """Insert the transition's history row; None when another worker already recorded it."""
    stmt = (_insert(session)(AlertEvent).values(rule_id=rule_id, subject=subject, seq=seq, kind=kind, at=at,
                                                value=value, facts=facts, silenced=silenced, recipients=0)
            .on_conflict_do_nothing(index_elements=["rule_id", "subject", "seq"]).returning(AlertEvent.id))
    return session.execute(stmt).scalar()


def silenced(session: Session, *, rule_id: int, subject: str, now: datetime) -> bool:
    """Whether a silence of the rule (or of this subject) is running at `now`."""
    return session.scalar(select(AlertSilence.id).where(
        AlertSilence.rule_id == rule_id, AlertSilence.until > now,
        or_(AlertSilence.subject.is_(None), AlertSilence.subject == subject)).limit(1)) is not None


def run_rule(session: Session, *, rule: AlertRule, now: datetime, territory: tuple[str, ...], base_url: str,
             reminder: timedelta | None) -> list[Transition]:
    """Evaluate one rule and apply its transitions in the caller's transaction (see the module's docstring)."""
    findings = {f.subject: f for f in evaluate(session, rule=rule, now=now, territory=territory)}
    states = {s.subject: s for s in session.scalars(select(AlertState).where(AlertState.rule_id == rule.id)
                                                   .order_by(AlertState.id))}  # one lock order for all workers
    delay = timedelta(hours=rule.reminder_hours) if rule.reminder_hours else reminder
    planned: list[tuple[str, str, float | None, dict, AlertState | None]] = []
    for subject, finding in findings.items():
        state = states.get(subject)
        if state is None or state.status != FIRING:
            planned.append((subject, FIRING, finding.value, finding.facts, state))
        elif state.notified_at is None or (delay is not None and now - state.notified_at >= delay):
            planned.append((subject, REMINDER, finding.value, finding.facts, state))
        else:
            state.value, state.facts, state.evaluated_at = finding.value, finding.facts, now
    for subject, state in states.items():
        if state.status == FIRING and subject not in findings:
            planned.append((subject, RESOLVED, state.value, state.facts, state))
    out = []
    recipients = None
    for subject, kind, value, facts, state in planned:
        quiet = silenced(session, rule_id=rule.id, subject=subject, now=now)
        if kind == REMINDER and quiet:
            continue  # still firing, still silenced: nothing to record
        seq = (state.seq if state else 0) + 1
        event_id = _claim(session, rule_id=rule.id, subject=subject, seq=seq, kind=kind, at=now, value=value,
                          facts=facts, silenced=quiet)
        if event_id is None:
            continue  # another worker recorded (and notified) this transition
        if state is None:
            state = AlertState(rule_id=rule.id, subject=subject, status=FIRING, since=now, seq=seq, value=value,
                               facts=facts, notified_at=None, evaluated_at=now)
            session.add(state)
        state.seq, state.value, state.facts, state.evaluated_at = seq, value, facts, now
        if kind != REMINDER:
            state.status, state.since = (FIRING if kind == FIRING else RESOLVED), now
        mails = 0
        notify = not quiet and not (kind == RESOLVED and state.notified_at is None)
        if notify:
            if recipients is None:
                recipients = _recipients(session, rule=rule, territory=territory)
            for user, scope in recipients:
                text = notification(rule=rule, kind=kind, facts=facts, since=state.since, at=now, scope=scope,
                                    base_url=base_url)
                if text is None:
                    continue
                if queue_mail(session, to=user.email, subject=text.subject, body=text.body, kind="alert",
                              user_id=user.id, dedupe_key=f"alert-event:{event_id}:user:{user.id}"):
                    mails += 1
        state.notified_at = (now if notify else None) if kind != RESOLVED else None
        session.execute(AlertEvent.__table__.update().where(AlertEvent.id == event_id).values(recipients=mails))
        session.flush()
        out.append(Transition(rule.id, subject, kind, event_id, mails, quiet))
    return out


def _recipients(session: Session, *, rule: AlertRule, territory: tuple[str, ...]) -> list[tuple[User, AccessScope]]:
    """Active subscribers with their scope as of now (a grant withdrawn since subscribing stops the mails)."""
    users = session.scalars(select(User).join(AlertSubscription, AlertSubscription.user_id == User.id)
                            .where(AlertSubscription.rule_id == rule.id, User.active.is_(True)).order_by(User.id))
    out = []
    for user in users:
        scope = scope_for_user(session, user, territory=territory)
        if recipient_allowed(scope, rule):
            out.append((user, scope))
    return out


@dataclass(frozen=True)
class EvaluationReport:
    rules: int
    transitions: list[Transition]
    errors: list[str]


def evaluate_all(factory: sessionmaker[Session], *, now: datetime | None = None, territory: tuple[str, ...],
                 base_url: str, reminder: timedelta | None) -> EvaluationReport:
    """Every active rule, each in its own transaction (one failing rule does not hold back the others)."""
    now = now or utcnow()
    with factory() as session:
        rule_ids = list(session.scalars(select(AlertRule.id).where(AlertRule.active.is_(True))
                                        .order_by(AlertRule.id)))
    transitions, errors = [], []
    for rule_id in rule_ids:
        with factory() as session:
            try:
                rule = session.get(AlertRule, rule_id)
                if rule is None or not rule.active:
                    continue
                transitions += run_rule(session, rule=rule, now=now, territory=territory, base_url=base_url,
                                        reminder=reminder)
                session.commit()
            except Exception as err:  # noqa: BLE001 — logged and retried at the next round
                session.rollback()
                errors.append(f"rule {rule_id}: {type(err).__name__}: {err}")
    return EvaluationReport(len(rule_ids), transitions, errors)


# --- management (admin and ARS create rules; members subscribe) ------------------------------------

def create_rule(session: Session, *, scope: AccessScope, actor: str, name: str, kind: str, threshold: float | None,
                departements: list[str] | None, site_id: int | None = None, source_id: int | None = None,
                severity: str = "warning", reminder_hours: int | None = None, now: datetime | None = None
                ) -> AlertRule:
    """A new active rule, its author subscribed; refused to anyone but admin and ARS, audited."""
    if not can_manage(scope):
        raise AlertError("Seuls les administrateurs et l'ARS créent des règles d'alerte.")
    if kind not in KINDS:
        raise AlertError("Type de règle inconnu.")
    if severity not in SEVERITIES:
        raise AlertError("Gravité inconnue.")
    spec = KINDS[kind]
    name = (name or "").strip() or spec.label
    if len(name) > 200:
        raise AlertError("Le nom est trop long (200 caractères au plus).")
    params: dict = {}
    if spec.param != "none":
        value = spec.default if threshold is None else float(threshold)
        if value < 0 or (spec.param == "pct" and value > 100) or value > 100000:
            raise AlertError("Seuil hors des valeurs permises.")
        params[spec.param] = value
    deps = sorted({d for d in (departements or []) if d in scope.departements}) or None
    if departements and deps is None:
        raise AlertError("Départements hors de votre territoire.")
    if site_id is not None and (spec.dataset == Dataset.FEEDS or kind in ("mobile_cancelled", "programme_off_target")):
        raise AlertError("Une règle de ce type ne porte pas sur un site.")
    if source_id is not None and spec.dataset != Dataset.FEEDS:
        raise AlertError("Seules les règles de flux portent sur une source.")
    if site_id is not None and session.get(Site, site_id) is None:
        raise AlertError("Site inconnu.")
    if source_id is not None and session.get(FeedSource, source_id) is None:
        raise AlertError("Source inconnue.")
    now = now or utcnow()
    rule = AlertRule(name=name, kind=kind, dataset=spec.dataset.value, params=params, departements=deps,
                     site_id=site_id, source_id=source_id, severity=severity, reminder_hours=reminder_hours,
                     active=True, created_by=scope.user_id, created_at=now)
    session.add(rule)
    session.flush()
    if scope.user_id is not None:
        session.add(AlertSubscription(rule_id=rule.id, user_id=scope.user_id, created_at=now))
    audit.record(session, action="alert.rule_create", actor=actor, user_id=scope.user_id, target=f"rule {rule.id}",
                 detail={"name": name, "kind": kind, "params": params, "departements": deps, "site_id": site_id,
                         "source_id": source_id, "severity": severity})
    session.flush()
    return rule


def set_active(session: Session, *, scope: AccessScope, actor: str, rule_id: int, active: bool) -> AlertRule:
    if not can_manage(scope):
        raise AlertError("Seuls les administrateurs et l'ARS modifient les règles d'alerte.")
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise AlertError("Règle inconnue.")
    rule.active = bool(active)
    audit.record(session, action="alert.rule_update", actor=actor, user_id=scope.user_id, target=f"rule {rule.id}",
                 detail={"active": rule.active})
    session.flush()
    return rule


def silence(session: Session, *, scope: AccessScope, actor: str, rule_id: int, until: datetime,
            subject: str | None = None, reason: str | None = None, now: datetime | None = None) -> AlertSilence:
    """No mail from the rule (or one subject) until `until` (UTC); admin and ARS only, audited."""
    if not can_manage(scope):
        raise AlertError("Seuls les administrateurs et l'ARS mettent une alerte en silence.")
    now = now or utcnow()
    if session.get(AlertRule, rule_id) is None:
        raise AlertError("Règle inconnue.")
    if until <= now:
        raise AlertError("La fin du silence doit être dans le futur.")
    if until > now + timedelta(days=90):
        raise AlertError("Un silence dure 90 jours au plus.")
    item = AlertSilence(rule_id=rule_id, subject=subject, until=until, reason=(reason or "")[:200] or None,
                        created_by=scope.user_id, created_at=now)
    session.add(item)
    audit.record(session, action="alert.silence", actor=actor, user_id=scope.user_id, target=f"rule {rule_id}",
                 detail={"until": until.isoformat(), "subject": subject})
    session.flush()
    return item


def subscribe(session: Session, *, scope: AccessScope, actor: str, rule_id: int, now: datetime | None = None
              ) -> AlertSubscription:
    """Subscribe the caller to a rule their grant covers (detail on its dataset for a site or source rule)."""
    rule = session.get(AlertRule, rule_id)
    if rule is None or scope.user_id is None:
        raise AlertError("Règle inconnue.")
    if not recipient_allowed(scope, rule):
        raise AlertError("Vos droits d'accès ne couvrent pas cette règle.")
    existing = session.scalar(select(AlertSubscription).where(AlertSubscription.rule_id == rule_id,
                                                              AlertSubscription.user_id == scope.user_id))
    if existing is not None:
        return existing
    item = AlertSubscription(rule_id=rule_id, user_id=scope.user_id, created_at=now or utcnow())
    session.add(item)
    audit.record(session, action="alert.subscribe", actor=actor, user_id=scope.user_id, target=f"rule {rule_id}")
    session.flush()
    return item


def unsubscribe(session: Session, *, scope: AccessScope, actor: str, rule_id: int) -> bool:
    item = session.scalar(select(AlertSubscription).where(AlertSubscription.rule_id == rule_id,
                                                          AlertSubscription.user_id == scope.user_id))
    if item is None:
        return False
    session.delete(item)
    audit.record(session, action="alert.unsubscribe", actor=actor, user_id=scope.user_id, target=f"rule {rule_id}")
    session.flush()
    return True
