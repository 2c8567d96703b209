"""Completeness and timeliness of the reports owed by devices, sites and mobile stops (DHIS2 semantics), for
/flux, and the « données incomplètes » notes of the biology, teleconsultation and mobile pages.

Completeness = reports received ÷ reports expected; timeliness = reports received on time ÷ reports expected
(what is expected: data/queries/completeness.py). At `summary` level only per feed kind and département, no
device, site, vehicle or commune named, and the figures are cells of the publication grid (data/secrecy.py
`publish`: counts 1–10 read « < 11 », the others perturbed by ±2 the same way each time), one cell per (measure,
feed, département, window): published expected, received and on-time counts cannot be subtracted to give back a
small number of missing or late reports, and totals are sums of published cells, so a total minus the other
départements gives nothing either.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import data.views.grid as grid
from data.access import AccessScope
from data.filters import Period
from data.formatting import fmt_date, fmt_date_short, fmt_percent, plural
from data.models import Dataset, Departement, Level
from data.queries import completeness as q
from data.queries.common import Area, rate
from data.secrecy import Published, publish, published_rate, published_sum
from data.views.base import Detail, Stat, TableView, labelled, shown_count, shown_counted

DEPARTEMENTS_TABLE, ITEMS_TABLE, MISSING_TABLE = "flux-completude", "flux-completude-detail", "flux-manquants"
TABLES = {DEPARTEMENTS_TABLE: "Complétude et ponctualité des rapports par département",
          ITEMS_TABLE: "Complétude et ponctualité par automate, site et véhicule",
          MISSING_TABLE: "Rapports manquants"}
BIOLOGY, TELECONSULTATION, MOBILE = "biology", "teleconsultation", "mobile"
KIND_LABELS = {BIOLOGY: "Biologie (automates)", TELECONSULTATION: "Téléconsultation (séances)",
               MOBILE: "Cabinets mobiles (arrêts)"}
RATE_COLUMNS = {"expected": "Rapports attendus", "received": "Reçus", "on_time": "Reçus à temps",
                "completeness_pct": "Complétude (%)", "timeliness_pct": "Ponctualité (%)"}
DEPARTEMENT_COLUMNS = {"kind": "Flux", "departement": "Département", **RATE_COLUMNS}
ITEM_COLUMNS = {"kind": "Flux", "departement": "Département", "site": "EHPAD / site / commune",
                "item": "Automate / véhicule", **RATE_COLUMNS}
MISSING_COLUMNS = {"kind": "Flux", "departement": "Département", "site": "EHPAD / site / commune",
                   "missing": "Manquant", "item": "Automate / véhicule"}
SUMMARY_MISSING_COLUMNS = {"kind": "Flux", "departement": "Département", "missing": "Manquants",
                           "what": "Nature"}
MISSING_NOUNS = {BIOLOGY: ("automate incomplet", "automates incomplets"),
                 TELECONSULTATION: ("site équipé silencieux", "sites équipés silencieux"),
                 MOBILE: ("arrêt non confirmé", "arrêts non confirmés")}
HEADLINES = {BIOLOGY: ("feeds-complete-biology", "Complétude des rapports d'automates"),
             TELECONSULTATION: ("feeds-complete-teleconsultation", "Complétude des séances de téléconsultation"),
             MOBILE: ("feeds-complete-mobile", "Complétude des confirmations d'arrêts")}
METHOD = ("Complétude = rapports reçus ÷ rapports attendus ; ponctualité = rapports reçus à temps ÷ rapports "
          "attendus (définitions du DHIS2). Un automate doit un rapport d'état par jour depuis son premier rapport "
          "(sa mise en service), à temps s'il arrive avant minuit (heure de Paris) ; un site de téléconsultation "
          "doit chaque séance dans l'heure qui suit sa fin, et un site équipé resté silencieux doit ce qu'il envoie "
          "d'habitude (le quart de ses séances des 28 jours précédents, au moins 1) ; un arrêt de cabinet mobile "
          "doit être confirmé (réalisé ou annulé) avant la fin de sa journée.")


@dataclass(frozen=True)
class CompletenessView:
    """The /flux section: headline rates, per-département table, per-item table (detail only), missing list."""

    window: Period
    window_text: str
    stats: tuple[Stat, ...]
    departements_table: TableView
    items_table: TableView | None  # None at summary level: no device, site or vehicle is named
    items_note: str
    missing_table: TableView
    method: str = METHOD


def _pct(num: int, den: int, summary: bool) -> float | None:
    value = rate(num, den, summary=summary)
    return None if value is None else round(value, 1)


def window_text(window: Period) -> str:
    """« du 18 au 24 novembre 2026 (7 derniers jours complets, heure de Paris) »."""
    start, end = window.start, window.end
    first = fmt_date(start)
    if (start.year, start.month) == (end.year, end.month):
        first = first.split(" ")[0]
    elif start.year == end.year:
        first = first.rsplit(" ", 1)[0]
    return f"du {first} au {fmt_date(end)} ({window.days} derniers jours complets, heure de Paris)"


def _missing_days(days: tuple, expected: int) -> str:
    """« jours sans rapport : 20 nov., 22 nov. », or « aucun rapport sur les 7 jours »."""
    if not days:
        return ""
    if len(days) == expected:
        return f"aucun rapport sur {plural(expected, 'jour')}"
    return "jours sans rapport : " + ", ".join(fmt_date_short(d).rsplit(" ", 1)[0] for d in days)


def _items(session: Session, area: Area, window: Period) -> pd.DataFrame:
    """Every expected report source of the window as one frame: kind, département, site, item, counts, missing."""
    devices = q.device_reports(session, area=area, period=window)
    sites = q.site_reports(session, area=area, period=window)
    stops = q.stop_reports(session, area=area, period=window)
    rows = [(BIOLOGY, d.departement, d.site, f"{d.serial} ({d.model})", d.expected, d.received, d.on_time,
             _missing_days(d.missing_days, d.expected)) for d in devices.itertuples()]
    rows += [(TELECONSULTATION, s.departement, s.site, None, s.expected, s.received, s.on_time,
              f"aucune séance transmise (attendu : environ {s.expected})" if s.silent else "")
             for s in sites.itertuples()]
    for (unit, dep), group in stops.groupby(["unit", "departement"], sort=True):
        rows.append((MOBILE, dep, "", unit, int(group["expected"].sum()), int(group["received"].sum()),
                     int(group["on_time"].sum()), ""))
    missing_stops = [(MOBILE, s.departement, s.commune, s.unit, 0, 0, 0,
                      f"arrêt du {fmt_date(s.day)} non confirmé")
                     for s in stops.itertuples() for _ in range(s.expected - s.received)]
    columns = ["kind", "departement", "site", "item", "expected", "received", "on_time", "missing"]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(missing_stops, columns=columns)


def completeness_view(session: Session, *, scope: AccessScope, now: datetime) -> CompletenessView:
    """The caller's départements (feeds level), over the last 7 full days before `now` (Paris clock)."""
    level = scope.level(Dataset.FEEDS)
    summary = level == Level.SUMMARY
    area = Area(scope.restrict(None) if level != Level.NONE else (), None, None, level)
    window = q.report_window(now)
    items, unconfirmed = _items(session, area, window)
    names = dict(session.execute(select(Departement.code, Departement.name)).all())

    def count(n) -> str | int:
        return shown_count(int(n), summary=True) if summary else int(n)

    short_items = pd.concat([items[items["received"] < items["expected"]], unconfirmed], ignore_index=True)
    short_items = short_items[short_items["missing"] != ""] if not short_items.empty else short_items
    cells = _published_cells(items, short_items, window) if summary else {}
    stats = []
    for kind, (key, label) in HEADLINES.items():
        part = items[items["kind"] == kind]
        if summary:
            deps = {d for k, d in cells if k == kind}
            expected_c, received_c, on_time_c, short_c = (
                published_sum([cells[(kind, d)][m] for d in sorted(deps)]) if deps else Published(0)
                for m in range(4))
            stats.append(_published_stat(key, label, expected_c, received_c, on_time_c, short_c,
                                         MISSING_NOUNS[kind]))
            continue
        expected, received, on_time = (int(part[c].sum()) for c in ("expected", "received", "on_time"))
        short = (int((part["received"] < part["expected"]).sum()) if kind != MOBILE
                 else len(unconfirmed))
        noun = MISSING_NOUNS[kind]
        stats.append(Stat(key, label, fmt_percent(_pct(received, expected, summary)),
                          f"ponctualité {fmt_percent(_pct(on_time, expected, summary))} · "
                          f"{shown_counted(received, 'rapport reçu', 'rapports reçus', summary=summary)} sur "
                          f"{shown_count(expected, summary=summary)} attendus · "
                          f"{shown_counted(short, *noun, summary=summary)}" if expected
                          else "aucun rapport attendu sur ces 7 jours"))
    if summary:
        per_dep = pd.DataFrame([(k, d, *(grid.shown(c) for c in cs[:3]), published_rate(cs[1], cs[0]),
                                 published_rate(cs[2], cs[0])) for (k, d), cs in sorted(cells.items())],
                               columns=["kind", "departement", "expected", "received", "on_time",
                                        "completeness_pct", "timeliness_pct"])
    else:
        per_dep = (items.groupby(["kind", "departement"], as_index=False)[["expected", "received", "on_time"]].sum()
                   if not items.empty else pd.DataFrame(columns=["kind", "departement", "expected", "received",
                                                                 "on_time"]))
        per_dep = _rated(per_dep, summary, count)
    per_dep = per_dep.assign(kind=lambda f: f["kind"].map(KIND_LABELS),
                             departement=lambda f: f["departement"].map(names))
    dep_table = TableView(DEPARTEMENTS_TABLE, "Par flux et par département", labelled(per_dep, DEPARTEMENT_COLUMNS),
                          caption=f"Rapports attendus, reçus et reçus à temps {window_text(window)}."
                                  + (" Niveau « synthèse » : par département, effectifs de 1 à 10 lus « < 11 », "
                                     "les autres publiés à ±2 près (toujours de la même façon) ; taux calculés sur "
                                     "ces effectifs publiés." if summary else ""), open=True)
    short = short_items
    if summary:
        missing = pd.DataFrame([(k, d, grid.shown(cs[3])) for (k, d), cs in sorted(cells.items())
                                if cs[3].value or cs[3].small], columns=["kind", "departement", "missing"])
        missing = missing.assign(what=missing["kind"].map(lambda k: MISSING_NOUNS[k][1]),
                                 kind=missing["kind"].map(KIND_LABELS), departement=missing["departement"].map(names))
        missing_frame = labelled(missing, SUMMARY_MISSING_COLUMNS)
        items_table, items_note = None, ("Le détail par automate, site et véhicule est réservé au niveau « détail » "
                                         "(au niveau « synthèse », aucun n'est nommé).")
    else:
        missing_frame = labelled(short.assign(kind=short["kind"].map(KIND_LABELS),
                                              departement=short["departement"].map(names)), MISSING_COLUMNS)
        rated = _rated(items, summary, count).assign(kind=lambda f: f["kind"].map(KIND_LABELS),
                                                     departement=lambda f: f["departement"].map(names))
        rated = rated.sort_values(["completeness_pct", "kind", "site"], na_position="first", kind="stable")
        items_table = TableView(ITEMS_TABLE, "Par automate, site et véhicule", labelled(rated, ITEM_COLUMNS),
                                caption=f"{plural(len(items), 'source de rapports', 'sources de rapports')} "
                                        f"{window_text(window)}, les moins complètes en tête.")
        items_note = ""
    n_missing = (published_sum([cs[3] for cs in cells.values()]) if cells else Published(0)) if summary \
        else len(short)
    missing_table = TableView(
        MISSING_TABLE, "Rapports manquants", missing_frame, open=True,
        caption=("Aucun rapport manquant " + window_text(window) + "." if not _any(n_missing) else
                 f"{_counted(n_missing, 'source en défaut', 'sources en défaut', summary)} "
                 f"{window_text(window)} : automates sans rapport certains jours, sites équipés silencieux, "
                 "arrêts restés « prévus » après leur date."))
    return CompletenessView(window, window_text(window), tuple(stats), dep_table, items_table, items_note,
                            missing_table)


