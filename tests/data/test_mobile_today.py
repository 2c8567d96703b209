"""Cabinets mobiles on the day: the demo plants today's tours as far as the clock has gone; the view shows each
vehicle's tour (planned, actual and estimated times, Paris), its place to ~100 m and an arrival never in the
past — at detail level only; at summary level, today's stops per département from the grid, no vehicle."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from data import demo
from data.access import AccessScope, full_scope
from data.db import make_engine, make_session_factory, session_scope, upgrade
from data.filters import Filters
from data.models import Dataset, MobileStop, VehiclePosition
from data.views.mobile import MobileOptions, mobile_view

END, TODAY = date(2026, 11, 30), date(2026, 12, 1)  # the demo's data end on Monday; today is Tuesday
MORNING = datetime(2026, 12, 1, 9, 30)              # naive UTC: 10:30 in Paris
EVENING = datetime(2026, 12, 1, 19, 4)              # 20:04 in Paris
FILTERS = Filters(("52",), date(2026, 6, 1), date(2026, 11, 1), TODAY)
DETAIL = full_scope(("52",))
SUMMARY = AccessScope(7, "member", "usagers", frozenset({"52"}), tuple((d.value, "summary") for d in Dataset))


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Two small demo databases (Haute-Marne, one year) generated at 10:30 and at 20:04, Paris time."""
    factories = {}
    for name, now in (("morning", MORNING), ("evening", EVENING)):
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('mobile') / name}.sqlite3")
        upgrade(engine)
        with session_scope(make_session_factory(engine)) as s:
            demo.generate(s, end=END, years=1, departements=("52",), now=now.replace(tzinfo=UTC))
        factories[name] = make_session_factory(engine)
    yield factories
    for factory in factories.values():
        factory.kw["bind"].dispose()


def test_the_demo_plants_today_s_tours_as_far_as_the_clock(planted):
    with session_scope(planted["morning"]) as s:
        today = s.execute(select(MobileStop.planned_arrival, MobileStop.actual_arrival, MobileStop.actual_departure,
                                 MobileStop.status).where(MobileStop.day == TODAY)
                          .order_by(MobileStop.unit_id, MobileStop.planned_arrival)).all()
        latest = s.scalar(select(VehiclePosition.recorded_at).order_by(VehiclePosition.recorded_at.desc()).limit(1))
    assert len(today) == 4  # two vehicles, a morning and an afternoon stop each
    for planned, arrived, left, status in today:
        if planned < MORNING:  # 9:00 Paris: under way (or called off)
            assert status == "cancelled" or (arrived is not None and arrived <= MORNING and left is None)
        else:                  # 14:00 Paris: to come
            assert (status, arrived, left) == ("planned", None, None)
    assert latest <= MORNING and latest.date() == TODAY
    with session_scope(planted["evening"]) as s:
        statuses = set(s.scalars(select(MobileStop.status).where(MobileStop.day == TODAY)))
    assert statuses <= {"completed", "cancelled"}


def test_detail_shows_today_s_tour_with_paris_times_and_estimates_never_past(planted):
    with session_scope(planted["morning"]) as s:
        view = mobile_view(s, scope=DETAIL, filters=FILTERS, options=MobileOptions(MORNING))
    tour = view.tour_table.frame
    assert list(tour.columns) == ["Véhicule", "Arrêt", "Code INSEE", "Statut", "Arrivée prévue", "Arrivée réelle",
                                  "Départ prévu", "Départ réel", "Retard (min)", "Arrivée estimée"]
    assert len(tour) == 4 and set(tour["Arrivée prévue"]) == {"9\u00a0h\u00a000", "14\u00a0h\u00a000"}  # Paris
    upcoming = tour[tour["Statut"] == "Programmé"]
    assert len(upcoming) == 2
    for planned, estimate in zip(upcoming["Arrivée prévue"], upcoming["Arrivée estimée"], strict=True):
        assert _minutes(estimate) >= max(_minutes(planned), 10 * 60 + 30)  # never before now (10:30)
    started = tour[tour["Statut"] == "En cours"]
    for actual, late in zip(started["Arrivée réelle"], started["Retard (min)"], strict=True):
        assert _minutes(actual) - 9 * 60 == late
    assert "Tournée du 01/12/2026 (aujourd'hui, heure de Paris" in view.tour_table.caption
    vehicles = view.vehicles_table.frame
    for coordinates in vehicles["Coordonnées (à 100 m près)"]:  # ~100 m: three decimals, not one
        assert re.fullmatch(r"\d\d,\d{3}\u00a0N, \d,\d{3}\u00a0E", coordinates), coordinates
    assert all(re.match(r"(à \d+,\d\u00a0km|au centre) d", p) for p in vehicles["Lieu"])
    assert all(t.startswith("01/12/2026 à ") for t in vehicles["Position relevée (heure de Paris)"])
    for estimate in vehicles["Arrivée estimée (heure de Paris)"]:
        assert estimate == "—" or _minutes(estimate) >= 10 * 60 + 30
    assert "UTC" not in " ".join(vehicles.columns)


def test_in_the_evening_the_tour_is_over_and_says_the_next_departure(planted):
    with session_scope(planted["evening"]) as s:
        view = mobile_view(s, scope=DETAIL, filters=FILTERS, options=MobileOptions(EVENING))
    vehicles = view.vehicles_table.frame
    assert set(vehicles["Arrivée estimée (heure de Paris)"]) == {"—"}
    for text in vehicles["Situation"]:
        assert text.startswith("Tournée du jour terminée ; prochain arrêt ")
        assert text.endswith("demain à 9\u00a0h\u00a000")  # Wednesday's first stop
    assert set(view.tour_table.frame["Statut"]) <= {"Réalisé", "Annulé"}


def test_summary_shows_counts_per_departement_only(planted):
    with session_scope(planted["morning"]) as s:
        view = mobile_view(s, scope=SUMMARY, filters=FILTERS, options=MobileOptions(MORNING))
        detail = mobile_view(s, scope=DETAIL, filters=FILTERS, options=MobileOptions(MORNING))
    tour = view.tour_table.frame
    assert list(tour.columns) == ["Département", "Arrêts du jour", "Réalisés", "Annulés", "À venir ou en cours"]
    assert list(tour["Département"]) == ["Haute-Marne"] and tour["Arrêts du jour"].iloc[0] == "< 11"  # 4 stops
    shown = view.tour_table.caption + view.vehicles_table.caption + view.map.caption + tour.to_csv()
    shown += view.vehicles_table.frame.to_csv()
    for name in list(detail.tour_table.frame["Véhicule"]) + list(detail.tour_table.frame["Arrêt"]):
        assert name not in shown  # no vehicle, no commune
    assert "h\u00a0" not in shown  # no time of a stop
    assert list(view.vehicles_table.frame.columns) == ["Département", "Véhicules en service"]


def _minutes(text: str) -> int:
    h, m = re.fullmatch(r"(\d+)\u00a0h\u00a0(\d\d)", text).groups()
    return int(h) * 60 + int(m)
