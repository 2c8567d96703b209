"""Differencing attacks on the `summary` level (DESIGN.md §4): can a college combine answers to learn a
count from 1 to 10?

The attacker is `oracle.Oracle` (a signed-in « usagers » account, HTTP routes only); each tactic takes
a hidden cell it sees (« < 11 », « s ») or a count never published, derives an interval from other
answers, and `ledger.Ledger.claim` checks it against `truth.Truth` (SQL, test side only). A recovery
is defined in ledger.py. Every tactic test asserts zero recoveries and lists them when it fails.
"""
from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.filters import MONTH_NAMES_FR
from tests.attacks.ledger import Interval, Ledger, interval_of
from tests.attacks.oracle import SMALL, Oracle, Shown, parse_csv, parse_shown
from tests.attacks.truth import week_days

TERRITORY = ("52", "54", "55")
DEP_NAMES = {"Haute-Marne": "52", "Meurthe-et-Moselle": "54", "Meuse": "55"}
FIRST, LAST = date(2024, 11, 1), date(2026, 10, 1)
MONTHS = []
_d = FIRST
while _d <= LAST:
    MONTHS.append(_d)
    _d = date(_d.year + (_d.month == 12), _d.month % 12 + 1, 1)
PROFESSIONS = ("medecin_gp", "medecin_spe", "infirmier", "pharmacien", "sage_femme", "masseur_kinesitherapeute",
               "chirurgien_dentiste")
EXAMPLES = int(os.environ.get("ATTACK_EXAMPLES", "10"))  # `make attack` runs 40
HYPO = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def ym(d: date) -> str:
    return f"{d:%Y-%m}"


def month_end(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1) - timedelta(days=1)


def all_deps(deps) -> tuple[str, ...]:
    return tuple(sorted(deps)) if deps else TERRITORY


def assert_no_recovery(ledger: Ledger, tactic: str) -> None:
    """Zero recoveries, else fail listing each (tactic, cell, derived value, true value, answers used)."""
    if ledger.recoveries(tactic):
        pytest.fail(ledger.report(tactic), pytrace=False)


def shown_after(text: str, pattern: str) -> Shown:
    m = re.search(pattern, text)
    return parse_shown(m.group(1)) if m else Shown("—")


NUM = r"(< 11|s|[\d\u202f]+)"


# --- additive quantities: what a page or export publishes for (départements, months) -------------

def additive(o: Oracle, deps, m0: date, m1: date) -> dict[str, tuple[Shown, tuple]]:
    """Figures that add up over months and over départements: name → (shown, truth cell)."""
    d, a, b = all_deps(deps), m0, month_end(m1)
    out: dict[str, tuple[Shown, tuple]] = {}
    tc = o.callback("teleconsultation", deps, ym(m0), ym(m1)).cards
    if "stat-tc-completed" in tc:
        out["tc réalisées (carte)"] = (parse_shown(tc["stat-tc-completed"].value),
                                       ("tc", d, a, b, ("completed",), "sessions"))
        out["tc programmées (carte)"] = (shown_after(tc["stat-tc-completed"].detail, r"sur " + NUM),
                                         ("tc", d, a, b, None, "sessions"))
    mob = o.callback("mobile", deps, ym(m0), ym(m1)).cards
    if "stat-mob-stops" in mob:
        done, _, sched = mob["stat-mob-stops"].value.partition(" / ")
        out["arrêts réalisés (carte)"] = (parse_shown(done), ("mob", d, a, b, "completed", "stops"))
        out["arrêts annulés (carte)"] = (shown_after(mob["stat-mob-stops"].detail, r"; " + NUM + r" annulé"),
                                         ("mob", d, a, b, "cancelled", "stops"))
        out["consultations mobiles (carte)"] = (parse_shown(mob["stat-mob-consultations"].value),
                                                ("mob", d, a, b, "completed", "consultations"))
        out["nouveaux patients (carte)"] = (shown_after(mob["stat-mob-consultations"].detail,
                                                        r"nouveaux patients : " + NUM),
                                            ("mob", d, a, b, "completed", "new_patients"))
        _ = sched
    wf = o.callback("workforce", deps, ym(m0), ym(m1)).cards
    if "stat-wf-grants" in wf:
        out["départs de généralistes (carte)"] = (parse_shown(wf["stat-wf-grants"].value.partition(" / ")[2]),
                                                  ("wf_flow", d, a, b, "medecin_gp", "departures"))
    ov = o.callback("overview", deps, ym(m0), ym(m1)).cards
    if "kpi-teleconsultations" in ov:
        out["vue d'ensemble téléconsultations"] = (parse_shown(ov["kpi-teleconsultations"].value),
                                                   ("tc", d, a, b, ("completed",), "sessions"))
    if "kpi-mobile_consultations" in ov:
        out["vue d'ensemble consultations mobiles"] = (parse_shown(ov["kpi-mobile_consultations"].value),
                                                       ("mob", d, a, b, "completed", "consultations"))
    return out


