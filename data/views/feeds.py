"""Flux: health of each feed source (per feed kind at summary level: no source is named)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.formatting import fmt_number, paris_naive, plural
from data.models import Dataset, Level
from data.queries import feeds as q
from data.queries.common import protect_table
from data.replication import replication_lag
from data.users import utcnow
from data.views.base import Stat, TableView, labelled, register_view, shown_count, shown_counted, stat
from data.views.completeness import TABLES as COMPLETENESS_TABLES
from data.views.completeness import CompletenessView, completeness_view
from data.views.quality import TABLES as QUALITY_TABLES
from data.views.quality import QualityView, quality_view
from data.views.series import WeeklySeries, weekly_series

NAME = "feeds"
SOURCES_TABLE, HOURLY_TABLE, REJECTS_TABLE = "flux-sources", "flux-horaire", "flux-refus"
SOURCE_COLUMNS = {"name": "Source", "kind": "Flux", "key_state": "Clé",
                  "last_seen_at": "Dernier envoi (heure de Paris)",
                  "events_last_hour": "Événements (dernière heure)", "per_hour": "Événements par heure (24 h)",
                  "rejected_24h": "Refusés (24 h)", "reasons": "Motifs de refus (24 h)", "state": "État"}
SUMMARY_SOURCE_COLUMNS = {"kind": "Flux", "sources": "Sources", "silent": "Sources silencieuses",
                          "last_seen_at": "Dernier envoi (heure de Paris)",
                          "events_last_hour": "Événements (dernière heure)",
                          "rejected_24h": "Refusés (24 h)"}
HOURLY_COLUMNS = {"hour": "Heure (heure de Paris)", "kind": "Flux", "accepted": "Acceptés", "updated": "Mis à jour",
                  "duplicates": "Doublons", "rejected": "Refusés"}
DAILY_COLUMNS = {"hour": "Jour", "kind": "Flux", "received": "Reçus", "rejected": "Refusés"}
REJECT_COLUMNS = {"kind": "Flux", "reason": "Motif", "field": "Champ en cause", "count": "Refus",
                  "last": "Dernier refus (heure de Paris)"}


@dataclass(frozen=True)
class FeedsOptions:
    now: datetime  # one view per minute at most


def feeds_options(now: datetime | None = None) -> FeedsOptions:
    return FeedsOptions((now or utcnow()).replace(second=0, microsecond=0))


def options_from_args(_args: Mapping[str, str], _filters: Filters) -> FeedsOptions:
    return feeds_options()


@dataclass(frozen=True)
class FeedsView:
    stats: tuple[Stat, ...]
    sources_table: TableView
    hourly: WeeklySeries
    hourly_axis: str  # per day at summary level, per hour at detail
    hourly_table: TableView
    rejects: WeeklySeries
    rejects_table: TableView
    completeness: CompletenessView  # reports expected, received and on time per device, site and stop
    quality: QualityView | None = None  # the « Qualité des données » section (data/views/quality.py)
    level: Level = Level.DETAIL  # the level the view was computed at (exports' metadata)


@register_view(NAME, dataset=Dataset.FEEDS.value, datasets=(Dataset.FEEDS.value,), options=options_from_args,
               live=True,
               tables={SOURCES_TABLE: "Santé des flux par source", HOURLY_TABLE: "Événements reçus par heure",
                       REJECTS_TABLE: "Refus par motif (7 jours)", **QUALITY_TABLES,
                       **COMPLETENESS_TABLES})
def feeds_view(session: Session, *, scope: AccessScope, filters: Filters | None, options: FeedsOptions) -> FeedsView:
    summary = scope.level(Dataset.FEEDS) == Level.SUMMARY

    def count(n) -> str:
        return shown_count(n, summary=summary)

    def counted(n, singular: str, plural: str | None = None) -> str:
        return shown_counted(n, singular, plural, summary=summary)
    sources = q.sources_table(session, scope=scope, now=options.now)
    hourly = q.hourly(session, scope=scope, now=options.now)
    rejects = q.rejects(session, scope=scope, now=options.now)
    silent = int(sources["silent"].astype(bool).sum()) if not sources.empty else 0
    received = hourly.assign(received=hourly["accepted"] + hourly["updated"] + hourly["duplicates"])
    stats = (
        stat("feeds-sources", count(len(sources))),
        stat("feeds-silent", count(silent), "rien reçu depuis plus de 24 heures"),
        stat("feeds-hour", count(int(sources["events_last_hour"].sum()) if not sources.empty else 0)),
        stat("feeds-rejects", count(int(rejects["count"].sum()) if not rejects.empty else 0)),
    )
    total_in, total_rej = int(received["received"].sum()), int(hourly["rejected"].sum())
    hourly_caption = (f"{counted(total_in, 'événement reçu', 'événements reçus')} et "
                      f"{counted(total_rej, 'refusé')} en 48 heures."
                      if not hourly.empty else "Aucun événement reçu sur les 48 dernières heures.")
    if summary:
        sources_frame = _sources_per_kind(sources, count)
        daily = (received.assign(hour=received["hour"].map(lambda h: paris_naive(h).date()))
                 .groupby(["hour", "kind"], as_index=False)[["received", "rejected"]].sum())
        if not daily.empty:
            daily = protect_table(protect_table(daily, "hour", "kind", "received"), "hour", "kind", "rejected")
        hourly_series = weekly_series(daily, x="hour", group="kind", value="received")
        hourly_table = TableView(HOURLY_TABLE, "Données du graphique", labelled(daily, DAILY_COLUMNS),
                                 caption=hourly_caption + " Par jour au niveau « synthèse ».")
        if not rejects.empty:
            rejects = (rejects.groupby(["kind", "reason"], as_index=False).agg(count=("count", "sum"),
                                                                             last=("last", "max")))
            rejects = protect_table(rejects, "kind", "reason", "count")
    else:
        sources_frame = labelled(sources.sort_values(["silent", "name"], ascending=[False, True])
                                 if not sources.empty else sources, SOURCE_COLUMNS)
        hours = received.assign(hour=received["hour"].map(lambda h: paris_naive(h).strftime("%Y-%m-%d %H:00")))
        per_kind = weekly_series(hours, x="hour", group="kind", value="received", fill=0.0)
        refused = hours.groupby("hour")["rejected"].sum()
        hourly_series = WeeklySeries(per_kind.x, (*per_kind.series, ("Refusés (tous flux)", tuple(
            float(refused.get(h, 0)) for h in per_kind.x))))
        hourly_table = TableView(HOURLY_TABLE, "Données du graphique", labelled(hourly, HOURLY_COLUMNS),
                                 caption=hourly_caption)
    reject_series = (weekly_series(rejects.assign(axis="Refus"), x="reason", group="axis", value="count")
                     if not rejects.empty else WeeklySeries((), ()))
    return FeedsView(
        stats,
        TableView(SOURCES_TABLE, "Sources" if not summary else "Sources par flux", sources_frame,
                  caption=f"{counted(len(sources), 'source')}, dont {counted(silent, 'silencieuse')}"
                          + (" (en tête du tableau)." if not summary else " (niveau « synthèse » : par flux)."),
                  open=True),
        hourly_series, "Événements par jour" if summary else "Événements par heure", hourly_table, reject_series,
        TableView(REJECTS_TABLE, "Données du graphique", labelled(rejects, REJECT_COLUMNS),
                  caption="Refus par motif et par champ en cause ; chaque charge refusée est conservée telle "
                          "quelle avec son motif."),
        quality=quality_view(session, scope=scope, now=options.now),
        completeness=completeness_view(session, scope=scope, now=options.now),
        level=Level.SUMMARY if summary else Level.DETAIL)


def _sources_per_kind(sources: pd.DataFrame, count) -> pd.DataFrame:
    if sources.empty:
        return pd.DataFrame(columns=list(SUMMARY_SOURCE_COLUMNS.values()))
    grouped = (sources.groupby("kind").agg(sources=("name", "count"), silent=("silent", "sum"),
                                           last_seen_at=("last_seen_at", "max"),
                                           events_last_hour=("events_last_hour", "sum"),
                                           rejected_24h=("rejected_24h", "sum")).reset_index())
    for c in ("sources", "silent", "events_last_hour", "rejected_24h"):
        grouped[c] = grouped[c].map(lambda v: count(int(v)))
    return labelled(grouped, SUMMARY_SOURCE_COLUMNS)


@dataclass(frozen=True)
class ReplicationView:
    """The read replica's lag behind the primary, in words (shown on /flux when DATABASE_READ_URL is set)."""

    text: str
    lag_bytes: int | None
    lag_seconds: float | None
    late: bool  # behind by more than LATE_SECONDS, or not a replica, or unreachable