def _published_cells(items: pd.DataFrame, short: pd.DataFrame,
                     window: Period) -> dict[tuple[str, str], tuple[Published, Published, Published, Published]]:
    """(feed, département) → published (expected, received, on time, sources in default): the summary level's
    only figures, each one cell of the grid keyed by its measure, feed, département and window."""
    p = grid.perturbation()
    true = (items.groupby(["kind", "departement"])[["expected", "received", "on_time"]].sum()
            if not items.empty else pd.DataFrame(columns=["expected", "received", "on_time"]))
    in_default = short.groupby(["kind", "departement"]).size() if not short.empty else pd.Series(dtype=int)
    keys = sorted(set(true.index) | set(in_default.index))
    out = {}
    for kind, dep in keys:
        row = true.loc[(kind, dep)] if (kind, dep) in true.index else None
        values = [int(row[c]) if row is not None else 0 for c in ("expected", "received", "on_time")]
        values.append(int(in_default.get((kind, dep), 0)))
        out[(kind, dep)] = tuple(publish(v, ("completeness", measure, kind, dep, window.end.isoformat()), p)
                                 for measure, v in zip(("expected", "received", "on_time", "in_default"), values,
                                                       strict=True))
    return out


def _any(n: int | Published) -> bool:
    return bool(n.value or n.small) if isinstance(n, Published) else bool(n)