def stocks(o: Oracle, deps, month: date, profession: str) -> dict[str, tuple[Shown, tuple]]:
    """Figures at a date (end of `month`) that add up over départements."""
    d, on = all_deps(deps), month_end(month)
    out = {}
    page = o.callback("workforce", deps, ym(month), ym(month), profession=profession)
    if "stat-wf-share60" in page.cards:
        out[f"{profession} en activité (carte)"] = (
            shown_after(page.cards["stat-wf-share60"].detail, NUM + r" professionnels"),
            ("wf_active", d, on, profession))
        out[f"{profession} (carte densité)"] = (shown_after(page.cards["stat-wf-density"].detail,
                                                             NUM + r" en activité"), ("wf_active", d, on, profession))
    for row in o.export("professionnels-ages", deps, ym(month), ym(month), profession=profession):
        out[f"{profession} {row['Âge']} (export âges)"] = (parse_shown(row["Professionnels"]),
                                                           ("wf_age", d, on, profession, row["Âge"]))
    q0 = date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    for row in o.export("professionnels-flux", deps, ym(month), ym(month), profession=profession):
        for col, which in (("Installations", "arrivals"), ("Départs", "departures")):
            out[f"{profession} {which} {row['Trimestre']} ({ym(month)}, export flux)"] = (
                parse_shown(row[col]), ("wf_flow", d, month, month_end(month), profession, which))
    _ = q0
    return out


def solve_sum(ledger: Ledger, tactic: str, total, parts, context: str) -> None:
    """total = Σ parts (each (name, shown, cell)): derive every hidden term from the others."""
    terms = [total, *parts]
    iv = [interval_of(s) for _, s, _ in terms]
    for _ in range(2):
        t = iv[0] & sum((x for x in iv[1:]), Interval(0, 0))
        iv[0] = t
        for i in range(1, len(terms)):
            rest = sum((iv[j] for j in range(1, len(terms)) if j != i), Interval(0, 0))
            iv[i] = iv[i] & (iv[0] - rest)
    used = [f"{n} = {s.text}" for n, s, _ in terms]
    for (name, s, cell), derived in zip(terms, iv, strict=True):
        if s.hidden:
            ledger.claim(tactic, f"{name} — {context}", cell, derived, used)


def row_period(r: dict, start: date, end: date) -> tuple[str, date, date]:
    """A weekly or monthly export row's period inside [start, end] (summary level publishes months)."""
    if "Semaine du" in r:
        s, e = week_days(date.fromisoformat(r["Semaine du"]), start, end)
        return r["Semaine du"], s, e
    name, year = r["Mois"].rsplit(" ", 1)
    first = date(int(year), MONTH_NAMES_FR.index(name) + 1, 1)
    return r["Mois"], max(first, start), min(month_end(first), end)


def row_group(r: dict, group_col: str) -> str:
    return r.get(group_col) or r.get("Département") or ""


# --- (a) sub-periods and super-periods ----------------------------------------------------------

def attack_periods(o: Oracle, ledger: Ledger, deps, m0: int, k: int, n: int) -> None:
    """q(m0..n) = q(m0..k) + q(k+1..n) for every additive figure."""
    a, mid, mid1, b = MONTHS[m0], MONTHS[k], MONTHS[k + 1], MONTHS[n]
    whole, left, right = additive(o, deps, a, b), additive(o, deps, a, mid), additive(o, deps, mid1, b)
    ctx = f"dep={','.join(deps) or 'tous'} {ym(a)}..{ym(mid)} + {ym(mid1)}..{ym(b)}"
    for name in whole.keys() & left.keys() & right.keys():
        solve_sum(ledger, "a-periods", (f"{name} {ym(a)}..{ym(b)}", *whole[name]),
                  [(f"{name} {ym(a)}..{ym(mid)}", *left[name]), (f"{name} {ym(mid1)}..{ym(b)}", *right[name])], ctx)


