"""Completeness through the ingestion API: a report sent late counts as received, not as on time."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from data.access import full_scope
from data.db import make_session_factory, session_scope
from data.formatting import PARIS
from data.ingestion.examples import json_examples
from data.users import utcnow
from data.views.completeness import completeness_view
from tests.api.conftest import unique
from tests.conftest import TERRITORY

SITE, DEVICE = "EHPAD Blanpain-Couchot", "POC-EHPAD-55-BLANPAIN-i-STAT (i-STAT)"


def _counts(engine) -> dict[tuple[str, str | None], tuple[int, int, int]]:
    with session_scope(make_session_factory(engine)) as s:
        view = completeness_view(s, scope=full_scope(TERRITORY), now=utcnow())
    frame = view.items_table.frame
    return {(r["EHPAD / site / commune"], r["Automate / véhicule"] if isinstance(r["Automate / véhicule"], str)
             else None): (r["Rapports attendus"], r["Reçus"],
                                                                      r["Reçus à temps"])
            for r in frame.to_dict("records") if r["EHPAD / site / commune"] == SITE}


def test_a_session_and_a_status_of_yesterday_sent_today_are_received_not_on_time(post, engine):
    yesterday = datetime.now(PARIS).date() - timedelta(days=1)
    at = datetime.combine(yesterday, time(10, 0), tzinfo=PARIS)
    before = _counts(engine)
    session = {**json_examples(suffix=unique())["teleconsultation/sessions"], "started_at": at.isoformat(),
               "duration_min": 22}
    assert post("teleconsultation/sessions", session).json["items"][0]["status"] == "accepted"
    status = {**json_examples(suffix=unique())["biology/device-status"], "device_serial": DEVICE.split(" ")[0],
              "recorded_at": at.replace(hour=6).isoformat()}
    assert post("biology/device-status", status).json["items"][0]["status"] == "accepted"
    after = _counts(engine)
    _, received, on_time = before[(SITE, None)]  # a site silent before owed what it usually sends
    assert after[(SITE, None)] == (received + 1, received + 1, on_time)  # each session is a report: late here
    expected, received, on_time = before[(SITE, DEVICE)]
    if received < expected:  # that day had no status before this one: received now, after the day's end
        assert after[(SITE, DEVICE)] == (expected, received + 1, on_time)