def _counted(n: int | Published, singular: str, plural_: str, summary: bool) -> str:
    return shown_counted(grid.shown(n) if isinstance(n, Published) else n, singular, plural_, summary=summary)


def _published_stat(key: str, label: str, expected: Published, received: Published, on_time: Published,
                    short: Published, noun: tuple[str, str]) -> Stat:
    """A headline rate at summary level, from published totals only."""
    if not (expected.value or expected.small):
        return Stat(key, label, fmt_percent(None), "aucun rapport attendu sur ces 7 jours")
    return Stat(key, label, fmt_percent(published_rate(received, expected)),
                f"ponctualité {fmt_percent(published_rate(on_time, expected))} · "
                f"{shown_counted(grid.shown(received), 'rapport reçu', 'rapports reçus', summary=True)} sur "
                f"{grid.shown(expected)} attendus · {shown_counted(grid.shown(short), *noun, summary=True)}",
                hidden=expected.small or received.small)


def _rated(df: pd.DataFrame, summary: bool, count) -> pd.DataFrame:
    """Counts as shown and the two rates, computed on the true counts before they are masked."""
    out = df.copy()
    out["completeness_pct"] = [_pct(int(r), int(e), summary) for r, e in zip(df["received"], df["expected"],
                                                                              strict=True)]
    out["timeliness_pct"] = [_pct(int(t), int(e), summary) for t, e in zip(df["on_time"], df["expected"],
                                                                            strict=True)]
    if summary:  # « < 11 » labels: the columns become text
        for c in ("expected", "received", "on_time"):
            out[c] = out[c].map(count).astype(object)
    else:
        out[["expected", "received", "on_time"]] = out[["expected", "received", "on_time"]].astype(int)
    return out