def attack_straddling_weeks(o: Oracle, ledger: Ledger, deps, m: int) -> None:
    """A week across months m and m+1 is a row of both monthly exports and of the two-month export."""
    a, b = MONTHS[m], MONTHS[m + 1]
    for key, group_col, cols in (("teleconsultation-hebdo", "Spécialité / département",
                                  {"Réalisées": ("completed",), "Non abouties": ("technical_failure", "no_show",
                                                                                "cancelled")}),
                                 ("cabinets-mobiles-hebdo", "Statut", {"Arrêts": "stops",
                                                                       "Consultations": "consultations"})):
        first = o.export(key, deps, ym(a), ym(a))
        if first and "Semaine du" not in first[0]:  # weeks are not published at this level: nothing straddles
            continue
        ea = {(r["Semaine du"], r[group_col]): r for r in first}
        eb = {(r["Semaine du"], r[group_col]): r for r in o.export(key, deps, ym(b), ym(b))}
        eab = {(r["Semaine du"], r[group_col]): r for r in o.export(key, deps, ym(a), ym(b))}
        for wk in ea.keys() & eb.keys() & eab.keys():
            monday = date.fromisoformat(wk[0])
            cdeps = (DEP_NAMES[wk[1]],) if key.startswith("tele") else all_deps(deps)
            for col, what in cols.items():
                def cell(start, end, what=what, cdeps=cdeps, monday=monday, key=key):
                    s, e = week_days(monday, start, end)
                    if key.startswith("tele"):
                        return ("tc", cdeps, s, e, what, "sessions")
                    return ("mob", cdeps, s, e, "completed", what)
                name = f"{key} {wk[0]} {wk[1]} {col}"
                solve_sum(ledger, "a-periods", (f"{name} {ym(a)}..{ym(b)}", parse_shown(eab[wk][col]),
                                                cell(a, month_end(b))),
                          [(f"{name} {ym(a)}", parse_shown(ea[wk][col]), cell(a, month_end(a))),
                           (f"{name} {ym(b)}", parse_shown(eb[wk][col]), cell(b, month_end(b)))],
                          f"dep={','.join(deps) or 'tous'}")


def attack_quarters(o: Oracle, ledger: Ledger, deps, q: int, profession: str) -> None:
    """Workforce flows per quarter: the quarter's row asked for one, two or three of its months."""
    first = MONTHS[q]
    months = [first, MONTHS[q + 1], MONTHS[q + 2]]
    d = all_deps(deps)

    def row(i, j):
        rows = o.export("professionnels-flux", deps, ym(months[i]), ym(months[j]), profession=profession)
        return rows[0] if rows else None

    for col, which in (("Installations", "arrivals"), ("Départs", "departures")):
        def sh(i, j, col=col, which=which):
            r = row(i, j)
            return (f"{profession} {which} {ym(months[i])}..{ym(months[j])}", parse_shown(r[col] if r else None),
                    ("wf_flow", d, months[i], month_end(months[j]), profession, which))
        for total, parts in (((0, 1), ((0, 0), (1, 1))), ((1, 2), ((1, 1), (2, 2))), ((0, 2), ((0, 1), (2, 2))),
                             ((0, 2), ((0, 0), (1, 2)))):
            solve_sum(ledger, "a-periods", sh(*total), [sh(*p) for p in parts], f"dep={','.join(deps) or 'tous'}")


month_runs = st.tuples(st.integers(0, len(MONTHS) - 2), st.integers(1, 5)).map(
    lambda t: (t[0], min(t[0] + t[1], len(MONTHS) - 1)))
dep_sets = st.sets(st.sampled_from(TERRITORY), min_size=1).map(lambda s: tuple(sorted(s)))


def test_a_sub_and_super_periods(oracle, ledger):
    @HYPO
    @given(dep_sets, month_runs, st.data())
    def run(deps, run_, data):
        m0, n = run_
        k = data.draw(st.integers(m0, n - 1))
        attack_periods(oracle, ledger, deps, m0, k, n)
        attack_straddling_weeks(oracle, ledger, deps, data.draw(st.integers(0, len(MONTHS) - 2)))
        q = data.draw(st.sampled_from([i for i, m in enumerate(MONTHS[:-2]) if m.month in (1, 4, 7, 10)]))
        attack_quarters(oracle, ledger, deps, q, data.draw(st.sampled_from(PROFESSIONS)))

    run()
    # the cases: the week of 30 March 2026 (Meuse); the first months of the programme
    attack_straddling_weeks(oracle, ledger, ("55",), MONTHS.index(date(2026, 3, 1)))
    for dep in TERRITORY:
        attack_periods(oracle, ledger, (dep,), 0, 0, 1)
        attack_periods(oracle, ledger, (dep,), 0, 1, 2)
    assert_no_recovery(ledger, "a-periods")


