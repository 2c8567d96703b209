"""Official HL7 R4B example resources go through the FHIR path: valid structure, precise terminology answers."""
from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from data.ingestion import fhir
from tests.api.conftest import unique

FIXTURES = Path(__file__).parent.parent / "fixtures" / "fhir"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["Observation-f001.json", "Encounter-f202.json", "Location-1.json",
                                  "Practitioner-example.json", "PractitionerRole-example.json"])
def test_official_examples_are_structurally_valid_r4b(name):
    resource = fhir.parse(_load(name))
    assert resource.get_resource_type() == _load(name)["resourceType"]


@pytest.mark.parametrize("name,feed,field,reasons", [
    ("Observation-f001.json", "biology", "category", {"not_laboratory"}),
    ("Encounter-f202.json", "teleconsultation", "class", {"not_virtual_encounter"}),
    ("Encounter-f202.json", "mobile", "extension", {"missing_extension"}),
    ("Location-1.json", "mobile", "recorded_at", {"datetime_type", "missing"}),
])
def test_official_examples_get_precise_terminology_answers(post, name, feed, field, reasons):
    r = post("fhir", _load(name), kind=feed)
    assert r.status_code == 422, r.json
    error = r.json["items"][0]["errors"][0]
    assert error["field"] == field and error["reason"] in reasons, error
    assert error["reason"] != "fhir_structure"


def test_official_practitioner_bundle_maps_and_is_refused_on_our_codes(post):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _load("Practitioner-example.json")}, {"resource": _load("PractitionerRole-example.json")}]}
    r = post("fhir", bundle, kind="workforce")
    assert r.status_code == 422
    reasons = {(e["field"], e["reason"]) for e in r.json["items"][0]["errors"]}
    assert ("profession", "literal_error") in reasons  # v2-0286 « RP » is not one of our professions


def test_an_official_lab_observation_adapted_to_our_terminology_is_accepted(post, db):
    obs = copy.deepcopy(_load("Observation-f001.json"))
    now = datetime.now(UTC).replace(microsecond=0)
    obs["identifier"][0]["value"] = unique("F001")
    obs["category"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "laboratory"}]}]
    obs["code"] = {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]}
    obs["valueQuantity"] = {"value": 4.1, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"}
    obs["referenceRange"] = [{"low": {"value": 3.5}, "high": {"value": 5.0}}]
    obs["interpretation"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                          "code": "N"}]}]
    obs["effectivePeriod"] = {"start": (now - timedelta(minutes=30)).isoformat()}
    obs["issued"] = (now - timedelta(minutes=20)).isoformat()
    obs["device"] = {"identifier": {"value": "POC-EHPAD-55-BLANPAIN-i-STAT"}}
    r = post("fhir", obs, kind="biology")
    assert r.status_code == 201, r.json
