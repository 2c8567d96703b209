"""Évaluation — teleconsultation in EHPADs: emergency transfers and referrals before and after the first session.

Level rules (data/views/base.py): at `summary` the estimates are given for the territory and per département
only, no EHPAD is named, counts of EHPADs from 1 to 10 read « < 11 », no count of events is published, and a
point of the event-time chart rests on at least 11 EHPADs and 11 events or is left out; at `detail` (the
research college) the per-EHPAD series and per-EHPAD estimates are added. The estimates use every month of the
activity records up to the end of the chosen period (the start of the period does not apply: the before needs
the months before the programme).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from data import impact
from data.access import AccessScope
from data.filters import Filters
from data.formatting import de, fmt_change, fmt_month, fmt_number, plural
from data.queries.evaluation import ehpad_panel
from data.secrecy import is_small
from data.views.base import Detail, TableView, labelled, stat
from data.views.evaluation import EvalChart, Section, Series, section

KEY = "ehpad"
ESTIMATES = "evaluation-ehpad-estimations"
EVENT_TIME = "evaluation-ehpad-temps-relatif"
PER_EHPAD = "evaluation-ehpad-par-ehpad"
SERIES = "evaluation-ehpad-series"
OUTCOMES = {"transfers": "Transferts aux urgences", "referrals": "Orientations vers l'hôpital"}
ALL = "Ensemble du territoire choisi"
METHOD_SHORT = {impact.ITS: "Série temporelle interrompue", impact.DID: "Différence de différences (échelonnée)",
                impact.ITS_EHPAD: "Série temporelle interrompue de l'EHPAD"}
ESTIMATE_COLUMNS = {"territory": "Territoire", "outcome": "Indicateur", "method": "Méthode",
                    "change": "Variation estimée (%)", "lower": "IC 95 % bas (%)", "upper": "IC 95 % haut (%)",
                    "ehpads": "EHPAD équipés", "controls": "EHPAD de comparaison", "months": "Mois",
                    "observations": "EHPAD-mois", "events": "Événements", "remark": "Remarque"}
REL_MONTH = "Mois relatif (0 = mois du démarrage)"
EVENT_COLUMNS = {"rel": REL_MONTH, "outcome": "Indicateur",
                 "rate": "Taux pour 100 résidents", "lower": "IC 95 % bas", "upper": "IC 95 % haut",
                 "ehpads": "EHPAD", "events": "Événements", "exposure": "Résidents-mois"}
PER_EHPAD_COLUMNS = {"site": "EHPAD", "departement_name": "Département", "first": "Première téléconsultation",
                     "outcome": "Indicateur", "pre": "Mois avant", "post": "Mois après",
                     "rate_pre": "Taux avant (pour 100 résidents)", "rate_post": "Taux après (pour 100 résidents)",
                     "change": "Variation estimée (%)", "lower": "IC 95 % bas (%)", "upper": "IC 95 % haut (%)",
                     "remark": "Remarque"}
SERIES_COLUMNS = {"site": "EHPAD", "departement_name": "Département", "month": "Mois", "residents": "Résidents",
                  "transfers": "Transferts aux urgences", "referrals": "Orientations vers l'hôpital",
                  "transfers_rate": "Transferts pour 100 résidents", "after": "Après la première téléconsultation"}
STAT_KEYS = {(o, m): f"eval-ehpad-{o}-{m}" for o in OUTCOMES for m in (impact.ITS, impact.DID)}
MIN_SHOWN = 11  # at summary, an event-time point rests on at least this many EHPADs and events


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


@dataclass(frozen=True)
class _Fitted:
    territory: str
    outcome: str
    estimate: impact.Estimate


def _fits(panel: pd.DataFrame, detail: Detail) -> list[_Fitted]:
    """Pooled ITS and DiD per outcome, for the whole selection and (with several départements) each one."""
    parts = [(ALL, panel)]
    if panel["departement"].nunique() > 1:
        parts += [(name, part) for (_, name), part in panel.groupby(["departement", "departement_name"], sort=True)]
    out = []
    for territory, part in parts:
        for outcome in OUTCOMES:
            df = impact.prepare(part, outcome)
            out += [_Fitted(territory, outcome, impact.its_pooled(df)), _Fitted(territory, outcome,
                                                                                 impact.did_stacked(df))]
    return out


def remark(e: impact.Estimate, detail: Detail) -> str:
    """Why an estimate has no number, its counts of EHPADs read at the caller's level (« < 11 »)."""
    if e.ok:
        return ""
    if not e.too_few:
        return e.message or ""
    words = detail.counted(e.ehpads, "EHPAD équipé", "EHPAD équipés")
    need = f"il en faut au moins {impact.MIN_EHPADS}"
    if e.method == impact.DID:
        words += f" et {detail.counted(e.controls, 'EHPAD de comparaison', 'EHPAD de comparaison')}"
        need += f" et au moins {impact.MIN_CONTROLS} de comparaison"
    return (f"Données insuffisantes : {words} observés au moins {impact.MIN_PRE} mois avant et {impact.MIN_POST} mois "
            f"après la première téléconsultation ; {need}.")


