"""A FHIR request's entries stored through the pipeline, with no web framework involved."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from data import admin
from data.ingestion import fhir, pipeline
from data.ingestion.examples import fhir_examples
from data.models import MobileStop, RejectedPayload, VehiclePosition


def test_a_bundle_is_split_by_endpoint_and_its_refused_entry_kept(db):
    source = admin.create_source(db, actor=None, name=f"FHIR test {uuid.uuid4().hex[:6]}", feed_kind="mobile")
    examples = fhir_examples(suffix=uuid.uuid4().hex[:8])
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": examples["mobile/stops"]}, {"resource": {"resourceType": "Patient"}},
        {"resource": examples["mobile/positions"]}]}
    received_at = datetime.now(UTC).replace(tzinfo=None)

    entries = fhir.map_request(bundle, feed_kind="mobile")
    result = pipeline.ingest_fhir(db, source=source, entries=entries, received_at=received_at)

    assert (result.accepted, result.updated, result.duplicates, result.rejected) == (2, 0, 0, 1)
    assert [item["index"] for item in result.items] == [0, 1, 2]
    refused = next(item for item in result.items if item["status"] == "rejected")
    assert refused["errors"][0]["field"] == "entry.1.resource.resourceType"
    assert db.scalar(select(RejectedPayload.reason).where(RejectedPayload.source_id == source.id)) == \
        "unsupported_resource"
    assert db.scalar(select(MobileStop.id).where(MobileStop.source_id == source.id)) is not None
    assert db.scalar(select(VehiclePosition.id).where(VehiclePosition.source_id == source.id)) is not None


def test_an_empty_bundle_or_a_non_resource_is_one_refused_entry():
    assert [e.error.reason for e in fhir.map_request({"resourceType": "Bundle", "entry": []}, feed_kind="mobile")] \
        == ["empty_batch"]
    assert [e.error.reason for e in fhir.map_request({"resourceType": "Bundle", "entry": 3}, feed_kind="mobile")] \
        == ["fhir_structure"]
