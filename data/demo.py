"""Deterministic demo data: realistic programme activity on the real communes.

Same seed, end date, years and départements → the same rows. Usage:
    python -m data.demo --years 2 --departements 52 54 55
"""
from __future__ import annotations

import argparse
import hashlib
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, insert, text
from sqlalchemy.orm import Session

from data import partitions, rollups
from data.access import COLLEGES
from data.formatting import de
from data.geography import GEO_DIR, CommuneRow, load_territory, pairwise_km, read_communes
from data.models import (
    AuditEvent,
    BiologyResult,
    College,
    Device,
    DeviceStatus,
    EhpadActivity,
    FeedKind,
    FeedSource,
    Grant,
    HealthProfessional,
    MobileStop,
    MobileUnit,
    ProgrammeIndicatorValue,
    Role,
    SchemaInfo,
    Site,
    TeleconsultationSession,
    VehiclePosition,
)
from data.terminology import AGE_BANDS, BIOLOGY_TESTS, EXPERIMENTS, REQUESTER_TYPES
from data.users import create_user, utcnow

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_SEED = 20261122
COUNT_UNITS = ("adolescents", "femmes", "étudiants")
LIVE_TAIL_EVENTS = 300  # events a first start feeds through the ingestion pipeline, so feeds look alive
BATCH = 5000

# Default grants per college (dataset → level); admins and ARS officers see everything.
DEFAULT_GRANTS: dict[str, dict[str, str]] = {
    "financeurs": {"teleconsultation": "summary", "mobile": "summary", "biology": "summary",
                   "workforce": "summary", "coverage": "summary", "programme": "detail", "feeds": "none"},
    "collectivites": {"teleconsultation": "detail", "mobile": "detail", "biology": "summary",
                      "workforce": "detail", "coverage": "detail", "programme": "summary", "feeds": "none"},
    "entreprises": {"teleconsultation": "summary", "mobile": "summary", "biology": "summary",
                    "workforce": "none", "coverage": "none", "programme": "summary", "feeds": "detail"},
    "usagers": {"teleconsultation": "summary", "mobile": "summary", "biology": "none",
                "workforce": "summary", "coverage": "summary", "programme": "summary", "feeds": "none"},
    "professionnels": {"teleconsultation": "detail", "mobile": "detail", "biology": "detail",
                       "workforce": "detail", "coverage": "detail", "programme": "summary", "feeds": "none"},
    "etablissements": {"teleconsultation": "detail", "mobile": "summary", "biology": "detail",
                       "workforce": "summary", "coverage": "summary", "programme": "summary",
                       "feeds": "summary"},
    "recherche": {"teleconsultation": "summary", "mobile": "summary", "biology": "summary",
                  "workforce": "summary", "coverage": "summary", "programme": "detail", "feeds": "none"},
}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    full_name: str
    role: str
    college: str | None


def demo_accounts() -> list[DemoAccount]:
    """One account per college, an ARS officer and an administrator (demo database only)."""
    accounts = [DemoAccount(f"{slug}@demo.e-meuse-sante.fr", f"demo-{slug}-2026", f"Démo {label}",
                            Role.MEMBER.value, slug) for slug, label in COLLEGES.items()]
    accounts.append(DemoAccount("ars@demo.e-meuse-sante.fr", "demo-ars-grand-est-2026",
                                "Officier ARS Grand Est (démo)", Role.ARS.value, None))
    accounts.append(DemoAccount("admin@demo.e-meuse-sante.fr", "demo-admin-2026",
                                "Administrateur (démo)", Role.ADMIN.value, None))
    return accounts


# Named EHPADs of the programme (Meuse), placed on their real communes.
NAMED_EHPADS = (
    ("EHPAD-55-BLANPAIN", "EHPAD Blanpain-Couchot", "55029", 96),
    ("EHPAD-55-VAUCOULEURS-VOID", "EHPAD Vaucouleurs-Void", "55533", 110),
    ("EHPAD-55-LIGNY", "EHPAD de Ligny-en-Barrois", "55291", 80),
)
MOBILE_BASES = (
    ("CMM-52-NORD", "Cabinet médical mobile — Nord Haute-Marne", "52250"),   # Joinville
    ("CMM-52-SUD", "Cabinet médical mobile — Sud Haute-Marne", "52269"),     # Langres
)
EHPADS_PER_10K = 1.6
# Share of the active professionals aged 60 or more, per profession: (rural départements, Meurthe-et-Moselle).
# Orders of magnitude, rounded, from the national figures: DREES, « Démographie des professionnels de santé »
# (RPPS/ADELI series, 2023) and the CNOM « Atlas de la démographie médicale en France » (2023): about a third
# of doctors in activity are 60 or older, general practitioners as specialists; rural départements such as the
# Meuse and the Haute-Marne are well above it for GPs (few young GPs settle there), urban Meurthe-et-Moselle
# (Nancy's university hospital) near it. Nurses, physiotherapists and midwives are younger professions (about
# one in ten aged 60+); pharmacists and dentists in between (about a fifth to a quarter, Ordre national des
# pharmaciens « Démographie » 2023, ONCD). tests/data/test_demo.py checks the generated shares against these.
AGED_60_PLUS: dict[str, tuple[float, float]] = {
    "medecin_gp": (0.46, 0.31), "medecin_spe": (0.36, 0.31), "infirmier": (0.12, 0.10),
    "pharmacien": (0.24, 0.20), "chirurgien_dentiste": (0.26, 0.22), "masseur_kinesitherapeute": (0.12, 0.10),
    "sage_femme": (0.08, 0.07)}
# Youngest and oldest age in activity: doctors qualify after 9–11 years of studies, GPs often practise past 70.
WORKING_AGES: dict[str, tuple[int, int]] = {
    "medecin_gp": (29, 72), "medecin_spe": (31, 70), "infirmier": (23, 66), "pharmacien": (25, 70),
    "chirurgien_dentiste": (25, 70), "masseur_kinesitherapeute": (23, 66), "sage_femme": (23, 64)}
URBAN_DEPARTEMENT = "54"
GRANT_HOLDERS_FIRST_QUARTER = 3  # study-grant holders settle from the 4th quarter of the demo (before/after)
DEVICE_MODELS = {"inr": "CoaguChek Pro II", "crp": "Afinion 2", "hba1c": "Afinion 2",
                 "hb": "i-STAT", "k": "i-STAT", "creat": "i-STAT"}


