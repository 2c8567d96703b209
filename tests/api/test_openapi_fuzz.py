"""Schemathesis against the app's own OpenAPI document: no 5xx, every response as documented.

(schemathesis' pytest plugin does not run under pytest 9, so its strategies drive hypothesis directly.)
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from data.ingestion.pipeline import ENDPOINTS

PATHS = [*ENDPOINTS, "fhir"]


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("path", PATHS)
def test_api_conforms_to_its_document(api_schema, api_keys, path):
    operation = api_schema[f"/api/v1/{path}"]["POST"]
    key = api_keys.get(path.split("/")[0], api_keys["biology"])

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        response = case.call(headers={"X-API-Key": key})
        assert response.status_code < 500, response.text
        case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])

    check()


def test_every_endpoint_is_documented(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    assert len(doc["paths"]) == len(PATHS)


def _batch_arrays(doc: dict, body: str) -> list[dict]:
    """The array schemas of an endpoint's body: a bare list and the `events` of {"events": [...]}."""
    schemas = doc["components"]["schemas"]
    arrays = [s for s in schemas[body]["anyOf"] if s.get("type") == "array"]
    for option in schemas[body]["anyOf"]:
        if "$ref" in option and "events" in schemas[option["$ref"].split("/")[-1]].get("properties", {}):
            arrays.append(schemas[option["$ref"].split("/")[-1]]["properties"]["events"])
    return arrays


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_document_refuses_the_batches_the_api_refuses(app, post, path):
    from data.ingestion.pipeline import MAX_BATCH

    doc = app.test_client().get("/api/v1/openapi.json").json
    ref = doc["paths"][f"/api/v1/{path}"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    arrays = _batch_arrays(doc, ref.split("/")[-1])
    assert len(arrays) == 2
    assert all(a.get("minItems") == 1 and a.get("maxItems") == MAX_BATCH for a in arrays), arrays
    assert post(path, []).status_code == 400 and post(path, {"events": []}).status_code == 400
