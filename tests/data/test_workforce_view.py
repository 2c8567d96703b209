"""Professionnels: every card of the page follows the page's profession control, at both levels."""
from __future__ import annotations

import pytest
from sqlalchemy import case, func, select

from data.models import Commune, HealthProfessional
from data.queries.workforce import PROFESSION_CHOICES, active_on, profession_clause
from data.views.workforce import PLURALS, workforce_options, workforce_view
from tests.data.test_views import DETAIL, SUMMARY, YEAR, number, stat

CARDS = ("wf-share60", "wf-density", "wf-retiring", "wf-grants")


def _truth(db, profession: str):
    """Active professionals at the period's end, those aged 60+ and 62+, departures in the period (SQL)."""
    hp, on, p = HealthProfessional, YEAR.period.end, YEAR.period
    where = (profession_clause(profession), hp.commune_insee.in_(
        select(Commune.insee).where(Commune.departement_code.in_(YEAR.departements))))
    n, old, retiring = db.execute(select(func.count(), func.sum(case((hp.birth_year <= on.year - 60, 1), else_=0)),
                                         func.sum(case((hp.birth_year <= on.year - 62, 1), else_=0)))
                                  .where(*where, active_on(on))).one()
    departures = db.scalar(select(func.count()).where(*where, hp.activity_end.between(p.start, p.end)))
    return int(n), int(old), int(retiring), int(departures)


@pytest.mark.parametrize("profession", ["medecin_spe", "infirmier", "pharmacien"])
def test_every_card_is_of_the_chosen_profession(db, profession):
    view = workforce_view(db, scope=DETAIL, filters=YEAR, options=workforce_options(profession=profession))
    label = PLURALS[profession]
    assert set(PLURALS) == set(PROFESSION_CHOICES)
    n, old, retiring, departures = _truth(db, profession)
    cards = {key: stat(view, key) for key in CARDS}
    for key, card in cards.items():  # each card names the profession it counts
        assert label.lower() in (card.label + " " + card.detail).lower(), key
    assert "généralistes" not in " ".join(c.label + c.detail for c in cards.values())
    share = float(cards["wf-share60"].value.split("\u00a0")[0].replace(",", "."))
    assert share == pytest.approx(old / n * 100, abs=0.05) and share > 0
    assert number(cards["wf-density"].detail.split(" en activité")[0]) == n
    assert number(cards["wf-retiring"].value) == retiring
    assert number(cards["wf-grants"].value.split(" / ")[1]) == departures


def test_specialists_are_not_general_practitioners(db):
    gp = workforce_view(db, scope=DETAIL, filters=YEAR, options=workforce_options(profession="medecin_gp"))
    spe = workforce_view(db, scope=DETAIL, filters=YEAR, options=workforce_options(profession="medecin_spe"))
    for key in CARDS[1:3]:
        assert stat(gp, key).value != stat(spe, key).value, key


def test_summary_cards_follow_the_profession_from_the_grid(db):
    view = workforce_view(db, scope=SUMMARY, filters=YEAR, options=workforce_options(profession="infirmier"))
    n, _, retiring, _ = _truth(db, "infirmier")
    active = number(stat(view, "wf-density").detail.split(" en activité")[0])
    # the published total of the same grid cells as the share card and the tables
    assert active == number(stat(view, "wf-share60").detail.split(" professionnels")[0])
    assert abs(active - n) <= 2 * 8 * 3
    assert abs(number(stat(view, "wf-retiring").value) - retiring) <= 2 * 3 * 3
    assert stat(view, "wf-density").label == "Infirmiers pour 10 000 hab."
    assert "départs d'infirmiers" in stat(view, "wf-grants").detail
