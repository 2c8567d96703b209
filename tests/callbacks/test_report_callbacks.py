"""The « Rapports » callbacks as plain functions, and the ARS report against the pages' own cards."""
from __future__ import annotations

import json
from contextvars import copy_context
from datetime import date, datetime

import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from sqlalchemy import select

from callbacks._access import rendered_text
from components import ids
from components.filters import ALL
from components.reports import CHOSEN
from data.access import scope_for_user
from data.filters import add_months, month_start
from data.models import AuditEvent, GeneratedReport, ReportSubscription
from data.report_content import compose, user_by_email
from data.report_render import render
from data.views.coverage import DEFAULT_LAYERS
from tests.conftest import TERRITORY
from tests.reports_support import OCTOBER_NOW, clear_reports, pdf_lines, plain

ARS = "ars@demo.e-meuse-sante.fr"
USAGERS = "usagers@demo.e-meuse-sante.fr"


@pytest.fixture(autouse=True)
def no_reports(engine, demo_counts):
    clear_reports(engine)
    yield
    clear_reports(engine)


def _run(func, *args, triggered: str | None = None):
    def call():
        inputs = [{"prop_id": f"{triggered}.n_clicks", "value": 1}] if triggered else []
        context_value.set(AttributeDict(triggered_inputs=inputs, inputs_list=[], states_list=[], outputs_list=[]))
        return func(*args)
    return copy_context().run(call)


def _values(component) -> list[str]:
    """The texts of the cards' values (« kpi-value »), in order, as the page shows them."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            if "kpi-value" in str(node.get("props", {}).get("className", "")):
                out.append(plain(str(node["props"].get("children"))))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(rendered_text(component)))
    return out


def test_ars_report_has_the_figures_of_the_pages_for_the_month(as_user, db):
    from callbacks.coverage import coverage_cards
    from callbacks.overview import overview_cards
    from callbacks.teleconsultation import teleconsultation_cards
    from callbacks.workforce import workforce_cards

    month = ([], "2026-10", "2026-10", ALL, ALL)
    with as_user(ARS):
        cards = {"overview": _run(overview_cards, *month, 0)[0],
                 "teleconsultation": _run(teleconsultation_cards, *month, 0)[0],
                 "workforce": _run(workforce_cards, *month, "medecin_gp", "commune")[0],
                 "coverage": _run(coverage_cards, *month, "2,5", ["65"], list(DEFAULT_LAYERS))[0]}
    user = user_by_email(db, ARS)
    content = compose(db, scope=scope_for_user(db, user, territory=TERRITORY), user=user, month=date(2026, 10, 1),
                      pages=list(cards), territory=TERRITORY, now=datetime.fromisoformat(OCTOBER_NOW))
    pdf, _ = render(content)
    text = plain(" ".join(pdf_lines(pdf)))
    by_page = {s.page: s for s in content.sections}
    assert set(by_page) == set(cards)
    for page, component in cards.items():
        shown = _values(component)
        assert shown, page
        assert [plain(h.value) for h in by_page[page].headlines] == shown, page
        for value in shown:
            assert value in text, (page, value)


def test_reports_page_lists_subscribes_generates_and_unsubscribes(as_user, db):
    from callbacks.reports import reports_actions

    with as_user(USAGERS):
        message, state, listing, options = _run(reports_actions, None, None, None, ALL, [], None)
        assert message is None and "aucun rapport mensuel" in state
        assert "Aucun rapport pour l'instant" in rendered_text(listing)
        assert "biology" not in {o["value"] for o in options} and "teleconsultation" in {o["value"] for o in options}

        message, state, _, _ = _run(reports_actions, 1, None, None, CHOSEN, ["teleconsultation", "biology"], None,
                                    triggered=ids.REPORTS_SAVE)
        assert "Abonnement enregistré" in rendered_text(message) and state == "Abonné : chaque mois, Téléconsultation."
        sub = db.scalars(select(ReportSubscription)).one()
        assert sub.pages == ["teleconsultation"] and sub.active

        previous = add_months(month_start(date.today()), -1)
        message, _, listing, _ = _run(reports_actions, 1, None, 1, CHOSEN, ["teleconsultation"], f"{previous:%Y-%m}",
                                      triggered=ids.REPORTS_GENERATE)
        assert "prêt" in rendered_text(message)
        report = db.scalars(select(GeneratedReport)).one()
        assert f"/rapports/{report.id}.pdf" in rendered_text(listing)

        message, state, _, _ = _run(reports_actions, 1, 1, 1, CHOSEN, ["teleconsultation"], None,
                                    triggered=ids.REPORTS_STOP)
        assert "Désabonnement" in rendered_text(message) and "aucun rapport mensuel" in state
        db.expire_all()
        assert db.scalar(select(ReportSubscription.active)) is False
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.actor == USAGERS,
                                                         AuditEvent.action.like("report.%"))).all()
    assert {"report.subscribe", "report.request", "report.unsubscribe"} <= set(actions)


def test_only_last_and_current_month_on_demand(as_user):
    from callbacks.reports import reports_actions

    with as_user(USAGERS):
        message, *_ = _run(reports_actions, None, None, 1, ALL, [], "2025-01", triggered=ids.REPORTS_GENERATE)
    assert "Action refusée" in rendered_text(message) and "mois précédent" in rendered_text(message)
