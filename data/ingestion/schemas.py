"""Our JSON form of each feed's events (pydantic v2): structure, types, ranges and cross-field rules.

Checks that need the database (existing sites, devices, communes; the sender's scope) are made by
`data.ingestion.rows`. Every timestamp carries a time zone and lies in a plausible window (`TimeWindow`, passed as the
validation context): not in the future once done, at most a year ahead when planned.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from data.terminology import AGE_BANDS, EXPERIMENTS, PROFESSIONS, REQUESTER_TYPES, SPECIALTIES

CLOCK_SKEW = timedelta(minutes=5)
# Impossible durations (the programme's choice, from how each service works): a point-of-care analyser gives
# its result within minutes of the sample, never a day later (the sample would no longer be analysable); a
# mobile office stops for a morning or an afternoon, never more than a day in one commune.
MAX_SAMPLE_TO_RESULT = timedelta(hours=24)
MAX_STOP = timedelta(hours=24)
CAREER_EARLIEST = date(1940, 1, 1)  # activity dates of the workforce registry predate the programme's events


@dataclass(frozen=True)
class TimeWindow:
    """Plausible moments of an event: from `earliest` to now + `horizon` (planned stops, periods);
    moments already past may not be later than now + the clock skew. Passed as validation context."""

    earliest: date = date(2015, 1, 1)
    horizon: timedelta = timedelta(days=366)

    @property
    def earliest_moment(self) -> datetime:
        return datetime(self.earliest.year, self.earliest.month, self.earliest.day, tzinfo=UTC)


DEFAULT_WINDOW = TimeWindow()


def _window(info: ValidationInfo) -> TimeWindow:
    context = info.context or {}
    return context.get("window") or DEFAULT_WINDOW


def _utc(value: datetime) -> datetime:
    """The moment in UTC; one whose offset pushes it past year 1 or 9999 is refused, never an OverflowError."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PydanticCustomError("timestamp_out_of_range",
                                  "horodatage hors des dates traitées (année 1 à 9999 une fois ramené en UTC)"
                                  ) from None


def _too_old(window: TimeWindow) -> PydanticCustomError:
    return PydanticCustomError("timestamp_too_old", "l'horodatage est antérieur au {earliest}",
                               {"earliest": window.earliest.strftime("%d/%m/%Y")})


def _not_future(value: datetime, info: ValidationInfo) -> datetime:
    """A moment already past (a session held, a result issued): between the window's start and now."""
    window, moment = _window(info), _utc(value)
    if moment > datetime.now(UTC) + CLOCK_SKEW:
        raise PydanticCustomError("future_timestamp", "l'horodatage est dans le futur")
    if moment < window.earliest_moment:
        raise _too_old(window)
    return value


def _planned(value: datetime, info: ValidationInfo) -> datetime:
    """A planned moment: between the window's start and now + its horizon."""
    window, moment = _window(info), _utc(value)
    if moment < window.earliest_moment:
        raise _too_old(window)
    if moment > datetime.now(UTC) + window.horizon:
        raise PydanticCustomError("timestamp_out_of_range", "horodatage prévu plus de {days} jours à l'avance",
                                  {"days": window.horizon.days})
    return value


def _day_in_window(value: date, info: ValidationInfo) -> date:
    """A period bound: between the window's start and today + its horizon."""
    window = _window(info)
    if not window.earliest <= value <= date.today() + window.horizon:
        raise PydanticCustomError("date_out_of_range", "date hors de la fenêtre acceptée (du {earliest} à "
                                  "aujourd'hui + {days} jours)",
                                  {"earliest": window.earliest.strftime("%d/%m/%Y"), "days": window.horizon.days})
    return value


