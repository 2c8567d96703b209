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
