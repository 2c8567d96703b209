"""FHIR R4/R4B intake: structural validation with fhir.resources (R4B models), then mapping to our
JSON form, which the pipeline checks against our own terminology (LOINC, UCUM, statuses, sites).

Conventions (documented on /api/v1/docs): the event id is the resource's first `identifier.value`;
our codes live in CodeSystems under `https://e-meuse-sante.fr/fhir/`; programme-specific values the
base resources do not carry travel in extensions under `https://e-meuse-sante.fr/fhir/StructureDefinition/`.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from data.ingestion.schemas import FieldError

EXT = "https://e-meuse-sante.fr/fhir/StructureDefinition/"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ABNORMAL_CODES = {"A", "AA", "H", "HH", "L", "LL", "HU", "LU", ">", "<", "POS"}
NORMAL_CODES = {"N", "NEG"}
FINAL_OBSERVATION = {"final", "amended", "corrected"}
SUPPORTED = {"Encounter", "Observation", "Location", "Practitioner", "PractitionerRole"}
log = logging.getLogger(__name__)


@dataclass
class Mapped:
    """One FHIR resource turned into our JSON form (or the reason it cannot be)."""

    endpoint: str | None
    item: dict | None
    original: Any
    error: FieldError | None = None
    index: int = 0  # the entry's position in the Bundle (0 for a lone resource): its answer's `index`


class FhirRejected(Exception):
    def __init__(self, field: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.error = FieldError(field=field, reason=reason, message=message)


def _model_class(resource_type: str):
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def parse(resource: dict, path: str = ""):
    """Structural validation with the R4B model of the resource's type."""
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise FhirRejected(path + "resourceType", "fhir_structure", "ressource FHIR attendue (resourceType manquant)")
    rtype = resource["resourceType"]
    if not isinstance(rtype, str) or rtype not in SUPPORTED:
        raise FhirRejected(path + "resourceType", "unsupported_resource",
                           f"type de ressource {rtype!r} non accepté (attendu : {', '.join(sorted(SUPPORTED))})")
    try:
        return _model_class(rtype).model_validate(resource)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(x) for x in first["loc"])
        raise FhirRejected(path + field, "fhir_structure", f"ressource {rtype} invalide : {first['msg']}") from err
    except (RecursionError, ArithmeticError, TypeError, ValueError) as err:
        raise FhirRejected(path + "resourceType", "fhir_structure", f"ressource {rtype} illisible") from err


def _identifier(res, field: str = "identifier") -> str:
    ids = getattr(res, field, None) or []
    for ident in ids:
        if ident.value:
            return ident.value
    raise FhirRejected(field, "missing_identifier", "identifiant de l'événement (identifier.value) manquant")


def _ext(res, name: str, kind: str):
    for ext in getattr(res, "extension", None) or []:
        if ext.url == EXT + name:
            return getattr(ext, kind, None)
    return None


def _code(concepts, field: str, *, system: str | None = None, required: bool = True) -> str | None:
    concepts = concepts if isinstance(concepts, list) else [concepts] if concepts else []
    for concept in concepts:
        for coding in (concept.coding or []) if concept else []:
            if coding.code and (system is None or coding.system == system):
                return coding.code
    if required:
        raise FhirRejected(field, "missing_code", f"code manquant dans {field}")
    return None