def _career_day(value: date, info: ValidationInfo) -> date:
    """An activity date of the registry: from 1940 to today + the window's horizon."""
    window = _window(info)
    if not CAREER_EARLIEST <= value <= date.today() + window.horizon:
        raise PydanticCustomError("date_out_of_range", "date d'activité hors de la fenêtre acceptée (de 1940 à "
                                  "aujourd'hui + {days} jours)", {"days": window.horizon.days})
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise PydanticCustomError("not_finite", "la valeur doit être un nombre fini")
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_not_future)]
PlannedTimestamp = Annotated[AwareDatetime, AfterValidator(_planned)]
PeriodDay = Annotated[date, AfterValidator(_day_in_window)]
CareerDay = Annotated[date, AfterValidator(_career_day)]
EventId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._:\-/]+$")]
Insee = Annotated[str, Field(pattern=r"^[0-9][0-9AB][0-9]{3}$")]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._\-]+$")]
Serial = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._\-]+$")]  # = device.serial
Finite = Annotated[float, AfterValidator(_finite)]


# What the API documentation (/api/v1/docs and the OpenAPI document) tells a sender, in French; the field
# names stay English. A model's own text is its DESCRIPTION; a field's, FIELD_DESCRIPTIONS[name].
FIELD_DESCRIPTIONS = {
    "event_id": "identifiant de l'événement chez l'émetteur : renvoyer le même est sans effet",
    "site_code": "code du site (EHPAD, centre de santé, pharmacie, cabinet mobile) déclaré sur la plateforme",
    "started_at": "début de la séance (ISO 8601 avec fuseau horaire)",
    "duration_min": "durée en minutes (obligatoire pour une séance réalisée)",
    "specialty": "spécialité médicale",
    "requester_type": "profession du demandeur de la séance",
    "patient_age_band": "tranche d'âge du patient",
    "patient_commune": "code INSEE de la commune du patient",
    "status": "statut",
    "outcome": "issue d'une séance réalisée",
    "unit_code": "code du véhicule (cabinet médical mobile)",
    "commune": "code INSEE de la commune",
    "planned_arrival": "arrivée prévue (ISO 8601 avec fuseau horaire)",
    "planned_departure": "départ prévu (ISO 8601 avec fuseau horaire)",
    "actual_arrival": "arrivée réelle (obligatoire pour un arrêt réalisé)",
    "actual_departure": "départ réel (obligatoire pour un arrêt réalisé)",
    "slots_offered": "créneaux de consultation offerts",
    "consultations": "consultations réalisées",
    "new_patients": "dont nouveaux patients",
    "recorded_at": "moment du relevé (ISO 8601 avec fuseau horaire)",
    "lat": "latitude (WGS 84, en degrés décimaux)",
    "lon": "longitude (WGS 84, en degrés décimaux)",
    "device_serial": "numéro de série de l'automate",
    "loinc": "code LOINC de l'examen (liste autorisée)",
    "value": "valeur (nombre fini)",
    "unit": "unité (UCUM pour la biologie)",
    "ref_low": "borne basse de l'intervalle de référence",
    "ref_high": "borne haute de l'intervalle de référence",
    "abnormal": "résultat hors de l'intervalle de référence",
    "sampled_at": "prélèvement (ISO 8601 avec fuseau horaire)",
    "resulted_at": "résultat rendu par l'automate",
    "transmitted_at": "transmission au laboratoire",
    "battery_pct": "charge de la batterie (%)",
    "qc_status": "résultat du dernier contrôle qualité",
    "error_code": "code d'erreur signalé par l'automate",
    "rpps_hash": "numéro RPPS haché (SHA-256, hexadécimal) : le numéro lui-même n'est jamais transmis",
    "profession": "profession",
    "birth_year": "année de naissance",
    "activity_start": "début d'activité dans la commune",
    "activity_end": "fin d'activité (vide : en activité)",
    "fte": "équivalent temps plein (de 0 exclu à 1)",
    "experiment": "expérimentation du programme",
    "indicator": "code de l'indicateur d'évaluation",
    "territory_level": "niveau du territoire : département, EPCI ou commune",
    "territory_code": "code du territoire (département, SIREN de l'EPCI ou code INSEE)",
    "period_start": "premier jour de la période mesurée",
    "period_end": "dernier jour de la période mesurée",
    "target": "cible de l'indicateur pour la période",
    "month": "mois du bilan, par son premier jour (AAAA-MM-01)",
    "residents": "résidents présents en moyenne sur le mois",
    "emergency_transfers": "transferts aux urgences dans le mois",
    "hospital_referrals": "orientations vers une consultation ou une hospitalisation programmée dans le mois",
    "field": "chemin du champ en cause, par exemple « started_at » ou « events.3.unit »",
    "reason": "raison lisible par un programme, par exemple « future_timestamp », « unknown_site »",
    "message": "explication en français",
    "index": "rang de l'événement dans la requête (à partir de 0)",
    "errors": "champs en cause",
    "warnings": "doutes sur un événement enregistré (valeur hors des limites physiologiques, même professionnel "
                "dans deux communes) : l'événement est conservé et signalé sur la page Flux",
    "accepted": "événements enregistrés",
    "updated": "événements mis à jour (arrêt renvoyé avec le même event_id)",
    "duplicates": "événements déjà reçus (sans effet)",
    "rejected": "événements refusés (conservés avec leur raison)",
    "items": "réponse pour chaque événement, dans l'ordre de la requête",
    "error": "code de l'erreur",
}


