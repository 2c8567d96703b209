"""Ingestion updates what the feed-health view shows: last event, events per hour, rejects by reason."""
from __future__ import annotations

from datetime import UTC, datetime

from data.access import AccessScope, full_scope
from data.ingestion.examples import json_examples
from data.queries.feeds import feed_health
from tests.api.conftest import unique


def test_health_follows_ingestion(post, db, api_keys):
    scope = full_scope(("52", "54", "55"))

    def mine():
        db.expire_all()
        now = datetime.now(UTC).replace(tzinfo=None)
        return next(h for h in feed_health(db, scope=scope, now=now) if h.name.startswith("Test API mobile"))

    before = mine()
    good = json_examples(suffix=unique())["mobile/positions"]
    bad = {**json_examples(suffix=unique())["mobile/positions"], "lat": 10.0}
    assert post("mobile/positions", [good, bad]).status_code == 207
    after = mine()
    assert after.events_last_hour == before.events_last_hour + 2
    assert after.rejected_24h == before.rejected_24h + 1
    assert after.rejects_by_reason.get("position_out_of_area", 0) == before.rejects_by_reason.get(
        "position_out_of_area", 0) + 1
    assert after.last_seen_at is not None and not after.silent(datetime.now(UTC).replace(tzinfo=None))


def test_health_needs_the_feeds_grant(db):
    no_feeds = AccessScope(3, "member", "usagers", frozenset({"55"}), (("feeds", "none"),))
    assert feed_health(db, scope=no_feeds, now=datetime.now(UTC).replace(tzinfo=None)) == []


def test_demo_live_tail_goes_through_the_pipeline(db):
    """The demo's first delivery is real ingestion: accepted rows, verbatim rejects, feed statistics."""
    from sqlalchemy import func, select

    from data.models import FeedSource, RejectedPayload
    from data.queries.feeds import reason_label, rejects
    from data.simulator import World, feed_in_process

    sources = {s.feed_kind: s for s in db.scalars(select(FeedSource).where(FeedSource.name.like("Démo — %")))}
    rejected_before = db.scalar(select(func.count()).select_from(RejectedPayload))
    statuses = feed_in_process(db, world=World.load(db, seed=3), sources=sources, count=200, malformed_share=0.2)
    assert sum(statuses.values()) == 200 and statuses["accepted"] > 100 and statuses["rejected"] > 10
    assert db.scalar(select(func.count()).select_from(RejectedPayload)) == rejected_before + statuses["rejected"]
    now = datetime.now(UTC).replace(tzinfo=None)
    health = {h.name: h for h in feed_health(db, scope=full_scope(("52", "54", "55")), now=now)}
    tele = health["Démo — plateforme de téléconsultation"]
    assert tele.events_last_hour > 0 and not tele.silent(now)
    shown = rejects(db, scope=full_scope(("52", "54", "55")), now=now)
    assert "champ inconnu" in set(shown["reason"])  # French labels, not pydantic's codes
    assert reason_label("extra_forbidden") == "champ inconnu" and reason_label("new_code") == "new_code"
