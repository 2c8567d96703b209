"""Validated event → database row: one builder per endpoint, with what a sender may reference.

Rules a schema alone cannot check (known site, device, unit, commune; the source's own sites; LOINC
and UCUM per test; positions inside the territory) raise ItemRejected with the field at fault;
pydantic errors get French messages.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.ingestion import schemas
from data.models import Commune, Device, FeedSource, MobileUnit, Site
from data.terminology import BIOLOGY_BY_LOINC

PARIS = ZoneInfo("Europe/Paris")

FRENCH_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu",
    "literal_error": "valeur non autorisée",
    "string_pattern_mismatch": "format invalide",
    "string_too_long": "texte trop long",
    "string_too_short": "texte vide ou trop court",
    "string_type": "texte attendu",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "greater_than_equal": "valeur trop petite",
    "greater_than": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
    "timezone_aware": "le fuseau horaire est obligatoire (ex. 2026-11-03T09:30:00+01:00)",
    "datetime_parsing": "date-heure invalide (ISO 8601 attendu)",
    "datetime_from_date_parsing": "date-heure invalide (ISO 8601 attendu)",
    "datetime_type": "date-heure attendue (ISO 8601)",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "model_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
}


class ItemRejected(Exception):
    """A rule that needs the database failed for one item."""

    def __init__(self, field_path: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.error = schemas.FieldError(field=field_path, reason=reason, message=message)


def to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def local_day(value: datetime):
    return value.astimezone(PARIS).date()


def validation_errors(err: ValidationError) -> list[schemas.FieldError]:
    out = []
    for e in err.errors():
        ctx = e.get("ctx") or {}
        path = ".".join(str(x) for x in e["loc"]) or ctx.get("field") or "(objet)"
        message = FRENCH_MESSAGES.get(e["type"], e["msg"])
        if e["type"] == "literal_error" and "expected" in ctx:
            message = f"valeur non autorisée (attendu : {ctx['expected']})"
        out.append(schemas.FieldError(field=path, reason=e["type"], message=message))
    return out


# --- the sender's world: what its events may reference ---------------------------------------

REFERENCE_TTL_SECONDS = 60.0
# engine → name → (expiry, value): territory, sites, devices and units change rarely; reloading them
# for every request cost more than the rest of a single-event request.
_REFERENCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_REFERENCE_LOCK = threading.Lock()


def clear_reference_cache() -> None:
    """Forget cached reference data (after the territory, sites or devices change in this process)."""
    with _REFERENCE_LOCK:
        _REFERENCE.clear()


@dataclass
class Context:
    session: Session
    source: FeedSource
    received_at: datetime
    _cache: dict = field(default_factory=dict)

    def _memo(self, key: str, load: Callable[[], Any]):
        if key not in self._cache:
            engine = self.session.get_bind()
            now = time.monotonic()
            with _REFERENCE_LOCK:
                per_engine = _REFERENCE.setdefault(engine, {})
                hit = per_engine.get(key)
            if hit is None or hit[0] < now:
                hit = (now + REFERENCE_TTL_SECONDS, load())
                with _REFERENCE_LOCK:
                    per_engine[key] = hit
            self._cache[key] = hit[1]
        return self._cache[key]

    @property
    def communes(self) -> dict[str, str]:
        """INSEE code → département, for the configured territory."""
        return self._memo("communes", lambda: dict(self.session.execute(
            select(Commune.insee, Commune.departement_code)).all()))

    def commune(self, code: str | None, field_path: str) -> str | None:
        if code is not None and code not in self.communes:
            raise ItemRejected(field_path, "unknown_commune", f"commune {code} inconnue du territoire")
        return code

    def _allowed_site(self, site_code: str, field_path: str) -> None:
        if self.source.site_codes and site_code not in self.source.site_codes:
            raise ItemRejected(field_path, "site_not_allowed", f"le site {site_code} n'appartient pas à cette source")

    def site(self, code: str, field_path: str = "site_code") -> tuple[int, str]:
        sites = self._memo("sites", lambda: {c: (i, ins) for c, i, ins in self.session.execute(
            select(Site.code, Site.id, Site.commune_insee)).all()})
        if code not in sites:
            raise ItemRejected(field_path, "unknown_site", f"site {code} inconnu")
        self._allowed_site(code, field_path)
        return sites[code]

    def site_kind(self, code: str) -> str | None:
        kinds = self._memo("site_kinds", lambda: dict(self.session.execute(select(Site.code, Site.kind)).all()))
        return kinds.get(code)

    def device(self, serial: str, field_path: str = "device_serial") -> tuple[int, int]:
        devices = self._memo("devices", lambda: {s: (i, site_id, code) for s, i, site_id, code in self.session.execute(
            select(Device.serial, Device.id, Device.site_id, Site.code).join(Site, Site.id == Device.site_id)).all()})
        if serial not in devices:
            raise ItemRejected(field_path, "unknown_device", f"automate {serial} inconnu")
        device_id, site_id, site_code = devices[serial]
        self._allowed_site(site_code, field_path)
        return device_id, site_id

    def unit(self, code: str, field_path: str = "unit_code") -> int:
        units = self._memo("units", lambda: dict(self.session.execute(select(MobileUnit.code, MobileUnit.id)).all()))
        if code not in units:
            raise ItemRejected(field_path, "unknown_unit", f"cabinet mobile {code} inconnu")
        return units[code]

    def bounds(self) -> tuple[float, float, float, float]:
        """The territory's box with a margin (~30 km): positions outside it are refused."""
        def load():
            lat0, lat1, lon0, lon1 = self.session.execute(select(
                func.min(Commune.lat), func.max(Commune.lat), func.min(Commune.lon), func.max(Commune.lon))).one()
            return lat0 - 0.3, lat1 + 0.3, lon0 - 0.4, lon1 + 0.4
        return self._memo("bounds", load)


