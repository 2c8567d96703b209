"""The EHPAD activity feed (/api/v1/programme/ehpad-activity): the before/after behind /evaluation."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from data.ingestion.examples import json_examples
from data.models import EhpadActivity, RejectedPayload, Site
from tests.api.conftest import unique

PATH = "programme/ehpad-activity"


@pytest.mark.parametrize("change,field,reason", [
    ({"site_code": "CENTRE_SANTE-55545"}, "site_code", "site_not_ehpad"),
    ({"site_code": "EHPAD-INCONNU"}, "site_code", "unknown_site"),
    ({"month": "2026-09-15"}, "month", "not_month_start"),
    ({"emergency_transfers": -1}, "emergency_transfers", "greater_than_equal"),
    ({"residents": 0}, "residents", "greater_than_equal"),
])
def test_activity_feed_refuses_with_the_field_at_fault(post, db, change, field, reason):
    if change.get("site_code", "").startswith("CENTRE"):
        change = {"site_code": db.scalar(select(Site.code).where(Site.kind != "ehpad").limit(1))}
    item = {**json_examples(suffix=unique())[PATH], **change}
    r = post(PATH, item)
    assert r.status_code in (207, 400, 422), r.json
    (result,) = r.json["items"]
    assert result["status"] == "rejected"
    assert [(e["field"], e["reason"]) for e in result["errors"]][:1] == [(field, reason)]
    kept = db.scalars(select(RejectedPayload).where(RejectedPayload.payload.contains(item["event_id"]))).one()
    assert kept.feed_kind == "programme" and kept.reason == reason


def test_activity_feed_is_idempotent_and_takes_corrections(post, db):
    item = json_examples(suffix=unique())[PATH]
    assert post(PATH, item).json["items"][0]["status"] == "accepted"
    assert post(PATH, item).json["items"][0]["status"] == "duplicate"
    corrected = post(PATH, {**item, "emergency_transfers": 5}).json["items"][0]
    assert corrected["status"] == "updated"
    db.expire_all()
    rows = db.scalars(select(EhpadActivity).where(EhpadActivity.source_event_id == item["event_id"])).all()
    assert [(r.emergency_transfers, r.month) for r in rows] == [(5, date(2026, 9, 1))]