def _ref_identifier(ref, field: str, prefix: str) -> str:
    """A reference given by identifier, or by 'Type/<code>'."""
    if ref is None:
        raise FhirRejected(field, "missing_reference", f"référence manquante : {field}")
    if ref.identifier is not None and ref.identifier.value:
        return ref.identifier.value
    if ref.reference and ref.reference.startswith(prefix + "/"):
        return ref.reference.split("/", 1)[1]
    raise FhirRejected(field, "missing_reference", f"référence sans identifiant : {field}")


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _moment(value, field: str) -> str | None:
    """A FHIR dateTime that must be a full moment with its offset: FHIR also allows a date, a month or
    a year alone ("2026-11-30", "2026"), which say when a day began nowhere in particular."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise FhirRejected(field, "incomplete_datetime", f"date-heure complète avec fuseau attendue "
                                                         f"(ex. 2026-11-03T09:30:00+01:00), reçu {str(value)[:40]!r}")
    return value.isoformat()


def _minutes(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    try:
        return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60)
    except OverflowError:
        raise FhirRejected("period", "timestamp_out_of_range", "période hors des dates traitées") from None


def teleconsultation(enc) -> dict:
    if enc.class_fhir is None or enc.class_fhir.code != "VR":
        raise FhirRejected("class", "not_virtual_encounter", "une téléconsultation est une rencontre de classe VR")
    if enc.status == "finished":
        status = "completed"
    elif enc.status == "cancelled":
        status = _code(enc.reasonCode, "reasonCode", required=False) or "cancelled"
    else:
        raise FhirRejected("status", "status_not_final", f"statut {enc.status!r} : seules les séances terminées "
                                                          "(finished) ou annulées (cancelled) sont reçues")
    start = _moment(enc.period.start if enc.period else None, "period.start")
    end = _moment(enc.period.end if enc.period else None, "period.end")
    duration = _minutes(start, end) if status == "completed" else None
    return {
        "event_id": _identifier(enc),
        "site_code": _ref_identifier(enc.location[0].location if enc.location else None, "location.0.location",
                                     "Location"),
        "started_at": start,
        "duration_min": duration,
        "specialty": _code(enc.serviceType, "serviceType"),
        "requester_type": _code(enc.participant[0].type if enc.participant else None, "participant.0.type"),
        "patient_age_band": _ext(enc, "patient-age-band", "valueCode"),
        "patient_commune": _ext(enc, "patient-commune", "valueCode"),
        "status": status,
        "outcome": _code(enc.hospitalization.dischargeDisposition if enc.hospitalization else None,
                         "hospitalization.dischargeDisposition", required=False),
    }


def mobile_stop(enc) -> dict:
    statuses = {"planned": "planned", "finished": "completed", "cancelled": "cancelled"}
    if enc.status not in statuses:
        raise FhirRejected("status", "status_not_allowed", f"statut {enc.status!r} non accepté pour un arrêt")
    planned = _ext(enc, "planned-period", "valuePeriod")
    if planned is None:
        raise FhirRejected("extension", "missing_extension", "extension planned-period (horaires prévus) manquante")
    done = statuses[enc.status] == "completed"
    return {
        "event_id": _identifier(enc),
        "unit_code": _ref_identifier(enc.serviceProvider, "serviceProvider", "Organization"),
        "commune": _ref_identifier(enc.location[0].location if enc.location else None, "location.0.location",
                                   "Location"),
        "planned_arrival": _moment(planned.start, "extension.planned-period.start"),
        "planned_departure": _moment(planned.end, "extension.planned-period.end"),
        "actual_arrival": _moment(enc.period.start, "period.start") if done and enc.period else None,
        "actual_departure": _moment(enc.period.end, "period.end") if done and enc.period else None,
        "status": statuses[enc.status],
        "slots_offered": _ext(enc, "slots-offered", "valueInteger") or 0,
        "consultations": _ext(enc, "consultations", "valueInteger") or 0,
        "new_patients": _ext(enc, "new-patients", "valueInteger") or 0,
    }


def vehicle_position(loc) -> dict:
    if loc.position is None:
        raise FhirRejected("position", "missing_position", "Location sans position GPS")
    recorded = _ext(loc, "recorded-at", "valueDateTime") or (loc.meta.lastUpdated if loc.meta else None)
    return {
        "event_id": _identifier(loc),
        "unit_code": _ref_identifier(loc.managingOrganization, "managingOrganization", "Organization"),
        "recorded_at": _moment(recorded, "extension.recorded-at"),
        "lat": float(loc.position.latitude), "lon": float(loc.position.longitude),
    }


def biology_result(obs) -> dict:
    if obs.status not in FINAL_OBSERVATION:
        raise FhirRejected("status", "status_not_final", f"statut {obs.status!r} : résultat définitif attendu")
    if "laboratory" not in {c.code for cat in (obs.category or []) for c in (cat.coding or [])}:
        raise FhirRejected("category", "not_laboratory", "catégorie « laboratory » attendue")
    if obs.valueQuantity is None or obs.valueQuantity.value is None:
        raise FhirRejected("valueQuantity", "missing_value", "valeur numérique (valueQuantity) attendue")
    if obs.valueQuantity.system not in (None, UCUM):
        raise FhirRejected("valueQuantity.system", "not_ucum", "unité attendue dans le système UCUM")
    interpretation = _code(obs.interpretation, "interpretation", required=False)
    ref = obs.referenceRange[0] if obs.referenceRange else None
    return {
        "event_id": _identifier(obs),
        "device_serial": _ref_identifier(obs.device, "device", "Device"),
        "loinc": _code(obs.code, "code", system=LOINC),
        "value": float(obs.valueQuantity.value),
        "unit": obs.valueQuantity.code or obs.valueQuantity.unit,
        "ref_low": float(ref.low.value) if ref and ref.low and ref.low.value is not None else None,
        "ref_high": float(ref.high.value) if ref and ref.high and ref.high.value is not None else None,
        "abnormal": True if interpretation in ABNORMAL_CODES else False if interpretation in NORMAL_CODES else None,
        "sampled_at": _moment(obs.effectiveDateTime or (obs.effectivePeriod.start if obs.effectivePeriod else None),
                              "effectiveDateTime"),
        "resulted_at": _moment(obs.issued, "issued"),
        "transmitted_at": _moment(_ext(obs, "transmitted-at", "valueDateTime"), "extension.transmitted-at"),
    }


def practitioner(role, prac) -> dict:
    rpps = _identifier(prac)
    period = role.period
    return {
        "event_id": _identifier(role),
        "rpps_hash": hashlib.sha256(f"rpps:{rpps}".encode()).hexdigest(),
        "profession": _code(role.code, "code"),
        "specialty": _code(role.specialty, "specialty", required=False),
        "commune": _ref_identifier(role.location[0] if role.location else None, "location.0", "Location"),
        "birth_year": prac.birthDate.year if prac.birthDate else None,
        "activity_start": _iso(period.start.date() if isinstance(period.start, datetime) else period.start)
        if period and period.start else None,
        "activity_end": _iso(period.end.date() if isinstance(period.end, datetime) else period.end)
        if period and period.end else None,
        "fte": float(_ext(role, "fte", "valueDecimal") or 1.0),
    }


def _resources(payload: dict) -> list[tuple[int, str, Any]]:
    """(entry index, path, resource): the entries of a Bundle, or the resource itself."""
    if isinstance(payload, dict) and payload.get("resourceType") == "Bundle":
        entries = payload.get("entry") or []
        if not isinstance(entries, list):
            raise FhirRejected("entry", "fhir_structure", "Bundle.entry doit être une liste")
        return [(i, f"entry.{i}.resource.", e.get("resource") if isinstance(e, dict) else None)
                for i, e in enumerate(entries)]
    return [(0, "", payload)]


def map_payload(payload: Any, *, feed_kind: str) -> list[Mapped]:
    """Every resource of the payload, mapped for the source's feed kind, in entry order (a Practitioner
    carried by its PractitionerRole has no answer of its own)."""
    out: list[Mapped] = []
    parsed: list[tuple[int, str, Any, Any]] = []
    for index, path, raw in _resources(payload):
        try:
            parsed.append((index, path, raw, parse(raw, path)))
        except FhirRejected as err:
            out.append(Mapped(None, None, raw, err.error, index))
    practitioners = {}
    for _index, _path, raw, res in parsed:
        if res.get_resource_type() == "Practitioner":
            for key in (f"Practitioner/{res.id}" if res.id else None, raw.get("fullUrl") if isinstance(raw, dict)
                        else None):
                if key:
                    practitioners[key] = res
    for index, path, raw, res in parsed:
        rtype = res.get_resource_type()
        try:
            if feed_kind == "teleconsultation" and rtype == "Encounter":
                out.append(Mapped("teleconsultation/sessions", teleconsultation(res), raw, index=index))
            elif feed_kind == "mobile" and rtype == "Encounter":
                out.append(Mapped("mobile/stops", mobile_stop(res), raw, index=index))
            elif feed_kind == "mobile" and rtype == "Location":
                out.append(Mapped("mobile/positions", vehicle_position(res), raw, index=index))
            elif feed_kind == "biology" and rtype == "Observation":
                out.append(Mapped("biology/results", biology_result(res), raw, index=index))
            elif feed_kind == "workforce" and rtype == "PractitionerRole":
                ref = res.practitioner.reference if res.practitioner else None
                prac = practitioners.get(ref) or next((c for c in (res.contained or [])
                                                       if c.get_resource_type() == "Practitioner"), None)
                if prac is None:
                    raise FhirRejected("practitioner", "missing_practitioner",
                                       "le Practitioner référencé doit être dans le même Bundle (ou contenu)")
                out.append(Mapped("workforce/practitioners", practitioner(res, prac), raw, index=index))
            elif feed_kind == "workforce" and rtype == "Practitioner":
                continue  # carried by its PractitionerRole
            else:
                raise FhirRejected("resourceType", "resource_not_for_feed",
                                   f"une ressource {rtype} n'est pas attendue pour le flux {feed_kind}")
        except FhirRejected as err:
            err.error.field = path + err.error.field
            out.append(Mapped(None, None, raw, err.error, index))
        except Exception:  # one resource's surprise is its own rejection, never the Bundle's
            log.exception("FHIR mapping of a %s failed", rtype)
            out.append(Mapped(None, None, raw, FieldError(
                field=path + "resourceType", reason="unprocessable_item",
                message=f"ressource {rtype} illisible (valeur hors des limites traitées)"), index))
    return sorted(out, key=lambda m: m.index)


def map_request(payload: Any, *, feed_kind: str) -> list[Mapped]:
    """The entries of a request; one that is no resource or Bundle, or an empty one, is a single refused entry."""
    try:
        mapped = map_payload(payload, feed_kind=feed_kind)
    except FhirRejected as err:
        return [Mapped(None, None, payload, err.error)]
    return mapped or [Mapped(None, None, payload, FieldError(field="entry", reason="empty_batch", message="lot vide"))]
