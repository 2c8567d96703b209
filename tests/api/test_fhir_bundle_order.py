"""A FHIR Bundle is answered entry by entry, in the order sent, each answer carrying its entry's index."""
from __future__ import annotations

from data.ingestion.examples import fhir_examples
from tests.api.conftest import unique


def test_answers_follow_the_entries_in_order_with_their_index(post, db):
    ex = [fhir_examples(suffix=unique()) for _ in range(2)]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": ex[0]["mobile/stops"]}, {"resource": {"resourceType": "Patient"}},
        {"resource": ex[0]["mobile/positions"]}, {"resource": {"resourceType": "Observation"}},
        {"resource": ex[1]["mobile/stops"]}]}
    r = post("fhir", bundle, kind="mobile")
    assert r.status_code == 207
    items = r.json["items"]
    assert [i["index"] for i in items] == [0, 1, 2, 3, 4]
    assert [i["status"] for i in items] == ["accepted", "rejected", "accepted", "rejected", "accepted"]
    assert items[0]["event_id"] == ex[0]["mobile/stops"]["identifier"][0]["value"]
    assert items[4]["event_id"] == ex[1]["mobile/stops"]["identifier"][0]["value"]
    assert items[1]["errors"][0]["field"].startswith("entry.1.")
    assert items[3]["errors"][0]["field"].startswith("entry.3.")


def test_a_practitioner_carried_by_its_role_is_answered_at_the_role_s_entry(post, db):
    bundle = fhir_examples(suffix=unique())["workforce/practitioners"]
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Practitioner", "PractitionerRole"]
    items = post("fhir", bundle, kind="workforce").json["items"]
    assert [(i["index"], i["status"]) for i in items] == [(1, "accepted")]
