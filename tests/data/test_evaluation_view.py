"""The « Évaluation » view at both levels, on the demo database (planted effect: −20 % transfers), and its
exports."""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

from data import impact
from data.access import AccessScope, full_scope
from data.filters import Filters
from data.models import Dataset, EhpadActivity, Level, Site, TeleconsultationSession
from data.queries.common import Area
from data.queries.evaluation import ehpad_panel
from data.secrecy import SMALL_LABEL, is_small
from data.views.base import Detail, view_tables
from data.views.evaluation import EvaluationOptions, evaluation_view
from data.views.evaluation_ehpad import ESTIMATES, EVENT_TIME, PER_EHPAD, SERIES, _estimates_table, _Fitted
from tests.conftest import TERRITORY
from tests.csv_exports import read_export

ALL_MONTHS = Filters(TERRITORY, date(2026, 1, 1), date(2026, 6, 1), date(2026, 10, 31))


def member(level: str) -> AccessScope:
    return AccessScope(7, "member", "usagers", frozenset(TERRITORY), tuple((d.value, level) for d in Dataset))


def _view(db, scope, filters=ALL_MONTHS):
    return evaluation_view(db, scope=scope, filters=filters, options=EvaluationOptions())


def _texts(value) -> str:
    """Everything a view shows, as one text (frames, chart labels, series names, cards)."""
    out = []

    def walk(v):
        if isinstance(v, pd.DataFrame):
            out.append(v.to_csv())
        elif isinstance(v, (tuple, list)):
            for x in v:
                walk(x)
        elif is_dataclass(v) and not isinstance(v, type):
            for f in fields(v):
                walk(getattr(v, f.name))
        elif isinstance(v, str):
            out.append(v)
    walk(value)
    return "\n".join(out)


def test_detail_view_finds_the_planted_effect_and_gives_the_per_ehpad_series(db):
    view = _view(db, full_scope(TERRITORY))
    (section,) = [s for s in view.sections if s.key == "ehpad"]
    keys = {t.key for t in view_tables(view)}
    assert {ESTIMATES, EVENT_TIME, PER_EHPAD, SERIES} <= keys
    estimates = next(t for t in view_tables(view) if t.key == ESTIMATES).frame
    overall = estimates[(estimates["Territoire"] == "Ensemble du territoire choisi")
                        & (estimates["Indicateur"] == "Transferts aux urgences")]
    assert len(overall) == 2  # ITS and DiD
    for row in overall.itertuples(index=False):
        high = row[5]
        assert high < 0, row  # the planted −20 % is found: the interval excludes 0
        assert isinstance(row[6], int) and row[6] >= impact.MIN_EHPADS
    # per-EHPAD rows name the EHPADs of the demo
    names = set(db.scalars(select(Site.name).where(Site.kind == "ehpad")))
    per_ehpad = next(t for t in view_tables(view) if t.key == PER_EHPAD).frame
    assert set(per_ehpad["EHPAD"]) <= names and len(per_ehpad) > 10
    assert [s.key for s in section.stats] == ["eval-ehpad-transfers-its", "eval-ehpad-transfers-did",
                                              "eval-ehpad-referrals-its", "eval-ehpad-referrals-did"]
    assert all(s.value.endswith("%") for s in section.stats)


def test_summary_view_names_no_ehpad_and_publishes_no_small_count(db):
    view = _view(db, member("summary"))
    assert view.detail.summary and view.note
    (ehpad,) = [s for s in view.sections if s.key == "ehpad"]
    keys = {t.key for t in view_tables(ehpad)}
    assert keys == {ESTIMATES, EVENT_TIME}  # no per-EHPAD table nor series
    assert not {PER_EHPAD, SERIES} & {t.key for t in view_tables(view)}
    text = _texts(view)
    names = set(db.scalars(select(Site.name).where(Site.kind == "ehpad")))
    assert not [n for n in names if n in text]
    estimates = next(t for t in view_tables(view) if t.key == ESTIMATES).frame
    assert "Événements" not in estimates.columns  # no count of events at summary level
    for column in ("EHPAD équipés", "EHPAD de comparaison"):
        assert not [v for v in estimates[column] if not isinstance(v, str) and v == v and is_small(v)], column
    event_time = next(t for t in view_tables(view) if t.key == EVENT_TIME).frame
    assert "Événements" not in event_time.columns
    assert not [v for v in event_time["EHPAD"] if not isinstance(v, str) and is_small(v)]
    # summary and detail agree on the estimates themselves
    detail = next(t for t in view_tables(_view(db, full_scope(TERRITORY))) if t.key == ESTIMATES).frame
    assert list(estimates["Variation estimée (%)"]) == list(detail["Variation estimée (%)"])


