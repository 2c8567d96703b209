"""A mobile office's day: where it is in its tour, its delay, when it reaches its next stop.

Pure functions on one vehicle's stops of the day (times are naive UTC, the storage convention; what they
return for display is Paris wall time). The estimate never gives a past time for a future arrival:

- the delay is observed, never guessed: the latest stop the vehicle reached tells it (departure − planned
  departure once it left, arrival − planned arrival while it is there); a stop still going on past its planned
  departure, or a next stop not reached past its planned arrival, makes it at least that late, now;
- an office opens at its planned time when early, so the estimate is the planned arrival plus the delay
  (when late), and never before now;
- a stop never reached whose whole planned slot is over is not awaited any more (said « non signalé »);
- when no stop is left today the tour is over, and the vehicle's next planned stop is said instead.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from data.filters import MONTH_NAMES_FR as MONTHS
from data.formatting import NBSP, de, fmt_clock, to_paris

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
STATUS = {"planned": "Programmé", "started": "En cours", "completed": "Réalisé", "cancelled": "Annulé"}


@dataclass(frozen=True)
class TourStop:
    commune: str
    planned_arrival: datetime
    planned_departure: datetime
    actual_arrival: datetime | None
    actual_departure: datetime | None
    status: str  # planned | completed | cancelled (a planned stop with an arrival is going on)

    @property
    def state(self) -> str:
        """planned, started (the office is there), completed or cancelled."""
        if self.status == "planned" and self.actual_arrival is not None:
            return "started"
        return self.status

    @property
    def pending(self) -> bool:
        return self.state == "planned"

    def missed(self, now: datetime) -> bool:
        """Not reached though its whole planned slot is over: not reported (or skipped), not to come."""
        return self.pending and self.planned_departure <= now


@dataclass(frozen=True)
class Situation:
    """Where one vehicle is in its day, in words, and the figures behind them."""

    text: str
    next_stop: str | None
    eta: datetime | None          # naive UTC, never before `now`
    delay_min: int | None         # observed delay (None: nothing observed yet today)
    over: bool                    # no stop left today


def of_place(name: str) -> str:
    """« de Blécourt », « d'Ormoy-lès-Sexfontaines », « du Val-d'Esnoms », « des Loges » (data.formatting.de)."""
    return de(name)


def paris(at: datetime) -> datetime:
    """Naive UTC (storage) → Paris wall time (the one clock, data.formatting)."""
    return to_paris(at)


def paris_day(now: datetime) -> date:
    return paris(now).date()


def clock(at: datetime | None) -> str:
    """« 9 h 05 » in Paris time; « — » for none."""
    return fmt_clock(at)


def day_words(at: datetime, now: datetime) -> str:
    """« aujourd'hui », « demain », or « lundi 7 décembre » (Paris days)."""
    day, today = paris(at).date(), paris_day(now)
    if day == today:
        return "aujourd'hui"
    if day == today + timedelta(days=1):
        return "demain"
    return f"{DAYS[day.weekday()]} {day.day}{NBSP}{MONTHS[day.month - 1]}" + (
        f" {day.year}" if day.year != today.year else "")


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def delay_minutes(stops: Sequence[TourStop], now: datetime) -> int | None:
    """The vehicle's current delay in minutes (negative: early), from what it did today; None before any
    observation (and not yet late for its first stop)."""
    reached = [s for s in stops if s.actual_arrival is not None]
    delay = None
    if reached:
        last = reached[-1]
        if last.actual_departure is not None:
            delay = _minutes(last.actual_departure - last.planned_departure)
        else:
            delay = _minutes(last.actual_arrival - last.planned_arrival)
            if now > last.planned_departure:  # still there past its planned departure
                delay = max(delay, _minutes(now - last.planned_departure))
    after = reached[-1].planned_arrival if reached else None
    upcoming = next((s for s in stops if s.pending and not s.missed(now)
                     and (after is None or s.planned_arrival > after)), None)
    if upcoming is not None and now > upcoming.planned_arrival:  # not there yet, though it should be
        delay = max(delay or 0, _minutes(now - upcoming.planned_arrival))
    return delay


def eta(stop: TourStop, delay: int | None, now: datetime) -> datetime:
    """Estimated arrival at a stop not reached yet: its planned time plus the delay when late, never past."""
    estimate = stop.planned_arrival + timedelta(minutes=max(delay or 0, 0))
    return max(estimate, now)


def _late(delay: int | None) -> str:
    if delay is None or delay <= 0:
        return "à l'heure"
    return f"retard {delay}{NBSP}min"


def situation(stops: Sequence[TourStop], now: datetime, following: tuple[str, datetime] | None) -> Situation:
    """One vehicle's day in words: at a stop, on its way (with an estimated arrival), or done for the day.

    `following` is the vehicle's first planned stop after today (commune, planned arrival), if any."""
    delay = delay_minutes(stops, now)
    there = next((s for s in stops if s.state == "started"), None)
    pending = [s for s in stops if s.pending and not s.missed(now)
               and (there is None or s.planned_arrival > there.planned_arrival)]
    missed = [s.commune for s in stops if s.missed(now)]
    if pending:
        nxt = pending[0]
        at = eta(nxt, delay, now)
        head = (f"À l'arrêt {of_place(there.commune)} depuis {clock(there.actual_arrival)}" if there else
                "Tournée pas encore commencée" if not any(s.actual_arrival for s in stops) else "En route")
        return Situation(f"{head} ; prochain arrêt {nxt.commune}, arrivée estimée à {clock(at)} ({_late(delay)})",
                         nxt.commune, at, delay, False)
    if there is not None:
        return Situation(f"À l'arrêt {of_place(there.commune)} depuis {clock(there.actual_arrival)}, dernier arrêt du "
                         f"jour ({_late(delay)})", None, None, delay, False)
    then = (f"prochain arrêt {following[0]} {day_words(following[1], now)} à {clock(following[1])}"
            if following else "aucun arrêt programmé")
    head = "Tournée du jour terminée" if stops else "Pas de tournée aujourd'hui"
    if missed:
        head += f" (arrêt non signalé : {', '.join(missed)})" if len(missed) == 1 else \
            f" (arrêts non signalés : {', '.join(missed)})"
    return Situation(f"{head} ; {then}", following[0] if following else None, None, delay, True)


def arrival_estimates(stops: Sequence[TourStop], now: datetime) -> list[datetime | None]:
    """Per stop of the day: the estimated arrival of those not reached yet (None for the others)."""
    delay = delay_minutes(stops, now)
    return [eta(s, delay, now) if s.pending and not s.missed(now) else None for s in stops]
