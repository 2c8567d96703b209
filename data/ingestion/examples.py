"""One valid example per endpoint (JSON form and FHIR form), on the demo's real sites and communes.

Used by the API documentation page, the tests and the feed simulator.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data.ingestion.fhir import EXT


def _t(minutes_ago: int, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC).replace(microsecond=0)
    return (now - timedelta(minutes=minutes_ago)).astimezone().isoformat()


def json_examples(now: datetime | None = None, suffix: str = "1") -> dict[str, dict]:
    t = lambda m: _t(m, now)  # noqa: E731
    return {
        "teleconsultation/sessions": {
            "event_id": f"TC-EX-{suffix}", "site_code": "EHPAD-55-BLANPAIN", "started_at": t(90),
            "duration_min": 22, "specialty": "geriatrie", "requester_type": "infirmier", "patient_age_band": "85+",
            "patient_commune": "55029", "status": "completed", "outcome": "follow_up"},
        "mobile/stops": {
            "event_id": f"CMM-EX-{suffix}", "unit_code": "CMM-52-NORD", "commune": "52250",
            "planned_arrival": t(240), "planned_departure": t(60), "actual_arrival": t(235),
            "actual_departure": t(65), "status": "completed", "slots_offered": 12, "consultations": 10,
            "new_patients": 2},
        "mobile/positions": {
            "event_id": f"POS-EX-{suffix}", "unit_code": "CMM-52-NORD", "recorded_at": t(5),
            "lat": 48.4321, "lon": 5.1395},
        "biology/results": {
            "event_id": f"BIO-EX-{suffix}", "device_serial": "POC-EHPAD-55-BLANPAIN-CoaguChekProII",
            "loinc": "6301-6", "value": 3.4, "unit": "{INR}", "ref_low": 2.0, "ref_high": 3.0, "abnormal": True,
            "sampled_at": t(30), "resulted_at": t(25), "transmitted_at": t(20)},
        "biology/device-status": {
            "event_id": f"DEV-EX-{suffix}", "device_serial": "POC-EHPAD-55-BLANPAIN-CoaguChekProII",
            "recorded_at": t(10), "battery_pct": 76, "qc_status": "passed", "error_code": None},
        "workforce/practitioners": {
            "event_id": f"RPPS-EX-{suffix}",
            "rpps_hash": "5d41402abc4b2a76b9719d911017c592" "5d41402abc4b2a76b9719d911017c592",
            "profession": "medecin", "specialty": "medecine_generale", "commune": "55545", "birth_year": 1991,
            "activity_start": "2026-09-01", "activity_end": None, "fte": 0.8},
        "programme/indicators": {
            "event_id": f"IND-EX-{suffix}", "experiment": "nutrition_domicile",
            "indicator": "personnes_agees_depistees_pct", "territory_level": "departement", "territory_code": "55",
            "period_start": "2026-07-01", "period_end": "2026-09-30", "value": 47.5, "target": 60,
            "unit": "%"},
        "programme/ehpad-activity": {
            "event_id": f"EHPAD-ACT-EX-{suffix}", "site_code": "EHPAD-55-BLANPAIN", "month": "2026-09-01",
            "residents": 94, "emergency_transfers": 2, "hospital_referrals": 4},
    }


def fhir_examples(now: datetime | None = None, suffix: str = "1") -> dict[str, dict]:
    t = lambda m: _t(m, now)  # noqa: E731
    code = lambda system, c: {"coding": [{"system": system, "code": c}]}  # noqa: E731
    cs = "https://e-meuse-sante.fr/fhir/CodeSystem/"
    return {
        "teleconsultation/sessions": {
            "resourceType": "Encounter", "identifier": [{"value": f"TC-FHIR-{suffix}"}], "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
            "serviceType": code(cs + "specialite", "dermatologie"),
            "participant": [{"type": [code(cs + "demandeur", "infirmier")]}],
            "period": {"start": t(80), "end": t(62)},
            "location": [{"location": {"identifier": {"value": "EHPAD-55-BLANPAIN"}}}],
            "hospitalization": {"dischargeDisposition": code(cs + "issue", "resolved")},
            "extension": [{"url": EXT + "patient-age-band", "valueCode": "75-84"},
                          {"url": EXT + "patient-commune", "valueCode": "55029"}]},
        "mobile/stops": {
            "resourceType": "Encounter", "identifier": [{"value": f"CMM-FHIR-{suffix}"}], "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "serviceProvider": {"identifier": {"value": "CMM-52-SUD"}},
            "location": [{"location": {"identifier": {"value": "52269"}}}],
            "period": {"start": t(230), "end": t(50)},
            "extension": [{"url": EXT + "planned-period", "valuePeriod": {"start": t(240), "end": t(60)}},
                          {"url": EXT + "slots-offered", "valueInteger": 12},
                          {"url": EXT + "consultations", "valueInteger": 9},
                          {"url": EXT + "new-patients", "valueInteger": 1}]},
        "mobile/positions": {
            "resourceType": "Location", "identifier": [{"value": f"POS-FHIR-{suffix}"}],
            "managingOrganization": {"identifier": {"value": "CMM-52-SUD"}},
            "position": {"latitude": 47.8605, "longitude": 5.3398},
            "extension": [{"url": EXT + "recorded-at", "valueDateTime": t(3)}]},
        "biology/results": {
            "resourceType": "Observation", "identifier": [{"value": f"BIO-FHIR-{suffix}"}], "status": "final",
            "category": [code("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
            "code": code("http://loinc.org", "2823-3"),
            "valueQuantity": {"value": 5.6, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                              "code": "mmol/L"},
            "referenceRange": [{"low": {"value": 3.5}, "high": {"value": 5.0}}],
            "interpretation": [code("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "H")],
            "effectiveDateTime": t(40), "issued": t(35),
            "device": {"identifier": {"value": "POC-EHPAD-55-BLANPAIN-i-STAT"}}},
        "workforce/practitioners": {
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"fullUrl": "urn:uuid:6f1c2c1e-8b1a-4c55-9d55-000000000001",
                 "resource": {"resourceType": "Practitioner", "id": "p1",
                              "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "10101010101"}],
                              "birthDate": "1988-04-12"}},
                {"resource": {"resourceType": "PractitionerRole", "identifier": [{"value": f"ROLE-FHIR-{suffix}"}],
                              "practitioner": {"reference": "Practitioner/p1"},
                              "code": [code(cs + "profession", "infirmier")],
                              "period": {"start": "2025-03-01"},
                              "location": [{"identifier": {"value": "55533"}}]}}]},
    }