# --- « données incomplètes » on the pages, over their own filters ------------------------------------------

def biology_incomplete(session: Session, *, detail: Detail, period: Period) -> str | None:
    """EHPADs of the area whose devices lack status reports on some days of the period."""
    devices = q.device_reports(session, area=detail.area, period=period, timeliness=False)
    short = devices[devices["received"] < devices["expected"]]
    if short.empty:
        return None
    days = detail.counted(int((short["expected"] - short["received"]).sum()), "jour-automate manquant",
                          "jours-automates manquants")
    return (f"Données incomplètes : {detail.counted(short['site_code'].nunique(), 'EHPAD', 'EHPAD')} sans rapport "
            f"d'automate certains jours de la période ({days}) ; les analyses de ces jours peuvent manquer.")


def teleconsultation_incomplete(session: Session, *, detail: Detail, period: Period) -> str | None:
    """Sites equipped for teleconsultation in the area that sent no session over the last 7 days of the period."""
    last = Period(max(period.start, period.end - timedelta(days=q.WINDOW_DAYS - 1)), period.end)
    sites = q.site_reports(session, area=detail.area, period=last, timeliness=False)
    silent = int(sites["silent"].sum()) if not sites.empty else 0
    if not silent:
        return None
    return (f"Données incomplètes : {detail.counted(silent, 'site équipé', 'sites équipés')} sans aucune séance "
            f"transmise du {fmt_date(last.start)} au {fmt_date(last.end)} (derniers jours de la période).")


def mobile_incomplete(session: Session, *, detail: Detail, period: Period) -> str | None:
    """Stops of the area over the period still « planned » after their day."""
    stops = q.stop_reports(session, area=detail.area, period=period, timeliness=False)
    unconfirmed = int((stops["expected"] - stops["received"]).sum()) if not stops.empty else 0
    if not unconfirmed:
        return None
    return (f"Données incomplètes : {detail.counted(unconfirmed, 'arrêt', 'arrêts')} de la période "
            "sans confirmation (encore « prévu » après sa date).")