LATE_SECONDS = 5.0


def _size(n: int) -> str:
    for unit, size in (("Go", 1 << 30), ("Mo", 1 << 20), ("ko", 1 << 10)):
        if n >= size:
            return f"{fmt_number(n / size, 1)} {unit}"
    return plural(n, "octet")


def replication_view(primary: Session, replica: Session | None) -> ReplicationView | None:
    """Measured now (never cached): WAL not yet replayed by the replica, and for how long; None without a replica.
    The page's views are computed on the replica only once it has replayed what their cache key claims."""
    if replica is None:
        return None
    try:
        lag = replication_lag(primary, replica)
    except (OperationalError, DBAPIError):  # a replica down is a state to show, not a page error
        replica.rollback()
        return ReplicationView("Réplique de lecture injoignable : les pages sont calculées sur la base principale.",
                               None, None, True)
    if lag is None:
        return None
    if not lag.in_recovery:
        return ReplicationView("La base de lecture n'est pas une réplique en cours de réplication (promue ?) : les "
                               "pages sont calculées sur la base principale.", None, None, True)
    if lag.bytes == 0:
        return ReplicationView("Réplique de lecture à jour (retard : 0 octet, 0 s).", 0, 0.0, False)
    late = lag.seconds > LATE_SECONDS
    return ReplicationView(
        f"Réplique de lecture : retard de {_size(lag.bytes)} de journal (WAL) non rejoué, "
        f"{fmt_number(lag.seconds, 1)} s" + (" — les pages attendent la réplique ou lisent la base principale."
                                             if late else "."), lag.bytes, lag.seconds, late)
