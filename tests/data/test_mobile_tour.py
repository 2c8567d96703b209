"""A mobile office's day: the estimated arrival comes from the plan and the observed delay, never lies in the
past, and a finished tour says so with the next planned stop."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from data.views.mobile_tour import TourStop, arrival_estimates, clock, delay_minutes, situation

# Tuesday 1 December 2026, Paris = UTC+1: stops 9:00–12:00 and 14:00–17:00 Paris are 8:00–11:00, 13:00–16:00 UTC
DAY = datetime(2026, 12, 1)
TOMORROW_9H = datetime(2026, 12, 2, 8, 0)


def utc(h: int, m: int = 0) -> datetime:
    return DAY + timedelta(hours=h, minutes=m)


def paris(h: int, m: int = 0) -> datetime:
    return utc(h - 1, m)


def stops(*, arr1=None, dep1=None, arr2=None, dep2=None, s1="planned", s2="planned") -> list[TourStop]:
    return [TourStop("Blécourt", paris(9), paris(12), arr1, dep1, s1),
            TourStop("Rouvroy-sur-Marne", paris(14), paris(17), arr2, dep2, s2)]


FOLLOWING = ("Blécourt", TOMORROW_9H)


def test_an_evening_position_gives_no_arrival_in_the_past_but_the_next_departure():
    day = stops(arr1=paris(9, 5), dep1=paris(12, 5), arr2=paris(14, 10), dep2=paris(17, 10),
                s1="completed", s2="completed")
    s = situation(day, paris(20, 4), FOLLOWING)
    assert s.over and s.eta is None
    assert s.text == "Tournée du jour terminée ; prochain arrêt Blécourt demain à 9\u00a0h\u00a000"


def test_at_a_stop_late_the_next_arrival_carries_the_delay():
    s = situation(stops(arr1=paris(9, 20)), paris(10, 30), FOLLOWING)
    assert s.delay_min == 20 and s.eta == paris(14, 20) and s.next_stop == "Rouvroy-sur-Marne"
    assert s.text == ("À l'arrêt de Blécourt depuis 9\u00a0h\u00a020 ; prochain arrêt Rouvroy-sur-Marne, "
                      "arrivée estimée à 14\u00a0h\u00a020 (retard 20\u00a0min)")


def test_the_delay_is_the_last_departure_s_once_it_left():
    s = situation(stops(arr1=paris(9, 20), dep1=paris(12, 15), s1="completed"), paris(13, 10), FOLLOWING)
    assert (s.delay_min, s.eta) == (15, paris(14, 15))
    assert s.text.startswith("En route ; prochain arrêt Rouvroy-sur-Marne, arrivée estimée à 14\u00a0h\u00a015")


def test_an_early_office_opens_at_its_planned_time():
    s = situation(stops(arr1=paris(8, 55), dep1=paris(11, 50), s1="completed"), paris(12, 30), FOLLOWING)
    assert s.delay_min == -10 and s.eta == paris(14) and "(à l'heure)" in s.text


def test_a_stop_overrunning_its_slot_makes_the_vehicle_late_now():
    s = situation(stops(arr1=paris(9)), paris(12, 40), FOLLOWING)
    assert s.delay_min == 40 and s.eta == paris(14, 40)


def test_not_there_yet_past_the_planned_time_is_late_and_expected_from_now_on():
    now = paris(14, 40)
    s = situation(stops(arr1=paris(9), dep1=paris(12), s1="completed"), now, FOLLOWING)
    assert s.delay_min == 40 and s.eta == now


def test_before_the_tour_the_first_stop_is_on_time():
    s = situation(stops(), paris(7, 30), FOLLOWING)
    assert s.delay_min is None and s.eta == paris(9)
    assert s.text.startswith("Tournée pas encore commencée ; prochain arrêt Blécourt, "
                             "arrivée estimée à 9\u00a0h\u00a000")


def test_a_cancelled_last_stop_ends_the_tour():
    s = situation(stops(arr1=paris(9), dep1=paris(12), s1="completed", s2="cancelled"), paris(15), FOLLOWING)
    assert s.over and "terminée" in s.text


def test_stops_never_reported_are_said_so_not_awaited():
    s = situation(stops(), paris(20, 4), FOLLOWING)
    assert s.over and s.eta is None
    assert "arrêts non signalés : Blécourt, Rouvroy-sur-Marne" in s.text


def test_no_tour_today_names_the_next_planned_stop():
    s = situation([], paris(10), ("Blécourt", datetime(2026, 12, 7, 8, 0)))
    assert s.text == "Pas de tournée aujourd'hui ; prochain arrêt Blécourt lundi 7\u00a0décembre à 9\u00a0h\u00a000"


@pytest.mark.parametrize("minutes", range(0, 24 * 60, 17))
def test_no_estimate_is_ever_in_the_past(minutes):
    now = DAY + timedelta(minutes=minutes)
    day = stops(arr1=paris(9, 20) if now >= paris(9, 20) else None)
    for estimate in arrival_estimates(day, now):
        assert estimate is None or estimate >= now
    s = situation(day, now, FOLLOWING)
    assert s.eta is None or s.eta >= now


def test_clock_is_paris_time_in_summer_too():
    assert clock(datetime(2026, 7, 1, 7, 5)) == "9\u00a0h\u00a005"  # UTC+2
    assert delay_minutes([], DAY) is None