def _estimates_table(fits: list[_Fitted], detail: Detail) -> pd.DataFrame:
    rows = []
    for f in fits:
        e = f.estimate
        rows.append({"territory": f.territory, "outcome": OUTCOMES[f.outcome], "method": METHOD_SHORT[e.method],
                     "change": _pct(e.change), "lower": _pct(e.lower), "upper": _pct(e.upper),
                     "ehpads": detail.count(e.ehpads) if detail.summary else e.ehpads,
                     "controls": (detail.count(e.controls) if detail.summary else e.controls)
                     if e.method == impact.DID else None,
                     "months": e.months,
                     "observations": detail.count(e.observations) if detail.summary else e.observations,
                     "events": None if detail.summary else e.events, "remark": remark(e, detail)})
    frame = pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
    columns = dict(ESTIMATE_COLUMNS)
    if detail.summary:  # no count of events at summary level
        columns.pop("events")
    return labelled(frame, columns)


def _stat_value(e: impact.Estimate, detail: Detail) -> tuple[str, str]:
    if not e.ok:
        return "Données insuffisantes", remark(e, detail)
    base = (f"IC 95 % : {fmt_change(100 * e.lower)} à {fmt_change(100 * e.upper)} · "
            f"{detail.counted(e.ehpads, 'EHPAD équipé', 'EHPAD équipés')}")
    if e.method == impact.DID:
        base += f", {detail.counted(e.controls, 'EHPAD de comparaison', 'EHPAD de comparaison')}"
    return fmt_change(100 * e.change), f"{base}, {plural(e.months, 'mois', 'mois')}"


def _event_time(panel: pd.DataFrame, detail: Detail) -> tuple[EvalChart, str]:
    frames = []
    for outcome in OUTCOMES:
        et = impact.event_time(impact.prepare(panel, outcome))
        frames.append(et.assign(outcome=OUTCOMES[outcome]))
    et = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(EVENT_COLUMNS))
    hidden = 0
    if detail.summary and not et.empty:
        small = (et["ehpads"] < MIN_SHOWN) | (et["events"] < MIN_SHOWN)
        hidden = int(small.sum())
        et.loc[small, ["rate", "lower", "upper"]] = None
        et["ehpads"] = [detail.count(n) for n in et["ehpads"]]
        et = et.drop(columns=["events", "exposure"])
    for c in ("rate", "lower", "upper"):
        et[c] = pd.to_numeric(et[c], errors="coerce").round(2)
    rel = sorted(int(r) for r in et["rel"].unique()) if not et.empty else []
    series = []
    for label in OUTCOMES.values():
        part = et[et["outcome"] == label].set_index("rel")
        get = lambda col, p=part: tuple(None if r not in p.index or pd.isna(p.at[r, col]) else float(p.at[r, col])  # noqa: E731
                                        for r in rel)
        series.append(Series(label, get("rate"), get("lower"), get("upper")))
    columns = dict(EVENT_COLUMNS)
    if detail.summary:
        columns.pop("events")
        columns.pop("exposure")
    caption = ("Taux observés des EHPAD équipés, mois par mois autour de leur première téléconsultation (0 = son "
               "mois), avec leur intervalle de confiance à 95 % (loi de Poisson) ; tendances et saisons non retirées.")
    if hidden:
        caption += (f" Niveau « synthèse » : {plural(hidden, 'point non publié', 'points non publiés')} (moins de "
                    f"{MIN_SHOWN} EHPAD ou {MIN_SHOWN} événements).")
    table = TableView(EVENT_TIME, "Taux par mois depuis la première téléconsultation",
                      labelled(et.sort_values(["outcome", "rel"]) if not et.empty else et, columns), caption=caption)
    chart = EvalChart(EVENT_TIME, "Avant et après la première téléconsultation : taux pour 100 résidents",
                      tuple(rel), tuple(series), REL_MONTH, "pour 100 résidents",
                      table, caption, vline=-0.5, vline_label="première téléconsultation")
    return chart, caption


