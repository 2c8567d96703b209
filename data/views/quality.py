"""Flux — « Qualité des données »: a score per source, the flags by check and the latest flagged events.

Used by the feeds view as one field. At `summary` level: per feed kind only (no source named), counts of
1 to 10 read « < 11 », and a score that would give such a count back reads as a lower bound (« ≥ 98,7 % »);
the latest flagged events (which name sources, sites' communes and event ids) are shown at `detail` only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.formatting import fmt_number
from data.ingestion.quality import CHECK_LABELS
from data.models import Dataset, Level
from data.queries import quality as q
from data.queries.feeds import KIND_LABELS
from data.secrecy import is_small
from data.views.base import TableView, labelled, shown_count, shown_counted

QUALITY_TABLE, CHECKS_TABLE, FLAGS_TABLE = "flux-qualite", "flux-signalements", "flux-signalements-recents"
TABLES = {QUALITY_TABLE: "Qualité des données par source (7 jours)",
          CHECKS_TABLE: "Signalements par contrôle (7 jours)", FLAGS_TABLE: "Derniers événements signalés"}
SCORE_COLUMNS = {"name": "Source", "score": "Score de qualité", "events": "Événements (7 jours)",
                 "rejected": "Refusés", "flagged": "Signalés", "drop": "Baisse soudaine", "yesterday": "Hier",
                 "baseline": "Moyenne du même jour (4 sem.)"}
SUMMARY_SCORE_COLUMNS = {"kind": "Flux", "sources": "Sources", "score": "Score de qualité",
                         "events": "Événements (7 jours)", "rejected": "Refusés", "flagged": "Signalés",
                         "drops": "Sources en baisse soudaine"}
CHECK_COLUMNS = {"kind": "Flux", "check": "Contrôle", "count": "Signalements (7 jours)",
                 "last": "Dernier signalement (heure de Paris)"}
FLAG_COLUMNS = {"flagged_at": "Signalé le (heure de Paris)", "check": "Contrôle", "value": "Valeur", "source": "Source",
                "event_id": "Événement", "message": "Motif"}
METHOD = (f"Score de qualité\u00a0: part des événements des {q.QUALITY_DAYS} derniers jours ni refusés ni signalés, "
          "soit (acceptés + mis à jour − signalés) ÷ (acceptés + mis à jour + refusés), doublons exclus. "
          "Un événement signalé est conservé (la valeur peut être vraie) mais mérite une vérification. "
          f"Baisse soudaine\u00a0: hier, moins de {fmt_number(q.DROP_SHARE * 100)}\u00a0% de la moyenne du même "
          f"jour de la semaine sur les {q.DROP_WEEKS} semaines précédentes, si cette moyenne atteint "
          f"{q.DROP_MIN_BASELINE} événements (en deçà, « historique insuffisant »).")


@dataclass(frozen=True)
class QualityView:
    scores_table: TableView
    checks_table: TableView
    flags_table: TableView | None  # detail level only
    flags_note: str = ""  # said instead of the latest flagged events where they are not listed


def pct(value: float | None) -> str:
    return "—" if value is None else f"{fmt_number(value, 1)}\u00a0%"


def shown_score(accepted: int, rejected: int, flagged: int, *, summary: bool) -> str:
    """The score as shown: exact at detail; at summary a lower bound when a hidden count (1–10) would
    otherwise be given back by it, « — » when the events themselves are hidden."""
    events = accepted + rejected
    if not summary or not (is_small(rejected) or is_small(flagged)):
        return "—" if summary and is_small(events) else pct(q.score(accepted, rejected, flagged))
    if is_small(events):
        return "—"
    worst = (10 if is_small(rejected) else rejected) + (10 if is_small(flagged) else flagged)
    if worst >= events:
        return "—"
    return f"≥\u00a0{fmt_number(math.floor(1000 * (events - worst) / events) / 10, 1)}\u00a0%"


def quality_view(session: Session, *, scope: AccessScope, now: datetime) -> QualityView:
    """The « Qualité des données » section of /flux at the caller's level of the `feeds` dataset."""
    summary = scope.level(Dataset.FEEDS) == Level.SUMMARY

    def count(n) -> str:
        return shown_count(int(n), summary=summary)
    sources = q.source_quality(session, scope=scope, now=now)
    drops = q.volume_drops(session, scope=scope, now=now).set_index("source_id")
    sources = sources.assign(
        yesterday=sources["source_id"].map(lambda s: int(drops["yesterday"].get(s, 0))),
        baseline=sources["source_id"].map(lambda s: float(drops["baseline"].get(s, 0.0))),
        dropped=sources["source_id"].map(lambda s: bool(drops["drop"].get(s, False))),
        kind=sources["feed_kind"].map(lambda k: KIND_LABELS.get(k, k)))
    checks = q.flags_by_check(session, scope=scope, now=now)
    checks = checks.assign(kind=checks["feed_kind"].map(lambda k: KIND_LABELS.get(k, k)),
                           check=checks["check_code"].map(lambda c: CHECK_LABELS.get(c, c)),
                           count=checks["count"].map(count))  # times stay UTC: tables and exports show Paris
    flagged_total = int(sources["flagged"].sum()) if not sources.empty else 0
    dropped_total = int(sources["dropped"].sum()) if not sources.empty else 0
    flagged_text = shown_counted(flagged_total, "événement signalé", "événements signalés", summary=summary)
    dropped_text = shown_counted(dropped_total, "source en baisse soudaine", "sources en baisse soudaine",
                                 summary=summary)
    caption = f"{flagged_text} en {q.QUALITY_DAYS} jours ; {dropped_text} hier."
    if summary:
        scores = _per_kind(sources, count)
        flags = None
        caption += " Niveau « synthèse » : par flux, aucune source nommée."
    else:
        scores = sources.assign(
            events=sources["accepted"] + sources["rejected"],
            score=[pct(q.score(a, r, f)) for a, r, f in zip(sources["accepted"], sources["rejected"],
                                                            sources["flagged"], strict=True)],
            baseline=sources["baseline"].round(1),
            drop=[_drop_word(d, b) for d, b in zip(sources["dropped"], sources["baseline"], strict=True)])
        scores = labelled(scores.sort_values(["dropped", "name"], ascending=[False, True]), SCORE_COLUMNS)
        latest = q.latest_flags(session, scope=scope)
        latest = latest.assign(kind=latest["feed_kind"].map(lambda k: KIND_LABELS.get(k, k)),
                               check=latest["check_code"].map(lambda c: CHECK_LABELS.get(c, c)),
                               value=latest["value"].fillna("—"))
        flags = TableView(FLAGS_TABLE, "Derniers événements signalés", labelled(latest, FLAG_COLUMNS),
                          caption="Les 20 derniers signalements, du plus récent au plus ancien ; l'événement reste "
                                  "enregistré tel qu'il a été reçu.", open=True)
    return QualityView(
        TableView(QUALITY_TABLE, "Score de qualité par source" if not summary else "Score de qualité par flux",
                  scores, caption=caption, open=True),
        TableView(CHECKS_TABLE, "Signalements par contrôle", labelled(checks, CHECK_COLUMNS),
                  caption="Contrôles des événements acceptés : valeur de biologie hors des limites physiologiques "
                          "de son examen, même professionnel (RPPS haché) reçu dans deux communes.", open=True),
        flags, "" if flags is not None else "Niveau « synthèse » : les événements signalés ne sont pas listés "
                                            "(ils nomment leur source).")


def _drop_word(dropped: bool, baseline: float) -> str:
    if baseline < q.DROP_MIN_BASELINE:
        return "Historique insuffisant"
    return "Oui" if dropped else "Non"


def _per_kind(sources: pd.DataFrame, count) -> pd.DataFrame:
    if sources.empty:
        return pd.DataFrame(columns=list(SUMMARY_SCORE_COLUMNS.values()))
    grouped = (sources.groupby("kind").agg(sources=("name", "count"), accepted=("accepted", "sum"),
                                           rejected=("rejected", "sum"), flagged=("flagged", "sum"),
                                           drops=("dropped", "sum")).reset_index())
    grouped["score"] = [shown_score(int(a), int(r), int(f), summary=True)
                        for a, r, f in zip(grouped["accepted"], grouped["rejected"], grouped["flagged"], strict=True)]
    grouped["events"] = (grouped["accepted"] + grouped["rejected"]).map(count)
    for c in ("sources", "rejected", "flagged", "drops"):
        grouped[c] = grouped[c].map(count)
    return labelled(grouped, SUMMARY_SCORE_COLUMNS)