# --- one function per endpoint: validated model → database row ---------------------------------

def _common(ctx: Context, item: schemas.EventIn) -> dict:
    return {"source_id": ctx.source.id, "source_event_id": item.event_id, "received_at": ctx.received_at}


def teleconsultation_row(ctx: Context, m: schemas.TeleconsultationSessionIn) -> dict:
    site_id, _ = ctx.site(m.site_code)
    return {**_common(ctx, m), "site_id": site_id, "started_at": to_utc(m.started_at), "day": local_day(m.started_at),
            "duration_min": m.duration_min, "specialty": m.specialty, "requester_type": m.requester_type,
            "patient_age_band": m.patient_age_band,
            "patient_commune_insee": ctx.commune(m.patient_commune, "patient_commune"),
            "status": m.status, "outcome": m.outcome}


def mobile_stop_row(ctx: Context, m: schemas.MobileStopIn) -> dict:
    return {**_common(ctx, m), "unit_id": ctx.unit(m.unit_code), "commune_insee": ctx.commune(m.commune, "commune"),
            "day": local_day(m.planned_arrival), "planned_arrival": to_utc(m.planned_arrival),
            "planned_departure": to_utc(m.planned_departure),
            "actual_arrival": to_utc(m.actual_arrival) if m.actual_arrival else None,
            "actual_departure": to_utc(m.actual_departure) if m.actual_departure else None,
            "status": m.status, "slots_offered": m.slots_offered, "consultations": m.consultations,
            "new_patients": m.new_patients, "confirmed_at": ctx.received_at if m.status != "planned" else None}


def position_row(ctx: Context, m: schemas.VehiclePositionIn) -> dict:
    lat0, lat1, lon0, lon1 = ctx.bounds()
    if not (lat0 <= m.lat <= lat1 and lon0 <= m.lon <= lon1):
        raise ItemRejected("lat", "position_out_of_area", "position hors du territoire du programme")
    return {**_common(ctx, m), "unit_id": ctx.unit(m.unit_code), "recorded_at": to_utc(m.recorded_at),
            "day": local_day(m.recorded_at), "lat": m.lat, "lon": m.lon}