# --- (b) subsets and complements of départements ------------------------------------------------

def attack_selections(o: Oracle, ledger: Ledger, s: tuple, m0: int, n: int, profession: str) -> None:
    """q(S ∪ T) = q(S) + q(T) for T the complement of S, and with no `dep` at all (the whole territory)."""
    t = tuple(d for d in TERRITORY if d not in s)
    if not t:
        return
    a, b = MONTHS[m0], MONTHS[n]
    ctx = f"{ym(a)}..{ym(b)}"
    for whole_deps in (TERRITORY, ()):
        for fetch in (lambda deps: additive(o, deps, a, b), lambda deps: stocks(o, deps, b, profession)):
            qs, qt, qw = fetch(s), fetch(t), fetch(whole_deps)
            for name in qs.keys() & qt.keys() & qw.keys():
                solve_sum(ledger, "b-departements",
                          (f"{name} dep={','.join(whole_deps) or '(aucun)'}", *qw[name]),
                          [(f"{name} dep={','.join(s)}", *qs[name]), (f"{name} dep={','.join(t)}", *qt[name])], ctx)
    # the same per-département cell in two selections (weekly table rows, density rows)
    for key, group_col, cols in (("teleconsultation-hebdo", "Spécialité / département",
                                  {"Réalisées": ("completed",), "Non abouties": ("technical_failure", "no_show",
                                                                                "cancelled")}),):
        one = {(row_period(r, a, month_end(b)), row_group(r, group_col)): r for r in o.export(key, s, ym(a), ym(b))}
        every = {(row_period(r, a, month_end(b)), row_group(r, group_col)): r
                 for r in o.export(key, TERRITORY, ym(a), ym(b))}
        for key_ in one.keys() & every.keys():
            (label_period, ws, we), group = key_
            wk = (label_period, group)
            for col, statuses in cols.items():
                x, y = parse_shown(one[key_][col]), parse_shown(every[key_][col])
                cell = ("tc", (DEP_NAMES[wk[1]],), ws, we, statuses, "sessions")
                label = f"{key} {wk[0]} {wk[1]} {col}"
                for hid, other, where in ((x, y, "dep=" + ",".join(TERRITORY)), (y, x, "dep=" + ",".join(s))):
                    if hid.hidden:
                        ledger.claim("b-departements", f"{label} — {ctx}", cell,
                                     interval_of(hid) & interval_of(other),
                                     [f"{label} dep={','.join(s)} = {x.text}", f"{label} {where} = {other.text}"])


def test_b_subsets_and_complements(oracle, ledger):
    @HYPO
    @given(dep_sets, month_runs, st.sampled_from(PROFESSIONS))
    def run(deps, run_, profession):
        attack_selections(oracle, ledger, deps, run_[0], run_[1], profession)

    run()
    last = len(MONTHS) - 1
    attack_selections(oracle, ledger, ("52",), last, last, "sage_femme")  # the issue: sage-femmes, Haute-Marne
    for m in (0, 1, 2):
        attack_selections(oracle, ledger, ("52",), m, m, "medecin_gp")  # the issue: teleconsultation headline
    assert_no_recovery(ledger, "b-departements")


# --- (c) EPCI vs département ----------------------------------------------------------------------

