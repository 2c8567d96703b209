"""Database schema (SQLAlchemy 2 typed ORM): territory, sites, feeds, access, audit and rollups.

Conventions: timestamps are stored as naive UTC datetimes; every event table also stores `day`, the
event's local (Europe/Paris) calendar date, so rollups group by a plain column on every engine.
Every event carries its source's own id, unique per source: re-delivery can never duplicate a row.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class FeedKind(enum.StrEnum):
    TELECONSULTATION = "teleconsultation"
    MOBILE = "mobile"
    BIOLOGY = "biology"
    WORKFORCE = "workforce"
    PROGRAMME = "programme"


class Dataset(enum.StrEnum):
    """What a grant is about (DESIGN.md §4)."""

    TELECONSULTATION = "teleconsultation"
    MOBILE = "mobile"
    BIOLOGY = "biology"
    WORKFORCE = "workforce"
    COVERAGE = "coverage"
    PROGRAMME = "programme"
    FEEDS = "feeds"


class Level(enum.StrEnum):
    NONE = "none"
    SUMMARY = "summary"
    DETAIL = "detail"


class Role(enum.StrEnum):
    MEMBER = "member"
    ARS = "ars"
    ADMIN = "admin"


# --- territory -------------------------------------------------------------------------------

class Departement(Base):
    __tablename__ = "departement"
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Epci(Base):
    __tablename__ = "epci"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Commune(Base):
    __tablename__ = "commune"
    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    population: Mapped[int] = mapped_column(Integer)
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), index=True)
    epci_code: Mapped[str | None] = mapped_column(ForeignKey("epci.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    area_km2: Mapped[float] = mapped_column(Float)


class RingCommune(Base):
    """A commune just outside the territory (within the method's reach): demand only, for the border
    ring of the accessibility method (data/coverage.py). Filled with the territory (data.geography)."""

    __tablename__ = "ring_commune"
    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    departement_code: Mapped[str] = mapped_column(String(3))
    population: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


# --- places and equipment --------------------------------------------------------------------

class Site(Base):
    """A place where care happens: EHPAD, health centre, pharmacy, hospital."""

    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # ehpad | centre_sante | pharmacie | hopital
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    residents: Mapped[int | None] = mapped_column(Integer)  # EHPAD beds/residents
    teleconsultation: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[date | None] = mapped_column(Date)


class Device(Base):
    """A point-of-care biology analyser installed in a site."""

    __tablename__ = "device"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    model: Mapped[str] = mapped_column(String(80))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    site: Mapped[Site] = relationship()


class MobileUnit(Base):
    """A mobile medical office (vehicle)."""

    __tablename__ = "mobile_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"))


# --- feed sources and rejects ----------------------------------------------------------------

class FeedSource(Base):
    """A sender of one feed kind, authenticated by an API key stored only as a hash."""

    __tablename__ = "feed_source"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    feed_kind: Mapped[str] = mapped_column(String(30))
    key_prefix: Mapped[str | None] = mapped_column(String(16))
    key_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    site_codes: Mapped[list | None] = mapped_column(JSON)  # optional scope to some sites
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)


class RejectedPayload(Base):
    """A payload (or batch item) that failed validation, kept verbatim with its reason."""

    __tablename__ = "rejected_payload"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("feed_source.id"), index=True)
    feed_kind: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    field_path: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)


class QualityFlag(Base):
    """A doubt about an accepted event (a value outside physiological limits, one practitioner at two
    communes): stored beside the event, never instead of it, once per event and check (data/ingestion/quality.py)."""

    __tablename__ = "quality_flag"
    __table_args__ = (UniqueConstraint("source_id", "event_table", "source_event_id", "check_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    feed_kind: Mapped[str] = mapped_column(String(30))
    event_table: Mapped[str] = mapped_column(String(40))
    source_event_id: Mapped[str] = mapped_column(String(80))
    check_code: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(String(200))
    flagged_at: Mapped[datetime] = mapped_column(DateTime, index=True)


# --- feed events -----------------------------------------------------------------------------

class TeleconsultationSession(Base):
    __tablename__ = "teleconsultation_session"
    __table_args__ = (UniqueConstraint("source_id", "source_event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    day: Mapped[date] = mapped_column(Date, index=True)
    duration_min: Mapped[int | None] = mapped_column(Integer)
    specialty: Mapped[str] = mapped_column(String(40))
    requester_type: Mapped[str] = mapped_column(String(40))
    patient_age_band: Mapped[str] = mapped_column(String(10))
    patient_commune_insee: Mapped[str | None] = mapped_column(ForeignKey("commune.insee"))
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(30))


class MobileStop(Base):
    __tablename__ = "mobile_stop"
    __table_args__ = (UniqueConstraint("source_id", "source_event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    unit_id: Mapped[int] = mapped_column(ForeignKey("mobile_unit.id"), index=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    planned_arrival: Mapped[datetime] = mapped_column(DateTime)
    planned_departure: Mapped[datetime] = mapped_column(DateTime)
    actual_arrival: Mapped[datetime | None] = mapped_column(DateTime)
    actual_departure: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # planned | completed | cancelled
    # first receipt of a completed/cancelled status: received_at moves with every later correction
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    slots_offered: Mapped[int] = mapped_column(Integer, default=0)
    consultations: Mapped[int] = mapped_column(Integer, default=0)
    new_patients: Mapped[int] = mapped_column(Integer, default=0)


class VehiclePosition(Base):
    __tablename__ = "vehicle_position"
    __table_args__ = (
        UniqueConstraint("source_id", "source_event_id"),
        Index("ix_vehicle_position_unit_time", "unit_id", "recorded_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    unit_id: Mapped[int] = mapped_column(ForeignKey("mobile_unit.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    day: Mapped[date] = mapped_column(Date)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class BiologyResult(Base):
    __tablename__ = "biology_result"
    __table_args__ = (UniqueConstraint("source_id", "source_event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    loinc: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    ref_low: Mapped[float | None] = mapped_column(Float)
    ref_high: Mapped[float | None] = mapped_column(Float)
    abnormal: Mapped[bool] = mapped_column(Boolean)
    sampled_at: Mapped[datetime] = mapped_column(DateTime)
    resulted_at: Mapped[datetime] = mapped_column(DateTime)
    transmitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    day: Mapped[date] = mapped_column(Date, index=True)


class DeviceStatus(Base):
    __tablename__ = "device_status"
    __table_args__ = (
        UniqueConstraint("source_id", "source_event_id"),
        Index("ix_device_status_device_time", "device_id", "recorded_at"),
        Index("ix_device_status_day_device", "day", "device_id", "received_at"),  # reports per day (completeness)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    day: Mapped[date] = mapped_column(Date)
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    qc_status: Mapped[str] = mapped_column(String(20))  # passed | failed | not_run
    error_code: Mapped[str | None] = mapped_column(String(40))


class HealthProfessional(Base):
    """A practitioner of the workforce registry; the RPPS number is only ever stored hashed."""

    __tablename__ = "health_professional"
    __table_args__ = (UniqueConstraint("source_id", "source_event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    rpps_hash: Mapped[str] = mapped_column(String(64), unique=True)
    profession: Mapped[str] = mapped_column(String(40), index=True)
    specialty: Mapped[str | None] = mapped_column(String(60))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), index=True)
    birth_year: Mapped[int] = mapped_column(Integer)
    activity_start: Mapped[date] = mapped_column(Date)
    activity_end: Mapped[date | None] = mapped_column(Date)
    fte: Mapped[float] = mapped_column(Float, default=1.0)


class ProgrammeIndicatorValue(Base):
    __tablename__ = "programme_indicator_value"
    __table_args__ = (UniqueConstraint("source_id", "source_event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    experiment: Mapped[str] = mapped_column(String(40), index=True)
    indicator: Mapped[str] = mapped_column(String(60))
    territory_level: Mapped[str] = mapped_column(String(20))  # departement | epci | commune
    territory_code: Mapped[str] = mapped_column(String(9))
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))


class EhpadActivity(Base):
    """One EHPAD's month as its own records give it: residents, emergency transfers, referrals to hospital.

    Sent by the programme's evaluation feed for months before and after the EHPAD's first teleconsultation
    (the sessions alone cannot say what happened before it): the before/after estimates of /evaluation."""

    __tablename__ = "ehpad_activity"
    __table_args__ = (UniqueConstraint("source_id", "source_event_id"),
                      Index("ix_ehpad_activity_site_month", "site_id", "month"))
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"))
    source_event_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    residents: Mapped[int] = mapped_column(Integer)  # residents present on average over the month
    emergency_transfers: Mapped[int] = mapped_column(Integer)
    hospital_referrals: Mapped[int] = mapped_column(Integer)


# --- access and audit ------------------------------------------------------------------------

class College(Base):
    __tablename__ = "college"
    slug: Mapped[str] = mapped_column(String(30), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(10), default=Role.MEMBER.value)
    college_slug: Mapped[str | None] = mapped_column(ForeignKey("college.slug"))
    departements: Mapped[list | None] = mapped_column(JSON)  # None = the whole territory
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # the 30-second step of the last code used
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))  # enrolment begun, not yet confirmed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)


class RecoveryCode(Base):
    """A one-time recovery code of a user's second factor, stored as a hash only (data/recovery_codes.py)."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class UserSession(Base):
    """A signed-in browser session, checked on every request: ending it here ends it everywhere.

    The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_active", "user_id", "revoked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class Grant(Base):
    """What level of detail a college may see of a dataset."""

    __tablename__ = "access_grant"
    college_slug: Mapped[str] = mapped_column(ForeignKey("college.slug"), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(30), primary_key=True)
    level: Mapped[str] = mapped_column(String(10), default=Level.NONE.value)


class AuditEvent(Base):
    """Append-only journal: the app inserts rows and never updates or deletes them."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_action_actor_at", "action", "actor", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))