def _per_ehpad(panel: pd.DataFrame) -> tuple[EvalChart, EvalChart]:
    """Detail level only: each equipped EHPAD's own estimate (transfers) and every EHPAD's monthly series."""
    rows = []
    names = panel.drop_duplicates("site_id").set_index("site_id")
    for outcome in OUTCOMES:
        df = impact.prepare(panel, outcome)
        for unit, e in impact.its_per_ehpad(df).items():
            part = df[df["unit"] == unit]
            before, after = part[part["after"] == 0], part[part["after"] == 1]
            rate = lambda p: round(p["y"].sum() / p["exposure"].sum() * 100, 2) if len(p) else None  # noqa: E731
            rows.append({"site": names.at[unit, "site"], "departement_name": names.at[unit, "departement_name"],
                         "first": fmt_month(names.at[unit, "first_session"]), "outcome": OUTCOMES[outcome],
                         "pre": len(before), "post": len(after), "rate_pre": rate(before), "rate_post": rate(after),
                         "change": _pct(e.change), "lower": _pct(e.lower), "upper": _pct(e.upper),
                         "remark": e.message or ""})
    table = pd.DataFrame(rows, columns=list(PER_EHPAD_COLUMNS))
    if not table.empty:
        table = table.sort_values(["outcome", "site"], kind="stable")
    shown = table[(table["outcome"] == OUTCOMES["transfers"]) & table["change"].notna()] if not table.empty else table
    forest = EvalChart(
        PER_EHPAD, "Transferts aux urgences : variation estimée par EHPAD (série temporelle interrompue)",
        tuple(shown["site"]) if not shown.empty else (),
        (Series("Variation estimée (%)", tuple(shown["change"]), tuple(shown["lower"]), tuple(shown["upper"]),
                kind="markers"),) if not shown.empty else (),
        "EHPAD", "variation (%)",
        TableView(PER_EHPAD, "Estimations par EHPAD", labelled(table, PER_EHPAD_COLUMNS),
                  caption="Une régression segmentée par EHPAD équipé (niveau, tendance, saison, changement de "
                          "niveau à la première téléconsultation) ; intervalles à 95 % (quasi-Poisson)."),
        caption=f"{plural(len(shown), 'EHPAD', 'EHPAD')} avec une estimation ; les autres sont dans le tableau avec "
                "la raison ; axe limité à −100 % / +200 % (un intervalle plus large est coupé au bord).",
        hline=0.0, y_range=(-100.0, 200.0))
    series = panel.assign(transfers_rate=(panel["transfers"] / panel["residents"] * 100).round(2),
                          after=[f is not None and m >= f for m, f in zip(panel["month"], panel["first_session"],
                                                                           strict=True)])
    series = series.sort_values(["site", "month"], kind="stable")
    # the chart: each equipped EHPAD a row, months relative to its first session, earliest equipped on top
    equipped = series[series["first_session"].notna()].copy()
    equipped["rel"] = [(m.year - f.year) * 12 + m.month - f.month
                       for m, f in zip(equipped["month"], equipped["first_session"], strict=True)]
    rel = sorted(equipped["rel"].unique()) if not equipped.empty else []
    rows = []
    for (_first, site), part in equipped.groupby(["first_session", "site"], sort=True):
        by_rel = dict(zip(part["rel"], part["transfers_rate"], strict=True))
        rows.append(Series(site, tuple(by_rel.get(r) for r in rel), kind="heat"))
    never = series.loc[series["first_session"].isna(), "site_id"].nunique()
    chart = EvalChart(
        SERIES, "Transferts aux urgences pour 100 résidents, par EHPAD équipé, autour de sa première téléconsultation",
        tuple(int(r) for r in rel), tuple(rows), REL_MONTH, "pour 100 résidents",
        TableView(SERIES, "Séries mensuelles par EHPAD", labelled(series, SERIES_COLUMNS),
                  caption="Bilans mensuels des EHPAD (résidents, transferts aux urgences, orientations), équipés "
                          "ou non."),
        caption=f"{plural(len(rows), 'EHPAD équipé', 'EHPAD équipés')}, du plus anciennement équipé (en haut) au "
                f"plus récent ; la table donne aussi les EHPAD non équipés ({plural(never, 'EHPAD', 'EHPAD')}) et les "
                "orientations vers l'hôpital.", vline=-0.5, vline_label="première téléconsultation")
    return forest, chart