def test_c_epci_vs_departement(oracle, ledger):
    for dep in TERRITORY:
        epci = ledger.truth.epci_of(dep)
        for page in ("teleconsultation", "mobile", "workforce", "coverage"):
            for m in (MONTHS[0], MONTHS[12], MONTHS[-1]):
                plain = oracle.callback(page, (dep,), ym(m), ym(m))
                finer = oracle.callback(page, (dep,), ym(m), ym(m), epci=epci)
                same = ({k: (c.value, c.detail) for k, c in plain.cards.items()}
                        == {k: (c.value, c.detail) for k, c in finer.cards.items()}
                        and {k: t.rows for k, t in plain.tables.items()}
                        == {k: t.rows for k, t in finer.tables.items()})
                for k, c in plain.cards.items():
                    if SMALL in c.value or SMALL in c.detail:
                        ledger.attack("c-epci", (page, dep, ym(m), k))
                if not same:
                    ledger.notes["c-epci"].append(f"{page} dep={dep} {ym(m)}: the EPCI {epci} changes the answer")
                    for k, c in plain.cards.items():
                        f = finer.cards.get(k)
                        if f and parse_shown(c.value).hidden and parse_shown(f.value).exact:
                            ledger.notes["c-epci"].append(f"  {k}: département hidden, EPCI shows {f.value}")
    if not any("changes" in n for n in ledger.notes["c-epci"]):
        ledger.notes["c-epci"].append("EPCI filter ignored at summary on every page: the tactic yields nothing")
    assert_no_recovery(ledger, "c-epci")


# --- (d) rate × denominator ---------------------------------------------------------------------------

def rate_cells(o: Oracle, deps, m0: date, m1: date) -> list[tuple[str, Shown, Shown, tuple, str]]:
    """(name, shown rate in %, shown denominator, truth cell of the numerator, where) for every rate."""
    d, a, b = all_deps(deps), m0, month_end(m1)
    out = []
    tc = o.callback("teleconsultation", deps, ym(m0), ym(m1))
    if "stat-tc-completion" in tc.cards:
        sessions = shown_after(tc.cards["stat-tc-completed"].detail, r"sur " + NUM)
        completed = parse_shown(tc.cards["stat-tc-completed"].value)
        det = tc.cards["stat-tc-completion"].detail
        for label, status in (("échecs techniques", "technical_failure"), ("patients absents", "no_show"),
                              ("annulations", "cancelled")):
            out.append((f"{label} (carte)", shown_after(det, label + r" ([\d,]+)"), sessions,
                        ("tc", d, a, b, (status,), "sessions"), "carte Taux de réalisation × séances programmées"))
        out.append(("patients de 75 ans et plus (carte)",
                    shown_after(tc.cards["stat-tc-median"].detail, r"75 ans et plus : ([\d,]+)"), completed,
                    ("tc", d, a, b, ("completed",), "patients_75_plus"), "carte × séances réalisées"))
    for r in o.export("teleconsultation-sites", deps, ym(m0), ym(m1)):
        dep = (DEP_NAMES[r["Département"]],)
        s, c = parse_shown(r["Séances"]), parse_shown(r["Réalisées"])
        out.append((f"échecs techniques {r['Département']} (export sites)",
                    parse_csv(r["Échecs techniques (%)"]), s,
                    ("tc", dep, a, b, ("technical_failure",), "sessions"), "export × Séances"))
        done_pct = parse_csv(r["Taux de réalisation (%)"])
        out.append((f"non réalisées {r['Département']} (export sites, 100 − taux de réalisation)",
                    Shown(f"100 − {done_pct.text}", 100 - done_pct.hi, 100 - done_pct.lo)
                    if not done_pct.missing else Shown("—"), s,
                    ("tc", dep, a, b, ("technical_failure", "no_show", "cancelled"), "sessions"), "export × Séances"))
        out.append((f"patients de 75 ans et plus {r['Département']} (export sites)",
                    parse_csv(r["Patients de 75 ans et plus (%)"]), c,
                    ("tc", dep, a, b, ("completed",), "patients_75_plus"), "export × Réalisées"))
    return out


def workforce_rate_cells(o: Oracle, deps, month: date, profession: str):
    d, on = all_deps(deps), month_end(month)
    out = []
    page = o.callback("workforce", deps, ym(month), ym(month), profession=profession)
    if "stat-wf-share60" in page.cards:
        n = shown_after(page.cards["stat-wf-share60"].detail, NUM + r" professionnels")
        share = parse_shown(page.cards["stat-wf-share60"].value)  # computed from rates rounded per département:
        share = Shown(share.text, share.lo - 0.05, share.hi + 0.05) if not share.missing else share  # ±0,1
        out.append((f"{profession} de 60 ans et plus (carte)", share, n,
                    ("wf_old", d, on, profession), "carte × professionnels en activité"))
        ages = o.export("professionnels-ages", deps, ym(month), ym(month), profession=profession)
        for r in ages:
            if parse_shown(r["Professionnels"]).exact:
                continue
            out.append((f"{profession} {r['Âge']} (export âges, part)", parse_csv(r["Part (%)"]), n,
                        ("wf_age", d, on, profession, r["Âge"]), "part × total de la carte"))
    for r in o.export("professionnels-densite", deps, ym(month), ym(month), profession=profession):
        out.append((f"{profession} de 60 ans et plus {r['Territoire']} (export densité)",
                    parse_csv(r["Âgés de 60 ans et plus (%)"]), parse_shown(r["Professionnels"]),
                    ("wf_old", (r["Code du département"],), on, profession), "export × Professionnels"))
    return out


