"""Alerts as one person may read them: the mail of a transition and the alert centre (/alertes).

Secrecy is decided here as on the pages: a reader without the rule's dataset gets nothing; at `summary`
level an alert names its département only (never a site, EHPAD, device, vehicle, commune or feed source)
and every count from 1 to 10 reads « < 11 »; a rule scoped on one site or source needs `detail`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.alert_kinds import (
    FIRING,
    KINDS,
    RESOLVED,
    SEVERITIES,
    can_manage,
    recipient_allowed,
)
from data.formatting import NBSP, de, fmt_date, fmt_datetime, fmt_datetime_long, fmt_number, fmt_percent, to_paris
from data.models import AlertEvent, AlertRule, AlertSilence, AlertState, AlertSubscription, Level
from data.queries.feeds import KIND_LABELS as FEED_LABELS
from data.queries.programme import INDICATOR_LABELS, PEOPLE_UNITS
from data.terminology import EXPERIMENTS
from data.users import utcnow
from data.views.base import shown_count, shown_counted

BRAND = "[e-Meuse Santé]"
PREFIX = {FIRING: "Alerte", RESOLVED: "Résolue", "reminder": "Rappel"}
EVENT_LABELS = {FIRING: "Déclenchée", RESOLVED: "Résolue", "reminder": "Rappel"}
SITE_KINDS = {"ehpad": "EHPAD", "centre_sante": "centre de santé", "pharmacie": "pharmacie", "hopital": "hôpital"}
SUMMARY_LINE = ("Niveau « synthèse » : l'alerte est donnée par département, sans nommer de site ; chaque effectif "
                "de 1 à 10 est lu « < 11 ».")


@dataclass(frozen=True)
class AlertText:
    """What a reader sees of one alert: a title, one line of cause, the link that shows it."""

    title: str
    cause: str
    link: str  # path and query of the page and filters that show the cause


@dataclass(frozen=True)
class MailText:
    subject: str
    body: str


def _summary(scope: AccessScope, rule: AlertRule) -> bool | None:
    """True at summary level, False at detail, None when the reader may not read this rule at all."""
    if not recipient_allowed(scope, rule):
        return None
    return scope.level(KINDS[rule.kind].dataset) == Level.SUMMARY


def _hours(h: float | None) -> str:
    return fmt_number(round(h)) if h is not None else "—"


def _month_query(dep: str | None, at: datetime, **extra: str) -> str:
    month = to_paris(at).strftime("%Y-%m")
    params = {**({"dep": dep} if dep else {}), **extra, "du": month, "au": month}
    return "?" + urlencode(params, safe=",")


def describe(*, rule: AlertRule, facts: dict, at: datetime, scope: AccessScope) -> AlertText | None:
    """The alert as `scope` may read it, or None (no grant, or its subject outside the reader's territory)."""
    summary = _summary(scope, rule)
    if summary is None:
        return None
    dep = facts.get("dep")
    if dep is not None and dep not in scope.departements:
        return None
    kind = rule.kind
    page = KINDS[kind].page
    where_dep = f"{de(facts['dep_name'])} ({dep})" if dep else ""
    if "site_id" in facts:
        site_kind = SITE_KINDS.get(facts.get("site_kind"), "site")
        place = (f"un {site_kind} {where_dep}" if summary
                 else f"{facts['site']} ({facts['commune_name']})")
        link = page + (_month_query(dep, at) if summary else _month_query(dep, at, commune=facts["commune"]))
    else:
        link = page + (_month_query(dep, at) if dep else "")
    count = (lambda n: shown_count(n, summary=summary))  # noqa: E731
    if kind in ("device_silent", "device_qc_failed", "device_battery_low"):
        device = f"un automate d'{place}" if summary else f"automate {facts['serial']} — {place}"
        if kind == "device_silent":
            what = ("automate sans aucun rapport" if facts.get("hours") is None
                    else f"automate silencieux depuis {_hours(facts['hours'])}{NBSP}h")
            title = f"{what} — {place}"
            cause = (f"Dernier rapport : {fmt_datetime_long(datetime.fromisoformat(facts['last_seen']))}"
                     if facts.get("last_seen") else "Aucun rapport reçu de cet automate.")
            cause += f" (seuil : {_hours(facts.get('threshold'))}{NBSP}h sans rapport)."
            if not summary:
                cause = f"Automate {facts['serial']} ({facts['model']}). " + cause
        elif kind == "device_qc_failed":
            title = f"contrôle qualité en échec — {device}"
            cause = "Le dernier contrôle qualité transmis par l'automate est en échec."
        else:
            title = f"batterie à {fmt_number(facts['battery'])}{NBSP}% — {device}"
            cause = f"Batterie sous le seuil de {fmt_number(facts['threshold'])}{NBSP}%."
        return AlertText(title, cause, link)
    if kind in ("source_silent", "source_reject_rate"):
        feed = FEED_LABELS.get(facts["feed_kind"], facts["feed_kind"])
        source = f"une source du flux « {feed} »" if summary else f"{facts['source']} (flux « {feed} »)"
        if kind == "source_silent":
            what = ("source sans aucun envoi" if facts.get("hours") is None
                    else f"source silencieuse depuis {_hours(facts['hours'])}{NBSP}h")
            title = f"{what} — {source}"
            cause = f"Aucun événement reçu depuis plus de {_hours(facts['threshold'])}{NBSP}h."
        else:
            title = f"{fmt_percent(facts['rate'])} d'envois refusés sur 24 h — {source}"
            cause = (f"{shown_counted(facts['numerator'], 'envoi refusé', 'envois refusés', summary=summary)} sur "
                     f"{count(facts['denominator'])} en 24 h (seuil : {fmt_number(facts['threshold'])}{NBSP}%).")
        return AlertText(title, cause, link)
    if kind in ("biology_abnormal_rate", "teleconsultation_failure_rate"):
        noun = ("résultats anormaux", "résultats") if kind == "biology_abnormal_rate" else \
            ("échecs techniques", "séances")
        hidden = summary and (count(facts["numerator"]) != fmt_number(facts["numerator"])
                              or count(facts["denominator"]) != fmt_number(facts["denominator"]))
        rate = (f"plus de {fmt_number(facts['threshold'])}{NBSP}%" if hidden else fmt_percent(facts["rate"]))
        of = "d'" if noun[0][0] in "aeéiou" else "de "
        title = f"{rate} {of}{noun[0]} sur 7 jours — {place}"
        first, last = date.fromisoformat(facts["first"]), date.fromisoformat(facts["last"])
        cause = (f"{count(facts['numerator'])} {noun[0]} sur {count(facts['denominator'])} {noun[1]} du "
                 f"{fmt_date(first)} au {fmt_date(last)} (seuil : {fmt_number(facts['threshold'])}{NBSP}%).")
        return AlertText(title, cause, link)
    if kind == "mobile_cancelled":
        unit = f"un cabinet mobile {where_dep}" if summary else facts["unit"]
        stops = shown_counted(facts["count"], "arrêt annulé", "arrêts annulés", summary=summary)
        title = f"{stops} en 7 jours — {unit}"
        first, last = date.fromisoformat(facts["first"]), date.fromisoformat(facts["last"])
        cause = (f"Arrêts annulés du {fmt_date(first)} au {fmt_date(last)} : au-delà du seuil de "
                 f"{fmt_number(facts['threshold'])}.")
        return AlertText(title, cause, link)
    # programme_off_target
    if summary and facts["territory_level"] != "departement":
        return None
    label = INDICATOR_LABELS.get(facts["indicator"], facts["indicator"])
    experiment = EXPERIMENTS.get(facts["experiment"], facts["experiment"])
    territory = (facts["dep_name"] if facts["territory_level"] == "departement"
                 else f"{facts['territory_level'].upper()} {facts['territory_code']}")
    people = facts["unit"] in PEOPLE_UNITS
    value = count(facts["value"]) if people else fmt_number(facts["value"], 1)
    end = date.fromisoformat(facts["period_end"])
    title = f"indicateur hors cible — {label}, {territory}"
    direction = "au plus" if facts["lower_is_better"] else "au moins"
    target = facts["target"]
    cause = (f"{experiment} : {value} {facts['unit']} sur la période close le {fmt_date(end)}, pour une cible : "
             f"{direction} {fmt_number(target, 0 if float(target).is_integer() else 1)}.")
    return AlertText(title, cause, page + _month_query(dep, datetime.combine(end, datetime.min.time())))


def notification(*, rule: AlertRule, kind: str, facts: dict, since: datetime, at: datetime, scope: AccessScope,
                 base_url: str) -> MailText | None:
    """The French mail of one transition for one reader, or None when they may not read it."""
    text = describe(rule=rule, facts=facts, at=at, scope=scope)
    if text is None:
        return None
    summary = _summary(scope, rule)
    subject = f"{BRAND} {PREFIX[kind]} : {text.title}"
    base = base_url.rstrip("/")
    severity = SEVERITIES.get(rule.severity, rule.severity)
    opening = {
        FIRING: f"L'alerte « {rule.name} » (gravité : {severity}) s'est déclenchée le {fmt_datetime_long(at)}.",
        "reminder": (f"Rappel : l'alerte « {rule.name} » (gravité : {severity}) est toujours active depuis le "
                     f"{fmt_datetime_long(since)}."),
        RESOLVED: f"L'alerte « {rule.name} » est résolue depuis le {fmt_datetime_long(at)}.",
    }[kind]
    state = "Dernier état constaté pendant l'alerte : " if kind == RESOLVED else ""
    lines = ["Bonjour,", "", opening, "", state + (text.title if state else text.title[:1].upper() + text.title[1:])
             + ".", text.cause, "",
             f"Voir la cause dans le tableau de bord : {base}{text.link}", ""]
    if summary:
        lines += [SUMMARY_LINE, ""]
    lines += ["Vous recevez ce courriel parce que vous êtes abonné à cette règle d'alerte. "
              f"Gérer vos abonnements : {base}/alertes", "", "— e-Meuse Santé"]
    return MailText(subject, "\n".join(lines))


# --- the alert centre ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertItem:
    """A firing alert on the page."""

    rule_id: int
    rule_name: str
    severity: str
    severity_label: str
    title: str
    cause: str
    link: str
    since: str  # « 03/12/2026 10:15 »
    silenced_until: str | None


@dataclass(frozen=True)
class HistoryItem:
    at: str
    event: str  # Déclenchée | Résolue | Rappel
    rule_name: str
    title: str
    link: str
    silenced: bool
    mails: int


@dataclass(frozen=True)
class RuleItem:
    rule_id: int
    name: str
    kind_label: str
    threshold: str
    scope_label: str
    severity_label: str
    active: bool
    subscribed: bool
    firing: int
    silenced_until: str | None


@dataclass(frozen=True)
class AlertCentre:
    firing: tuple[AlertItem, ...]
    history: tuple[HistoryItem, ...]
    rules: tuple[RuleItem, ...]
    can_manage: bool
    note: str | None


def _visible_rules(session: Session, scope: AccessScope) -> list[AlertRule]:
    rules = session.scalars(select(AlertRule).order_by(AlertRule.id))
    return [r for r in rules if can_manage(scope) or recipient_allowed(scope, r)]


def _silences(session: Session, now: datetime) -> dict[tuple[int, str | None], datetime]:
    out: dict[tuple[int, str | None], datetime] = {}
    for rule_id, subject, until in session.execute(select(AlertSilence.rule_id, AlertSilence.subject,
                                                          AlertSilence.until).where(AlertSilence.until > now)):
        key = (rule_id, subject)
        out[key] = max(out.get(key, until), until)
    return out


def firing_alerts(session: Session, *, scope: AccessScope, now: datetime | None = None) -> tuple[AlertItem, ...]:
    """The firing alerts of active rules the reader may read, most severe and newest first."""
    now = now or utcnow()
    rules = {r.id: r for r in _visible_rules(session, scope) if r.active}
    if not rules:
        return ()
    silences = _silences(session, now)
    order = {"critical": 0, "warning": 1, "info": 2}
    items = []
    states = session.scalars(select(AlertState).where(AlertState.status == FIRING,
                                                      AlertState.rule_id.in_(rules)).order_by(AlertState.since.desc()))
    for state in states:
        rule = rules[state.rule_id]
        text = describe(rule=rule, facts=state.facts, at=state.since, scope=scope)
        if text is None:
            continue
        until = silences.get((rule.id, state.subject)) or silences.get((rule.id, None))
        items.append((order.get(rule.severity, 3), AlertItem(
            rule.id, rule.name, rule.severity, SEVERITIES.get(rule.severity, rule.severity),
            text.title[:1].upper() + text.title[1:], text.cause, text.link, fmt_datetime(state.since, label=True),
            fmt_datetime(until, label=True) if until else None), rule, state.facts))
    ranked = sorted(items, key=lambda entry: entry[0])
    return tuple(_grouped([(item, rule, facts) for _, item, rule, facts in ranked], scope))


def _grouped(items: list[tuple[AlertItem, AlertRule, dict]], scope: AccessScope) -> list[AlertItem]:
    """At summary level one line per rule and département (or feed): how many subjects fire, never a list
    of anonymous lines that would stand for the sites one by one."""
    groups: dict[tuple, list[AlertItem]] = {}
    order: list[tuple] = []
    for item, rule, facts in items:
        summary = scope.level(KINDS[rule.kind].dataset) == Level.SUMMARY
        key = ((rule.id, facts.get("dep"), facts.get("feed_kind")) if summary and rule.kind != "programme_off_target"
               else (rule.id, item.title, item.since, len(order)))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(item)
    out = []
    for key in order:
        group = groups[key]
        first = group[0]
        if len(key) == 4 or len(group) == 1:
            out.extend(group)
            continue
        facts = next(f for i, _r, f in items if i is first)
        where = (f"en {facts['dep_name']} ({facts['dep']})" if facts.get("dep")
                 else f"flux « {FEED_LABELS.get(facts.get('feed_kind'), facts.get('feed_kind'))} »")
        label = KINDS[next(r for i, r, _f in items if i is first).kind].label
        n = shown_counted(len(group), "alerte active", "alertes actives", summary=True)
        out.append(AlertItem(first.rule_id, first.rule_name, first.severity, first.severity_label,
                             f"{label} : {n} {where}", "Le détail par site n'est donné qu'au niveau « détail ».",
                             first.link, min(i.since for i in group), first.silenced_until))
    return out


def firing_count(session: Session, *, scope: AccessScope) -> int:
    """The header badge: how many alerts the reader may see are firing."""
    return len(firing_alerts(session, scope=scope))


def _threshold(rule: AlertRule) -> str:
    spec = KINDS[rule.kind]
    value = (rule.params or {}).get(spec.param)
    if value is None:
        return "—"
    unit = {"hours": "\u00a0h", "pct": "\u00a0%", "count": ""}[spec.param]
    return f"{fmt_number(value, 0 if float(value).is_integer() else 1)}{unit}"


def _scope_label(rule: AlertRule, summary: bool) -> str:
    if rule.site_id is not None:
        return "Un site"
    if rule.source_id is not None:
        return "Une source"
    return "Départements " + ", ".join(rule.departements) if rule.departements else "Tout le territoire"


def centre(session: Session, *, scope: AccessScope, now: datetime | None = None, history: int = 50) -> AlertCentre:
    """Everything /alertes shows the reader: firing alerts, recent history, the rules they may follow."""
    now = now or utcnow()
    rules = _visible_rules(session, scope)
    by_id = {r.id: r for r in rules}
    firing = firing_alerts(session, scope=scope, now=now)
    subscribed = set(session.scalars(select(AlertSubscription.rule_id).where(
        AlertSubscription.user_id == scope.user_id))) if scope.user_id is not None else set()
    silences = _silences(session, now)
    per_rule: dict[int, int] = {}
    for item in firing:
        per_rule[item.rule_id] = per_rule.get(item.rule_id, 0) + 1
    summary_any = False
    rule_items = []
    for rule in rules:
        summary = scope.level(KINDS[rule.kind].dataset) == Level.SUMMARY
        summary_any = summary_any or summary
        until = silences.get((rule.id, None))
        rule_items.append(RuleItem(rule.id, rule.name, KINDS[rule.kind].label, _threshold(rule),
                                   _scope_label(rule, summary), SEVERITIES.get(rule.severity, rule.severity),
                                   rule.active, rule.id in subscribed, per_rule.get(rule.id, 0),
                                   fmt_datetime(until, label=True) if until else None))
    events = []
    if by_id:
        rows = session.scalars(select(AlertEvent).where(AlertEvent.rule_id.in_(by_id))
                               .order_by(AlertEvent.at.desc(), AlertEvent.id.desc()).limit(history * 3))
        for event in rows:
            text = describe(rule=by_id[event.rule_id], facts=event.facts, at=event.at, scope=scope)
            if text is None:
                continue
            events.append(HistoryItem(fmt_datetime(event.at, label=True), EVENT_LABELS.get(event.kind, event.kind),
                                      by_id[event.rule_id].name, text.title[:1].upper() + text.title[1:], text.link,
                                      event.silenced, event.recipients))
            if len(events) >= history:
                break
    return AlertCentre(firing, tuple(events), tuple(rule_items), can_manage(scope),
                       SUMMARY_LINE if summary_any else None)