def biology_row(ctx: Context, m: schemas.BiologyResultIn) -> dict:
    test = BIOLOGY_BY_LOINC.get(m.loinc)
    if test is None:
        raise ItemRejected("loinc", "unknown_loinc", f"code LOINC {m.loinc} non autorisé pour la biologie délocalisée")
    if m.unit != test.unit:
        raise ItemRejected("unit", "ucum_unit_mismatch",
                           f"unité {m.unit!r} invalide pour {test.label} : unité UCUM attendue {test.unit!r}")
    device_id, site_id = ctx.device(m.device_serial)
    low = m.ref_low if m.ref_low is not None else test.ref_low
    high = m.ref_high if m.ref_high is not None else test.ref_high
    computed = not (low <= m.value <= high)
    if m.abnormal is not None and m.abnormal != computed:
        raise ItemRejected("abnormal", "inconsistent_abnormal_flag",
                           "l'indicateur d'anomalie contredit la valeur et l'intervalle de référence")
    return {**_common(ctx, m), "device_id": device_id, "site_id": site_id, "loinc": m.loinc, "value": m.value,
            "unit": m.unit, "ref_low": low, "ref_high": high, "abnormal": computed,
            "sampled_at": to_utc(m.sampled_at), "resulted_at": to_utc(m.resulted_at),
            "transmitted_at": to_utc(m.transmitted_at) if m.transmitted_at else None, "day": local_day(m.sampled_at)}


def device_status_row(ctx: Context, m: schemas.DeviceStatusIn) -> dict:
    device_id, _ = ctx.device(m.device_serial)
    return {**_common(ctx, m), "device_id": device_id, "recorded_at": to_utc(m.recorded_at),
            "day": local_day(m.recorded_at), "battery_pct": m.battery_pct, "qc_status": m.qc_status,
            "error_code": m.error_code}


def practitioner_row(ctx: Context, m: schemas.PractitionerIn) -> dict:
    return {**_common(ctx, m), "rpps_hash": m.rpps_hash, "profession": m.profession, "specialty": m.specialty,
            "commune_insee": ctx.commune(m.commune, "commune"), "birth_year": m.birth_year,
            "activity_start": m.activity_start, "activity_end": m.activity_end, "fte": m.fte}


def indicator_row(ctx: Context, m: schemas.IndicatorValueIn) -> dict:
    deps = set(ctx.communes.values())
    if m.territory_level == "departement":
        if m.territory_code not in deps:
            raise ItemRejected("territory_code", "unknown_territory", f"département {m.territory_code} hors territoire")
        dep = m.territory_code
    elif m.territory_level == "commune":
        dep = ctx.communes.get(m.territory_code)
        if dep is None:
            raise ItemRejected("territory_code", "unknown_territory", f"commune {m.territory_code} inconnue")
    else:
        rows = ctx.session.execute(select(Commune.departement_code).where(Commune.epci_code == m.territory_code)).all()
        if not rows:
            raise ItemRejected("territory_code", "unknown_territory", f"EPCI {m.territory_code} inconnu du territoire")
        dep = max({r[0] for r in rows}, key=[r[0] for r in rows].count)
    return {**_common(ctx, m), "experiment": m.experiment, "indicator": m.indicator,
            "territory_level": m.territory_level, "territory_code": m.territory_code, "departement_code": dep,
            "period_start": m.period_start, "period_end": m.period_end, "value": m.value, "target": m.target,
            "unit": m.unit}


def ehpad_activity_row(ctx: Context, m: schemas.EhpadActivityIn) -> dict:
    site_id, _insee = ctx.site(m.site_code)
    if ctx.site_kind(m.site_code) != "ehpad":
        raise ItemRejected("site_code", "site_not_ehpad", f"le site {m.site_code} n'est pas un EHPAD")
    return {**_common(ctx, m), "site_id": site_id, "month": m.month, "residents": m.residents,
            "emergency_transfers": m.emergency_transfers, "hospital_referrals": m.hospital_referrals}