def attack_rates(ledger: Ledger, tactic: str, cells, ctx: str) -> None:
    for name, pct, den, cell, how in cells:
        if pct.missing or den.missing:
            continue
        derived = interval_of(pct).scale(interval_of(den)).scale(Interval(0.01, 0.01)) & Interval(0, 10**9)
        ledger.claim(tactic, f"{name} — {ctx}", cell, derived,
                     [f"taux {pct.text} %", f"dénominateur {den.text}", how])


def test_d_rate_times_denominator(oracle, ledger):
    @HYPO
    @given(dep_sets, month_runs, st.sampled_from(PROFESSIONS))
    def run(deps, run_, profession):
        a, b = MONTHS[run_[0]], MONTHS[run_[1]]
        attack_rates(ledger, "d-rates", rate_cells(oracle, deps, a, b), f"dep={','.join(deps)} {ym(a)}..{ym(b)}")
        attack_rates(ledger, "d-rates", workforce_rate_cells(oracle, deps, b, profession),
                     f"dep={','.join(deps)} au {month_end(b)}")

    run()
    for dep in TERRITORY:  # single months, single départements: small denominators
        for m in (MONTHS[0], MONTHS[6], MONTHS[-8]):
            attack_rates(ledger, "d-rates", rate_cells(oracle, (dep,), m, m), f"dep={dep} {ym(m)}")
    assert_no_recovery(ledger, "d-rates")


# --- (e) overlapping comparison periods (overview « période précédente ») -------------------------

def attack_previous(o: Oracle, ledger: Ledger, deps, m: int, k: int) -> None:
    """The « période précédente » of months m+1..m+k is the same number of days just before: it ends with
    month m. value(A..m) − previous(m+1..m+k) is the count of the days of A..m before that window."""
    p0, p1 = MONTHS[m + 1], MONTHS[min(m + k, len(MONTHS) - 1)]
    length = (month_end(p1) - p0).days + 1
    prev_start = p0 - timedelta(days=length)
    a = date(prev_start.year, prev_start.month, 1)
    if a < FIRST or a == prev_start:
        return
    later = o.callback("overview", deps, ym(p0), ym(p1)).cards
    earlier = o.callback("overview", deps, ym(a), ym(MONTHS[m])).cards
    d = all_deps(deps)
    for key, cell in (("kpi-teleconsultations", ("tc", d, a, prev_start - timedelta(days=1), ("completed",),
                                                 "sessions")),
                      ("kpi-mobile_consultations", ("mob", d, a, prev_start - timedelta(days=1), "completed",
                                                    "consultations"))):
        if key not in later or key not in earlier:
            continue
        prev = shown_after(later[key].detail, r"période précédente : " + NUM)
        if prev.text == "—":  # no previous figure published (comparison impossible, new, no service)
            continue
        whole = parse_shown(earlier[key].value)
        derived = interval_of(whole) - interval_of(prev)
        ledger.claim("e-previous", f"{key} du {a} au {prev_start - timedelta(days=1)} — dep={','.join(d)}", cell,
                     derived, [f"{key} {ym(a)}..{ym(MONTHS[m])} = {whole.text}",
                               f"{key} {ym(p0)}..{ym(p1)} : période précédente = {prev.text}"])


def test_e_overlapping_previous_periods(oracle, ledger):
    @HYPO
    @given(st.one_of(st.just(()), dep_sets), st.integers(0, len(MONTHS) - 3), st.integers(1, 4))
    def run(deps, m, k):
        attack_previous(oracle, ledger, deps, m, k)

    run()
    for dep in TERRITORY:  # the issue: a month minus the previous period of the next month (single days)
        for m in range(0, len(MONTHS) - 1, 3):
            attack_previous(oracle, ledger, (dep,), m, 1)
    assert_no_recovery(ledger, "e-previous")