def _in_french(schema: dict, model: type) -> None:
    """The JSON schema of a model described in French: its DESCRIPTION and its fields' descriptions."""
    if getattr(model, "DESCRIPTION", None):
        schema["description"] = model.DESCRIPTION
    for name, prop in schema.get("properties", {}).items():
        if name in FIELD_DESCRIPTIONS:
            prop["description"] = FIELD_DESCRIPTIONS[name]


class Documented(BaseModel):
    """A model whose JSON schema (the API documentation) is in French."""

    model_config = ConfigDict(json_schema_extra=_in_french)
    DESCRIPTION: ClassVar[str] = ""


class EventIn(Documented):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: EventId


def _rule(condition: bool, code: str, message: str, field: str) -> None:
    """A cross-field rule; `field` names the field reported at fault."""
    if not condition:
        raise PydanticCustomError(code, message, {"field": field})


class TeleconsultationSessionIn(EventIn):
    """A teleconsultation session held at a site."""

    DESCRIPTION: ClassVar[str] = "Une séance de téléconsultation tenue dans un site."

    site_code: Code
    started_at: Timestamp
    duration_min: int | None = Field(None, ge=1, le=600)
    specialty: Literal[tuple(SPECIALTIES)]  # type: ignore[valid-type]
    requester_type: Literal[REQUESTER_TYPES]  # type: ignore[valid-type]
    patient_age_band: Literal[AGE_BANDS]  # type: ignore[valid-type]
    patient_commune: Insee | None = None
    status: Literal["completed", "cancelled", "no_show", "technical_failure"]
    outcome: Literal["resolved", "follow_up", "referral", "emergency_transfer"] | None = None

    @model_validator(mode="after")
    def _completed_has_outcome(self) -> TeleconsultationSessionIn:
        if self.status == "completed":
            _rule(self.outcome is not None, "outcome_required",
                  "une séance réalisée doit avoir une issue (outcome)", "outcome")
            _rule(self.duration_min is not None, "duration_required",
                  "une séance réalisée doit avoir une durée (duration_min)", "duration_min")
        else:
            _rule(self.outcome is None, "outcome_not_allowed",
                  "seule une séance réalisée a une issue (outcome)", "outcome")
        if self.duration_min is not None:
            end = _utc(self.started_at) + timedelta(minutes=self.duration_min)
            _rule(end <= datetime.now(UTC) + CLOCK_SKEW, "session_ends_in_future",
                  "la séance se termine dans le futur (début + durée après l'heure actuelle)", "duration_min")
        return self