@section(KEY, order=10, tables={ESTIMATES: "Évaluation — téléconsultation en EHPAD : estimations",
                                EVENT_TIME: "Évaluation — taux autour de la première téléconsultation",
                                PER_EHPAD: "Évaluation — estimations par EHPAD",
                                SERIES: "Évaluation — séries mensuelles par EHPAD"})
def ehpad_section(session: Session, *, scope: AccessScope, filters: Filters, detail: Detail) -> Section:
    title = "Téléconsultation en EHPAD : transferts aux urgences et orientations vers l'hôpital"
    intro = ("Avant et après la première téléconsultation de chaque EHPAD : série temporelle interrompue "
             "(chaque EHPAD avec sa propre tendance) et différence de différences contre les EHPAD pas encore "
             "équipés. Une variation de −20 % signifie un taux de transferts inférieur d'un cinquième à ce qu'il "
             "aurait été sans téléconsultation.")
    panel = ehpad_panel(session, area=detail.area, until=filters.period.end)
    if panel.empty:
        return Section(KEY, title, intro, message="Aucun bilan mensuel d'EHPAD reçu pour cette sélection "
                                                  "(flux /api/v1/programme/ehpad-activity) : pas d'estimation.")
    fits = _fits(panel, detail)
    overall = {(f.outcome, f.estimate.method): f.estimate for f in fits if f.territory == ALL}
    stats = []
    for (outcome, method), key in STAT_KEYS.items():
        value, context = _stat_value(overall[(outcome, method)], detail)
        stats.append(stat(key, value, context))
    estimates = TableView(ESTIMATES, "Estimations (variation relative et intervalle de confiance à 95 %)",
                          _estimates_table(fits, detail), open=True,
                          caption=_estimates_caption(panel, detail))
    event_chart, _ = _event_time(panel, detail)
    charts = [event_chart]
    if not detail.summary:
        charts += list(_per_ehpad(panel))
    notes = (f"Une estimation demande au moins {impact.MIN_EHPADS} EHPAD équipés observés {impact.MIN_PRE} mois avant "
             f"et {impact.MIN_POST} mois après leur première téléconsultation (et au moins {impact.MIN_CONTROLS} EHPAD "
             "de comparaison pour la différence de différences) ; sinon une phrase remplace le chiffre.",
             "Le mois de la première téléconsultation compte dans l'« après » ; l'EHPAD déclare ses résidents et ses "
             "transferts (bilan mensuel), le programme ne les vérifie pas.")
    return Section(KEY, title, intro, stats=tuple(stats), charts=tuple(charts), tables=(estimates,), notes=notes)


def _estimates_caption(panel: pd.DataFrame, detail: Detail) -> str:
    ehpads = panel["site_id"].nunique()
    equipped = panel.loc[panel["first_session"].notna(), "site_id"].nunique()
    first, last = min(panel["month"]), max(panel["month"])
    words = (f"{detail.counted(ehpads, 'EHPAD', 'EHPAD')} avec des bilans mensuels, dont "
             f"{detail.counted(equipped, 'EHPAD équipé', 'EHPAD équipés')}, {de(fmt_month(first))} à {fmt_month(last)}")
    if is_small(ehpads) and detail.summary:
        words += " (effectifs masqués)"
    return (f"{words} ; par département quand plusieurs sont choisis. Variation en % : exp(δ) − 1, δ le changement "
            f"de niveau du modèle de Poisson ; {fmt_number(95)} % de confiance, erreurs robustes par EHPAD.")