def test_summary_table_hides_a_count_of_one_to_ten_ehpads():
    """The table builder itself: 4 equipped EHPADs read « < 11 » at summary, 4 at detail."""
    few = impact.Estimate(impact.DID, -0.1, -0.3, 0.1, 4, 12, 24, 300, 900)
    fits = [_Fitted("Meuse", "transfers", few)]
    area = Area(("55",), None, None, Level.SUMMARY)
    summary = _estimates_table(fits, Detail(Level.SUMMARY, area, ALL_MONTHS))
    detail = _estimates_table(fits, Detail(Level.DETAIL, area, ALL_MONTHS))
    assert summary.iloc[0]["EHPAD équipés"] == SMALL_LABEL and summary.iloc[0]["EHPAD de comparaison"] == "12"
    assert detail.iloc[0]["EHPAD équipés"] == 4 and detail.iloc[0]["Événements"] == 900
    too_few = impact.Estimate(impact.ITS, None, None, None, 2, 0, 24, 48, 90, "…", too_few=True)
    words = _estimates_table([_Fitted("Meuse", "transfers", too_few)], Detail(Level.SUMMARY, area, ALL_MONTHS))
    assert words.iloc[0]["Remarque"].startswith(f"Données insuffisantes : {SMALL_LABEL} EHPAD")
    assert "2 EHPAD" not in words.iloc[0]["Remarque"] and words.iloc[0]["EHPAD-mois"] == "48"


def test_too_few_ehpads_give_a_sentence(db):
    """A commune with one EHPAD (detail level): the estimates say why there is no number."""
    site = db.scalars(select(Site).where(Site.code == "EHPAD-55-BLANPAIN")).one()
    filters = Filters(("55",), date(2026, 1, 1), date(2026, 6, 1), date(2026, 10, 31), None, site.commune_insee)
    view = _view(db, full_scope(TERRITORY), filters)
    (section,) = [s for s in view.sections if s.key == "ehpad"]
    assert all(s.value == "Données insuffisantes" and "il en faut" in s.detail for s in section.stats)
    estimates = next(t for t in view_tables(view) if t.key == ESTIMATES).frame
    assert estimates["Variation estimée (%)"].isna().all() and estimates["Remarque"].str.startswith("Données").all()


def test_panel_reads_the_latest_record_of_each_month_and_the_first_session(db):
    area = Area(("55",), None, None, Level.DETAIL)
    site = db.scalars(select(Site).where(Site.code == "EHPAD-55-BLANPAIN")).one()
    earlier = db.scalars(select(EhpadActivity).where(EhpadActivity.site_id == site.id,
                                                     EhpadActivity.month == date(2026, 3, 1))).first()
    db.add(EhpadActivity(source_id=earlier.source_id, source_event_id=f"{earlier.source_event_id}-bis",
                         received_at=earlier.received_at, site_id=site.id, month=earlier.month,
                         residents=earlier.residents, emergency_transfers=earlier.emergency_transfers + 30,
                         hospital_referrals=earlier.hospital_referrals))  # a second record of March: it counts
    db.flush()
    panel = ehpad_panel(db, area=area, until=date(2026, 10, 31))
    named = panel[panel["site"] == "EHPAD Blanpain-Couchot"]
    site_id = int(named["site_id"].iloc[0])
    first = db.scalar(select(func.min(TeleconsultationSession.day)).where(
        TeleconsultationSession.site_id == site_id, TeleconsultationSession.status == "completed"))
    assert named["first_session"].iloc[0] == first.replace(day=1)
    assert named["month"].min() == date(2023, 10, 1) and named["month"].max() == date(2026, 10, 1)
    rows = db.execute(select(EhpadActivity.month, EhpadActivity.emergency_transfers)
                      .where(EhpadActivity.site_id == site_id).order_by(EhpadActivity.id)).all()
    assert dict(zip(named["month"], named["transfers"], strict=True)) == dict(rows)  # the latest record of a month
    assert dict(zip(named["month"], named["transfers"], strict=True))[date(2026, 3, 1)] >= 30
    never = panel[panel["first_session"].isna()]
    assert never["site_id"].nunique() >= impact.MIN_CONTROLS  # the comparison group (Meuse: 80 % equipped)


@pytest.mark.parametrize("who,level", [("recherche", "detail"), ("usagers", "summary")])
def test_exports_of_the_estimates_follow_the_level(auth, client, who, level):
    auth.login_as(who)
    response = client.get(f"/export/{ESTIMATES}.csv?dep=52,55&du=2026-01&au=2026-06")
    assert response.status_code == 200
    _meta, header, rows = read_export(response.get_data(as_text=True))
    assert header[:4] == ["Territoire", "Indicateur", "Méthode", "Variation estimée (%)"]
    assert ("Événements" in header) == (level == "detail") and len(rows) == 12  # 2 outcomes × 2 methods × 3
    per_ehpad = client.get(f"/export/{PER_EHPAD}.xlsx?dep=52,55")
    assert per_ehpad.status_code == (200 if level == "detail" else 403)