class MobileStopIn(EventIn):
    """A stop of a mobile medical office in a commune; re-sent with the same event_id as it progresses."""

    DESCRIPTION: ClassVar[str] = ("Un arrêt d'un cabinet médical mobile dans une commune ; renvoyé avec "
                                  "le même event_id à mesure qu'il avance (prévu, réalisé ou annulé).")

    unit_code: Code
    commune: Insee
    planned_arrival: PlannedTimestamp
    planned_departure: PlannedTimestamp
    actual_arrival: Timestamp | None = None
    actual_departure: Timestamp | None = None
    status: Literal["planned", "completed", "cancelled"]
    slots_offered: int = Field(0, ge=0, le=200)
    consultations: int = Field(0, ge=0, le=200)
    new_patients: int = Field(0, ge=0, le=200)

    @model_validator(mode="after")
    def _coherent(self) -> MobileStopIn:
        _rule(self.planned_departure > self.planned_arrival, "departure_before_arrival",
              "le départ prévu doit suivre l'arrivée prévue", "planned_departure")
        _rule(self.planned_departure - self.planned_arrival <= MAX_STOP, "stop_too_long",
              "un arrêt prévu dure au plus 24 heures (départ prévu trop tardif)", "planned_departure")
        _rule(self.consultations <= self.slots_offered or self.status != "completed", "more_consultations_than_slots",
              "plus de consultations que de créneaux offerts", "consultations")
        _rule(self.new_patients <= self.consultations, "more_new_patients_than_consultations",
              "plus de nouveaux patients que de consultations", "new_patients")
        if self.status == "completed":
            _rule(self.actual_arrival is not None and self.actual_departure is not None, "actual_times_required",
                  "un arrêt réalisé doit avoir ses heures réelles d'arrivée et de départ", "actual_arrival")
            _rule(self.actual_departure > self.actual_arrival, "departure_before_arrival",
                  "le départ réel doit suivre l'arrivée réelle", "actual_departure")
            _rule(self.actual_departure - self.actual_arrival <= MAX_STOP, "stop_too_long",
                  "un arrêt dure au plus 24 heures (départ réel trop tardif)", "actual_departure")
        else:
            _rule(self.consultations == 0 and self.actual_arrival is None, "not_completed",
                  "un arrêt prévu ou annulé n'a ni consultation ni heure réelle", "status")
            _rule(self.actual_departure is None, "actual_times_not_allowed",
                  "un arrêt prévu ou annulé n'a pas d'heure réelle de départ", "actual_departure")
        return self


class VehiclePositionIn(EventIn):
    """A GPS position of a mobile office."""

    DESCRIPTION: ClassVar[str] = "Une position GPS d'un cabinet médical mobile."

    unit_code: Code
    recorded_at: Timestamp
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class BiologyResultIn(EventIn):
    """A point-of-care result; LOINC code, UCUM unit and reference range are checked by the pipeline."""

    DESCRIPTION: ClassVar[str] = ("Un résultat de biologie délocalisée ; le code LOINC, l'unité UCUM et "
                                  "l'intervalle de référence sont vérifiés.")

    device_serial: Serial
    loinc: Annotated[str, Field(pattern=r"^[0-9]{1,7}-[0-9]$")]
    value: Finite
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    ref_low: Finite | None = None
    ref_high: Finite | None = None
    abnormal: bool | None = None
    sampled_at: Timestamp
    resulted_at: Timestamp
    transmitted_at: Timestamp | None = None

    @model_validator(mode="after")
    def _order(self) -> BiologyResultIn:
        _rule(self.resulted_at >= self.sampled_at, "result_before_sample",
              "le résultat précède le prélèvement", "resulted_at")
        _rule(self.resulted_at - self.sampled_at <= MAX_SAMPLE_TO_RESULT, "result_too_late",
              "résultat rendu plus de 24 heures après le prélèvement : impossible pour une biologie délocalisée",
              "resulted_at")
        _rule(self.transmitted_at is None or self.transmitted_at >= self.resulted_at, "transmitted_before_result",
              "la transmission précède le résultat", "transmitted_at")
        _rule(self.ref_low is None or self.ref_high is None or self.ref_low < self.ref_high, "bad_reference_range",
              "la borne basse de référence doit être inférieure à la borne haute", "ref_low")
        return self


class DeviceStatusIn(EventIn):
    """A status report of a point-of-care device."""

    DESCRIPTION: ClassVar[str] = ("Un rapport d'état d'un automate de biologie délocalisée (batterie, "
                                  "contrôle qualité, erreurs).")

    device_serial: Serial
    recorded_at: Timestamp
    battery_pct: int | None = Field(None, ge=0, le=100)
    qc_status: Literal["passed", "failed", "not_run"]
    error_code: Annotated[str, Field(max_length=40)] | None = None