def to_utc(local: datetime) -> datetime:
    """Local Paris wall time → naive UTC (storage convention)."""
    return local.replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def rpps_hash(rpps: str) -> str:
    return hashlib.sha256(f"rpps:{rpps}".encode()).hexdigest()


def _days(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; lam is small here."""
    if lam <= 0:
        return 0
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


# EHPAD activity (the before/after of /evaluation): base rates per 100 residents per month, from which each
# EHPAD draws its own (log-normal spread); an own log-linear trend per EHPAD (sd per year); a winter peak.
# Orders of magnitude: about one resident in three goes to an emergency department in a year (DREES, enquête
# EHPA; HAS 2015 « Patients en EHPAD : transferts aux urgences »), i.e. ~2.5 per 100 residents a month.
EHPAD_TRANSFERS_PER_100, EHPAD_REFERRALS_PER_100 = 2.5, 4.0
EHPAD_RATE_SPREAD, EHPAD_TREND_SD_PER_YEAR, EHPAD_WINTER_PEAK = 0.25, 0.06, 0.15
DEFAULT_TRANSFER_EFFECT, DEFAULT_REFERRAL_EFFECT = -0.20, -0.10  # planted: the change after the first session
EHPAD_HISTORY_MONTHS = 12  # activity records go back this far before the demo's first month


@dataclass(frozen=True)
class EhpadPlan:
    """What the activity generator needs of an EHPAD: its id, capacity and first teleconsultation month."""

    site_id: int
    residents: int
    first_session: date | None  # first day of the month of its first session; None: not equipped


def ehpad_activity_rows(rng: np.random.Generator, ehpads: list[EhpadPlan], months: list[date], *,
                        transfer_effect: float = DEFAULT_TRANSFER_EFFECT,
                        referral_effect: float = DEFAULT_REFERRAL_EFFECT) -> list[dict]:
    """Monthly activity of each EHPAD: residents (occupancy around 95 %), emergency transfers and referrals
    drawn from Poisson laws around its own base rate, own trend and the winter peak, multiplied by
    (1 + effect) from the month of its first teleconsultation on. The one generator of this data: the demo
    and the estimators' tests (with effect 0 or −20 %) draw from it."""
    rows = []
    t0 = months[0].year * 12 + months[0].month - 1
    for plan in ehpads:
        base_t, base_r = (np.exp(rng.normal(0, EHPAD_RATE_SPREAD, 2)) * (EHPAD_TRANSFERS_PER_100,
                                                                         EHPAD_REFERRALS_PER_100) / 100)
        trend = rng.normal(0, EHPAD_TREND_SD_PER_YEAR) / 12
        for m in months:
            t = m.year * 12 + m.month - 1 - t0
            residents = int(rng.binomial(plan.residents, 0.95)) or 1
            season = EHPAD_WINTER_PEAK * math.cos(2 * math.pi * (m.month - 1) / 12)
            after = plan.first_session is not None and m >= plan.first_session
            scale = residents * math.exp(trend * t + season)
            rows.append({"site_id": plan.site_id, "month": m, "residents": residents,
                         "emergency_transfers": int(rng.poisson(scale * base_t * (1 + transfer_effect * after))),
                         "hospital_referrals": int(rng.poisson(scale * base_r * (1 + referral_effect * after)))})
    return rows


def synthetic_panel(seed: int, *, ehpads: int = 40, months: int = 36, equipped: float = 0.6,
                    transfer_effect: float = DEFAULT_TRANSFER_EFFECT,
                    referral_effect: float = DEFAULT_REFERRAL_EFFECT, first: date = date(2024, 1, 1)):
    """A small EHPAD panel in the shape of data.queries.evaluation.ehpad_panel, from `ehpad_activity_rows`:
    `equipped` of the EHPADs get their first session at a month drawn between the 10th and the 30th
    (staggered), the others never (the comparison group)."""
    import pandas as pd

    from data.filters import add_months

    rng = np.random.default_rng(seed)
    calendar = [add_months(first, k) for k in range(months)]
    plans = []
    for i in range(ehpads):
        start = (add_months(first, int(rng.integers(min(10, months - 1), max(11, min(30, months)))))
                 if rng.random() < equipped else None)
        plans.append(EhpadPlan(i + 1, int(rng.integers(45, 111)), start))
    rows = ehpad_activity_rows(rng, plans, calendar, transfer_effect=transfer_effect, referral_effect=referral_effect)
    first_by_site = {p.site_id: p.first_session for p in plans}
    df = pd.DataFrame(rows).rename(columns={"emergency_transfers": "transfers", "hospital_referrals": "referrals"})
    df["first_session"] = [first_by_site[s] for s in df["site_id"]]
    return df


class DemoGenerator:
    """Builds every demo table from one seeded random generator."""

    def __init__(self, session: Session, *, seed: int, end: date, years: int,
                 departements: tuple[str, ...], geo_dir: Path = GEO_DIR, now: datetime | None = None) -> None:
        self.s = session
        self.seed = seed
        # the clock today's tours are planted at (aware, or naive UTC): stops before it done, the one under
        # way started, the later ones planned — so a first start shows a tour in progress
        now = now or datetime.now(UTC)
        self.now_local = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(PARIS).replace(tzinfo=None)
        self.geo_dir = geo_dir
        self.rng = random.Random(seed)
        self.end = end
        self.start = date(end.year - years, end.month, 1)  # whole months, `years` back
        self.deps = departements
        self.communes: list[CommuneRow] = []
        self.sources: dict[str, int] = {}
        self.received = to_utc(datetime.combine(end, datetime.min.time()) + timedelta(hours=23))  # bulk imports
        # when each event reached us: a few minutes after it, a small share late; its own generator, so the
        # events themselves are the same as without it; never after the generation clock
        self.lag = random.Random(f"{seed}-receipts")
        self.latest = max(to_utc(self.now_local), self.received)
        self.counts: dict[str, int] = {}

    def _receipt(self, moment: datetime, *, late_share: float, late_minutes: tuple[int, int]) -> datetime:
        """When an event of `moment` (naive UTC) was received: 1–15 minutes later, or late for `late_share`."""
        delay = self.lag.randint(1, 15)
        if self.lag.random() < late_share:
            delay += self.lag.randint(*late_minutes)
        return min(moment + timedelta(minutes=delay), self.latest)


    # -- helpers --------------------------------------------------------------------------
    def _bulk(self, model, rows: list[dict]) -> None:
        for i in range(0, len(rows), BATCH):
            self.s.execute(insert(model), rows[i:i + BATCH])
        self.counts[model.__tablename__] = self.counts.get(model.__tablename__, 0) + len(rows)

    def _near(self, origin: CommuneRow, radius_km: float, max_pop: int | None = None) -> list[CommuneRow]:
        distances = pairwise_km(np.array([origin.lat]), np.array([origin.lon]),
                                np.array([c.lat for c in self.communes]), np.array([c.lon for c in self.communes]))[0]
        return [c for c, km in zip(self.communes, distances, strict=True)
                if c.insee != origin.insee and km <= radius_km and (max_pop is None or c.population <= max_pop)]

    def _weighted_commune(self, candidates: list[CommuneRow]) -> CommuneRow:
        return self.rng.choices(candidates, weights=[max(c.population, 1) for c in candidates])[0]

    # -- reference data -------------------------------------------------------------------
    def reference(self) -> None:
        load_territory(self.s, departements=self.deps, geo_dir=self.geo_dir)
        self.communes = read_communes(self.geo_dir, departements=self.deps)
        self.by_insee = {c.insee: c for c in self.communes}
        self.s.add_all(College(slug=slug, label=label) for slug, label in COLLEGES.items())
        self.s.flush()
        self.s.add_all(Grant(college_slug=c, dataset=d, level=lvl)
                       for c, grants in DEFAULT_GRANTS.items() for d, lvl in grants.items())
        for acc in demo_accounts():
            create_user(self.s, email=acc.email, full_name=acc.full_name, password=acc.password,
                        role=acc.role, college=acc.college)
        now = utcnow()
        for kind, name in ((FeedKind.TELECONSULTATION, "Démo — plateforme de téléconsultation"),
                           (FeedKind.MOBILE, "Démo — télématique des cabinets mobiles"),
                           (FeedKind.BIOLOGY, "Démo — passerelle des automates de biologie"),
                           (FeedKind.WORKFORCE, "Démo — extraction RPPS"),
                           (FeedKind.PROGRAMME, "Démo — évaluation du programme")):
            src = FeedSource(name=name, feed_kind=kind.value, created_at=now)
            self.s.add(src)
            self.s.flush()
            self.sources[kind.value] = src.id

    def sites(self) -> None:
        rng = self.rng
        sites: list[dict] = []
        used = set()
        for code, name, insee, residents in NAMED_EHPADS:
            if insee in self.by_insee:
                sites.append(dict(code=code, name=name, kind="ehpad", commune_insee=insee,
                                  residents=residents, teleconsultation=True,
                                  opened_on=self.start))
                used.add(insee)
        for dep in self.deps:
            dep_communes = [c for c in self.communes if c.departement == dep]
            pop = sum(c.population for c in dep_communes)
            target = max(3, round(pop / 10_000 * EHPADS_PER_10K * (0.6 if dep == "54" else 1.0)))
            towns = sorted((c for c in dep_communes if c.population >= 700 and c.insee not in used),
                           key=lambda c: -c.population)
            picks = towns[: target * 2]
            rng.shuffle(picks)
            share_tc = 0.8 if dep == "55" else 0.5
            for c in picks[: max(0, target - sum(1 for s in sites if s["commune_insee"][:2] == dep))]:
                used.add(c.insee)
                active = rng.random() < share_tc
                opened = self.start + timedelta(days=rng.randint(0, 500)) if active else None
                sites.append(dict(code=f"EHPAD-{c.insee}", name=f"EHPAD {de(c.name)}", kind="ehpad",
                                  commune_insee=c.insee, residents=rng.randint(45, 110),
                                  teleconsultation=active, opened_on=opened))
            for c in [t for t in towns if t.insee not in used][: 4 if dep != "54" else 6]:
                kind = rng.choice(["centre_sante", "centre_sante", "pharmacie"])
                label = "Maison de santé" if kind == "centre_sante" else "Pharmacie"
                sites.append(dict(code=f"{kind.upper()}-{c.insee}", name=f"{label} {de(c.name)}", kind=kind,
                                  commune_insee=c.insee, residents=None, teleconsultation=True,
                                  opened_on=self.start + timedelta(days=rng.randint(0, 300))))
        self._bulk(Site, sites)
        self.site_rows = [dict(r, id=i + 1) for i, r in enumerate(sites)]

    # -- teleconsultation -----------------------------------------------------------------
    def teleconsultations(self) -> None:
        rng = self.rng
        rows = []
        src = self.sources[FeedKind.TELECONSULTATION.value]
        specialties = ["medecine_generale", "geriatrie", "dermatologie", "cardiologie", "psychiatrie",
                       "plaies_cicatrisation", "neurologie", "endocrinologie"]
        weights_ehpad = [30, 18, 14, 10, 10, 12, 3, 3]
        weights_other = [55, 2, 15, 10, 8, 3, 4, 3]
        nearby = {s["commune_insee"]: self._near(self.by_insee[s["commune_insee"]], 15)
                  for s in self.site_rows}
        n = 0
        for site in self.site_rows:
            if not site["teleconsultation"] or site["opened_on"] is None:
                continue
            is_ehpad = site["kind"] == "ehpad"
            base_rate = (site["residents"] or 60) / 100 * 0.9 if is_ehpad else 1.6
            for d in _days(max(site["opened_on"], self.start), self.end):
                if d.weekday() >= 5:
                    continue
                ramp = min(1.0, 0.4 + (d - site["opened_on"]).days / 365)
                for _ in range(_poisson(rng, base_rate * ramp)):
                    n += 1
                    start_local = datetime.combine(d, datetime.min.time()) + timedelta(
                        hours=rng.randint(8, 17), minutes=rng.choice([0, 15, 30, 45]))
                    age_progress = (d - self.start).days / max(1, (self.end - self.start).days)
                    failure_p = 0.06 - 0.035 * age_progress  # connectivity improves over time
                    r = rng.random()
                    status = ("technical_failure" if r < failure_p else
                              "cancelled" if r < failure_p + 0.05 else
                              "no_show" if r < failure_p + 0.05 + (0.01 if is_ehpad else 0.06) else
                              "completed")
                    if is_ehpad:
                        band = rng.choices(AGE_BANDS, weights=[0, 0, 1, 8, 36, 55])[0]
                        commune = site["commune_insee"]
                    else:
                        band = rng.choices(AGE_BANDS, weights=[10, 16, 22, 24, 18, 10])[0]
                        commune = (self._weighted_commune(nearby[site["commune_insee"]]).insee
                                   if nearby[site["commune_insee"]] and rng.random() < 0.6
                                   else site["commune_insee"])
                    completed = status == "completed"
                    rows.append(dict(
                        source_id=src, source_event_id=f"TC-{site['code']}-{n:07d}", received_at=self.received,
                        site_id=site["id"], started_at=to_utc(start_local), day=d,
                        duration_min=max(5, int(rng.lognormvariate(math.log(18), 0.4))) if completed else None,
                        specialty=rng.choices(specialties, weights=weights_ehpad if is_ehpad else weights_other)[0],
                        requester_type=rng.choices(REQUESTER_TYPES, weights=[55, 20, 15, 10] if is_ehpad
                                                   else [20, 0, 50, 30])[0],
                        patient_age_band=band, patient_commune_insee=commune, status=status,
                        outcome=rng.choices(["resolved", "follow_up", "referral", "emergency_transfer"],
                                            weights=[62, 25, 10, 3])[0] if completed else None,
                    ))
        for row in rows:  # reported a few minutes after the session's end; 3 % more than an hour late
            ended = row["started_at"] + timedelta(minutes=row["duration_min"] or 0)
            row["received_at"] = self._receipt(ended, late_share=0.03, late_minutes=(90, 360))
        # one equipped EHPAD went silent over the last week: /flux lists it, the page says its data are incomplete
        named = {e[0] for e in NAMED_EHPADS}
        long_open = self.end - timedelta(days=180)
        quiet = next((s for s in self.site_rows if s["kind"] == "ehpad" and s["teleconsultation"]
                      and s["code"] not in named and s["opened_on"] and s["opened_on"] < long_open), None)
        if quiet:
            rows = [r for r in rows if r["site_id"] != quiet["id"] or r["day"] <= self.end - timedelta(days=8)]
        self.first_completed: dict[int, date] = {}
        for row in rows:
            if row["status"] == "completed" and row["day"] < self.first_completed.get(row["site_id"], date.max):
                self.first_completed[row["site_id"]] = row["day"]
        self._bulk(TeleconsultationSession, rows)

    # -- EHPAD activity records (before and after the first teleconsultation) -------------
    def ehpad_activity(self, *, transfer_effect: float = DEFAULT_TRANSFER_EFFECT,
                       referral_effect: float = DEFAULT_REFERRAL_EFFECT) -> None:
        """Each EHPAD's monthly record from `EHPAD_HISTORY_MONTHS` before the demo's first month to the last
        complete month, with the planted effect from the month of its first completed session (as the
        dashboard reads it from the teleconsultation data); EHPADs never equipped are the comparison group."""
        from data.filters import add_months

        src = self.sources[FeedKind.PROGRAMME.value]
        last = add_months((self.end + timedelta(days=1)).replace(day=1), -1)  # the last complete month
        months, m = [], add_months(self.start, -EHPAD_HISTORY_MONTHS)
        while m <= last:
            months.append(m)
            m = add_months(m, 1)
        plans = [EhpadPlan(site["id"], site["residents"] or 60,
                           self.first_completed[site["id"]].replace(day=1) if site["id"] in self.first_completed
                           else None)
                 for site in self.site_rows if site["kind"] == "ehpad"]
        rows = ehpad_activity_rows(np.random.default_rng(self.seed + 19), plans, months,
                                   transfer_effect=transfer_effect, referral_effect=referral_effect)
        codes = {site["id"]: site["code"] for site in self.site_rows}
        for row in rows:
            row.update(source_id=src, source_event_id=f"EHPAD-ACT-{codes[row['site_id']]}-{row['month']:%Y-%m}",
                       received_at=self.received)
        self._bulk(EhpadActivity, rows)

    # -- mobile offices -------------------------------------------------------------------
    def mobile(self) -> None:
        rng = self.rng
        src = self.sources[FeedKind.MOBILE.value]
        units = [(code, name, insee) for code, name, insee in MOBILE_BASES if insee in self.by_insee]
        self._bulk(MobileUnit, [dict(code=c, name=n, departement_code=self.by_insee[i].departement)
                                for c, n, i in units])
        stops, positions = [], []
        horizon = self.end + timedelta(days=14)  # next two weeks are planned, not yet done
        for unit_id, (code, _name, base_insee) in enumerate(units, start=1):
            base = self.by_insee[base_insee]
            villages = sorted((c for c in self._near(base, 28, max_pop=1200) if c.departement == base.departement),
                              key=lambda c: c.insee)
            rng.shuffle(villages)
            # Weekly round: Monday..Friday, morning and afternoon stops in 10 villages.
            round_ = villages[:10]
            n = 0
            for d in _days(self.start, horizon):
                if d.weekday() >= 5:
                    continue
                for half in (0, 1):
                    village = round_[(d.weekday() * 2 + half) % len(round_)]
                    n += 1
                    arrival = datetime.combine(d, datetime.min.time()) + timedelta(hours=9 if half == 0 else 14)
                    departure = arrival + timedelta(hours=3)
                    future = d > self.end
                    cancelled = not future and rng.random() < 0.07
                    status = "planned" if future else "cancelled" if cancelled else "completed"
                    slots = 12
                    weeks_in = (d - self.start).days / 7
                    consults = 0 if status != "completed" else min(slots, max(0, int(rng.gauss(9.5, 1.8))))
                    new_p = 0 if consults == 0 else min(consults, _poisson(rng, max(0.4, 3.0 - weeks_in * 0.02)))
                    late = timedelta(minutes=rng.randint(-5, 25))
                    if d == self.now_local.date() and future:
                        stop, track = self._today_stop(d, half, arrival, departure, base,
                                                       round_[(d.weekday() * 2) % len(round_)], village)
                        stops.append(dict(source_id=src, source_event_id=f"{code}-STOP-{n:06d}",
                                          received_at=self.received, unit_id=unit_id, commune_insee=village.insee,
                                          day=d, **stop))
                        positions.extend(dict(source_id=src, source_event_id=f"{code}-POS-{n:06d}-{k}",
                                              received_at=self.received, unit_id=unit_id, day=d, **p)
                                         for k, p in enumerate(track))
                        continue
                    stops.append(dict(
                        source_id=src, source_event_id=f"{code}-STOP-{n:06d}", received_at=self.received,
                        unit_id=unit_id, commune_insee=village.insee, day=d,
                        planned_arrival=to_utc(arrival), planned_departure=to_utc(departure),
                        actual_arrival=to_utc(arrival + late) if status == "completed" else None,
                        actual_departure=to_utc(departure + late) if status == "completed" else None,
                        status=status, slots_offered=slots if status != "cancelled" else 0,
                        consultations=consults, new_patients=new_p))
                    if status == "completed" and d > self.end - timedelta(days=60):
                        # GPS track of the last two months: leaving base, halfway, at the stop.
                        for k, frac in enumerate((0.0, 0.5, 1.0)):
                            t = arrival - timedelta(minutes=int(40 * (1 - frac)))
                            positions.append(dict(
                                source_id=src, source_event_id=f"{code}-POS-{n:06d}-{k}",
                                received_at=self.received, unit_id=unit_id, recorded_at=to_utc(t), day=d,
                                lat=round(base.lat + (village.lat - base.lat) * frac, 5),
                                lon=round(base.lon + (village.lon - base.lon) * frac, 5)))
        # one stop of last week was never confirmed: still « planned » after its day
        forgotten = next((st for st in stops if st["unit_id"] == 1 and st["status"] == "completed"
                          and st["day"] >= self.end - timedelta(days=3)), None)
        if forgotten:
            forgotten.update(status="planned", actual_arrival=None, actual_departure=None, consultations=0,
                             new_patients=0)
        for stop in stops:  # sent when planned (a week ahead), re-sent when done or called off: most the same day
            if stop["status"] == "planned":
                stop.update(received_at=min(stop["planned_arrival"] - timedelta(days=7), self.latest),
                            confirmed_at=None)
            else:
                done = stop["actual_departure"] or stop["planned_arrival"]
                confirmed = self._receipt(done, late_share=0.04, late_minutes=(12 * 60, 20 * 60))
                stop.update(received_at=confirmed, confirmed_at=confirmed)
        for position in positions:
            position["received_at"] = self._receipt(position["recorded_at"], late_share=0.0, late_minutes=(0, 0))
        self._bulk(MobileStop, stops)
        self._bulk(VehiclePosition, positions)

    def _today_stop(self, d: date, half: int, arrival: datetime, departure: datetime,
                    base: CommuneRow, morning: CommuneRow, village: CommuneRow) -> tuple[dict, list[dict]]:
        """A stop of today's tour as the vehicle's telematics would have reported it by `now_local` (Paris
        wall time): done, under way (arrived, not left) or still to come; and the GPS track so far.

        Its own random generator (seed, day, half), so the clock changes nothing else in the demo: the
        afternoon's delay carries the morning's (a late morning makes a late afternoon)."""
        morning_late = timedelta(minutes=random.Random(f"{self.seed}-{d.isoformat()}-{base.insee}").randint(-5, 25))
        rng = random.Random(f"{self.seed}-{d.isoformat()}-{base.insee}-{half}")
        delay = morning_late if half == 0 else morning_late + timedelta(minutes=rng.randint(-10, 15))
        now = self.now_local
        arrived, left = arrival + delay, departure + delay
        cancelled = rng.random() < 0.07 and now >= arrival - timedelta(hours=1)  # called off on the day
        status = "cancelled" if cancelled else "completed" if now >= left else "planned"
        consults = min(12, max(0, int(rng.gauss(9.5, 1.8)))) if status == "completed" else 0
        stop = dict(planned_arrival=to_utc(arrival), planned_departure=to_utc(departure),
                    actual_arrival=to_utc(arrived) if not cancelled and now >= arrived else None,
                    actual_departure=to_utc(left) if status == "completed" else None, status=status,
                    slots_offered=12 if not cancelled else 0, consultations=consults,
                    new_patients=min(consults, _poisson(rng, 1.0)) if consults else 0)
        track = []
        origin = base if half == 0 else morning
        for frac, at in ((0.0, arrived - timedelta(minutes=40)), (0.5, arrived - timedelta(minutes=20)),
                         (1.0, arrived), (1.0, left)):
            if not cancelled and at <= now:
                track.append(dict(recorded_at=to_utc(at), lat=round(origin.lat + (village.lat - origin.lat) * frac, 5),
                                  lon=round(origin.lon + (village.lon - origin.lon) * frac, 5)))
        if half == 1 and not cancelled and left + timedelta(minutes=40) <= now:  # back at base for the night
            track.append(dict(recorded_at=to_utc(left + timedelta(minutes=40)), lat=base.lat, lon=base.lon))
        return stop, track

    # -- point-of-care biology --------------------------------------------------------------
    def biology(self) -> None:
        rng = self.rng
        src = self.sources[FeedKind.BIOLOGY.value]
        ehpads = [s for s in self.site_rows if s["kind"] == "ehpad"]
        named = [s for s in ehpads if s["code"] in {e[0] for e in NAMED_EHPADS}]
        others = [s for s in ehpads if s not in named and s["commune_insee"][:2] in ("55", "52")]
        equipped = named + others[:9]
        devices, results, statuses = [], [], []
        device_id = 0
        silent_device = None
        for site in equipped:
            installed = self.start + timedelta(days=rng.randint(0, 200)) if site not in named else self.start
            for model in sorted(set(DEVICE_MODELS.values())):
                device_id += 1
                devices.append(dict(serial=f"POC-{site['code']}-{model.replace(' ', '')}", model=model,
                                    site_id=site["id"]))
                tests = [t for t in BIOLOGY_TESTS if DEVICE_MODELS[t.key] == model]
                # One device goes silent 9 days before the end: it must show as such.
                stops_on = self.end - timedelta(days=9) if silent_device is None and site not in named else None
                if stops_on:
                    silent_device = device_id
                n = 0
                for d in _days(installed, stops_on or self.end):
                    for test in (tests if d.weekday() != 6 else []):  # no sampling on Sundays; status daily
                        for _ in range(_poisson(rng, (site["residents"] or 60) / 150)):
                            n += 1
                            value = self._bio_value(test.key)
                            sampled = datetime.combine(d, datetime.min.time()) + timedelta(
                                hours=rng.randint(7, 11), minutes=rng.randint(0, 59))
                            resulted = sampled + timedelta(minutes=rng.randint(3, 14))
                            transmitted = (resulted + timedelta(minutes=int(rng.expovariate(1 / 20)) + 1)
                                           if rng.random() > 0.02 else None)
                            results.append(dict(
                                source_id=src, source_event_id=f"BIO-{device_id}-{n:07d}",
                                received_at=self.received, device_id=device_id, site_id=site["id"],
                                loinc=test.loinc, value=value, unit=test.unit, ref_low=test.ref_low,
                                ref_high=test.ref_high, abnormal=not (test.ref_low <= value <= test.ref_high),
                                sampled_at=to_utc(sampled), resulted_at=to_utc(resulted),
                                transmitted_at=to_utc(transmitted) if transmitted else None, day=d))
                    status_time = datetime.combine(d, datetime.min.time()) + timedelta(hours=6)
                    statuses.append(dict(
                        source_id=src, source_event_id=f"DEV-{device_id}-{d.isoformat()}",
                        received_at=self.received, device_id=device_id, recorded_at=to_utc(status_time), day=d,
                        battery_pct=rng.randint(35, 100),
                        qc_status="failed" if rng.random() < 0.025 else "passed",
                        error_code="E-QC-LOT" if rng.random() < 0.01 else None))
        for result in results:
            result["received_at"] = self._receipt(result["transmitted_at"] or result["resulted_at"], late_share=0.0,
                                                  late_minutes=(0, 0))
        for status in statuses:  # 2 % reach us only the next day (gateway offline overnight)
            status["received_at"] = self._receipt(status["recorded_at"], late_share=0.02,
                                                  late_minutes=(18 * 60, 30 * 60))
        gaps = self._device_gaps(devices, equipped, silent_device)
        statuses = [st for st in statuses if st["day"] not in gaps.get(st["device_id"], ())]
        self._bulk(Device, devices)
        self._bulk(BiologyResult, results)
        self._bulk(DeviceStatus, statuses)

    def _device_gaps(self, devices: list[dict], equipped: list[dict], silent_device: int | None) -> dict[int, set]:
        """Two devices skipped status reports last week (three days in all): /flux lists them with their days."""
        ids = {d["serial"]: i for i, d in enumerate(devices, start=1)}
        gaps: dict[int, set] = {}
        candidates = [(1, "i-STAT", (2, 4)), (len(NAMED_EHPADS) + 1, "Afinion 2", (5,))]
        for index, model, days_back in candidates:
            if index >= len(equipped):
                continue
            site = equipped[index]
            device = ids.get(f"POC-{site['code']}-{model.replace(' ', '')}")
            if device is not None and device != silent_device:
                gaps[device] = {self.end - timedelta(days=k) for k in days_back}
        return gaps

    def _bio_value(self, key: str) -> float:
        g = self.rng.gauss
        if key == "inr":
            return round(max(0.9, g(2.55, 0.6)), 1)
        if key == "crp":
            return round(max(0.5, self.rng.lognormvariate(math.log(4), 1.0)), 1)
        if key == "hba1c":
            return round(max(4.2, g(6.1, 0.8)), 1)
        if key == "hb":
            return round(max(7.0, g(12.6, 1.4)), 1)
        if key == "k":
            return round(max(2.6, g(4.3, 0.5)), 1)
        return round(max(35.0, g(98, 28)), 0)

    # -- workforce ------------------------------------------------------------------------
    def _birth_year(self, key: str, dep: str) -> int:
        """A birth year drawn so that the profession's share aged 60+ is AGED_60_PLUS[key] (rural or urban)."""
        rural, urban = AGED_60_PLUS[key]
        youngest, oldest = WORKING_AGES[key]
        if self.rng.random() < (urban if dep == URBAN_DEPARTEMENT else rural):
            return self.rng.randint(self.end.year - oldest, self.end.year - 60)
        return self.rng.randint(self.end.year - 59, self.end.year - youngest)

    def workforce(self) -> None:
        rng = self.rng
        src = self.sources[FeedKind.WORKFORCE.value]
        # Density per 10,000 inhabitants by profession; Meurthe-et-Moselle (Nancy) is better served.
        density = {"medecin_gp": (6.6, 9.8), "medecin_spe": (2.5, 9.0), "infirmier": (14.0, 12.5),
                   "pharmacien": (6.0, 6.8), "chirurgien_dentiste": (3.6, 5.6),
                   "masseur_kinesitherapeute": (7.0, 11.0), "sage_femme": (1.2, 2.0)}
        specialties_spe = ["cardiologie", "psychiatrie", "ophtalmologie", "pediatrie", "gynecologie",
                           "dermatologie", "geriatrie"]
        rows = []
        n = 0
        for dep in self.deps:
            dep_communes = [c for c in self.communes if c.departement == dep]
            pop = sum(c.population for c in dep_communes)
            towns = [c for c in dep_communes if c.population >= 500] or dep_communes
            big = [c for c in dep_communes if c.population >= 5000] or towns
            for key, (rural, urban) in density.items():
                per10k = urban if dep == "54" else rural
                count = round(pop / 10_000 * per10k)
                # Departures over the period exceed arrivals: extra practitioners who left.
                leavers_extra = round(count * (0.14 if dep != "54" else 0.08))
                for i in range(count + leavers_extra):
                    n += 1
                    profession = "medecin" if key.startswith("medecin") else key
                    specialty = ("medecine_generale" if key == "medecin_gp" else
                                 rng.choice(specialties_spe) if key == "medecin_spe" else None)
                    commune = self._weighted_commune(big if key == "medecin_spe" else towns)
                    birth_year = self._birth_year(key, dep)
                    age_at_end = self.end.year - birth_year
                    arrival_in_period = i < count and rng.random() < (0.05 if dep != "54" else 0.08)
                    if arrival_in_period:
                        start = self.start + timedelta(days=rng.randint(0, (self.end - self.start).days))
                    else:
                        start = date(max(birth_year + 27, self.end.year - 40), rng.randint(1, 12), 1)
                        start = min(start, self.start - timedelta(days=30))
                    end = None
                    if i >= count:  # a departure during the period (retirement most of the time)
                        end = self.start + timedelta(days=rng.randint(10, (self.end - self.start).days))
                        if age_at_end < 62:  # most who leave retire
                            birth_year = rng.randint(self.end.year - WORKING_AGES[key][1], self.end.year - 64)
                    rpps = f"10{n:09d}"
                    rows.append(dict(
                        source_id=src, source_event_id=f"RPPS-{rpps}", received_at=self.received,
                        rpps_hash=rpps_hash(rpps), profession=profession, specialty=specialty,
                        commune_insee=commune.insee, birth_year=birth_year, activity_start=start,
                        activity_end=end, fte=rng.choice([1.0, 1.0, 1.0, 0.8, 0.5])))
        self._bulk(HealthProfessional, rows)

    # -- programme indicators ------------------------------------------------------------
    def programme(self) -> None:
        rng = self.rng
        src = self.sources[FeedKind.PROGRAMME.value]
        indicators = [
            ("prevention_ados", "utilisateurs_actifs", "adolescents", 400, 900),
            ("soins_domicile", "mois_vie_autonome_domicile", "mois (moyenne)", 14, 20),
            ("nutrition_domicile", "personnes_agees_depistees_pct", "%", 25, 60),
            ("perinatalite", "femmes_accompagnees", "femmes", 60, 140),
            ("snacs", "ruptures_parcours_pour_1000", "pour 1 000 patients", 48, 30),
            ("teleconsultation", "renoncement_soins_pct", "%", 17, 11),
            ("installation_etudiants", "boursiers_installes", "étudiants", 0, 12),
        ]
        assert {i[0] for i in indicators} <= set(EXPERIMENTS)
        rows = []
        settled: dict[str, int] = {}
        holders: list[tuple[str, date, date, int]] = []  # (département, quarter, newly settled holders)
        q = date(self.start.year, 3 * ((self.start.month - 1) // 3) + 1, 1)
        quarters = []
        while True:  # completed quarters only: a value is reported once its quarter has ended
            nxt = date(q.year + (q.month + 3 > 12), (q.month + 3 - 1) % 12 + 1, 1)
            if nxt - timedelta(days=1) > self.end:
                break
            quarters.append((q, nxt - timedelta(days=1)))
            q = nxt
        for dep in self.deps:
            scale = 2.5 if dep == "54" else 1.0
            for experiment, indicator, unit, start_v, target_v in indicators:
                for k, (q0, q1) in enumerate(quarters):
                    progress = (k + 1) / len(quarters)
                    noise = rng.gauss(0, abs(target_v - start_v) * 0.06)
                    value = start_v + (target_v - start_v) * progress * rng.uniform(0.75, 1.0) + noise
                    if indicator == "boursiers_installes" and k < GRANT_HOLDERS_FIRST_QUARTER:
                        value = 0.0  # the first grant holders are still studying: none settled in the first year
                    if unit in COUNT_UNITS:  # people are counted in whole numbers
                        value = round(value * scale)
                    if indicator == "boursiers_installes":  # a stock of holders settled: it never goes down
                        value = max(value, settled.get(dep, 0))
                        holders.append((dep, q0, q1, int(value) - settled.get(dep, 0)))
                        settled[dep] = int(value)
                    rows.append(dict(
                        source_id=src, source_event_id=f"IND-{experiment}-{indicator}-{dep}-{q0.isoformat()}",
                        received_at=self.received, experiment=experiment, indicator=indicator,
                        territory_level="departement", territory_code=dep, departement_code=dep,
                        period_start=q0, period_end=q1, value=round(max(0.0, value), 1),
                        target=round(target_v * (scale if unit in COUNT_UNITS else 1), 1),
                        unit=unit))
        self._bulk(ProgrammeIndicatorValue, rows)
        self._grant_holders(holders)

    def _grant_holders(self, holders: list[tuple[str, date, date, int]]) -> None:
        """The study-grant holders the programme reports settled are young GPs in the registry: each settles in
        a town of its département during the quarter it is first counted (its own generator: the rest of the
        demo is unchanged). So the GP density after the first holder has something true to show."""
        rng = random.Random(f"{self.seed}-grant-holders")
        src = self.sources[FeedKind.WORKFORCE.value]
        rows, n = [], 0
        for dep, q0, q1, count in holders:
            towns = [c for c in self.communes if c.departement == dep and c.population >= 500]
            for _ in range(max(0, count)):
                n += 1
                start = q0 + timedelta(days=rng.randint(0, min((q1 - q0).days, max(0, (self.end - q0).days))))
                rpps = f"20{n:09d}"
                rows.append(dict(
                    source_id=src, source_event_id=f"RPPS-{rpps}", received_at=self.received,
                    rpps_hash=rpps_hash(rpps), profession="medecin", specialty="medecine_generale",
                    commune_insee=rng.choices(towns, weights=[c.population for c in towns])[0].insee,
                    birth_year=self.end.year - rng.randint(WORKING_AGES["medecin_gp"][0], 34), activity_start=start,
                    activity_end=None, fte=1.0))
        self._bulk(HealthProfessional, rows)


DOUBTFUL_RESULTS = (("k", 12.8), ("hb", 31.0), ("inr", 24.0))  # outside the tests' physiological limits


def plant_quality_doubts(session: Session, *, sources: dict[str, int], end: date) -> int:
    """A few doubtful but possible events fed through the real pipeline, as a sender would: results outside
    their test's physiological limits and one practitioner sent again at another commune. The pipeline
    accepts and flags them, so /flux's « Qualité des données » shows true flags. Returns the events sent."""
    from sqlalchemy import select

    from data.ingestion.pipeline import ENDPOINTS, ingest
    from data.models import Commune

    by_key = {t.key: t for t in BIOLOGY_TESTS}
    serials: dict[str, str] = {}
    for serial, model in session.execute(select(Device.serial, Device.model).order_by(Device.serial)):
        serials.setdefault(model, serial)
    sampled = datetime.combine(end, datetime.min.time().replace(hour=9), tzinfo=PARIS)
    results = [{"event_id": f"BIO-DOUTE-{i + 1}", "device_serial": serials[DEVICE_MODELS[key]],
                "loinc": by_key[key].loinc, "value": value, "unit": by_key[key].unit,
                "sampled_at": (sampled + timedelta(minutes=40 * i)).isoformat(),
                "resulted_at": (sampled + timedelta(minutes=40 * i + 9)).isoformat(),
                "transmitted_at": (sampled + timedelta(minutes=40 * i + 25)).isoformat()}
               for i, (key, value) in enumerate(DOUBTFUL_RESULTS) if DEVICE_MODELS[key] in serials]
    sent = 0
    if results:
        ingest(session, source=session.get(FeedSource, sources[FeedKind.BIOLOGY.value]),
               endpoint=ENDPOINTS["biology/results"], items=results)
        sent += len(results)
    pro = session.scalars(select(HealthProfessional).where(
        HealthProfessional.source_id == sources[FeedKind.WORKFORCE.value], HealthProfessional.profession == "medecin",
        HealthProfessional.activity_end.is_(None)).order_by(HealthProfessional.source_event_id).limit(1)).first()
    if pro is not None:
        dep = session.scalar(select(Commune.departement_code).where(Commune.insee == pro.commune_insee))
        other = session.scalar(select(Commune.insee).where(
            Commune.departement_code == dep, Commune.insee != pro.commune_insee, Commune.population >= 500)
            .order_by(Commune.insee).limit(1))
        if other is not None:
            ingest(session, source=session.get(FeedSource, sources[FeedKind.WORKFORCE.value]),
                   endpoint=ENDPOINTS["workforce/practitioners"], items=[{
                       "event_id": f"{pro.source_event_id}-BIS", "rpps_hash": pro.rpps_hash,
                       "profession": pro.profession, "specialty": pro.specialty, "commune": other,
                       "birth_year": pro.birth_year, "activity_start": pro.activity_start.isoformat(),
                       "activity_end": None, "fte": pro.fte}])
            sent += 1
    return sent


# Example rules of the demo (nobody subscribed: each user chooses on /alertes what to receive by mail).
DEMO_ALERT_RULES = (
    ("Automates de biologie silencieux", "device_silent", 48, "critical"),
    ("Contrôle qualité en échec", "device_qc_failed", None, "warning"),
    ("Batterie d'automate faible", "device_battery_low", 15, "info"),
    ("Source de flux silencieuse", "source_silent", 24, "critical"),
    ("Taux de refus d'une source", "source_reject_rate", 20, "warning"),
    ("Résultats anormaux en EHPAD", "biology_abnormal_rate", 45, "warning"),
    ("Échecs techniques de téléconsultation", "teleconsultation_failure_rate", 15, "warning"),
    ("Arrêts de cabinet mobile annulés", "mobile_cancelled", 3, "warning"),
    ("Indicateurs du programme hors cible", "programme_off_target", None, "info"),
)


def demo_alert_rules(session: Session) -> int:
    """The demo's example alert rules, on the whole territory."""
    from data.alerts import KINDS
    from data.models import AlertRule

    now = utcnow()
    for name, kind, threshold, severity in DEMO_ALERT_RULES:
        spec = KINDS[kind]
        session.add(AlertRule(name=name, kind=kind, dataset=spec.dataset.value,
                              params={spec.param: float(threshold)} if threshold is not None else {},
                              departements=None, severity=severity, active=True, created_at=now))
    session.flush()
    return len(DEMO_ALERT_RULES)


def clear(session: Session) -> None:
    """Empty every table the generator fills (children first)."""
    from data.models import Base

    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "alembic_version":
            session.execute(delete(table))


def generate(session: Session, *, seed: int = DEFAULT_SEED, end: date | None = None, years: int = 2,
             departements: tuple[str, ...] = ("52", "54", "55"), live_tail: int = 0,
             geo_dir: Path = GEO_DIR, now: datetime | None = None,
             ehpad_effect: float = DEFAULT_TRANSFER_EFFECT) -> dict[str, int]:
    """Fill an empty (or emptied) database; returns row counts per table.

    `ehpad_effect` is the change in EHPADs' emergency transfers planted from their first teleconsultation
    (−20 % by default; referrals −10 %): what /evaluation's estimates should find.

    `geo_dir` holds the geography files (data/geo by default; the bench's L scale builds its own).

    `now` (the current time by default) is the clock today's tours are planted at, when today is in the
    planned horizon (the day after `end`, say): stops done, under way and to come, with their GPS track.

    `live_tail` events (5 % malformed) then go through the real ingestion pipeline, as the demo
    sources' latest delivery: the feed-health page shows freshness, rates and rejects from it.
    """
    end = end or (datetime.now(PARIS).date() - timedelta(days=1))
    clear(session)
    gen = DemoGenerator(session, seed=seed, end=end, years=years, departements=departements, geo_dir=geo_dir,
                        now=now)
    # PostgreSQL: a partition for each month of the data, so the rows go straight there (not to the default)
    partitions.ensure_range(session.connection(), gen.start, max(end, gen.now_local.date()))
    gen.reference()
    gen.sites()
    gen.teleconsultations()
    gen.ehpad_activity(transfer_effect=ehpad_effect)
    gen.mobile()
    gen.biology()
    gen.workforce()
    gen.programme()
    counts = dict(gen.counts)
    counts["alert_rule"] = demo_alert_rules(session)
    counts.update(rollups.rebuild_all(session))
    if live_tail:
        from data.simulator import World, feed_in_process

        session.flush()
        sources = {kind: session.get(FeedSource, source_id) for kind, source_id in gen.sources.items()}
        counts["live_tail"] = sum(feed_in_process(session, world=World.load(session, seed=seed), sources=sources,
                                                  count=live_tail).values())
    session.flush()
    counts["quality_doubts"] = plant_quality_doubts(session, sources=gen.sources, end=end)
    session.merge(SchemaInfo(key="demo", value=f"seed={seed};end={end.isoformat()};years={years};"
                                                f"departements={','.join(departements)}"))
    # planner statistics for the tables just filled: without them PostgreSQL picks nested loops over
    # whole rollups (the overview took 300 ms in SQL instead of 80) until autovacuum gets round to it
    session.flush()
    session.execute(text("ANALYZE"))
    session.add(AuditEvent(at=utcnow(), actor="système", action="demo.generate", target="database",
                           detail={"seed": seed, "end": end.isoformat(), "years": years}))
    return counts


def main(argv: list[str] | None = None) -> None:
    from data.db import make_engine, make_session_factory, session_scope, upgrade
    from settings import get_settings

    parser = argparse.ArgumentParser(description="Fill the configured database with demo data.")
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--end", type=date.fromisoformat, default=None)
    parser.add_argument("--departements", nargs="+", default=None)
    parser.add_argument("--live-tail", type=int, default=LIVE_TAIL_EVENTS,
                        help="events then fed through the ingestion pipeline (0: none)")
    parser.add_argument("--ehpad-effect", type=float, default=DEFAULT_TRANSFER_EFFECT,
                        help="change of EHPADs' emergency transfers planted from their first teleconsultation")
    args = parser.parse_args(argv)
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    t0 = time.perf_counter()
    with session_scope(make_session_factory(engine)) as session:
        counts = generate(session, seed=args.seed, end=args.end, years=args.years,
                          departements=tuple(args.departements or settings.departements), live_tail=args.live_tail,
                          ehpad_effect=args.ehpad_effect)
    for table, n in counts.items():
        print(f"{table}: {n}")
    print(f"demo data generated in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
