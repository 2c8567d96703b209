"""Completeness and timeliness (DHIS2 semantics) on a small known set, in the demo database (rolled back).

The window is 18–24 November 2026 (the 7 full days before 25 November, Paris clock): the demo data end on
31 October, so every report in it is one planted here.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from data.access import AccessScope, full_scope
from data.filters import Filters
from data.ingestion import pipeline
from data.models import (
    Dataset,
    Device,
    DeviceStatus,
    FeedSource,
    MobileStop,
    MobileUnit,
    Site,
    TeleconsultationSession,
)
from data.queries.completeness import end_of_day, report_window
from data.views.base import detail_for
from data.views.biology import biology_options, biology_view
from data.views.completeness import completeness_view, mobile_incomplete
from data.views.feeds import feeds_options, feeds_view
from tests.conftest import TERRITORY

NOW = datetime(2026, 11, 25, 9, 0)  # naive UTC: 10:00 in Paris
WINDOW = [date(2026, 11, 18) + timedelta(days=i) for i in range(7)]


def _scope(level: str, deps=("55",)) -> AccessScope:
    return AccessScope(7, "member", "etablissements", frozenset(deps),
                       tuple((d.value, level) for d in Dataset))


@pytest.fixture()
def known(db):
    """In Meuse: a device skipping 20 and 22 November (one status received late), one reporting daily; an EHPAD
    with three sessions (one reported 3 h after its end), an equipped site that sent nothing; three stops of a
    vehicle (confirmed the same day, the next morning, never)."""
    src = FeedSource(name="Test complétude", feed_kind="biology", created_at=datetime(2026, 1, 1))
    db.add(src)
    ehpad = Site(code="T-CMP-EHPAD", name="EHPAD Témoin Complétude", kind="ehpad", commune_insee="55029",
                 residents=80, teleconsultation=True, opened_on=date(2026, 1, 1))
    silent = Site(code="T-CMP-SILENT", name="Maison de santé Muette", kind="centre_sante", commune_insee="55545",
                  teleconsultation=True, opened_on=date(2026, 1, 1))
    db.add_all([ehpad, silent])
    db.flush()
    gappy = Device(serial="T-CMP-DEV-GAPS", model="i-STAT", site_id=ehpad.id)
    steady = Device(serial="T-CMP-DEV-DAILY", model="Afinion 2", site_id=ehpad.id)
    unit = MobileUnit(code="T-CMP-UNIT", name="Cabinet témoin", departement_code="55")
    db.add_all([gappy, steady, unit])
    db.flush()
    n = 0
    for device, skipped in ((gappy, {date(2026, 11, 20), date(2026, 11, 22)}), (steady, set())):
        for day in [date(2026, 11, 10) + timedelta(days=i) for i in range(15)]:
            if day in skipped:
                continue
            n += 1
            recorded = datetime.combine(day, datetime.min.time()) + timedelta(hours=5)  # 06:00 Paris
            late = device is gappy and day == date(2026, 11, 19)
            db.add(DeviceStatus(source_id=src.id, source_event_id=f"T-CMP-{n}", device_id=device.id, day=day,
                                recorded_at=recorded,
                                received_at=recorded + (timedelta(hours=30) if late else timedelta(minutes=4)),
                                qc_status="passed"))

    def session(k, started, duration, status, received):
        return TeleconsultationSession(
            source_id=src.id, source_event_id=f"T-CMP-TC-{k}", site_id=ehpad.id, started_at=started,
            day=started.date(), duration_min=duration, specialty="geriatrie", requester_type="infirmier",
            patient_age_band="85+", patient_commune_insee="55029", status=status,
            outcome="resolved" if status == "completed" else None, received_at=received)

    db.add_all([
        session(1, datetime(2026, 11, 19, 9, 0), 20, "completed", datetime(2026, 11, 19, 9, 50)),
        session(2, datetime(2026, 11, 20, 9, 0), 20, "completed", datetime(2026, 11, 20, 12, 20)),  # 3 h late
        session(3, datetime(2026, 11, 21, 9, 0), None, "cancelled", datetime(2026, 11, 21, 9, 30)),
    ])

    def stop(k, day, status, confirmed):
        arrival = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
        return MobileStop(source_id=src.id, source_event_id=f"T-CMP-STOP-{k}", unit_id=unit.id,
                          commune_insee="55545", day=day, planned_arrival=arrival,
                          planned_departure=arrival + timedelta(hours=3), status=status,
                          actual_arrival=arrival if status == "completed" else None,
                          actual_departure=arrival + timedelta(hours=3) if status == "completed" else None,
                          slots_offered=12, consultations=8 if status == "completed" else 0, new_patients=0,
                          received_at=confirmed or datetime(2026, 11, 10), confirmed_at=confirmed)

    db.add_all([stop(1, date(2026, 11, 19), "completed", datetime(2026, 11, 19, 15, 0)),
                stop(2, date(2026, 11, 20), "completed", datetime(2026, 11, 21, 8, 0)),  # 09:00 Paris, next day
                stop(3, date(2026, 11, 21), "planned", None)])
    db.flush()
    return db


def _row(table, column: str, value: str, kind: str = "") -> dict:
    frame = table.frame[table.frame["Flux"].str.startswith(kind)]
    rows = frame[frame[column] == value].to_dict("records")
    assert len(rows) == 1, (value, table.frame)
    return rows[0]


def test_the_window_is_the_last_seven_full_days_paris_clock():
    window = report_window(datetime(2026, 11, 24, 23, 30))  # 00:30 on the 25th in Paris
    assert (window.start, window.end) == (WINDOW[0], WINDOW[-1])
    assert end_of_day(date(2026, 10, 25)) == datetime(2026, 10, 25, 23, 0)  # winter time from that night
    assert end_of_day(date(2026, 7, 1)) == datetime(2026, 7, 1, 22, 0)


def test_a_device_that_skipped_two_days_reads_five_of_seven_and_is_listed(known):
    view = completeness_view(known, scope=full_scope(("55",)), now=NOW)
    gappy = _row(view.items_table, "Automate / véhicule", "T-CMP-DEV-GAPS (i-STAT)")
    assert (gappy["Rapports attendus"], gappy["Reçus"], gappy["Reçus à temps"]) == (7, 5, 4)
    assert gappy["Complétude (%)"] == pytest.approx(71.4)
    steady = _row(view.items_table, "Automate / véhicule", "T-CMP-DEV-DAILY (Afinion 2)")
    assert (steady["Reçus"], steady["Reçus à temps"], steady["Complétude (%)"]) == (7, 7, 100.0)
    missing = _row(view.missing_table, "Automate / véhicule", "T-CMP-DEV-GAPS (i-STAT)")
    assert missing["Manquant"] == "jours sans rapport : 20 nov., 22 nov."
    assert missing["EHPAD / site / commune"] == "EHPAD Témoin Complétude"
    assert "T-CMP-DEV-DAILY (Afinion 2)" not in set(view.missing_table.frame["Automate / véhicule"])
    assert view.window_text == "du 18 au 24 novembre 2026 (7 derniers jours complets, heure de Paris)"


def test_a_late_session_is_received_but_not_on_time_and_a_silent_site_is_missing(known):
    view = completeness_view(known, scope=full_scope(("55",)), now=NOW)
    ehpad = _row(view.items_table, "EHPAD / site / commune", "EHPAD Témoin Complétude", "Téléconsultation")
    assert (ehpad["Rapports attendus"], ehpad["Reçus"], ehpad["Reçus à temps"]) == (3, 3, 2)
    silent = _row(view.items_table, "EHPAD / site / commune", "Maison de santé Muette")
    assert (silent["Rapports attendus"], silent["Reçus"]) == (1, 0)  # nothing before the window either: 1
    assert _row(view.missing_table, "EHPAD / site / commune", "Maison de santé Muette")["Manquant"].startswith(
        "aucune séance transmise")


def test_a_stop_left_planned_after_its_day_is_missing_and_a_next_day_confirmation_is_late(known):
    view = completeness_view(known, scope=full_scope(("55",)), now=NOW)
    unit = _row(view.items_table, "Automate / véhicule", "Cabinet témoin")
    assert (unit["Rapports attendus"], unit["Reçus"], unit["Reçus à temps"]) == (3, 2, 1)
    missing = _row(view.missing_table, "Automate / véhicule", "Cabinet témoin")
    assert missing["Manquant"] == "arrêt du 21 novembre 2026 non confirmé"
    stats = {s.key: s for s in view.stats}
    assert "1 arrêt non confirmé" in stats["feeds-complete-mobile"].detail


def test_summary_names_no_device_site_or_vehicle_and_small_counts_read_below_11(known):
    view = feeds_view(known, scope=_scope("summary"), filters=None, options=feeds_options(NOW)).completeness
    assert view.items_table is None and "niveau « détail »" in view.items_note
    shown = " ".join([*(f"{s.value} {s.detail}" for s in view.stats), view.departements_table.frame.to_csv(),
                      view.missing_table.frame.to_csv(), view.missing_table.caption])
    names = {r for r in known.scalars(select(Site.name))} | {r for r in known.scalars(select(Device.serial))} \
        | {r for r in known.scalars(select(MobileUnit.name))}
    assert not [n for n in names if n in shown]
    mobile = view.departements_table.frame[view.departements_table.frame["Flux"].str.startswith("Cabinets")]
    assert mobile.iloc[0][["Rapports attendus", "Reçus", "Reçus à temps"]].tolist() == ["< 11"] * 3
    assert pd.isna(mobile.iloc[0]["Complétude (%)"])  # no rate over fewer than 11 reports
    assert "< 11 arrêts non confirmés" in {s.key: s for s in view.stats}["feeds-complete-mobile"].detail


def test_a_redelivery_or_correction_keeps_the_first_confirmation_time(db):
    source = db.scalar(select(FeedSource).where(FeedSource.feed_kind == "mobile", FeedSource.name.like("Démo%")))
    stop = {"event_id": "T-CMP-REDELIVERY", "unit_code": "CMM-52-NORD", "commune": "52250",
            "planned_arrival": "2026-11-19T09:00:00+01:00", "planned_departure": "2026-11-19T12:00:00+01:00",
            "status": "planned", "slots_offered": 12}
    done = {**stop, "status": "completed", "actual_arrival": "2026-11-19T09:05:00+01:00",
            "actual_departure": "2026-11-19T12:10:00+01:00", "consultations": 9}
    endpoint = pipeline.ENDPOINTS["mobile/stops"]

    def send(item, at):
        return pipeline.ingest(db, source=source, endpoint=endpoint, items=[item], received_at=at).items[0]["status"]

    assert send(stop, datetime(2026, 11, 12, 17, 0)) == "accepted"
    assert send(done, datetime(2026, 11, 19, 11, 30)) == "updated"  # 12:30 Paris: confirmed the same day
    assert send(done, datetime(2026, 11, 23, 8, 0)) == "duplicate"
    assert send({**done, "consultations": 10}, datetime(2026, 11, 24, 8, 0)) == "updated"  # a correction
    row = db.scalar(select(MobileStop).where(MobileStop.source_event_id == "T-CMP-REDELIVERY"))
    assert row.confirmed_at == datetime(2026, 11, 19, 11, 30)
    view = completeness_view(db, scope=full_scope(TERRITORY), now=NOW)
    unit = _row(view.items_table, "Automate / véhicule", "Cabinet médical mobile — Nord Haute-Marne")
    assert (unit["Rapports attendus"], unit["Reçus"], unit["Reçus à temps"]) == (1, 1, 1)


JANUARY = Filters(departements=("55",), month_from=date(2026, 1, 1), month_to=date(2026, 1, 1),
                  today=date(2026, 3, 1))


def test_the_biology_note_appears_when_a_device_lacks_reports_and_not_otherwise(db):
    options = biology_options(datetime(2026, 3, 1, 8, 0))
    assert biology_view(db, scope=full_scope(TERRITORY), filters=JANUARY, options=options).incomplete is None
    src = db.scalar(select(FeedSource.id).where(FeedSource.feed_kind == "biology"))
    site = Site(code="T-CMP-JAN", name="EHPAD Témoin Janvier", kind="ehpad", commune_insee="55029",
                teleconsultation=False)
    db.add(site)
    db.flush()
    device = Device(serial="T-CMP-JAN-1", model="i-STAT", site_id=site.id)
    db.add(device)
    db.flush()
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(31)]
    db.add_all(DeviceStatus(source_id=src, source_event_id=f"T-CMP-JAN-{d}", device_id=device.id, day=d,
                            recorded_at=datetime.combine(d, datetime.min.time()) + timedelta(hours=6),
                            received_at=datetime.combine(d, datetime.min.time()) + timedelta(hours=6),
                            qc_status="passed") for d in days if d.day not in (12, 13))
    db.flush()
    note = biology_view(db, scope=full_scope(TERRITORY), filters=JANUARY, options=options).incomplete
    assert note == ("Données incomplètes : 1 EHPAD sans rapport d'automate certains jours de la période "
                    "(2 jours-automates manquants) ; les analyses de ces jours peuvent manquer.")
    summary = biology_view(db, scope=_scope("summary", TERRITORY), filters=JANUARY, options=options).incomplete
    assert summary.startswith("Données incomplètes : < 11 EHPAD sans rapport") and "Témoin" not in summary


def test_the_mobile_note_counts_stops_never_confirmed(known):
    period = report_window(NOW)
    filters = Filters(("55",), date(2026, 11, 1), date(2026, 11, 1), today=date(2026, 11, 25))
    detail = detail_for(full_scope(("55",)), filters, Dataset.MOBILE)
    assert mobile_incomplete(known, detail=detail, period=period) == (
        "Données incomplètes : 1 arrêt de la période sans confirmation (encore « prévu » après sa date).")


def test_summary_counts_cannot_be_subtracted_to_give_back_a_few_missing_reports(known):
    """The attack: the vehicle's stops grow one confirmed stop at a time (17 to 36 owed), one confirmation always
    missing. Shown exactly, « 16 reçus sur 17 » gives the one missing confirmation back each time, a count the
    summary level must not reveal (it reads « < 11 » in the missing list). From published grid cells the
    difference is the truth only by chance, and an attacker who knows the noise bound (±2 a cell) is left an
    interval of at least 5 values (a recovery, tests/attacks/ledger.py, needs 3 or fewer)."""
    unit = known.scalar(select(MobileUnit).where(MobileUnit.code == "T-CMP-UNIT"))
    src = known.scalar(select(FeedSource).where(FeedSource.name == "Test complétude"))
    hits, rounds = 0, 0
    for k in range(34):
        day = WINDOW[k % 7]
        arrival = datetime.combine(day, datetime.min.time()) + timedelta(hours=13, minutes=k)
        known.add(MobileStop(source_id=src.id, source_event_id=f"T-CMP-STOP-MORE-{k}", unit_id=unit.id,
                             commune_insee="55545", day=day, planned_arrival=arrival,
                             planned_departure=arrival + timedelta(hours=1), status="completed",
                             actual_arrival=arrival, actual_departure=arrival + timedelta(hours=1),
                             slots_offered=6, consultations=4, new_patients=0,
                             received_at=arrival + timedelta(hours=2), confirmed_at=arrival + timedelta(hours=2)))
        known.flush()
        if k < 14:
            continue
        truth = _row(completeness_view(known, scope=full_scope(("55",)), now=NOW).items_table,
                     "Automate / véhicule", "Cabinet témoin")
        assert truth["Rapports attendus"] - truth["Reçus"] == 1
        view = feeds_view(known, scope=_scope("summary"), filters=None, options=feeds_options(NOW)).completeness
        frame = view.departements_table.frame
        row = frame[frame["Flux"].str.startswith("Cabinets")].iloc[0]
        assert "< 11" not in (row["Rapports attendus"], row["Reçus"])  # 11 or more: published
        expected, received = int(row["Rapports attendus"]), int(row["Reçus"])
        stat = {s.key: s for s in view.stats}["feeds-complete-mobile"]
        assert f"{received} rapports reçus sur {expected} attendus" in stat.detail  # the card: the same cells
        assert row["Complétude (%)"] == pytest.approx(round(received / expected * 100, 1))  # of published cells
        rounds += 1
        hits += expected - received == 1
    assert rounds == 20 and hits <= rounds * 0.6, f"the subtraction gave the missing count back {hits}/{rounds}"