class PractitionerIn(EventIn):
    """A health professional of the registry; the RPPS number arrives hashed (SHA-256, hex)."""

    DESCRIPTION: ClassVar[str] = ("Un professionnel de santé du répertoire ; le numéro RPPS arrive haché "
                                  "(SHA-256, hexadécimal).")

    rpps_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    profession: Literal[tuple(PROFESSIONS)]  # type: ignore[valid-type]
    specialty: Annotated[str, Field(max_length=60)] | None = None
    commune: Insee
    birth_year: int = Field(ge=1930, le=2010)
    activity_start: CareerDay
    activity_end: CareerDay | None = None
    fte: float = Field(1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _dates(self) -> PractitionerIn:
        _rule(self.activity_end is None or self.activity_end >= self.activity_start, "end_before_start",
              "la fin d'activité précède son début", "activity_end")
        _rule(self.activity_start.year >= self.birth_year + 18, "start_before_adulthood",
              "début d'activité incompatible avec l'année de naissance", "activity_start")
        return self


class IndicatorValueIn(EventIn):
    """A value of an evaluation indicator of one of the programme's experiments."""

    DESCRIPTION: ClassVar[str] = ("Une valeur d'un indicateur d'évaluation d'une expérimentation du "
                                  "programme, avec sa cible.")

    experiment: Literal[tuple(EXPERIMENTS)]  # type: ignore[valid-type]
    indicator: Annotated[str, Field(pattern=r"^[a-z0-9_]{2,60}$")]
    territory_level: Literal["departement", "epci", "commune"]
    territory_code: Annotated[str, Field(pattern=r"^[0-9AB]{2,9}$")]
    period_start: PeriodDay
    period_end: PeriodDay
    value: Finite
    target: Finite | None = None
    unit: Annotated[str, Field(min_length=1, max_length=30)]

    @model_validator(mode="after")
    def _period(self) -> IndicatorValueIn:
        _rule(self.period_end >= self.period_start, "end_before_start",
              "la fin de période précède son début", "period_end")
        return self


class EhpadActivityIn(EventIn):
    """One EHPAD's month from its own records: residents, emergency transfers and referrals to hospital."""

    DESCRIPTION: ClassVar[str] = ("Le bilan mensuel d'un EHPAD tiré de ses propres registres : résidents, "
                                  "transferts aux urgences et orientations vers l'hôpital, y compris pour les "
                                  "mois antérieurs à sa première téléconsultation. Une correction reprend "
                                  "l'event_id du mois (la ligne est mise à jour).")

    site_code: Code
    month: PeriodDay
    residents: int = Field(ge=1, le=2000)
    emergency_transfers: int = Field(ge=0, le=20000)
    hospital_referrals: int = Field(ge=0, le=20000)

    @model_validator(mode="after")
    def _month(self) -> EhpadActivityIn:
        _rule(self.month.day == 1, "not_month_start", "le mois se donne par son premier jour (AAAA-MM-01)", "month")
        return self


# --- responses ---------------------------------------------------------------------------------

class FieldError(Documented):
    DESCRIPTION: ClassVar[str] = "Un champ en cause dans un événement refusé."
    field: str
    reason: str
    message: str


class ItemResult(Documented):
    DESCRIPTION: ClassVar[str] = "La réponse pour un événement : enregistré, mis à jour, déjà reçu ou refusé."

    index: int
    event_id: str | None = None
    status: Literal["accepted", "updated", "duplicate", "rejected"]
    errors: list[FieldError] = Field(default_factory=list)
    warnings: list[FieldError] = Field(default_factory=list)


class IngestResponse(Documented):
    DESCRIPTION: ClassVar[str] = "La réponse à une requête : les comptes, puis la réponse pour chaque événement."

    accepted: int
    updated: int = 0
    duplicates: int
    rejected: int
    items: list[ItemResult]


class ErrorResponse(Documented):
    DESCRIPTION: ClassVar[str] = "Une requête refusée en entier (clé, format, taille, débit, base indisponible)."

    error: str
    message: str
    errors: list[FieldError] = Field(default_factory=list)