class CoverageScenario(Base):
    """A named what-if of the coverage planner: supply added or removed, saved by its author.

    `changes` is the list of hypothetical supply changes (data.planner.Change as dicts); `query` the page's
    filters and options when it was saved, so its URL restores what its author saw."""

    __tablename__ = "coverage_scenario"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    query: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[list] = mapped_column(JSON)
    author: Mapped[User] = relationship()


# --- alerts and mail ---------------------------------------------------------------------------

class AlertRule(Base):
    """A condition the worker evaluates every minute per subject (device, source, site, unit, indicator).

    `params` holds the kind's thresholds (hours, pct, count); scope: `departements` (None = all), or one site
    or one feed source. `dataset` is the grant a subscriber needs (a site- or source-scoped rule: `detail`)."""

    __tablename__ = "alert_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    dataset: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict] = mapped_column(JSON)
    departements: Mapped[list | None] = mapped_column(JSON)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("feed_source.id"))
    severity: Mapped[str] = mapped_column(String(10), default="warning")  # info | warning | critical
    reminder_hours: Mapped[int | None] = mapped_column(Integer)  # None: no reminder while firing
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AlertSubscription(Base):
    """A user who receives a rule's notifications (checked against their grant when made and when sent)."""

    __tablename__ = "alert_subscription"
    __table_args__ = (UniqueConstraint("rule_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AlertState(Base):
    """The current state of one (rule, subject): ok, firing or resolved; `seq` counts its history events."""

    __tablename__ = "alert_state"
    __table_args__ = (UniqueConstraint("rule_id", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id"), index=True)
    subject: Mapped[str] = mapped_column(String(80))  # e.g. device:12, source:3, site:7
    status: Mapped[str] = mapped_column(String(10))  # firing | resolved
    since: Mapped[datetime] = mapped_column(DateTime)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[float | None] = mapped_column(Float)
    facts: Mapped[dict] = mapped_column(JSON)  # what the text needs: site, département, counts...
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)  # last mail queued while firing
    evaluated_at: Mapped[datetime] = mapped_column(DateTime)


class AlertEvent(Base):
    """One transition (firing, resolved) or reminder of a (rule, subject). Its unique (rule, subject, seq)
    is the claim: of two workers seeing the same transition, only one inserts it and notifies."""

    __tablename__ = "alert_event"
    __table_args__ = (UniqueConstraint("rule_id", "subject", "seq"),
                      Index("ix_alert_event_rule_at", "rule_id", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id"))
    subject: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # firing | resolved | reminder
    at: Mapped[datetime] = mapped_column(DateTime)
    value: Mapped[float | None] = mapped_column(Float)
    facts: Mapped[dict] = mapped_column(JSON)
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # mails queued for it


class AlertSilence(Base):
    """No notification of a rule (or of one of its subjects) until `until`; transitions are still recorded."""

    __tablename__ = "alert_silence"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(80))
    until: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MailMessage(Base):
    """The outbox: one row per mail to send, kept after sending. `dedupe_key` (unique) makes queueing
    idempotent; the worker claims a row under a row lock, so two workers never send it twice."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_pending", "sent_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="alert")  # alert | report | other
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class MailAttachment(Base):
    """A file sent with an outbox message (a report's PDF or XLSX)."""

    __tablename__ = "mail_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_outbox.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


# --- scheduled reports -------------------------------------------------------------------------

class ReportSubscription(Base):
    """A user's monthly report: the pages it carries (None: every page the user may see when it is rendered)."""

    __tablename__ = "report_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    pages: Mapped[list | None] = mapped_column(JSON)  # view names (data.views.VIEWS); None = all I may see
    frequency: Mapped[str] = mapped_column(String(10), default="monthly")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    user: Mapped[User] = relationship()


class GeneratedReport(Base):
    """One report of a subscription for one calendar month: the UNIQUE (subscription, month) row is the claim
    a worker inserts before rendering, so two workers never render (nor mail) the same report twice."""

    __tablename__ = "generated_report"
    __table_args__ = (UniqueConstraint("subscription_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("report_subscription.id"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month reported on
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, rendering, ready, failed
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime)
    data_until: Mapped[date | None] = mapped_column(Date)  # last day of data it covers (< month end: partial)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    xlsx: Mapped[bytes | None] = mapped_column(LargeBinary)
    subscription: Mapped[ReportSubscription] = relationship()


class SchemaInfo(Base):
    """Marks what the demo loader did, so first start fills the database exactly once."""

    __tablename__ = "schema_info"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


# --- rollups (maintained by ingestion; read by the dashboard) --------------------------------

class TeleconsultationDaily(Base):
    """day × site × specialty × status: counts and minutes of teleconsultation sessions."""

    __tablename__ = "rollup_teleconsultation_daily"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    specialty: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    patients_75_plus: Mapped[int] = mapped_column(Integer, default=0)


class TeleconsultationDuration(Base):
    """day × site × length in minutes: completed sessions — the distribution behind the median length."""

    __tablename__ = "rollup_teleconsultation_duration"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    duration_min: Mapped[int] = mapped_column(Integer, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)


class BiologyDaily(Base):
    """day × site × LOINC: tests, abnormal results and turnaround sums (minutes)."""

    __tablename__ = "rollup_biology_daily"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    loinc: Mapped[str] = mapped_column(String(10), primary_key=True)
    tests: Mapped[int] = mapped_column(Integer, default=0)
    abnormal: Mapped[int] = mapped_column(Integer, default=0)
    sample_to_result_min: Mapped[float] = mapped_column(Float, default=0)
    result_to_lab_min: Mapped[float] = mapped_column(Float, default=0)
    transmitted: Mapped[int] = mapped_column(Integer, default=0)


class MobileDaily(Base):
    """day × unit × commune × status: stops, slots, consultations, new patients."""

    __tablename__ = "rollup_mobile_daily"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("mobile_unit.id"), primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    stops: Mapped[int] = mapped_column(Integer, default=0)
    slots_offered: Mapped[int] = mapped_column(Integer, default=0)
    consultations: Mapped[int] = mapped_column(Integer, default=0)
    new_patients: Mapped[int] = mapped_column(Integer, default=0)


class TeleconsultationPatientMonthly(Base):
    """month × patient commune: completed sessions, for coverage maps."""

    __tablename__ = "rollup_teleconsultation_commune_monthly"
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee"), primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)


class FeedHourly(Base):
    """source × hour (UTC): what each sender delivered — the feed-health view reads this."""

    __tablename__ = "rollup_feed_hourly"
    source_id: Mapped[int] = mapped_column(ForeignKey("feed_source.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


# Covering indexes: the dashboard reads a rollup by sites and days; with every column it needs in the
# index, a year of a rollup is one ordered range read, without a row lookup per entry.
Index("ix_rollup_tc_site_day_cover", TeleconsultationDaily.site_id, TeleconsultationDaily.day,
      TeleconsultationDaily.status, TeleconsultationDaily.specialty, TeleconsultationDaily.sessions,
      TeleconsultationDaily.minutes, TeleconsultationDaily.patients_75_plus)
Index("ix_rollup_tc_duration_site_day_cover", TeleconsultationDuration.site_id, TeleconsultationDuration.day,
      TeleconsultationDuration.duration_min, TeleconsultationDuration.sessions)
Index("ix_rollup_bio_site_day_cover", BiologyDaily.site_id, BiologyDaily.day, BiologyDaily.loinc, BiologyDaily.tests,
      BiologyDaily.abnormal, BiologyDaily.sample_to_result_min, BiologyDaily.result_to_lab_min,
      BiologyDaily.transmitted)
Index("ix_rollup_tc_commune_month", TeleconsultationPatientMonthly.commune_insee,
      TeleconsultationPatientMonthly.month)