# --- (f) the same quantity in two places (table, export, headline) --------------------------------

def attack_two_places(o: Oracle, ledger: Ledger, deps, m0: date, m1: date, profession: str) -> None:
    d, a, b = all_deps(deps), m0, month_end(m1)
    ctx = f"dep={','.join(deps) or 'tous'} {ym(m0)}..{ym(m1)}"
    add = additive(o, deps, m0, m1)
    # weekly export columns add up to the headline total (one département at a time)
    if len(d) == 1 and "tc réalisées (carte)" in add:
        rows = o.export("teleconsultation-hebdo", deps, ym(m0), ym(m1))
        parts = []
        for r in rows:
            when, s, e = row_period(r, a, b)
            parts.append((f"hebdo {when} Réalisées", parse_shown(r["Réalisées"]),
                          ("tc", d, s, e, ("completed",), "sessions")))
        solve_sum(ledger, "f-two-places", ("carte Séances réalisées", *add["tc réalisées (carte)"]), parts, ctx)
        tot = add["tc programmées (carte)"][0]
        done = add["tc réalisées (carte)"][0]
        if tot.exact and done.exact:
            nc = Shown(str(int(tot.value - done.value)), tot.value - done.value, tot.value - done.value)
            parts = []
            for r in rows:
                when, s, e = row_period(r, a, b)
                parts.append((f"hebdo {when} Non abouties", parse_shown(r["Non abouties"]),
                              ("tc", d, s, e, ("technical_failure", "no_show", "cancelled"), "sessions")))
            solve_sum(ledger, "f-two-places", ("carte programmées − réalisées", nc,
                                               ("tc", d, a, b, ("technical_failure", "no_show", "cancelled"),
                                                "sessions")), parts, ctx)
    if "arrêts réalisés (carte)" in add:
        mob = o.callback("mobile", deps, ym(m0), ym(m1)).cards
        done, _, sched = (parse_shown(x) for x in mob["stat-mob-stops"].value.partition(" / "))
        cancelled = add["arrêts annulés (carte)"]
        # programmés = réalisés + annulés + prévus (≥ 0)
        if cancelled[0].hidden:
            ledger.claim("f-two-places", f"arrêts annulés (carte) — {ctx}", cancelled[1],
                         interval_of(cancelled[0]) & (interval_of(sched) - interval_of(done)),
                         [f"arrêts réalisés / programmés = {mob['stat-mob-stops'].value}",
                          f"annulés = {cancelled[0].text}"])
        parts = []
        for r in o.export("cabinets-mobiles-hebdo", deps, ym(m0), ym(m1)):
            if r.get("Statut", "Réalisés") != "Réalisés":
                continue
            when, s, e = row_period(r, a, b)
            parts.append((f"hebdo {when} Arrêts", parse_shown(r["Arrêts"]),
                          ("mob", d, s, e, "completed", "stops")))
        solve_sum(ledger, "f-two-places", ("carte Arrêts réalisés", done, ("mob", d, a, b, "completed", "stops")),
                  parts, ctx)
    # age bands add up to the professionals in activity (card), the 60+ bands to the 60+ share of the card
    st_ = stocks(o, deps, m1, profession)
    key = f"{profession} en activité (carte)"
    if key in st_:
        bands = [(n, s, c) for n, (s, c) in st_.items() if "(export âges)" in n]
        solve_sum(ledger, "f-two-places", (key, *st_[key]), bands, f"{ctx} {profession}")
        dens = o.export("professionnels-densite", deps, ym(m1), ym(m1), profession=profession)
        solve_sum(ledger, "f-two-places", (key, *st_[key]),
                  [(f"export densité {r['Territoire']}", parse_shown(r["Professionnels"]),
                    ("wf_active", (r["Code du département"],), b, profession)) for r in dens], f"{ctx} {profession}")


def test_f_same_quantity_in_two_places(oracle, ledger):
    @HYPO
    @given(dep_sets, month_runs, st.sampled_from(PROFESSIONS))
    def run(deps, run_, profession):
        attack_two_places(oracle, ledger, deps, MONTHS[run_[0]], MONTHS[run_[1]], profession)

    run()
    for dep in TERRITORY:
        for m in (MONTHS[0], MONTHS[5], MONTHS[-8]):
            attack_two_places(oracle, ledger, (dep,), m, m, "medecin_gp")
    assert_no_recovery(ledger, "f-two-places")
