"""The coverage planner is for callers at detail on coverage only — attacked through the real routes.

`financeurs` holds coverage at `summary` (DEFAULT_GRANTS): the coverage page is theirs, the planner is
not. They post the planner's callbacks to `/_dash-update-component` with the renderer's own body and ask
the scenario export; `collectivites` (detail on coverage) and the ARS officer get the figures.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from data.db import make_session_factory, session_scope
from data.models import AuditEvent, CoverageScenario
from tests.conftest import Auth
from tests.csv_exports import read_export

PLAN = {"changes": [{"kind": "gp", "insee": "55029", "amount": 3.0},
                    {"kind": "mobile", "insee": "55545", "amount": 4.0}], "retire_soon": False}
FILTERS = {"filter-departements": ["55"], "filter-month-from": "2025-11", "filter-month-to": "2026-10",
           "filter-epci": "__all__", "filter-commune": "__all__"}
VALUES = {**FILTERS, "planner-plan": PLAN, "planner-scenario": None, "coverage-threshold": 2.5,
          "coverage-exclude": ["65"], "planner-suggest": 1, "planner-count": 2, "planner-objective": "above",
          "planner-hosts": [], "planner-kind": "gp", "planner-amount": 1, "planner-save": 1,
          "planner-name": "Essai d'attaque", "planner-deleted": 0}
EXPORT = "/export/couverture-scenario.csv?dep=55&plan=gp:55029:3,mobile:55545:4"


def _callback(app, first_output: str):
    for key, spec in app.extensions["emeuse.dash"].callback_map.items():
        if key.startswith(f"..{first_output}") or key.startswith(first_output):
            return key, spec
    raise LookupError(first_output)


def _outputs(key: str) -> list[dict]:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [{"id": _id(p.rsplit(".", 1)[0]), "property": p.rsplit(".", 1)[1]} for p in parts]


def _id(raw: str):
    """A component id as the renderer sends it: a pattern id (the map's store) as a dict."""
    return json.loads(raw) if raw.startswith("{") else raw


def _body(key, spec, values) -> dict:
    def dep(d):
        return {"id": _id(d["id"]), "property": d["property"], "value": values.get(d["id"])}
    return {"output": key, "outputs": _outputs(key), "inputs": [dep(d) for d in spec["inputs"]],
            "state": [dep(d) for d in spec["state"]],
            "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}


def _post(client, app, first_output: str, values=VALUES):
    key, spec = _callback(app, first_output)
    r = client.post("/_dash-update-component", json=_body(key, spec, values),
                    headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
    return r.status_code, r.get_data(as_text=True)


@pytest.fixture()
def signed_in(app):
    def sign_in(who: str):
        client = app.test_client()
        assert Auth(client).login_as(who).status_code == 302
        return client
    return sign_in


@pytest.fixture()
def no_scenarios_left(engine):
    yield
    with session_scope(make_session_factory(engine)) as s:
        s.execute(delete(CoverageScenario))


def test_scenario_recompute_refused_to_a_member_at_summary_through_the_callback_route(app, signed_in):
    status, raw = _post(signed_in("financeurs"), app, "planner-stats.children")
    assert status == 200
    assert "réservé aux agents de l'ARS" in raw
    for leak in ("Bar-le-Duc", "55029", "Verdun", "Accessibilité après", "Habitants portés"):
        assert leak not in raw, leak
    status, raw = _post(signed_in("financeurs"), app, "planner-map-graph.figure")
    assert status == 200
    for leak in ("Bar-le-Duc", "55029", "Accessibilité après", "choroplethmap"):
        assert leak not in raw, leak
    status, raw = _post(signed_in("ars"), app, "planner-stats.children")
    assert status == 200 and "Habitants portés au-dessus du seuil" in raw
    status, raw = _post(signed_in("ars"), app, "planner-map-graph.figure")
    assert status == 200 and "choroplethmap" in raw and "Accessibilité après" in raw


def test_a_member_granted_detail_on_coverage_gets_the_planner(app, signed_in):
    status, raw = _post(signed_in("collectivites"), app, "planner-stats.children")
    assert status == 200 and "Habitants portés au-dessus du seuil" in raw


def test_suggested_sites_refused_to_a_member_at_summary(app, signed_in):
    status, raw = _post(signed_in("financeurs"), app, "planner-suggestion.children")
    assert status == 200 and "réservé aux agents de l'ARS" in raw and "Solution exacte" not in raw
    assert '"planner-plan"' not in raw  # the plan store is left alone
    status, raw = _post(signed_in("ars"), app, "planner-suggestion.children")
    assert status == 200 and "Solution exacte" in raw and "Choix glouton" in raw


def test_scenario_export_refused_to_a_member_at_summary(signed_in):
    r = signed_in("financeurs").get(EXPORT)
    assert r.status_code == 403
    assert "55029" not in r.get_data(as_text=True)
    for who in ("ars", "collectivites"):
        r = signed_in(who).get(EXPORT)
        assert r.status_code == 200
        _meta, header, rows = read_export(r.get_data(as_text=True))
        assert header[:3] == ["Code INSEE", "Commune", "EPCI"] and len(rows) > 20
        assert ["55029", "Bar-le-Duc"] in [row[:2] for row in rows]


def test_the_page_has_no_planner_for_a_member_at_summary(as_user):
    import dash

    from callbacks._access import rendered_text

    layout = next(p for p in dash.page_registry.values() if p["path"] == "/couverture")["layout"]
    with as_user("financeurs@demo.e-meuse-sante.fr"):
        assert "planner-section" not in rendered_text(layout(dep="55"))
        assert "coverage-map" in rendered_text(layout(dep="55"))
    with as_user("ars@demo.e-meuse-sante.fr"):
        assert "planner-section" in rendered_text(layout(dep="55"))


def test_saving_through_the_callback_is_audited_and_refused_below_detail(app, signed_in, engine, no_scenarios_left):
    factory = make_session_factory(engine)
    status, raw = _post(signed_in("financeurs"), app, "planner-save-message.children")
    assert status == 200 and "Vous ne pouvez pas enregistrer" in raw
    with session_scope(factory) as s:
        assert s.scalar(select(CoverageScenario.id)) is None
    ars = signed_in("ars")
    status, raw = _post(ars, app, "planner-save-message.children")
    assert status == 200 and "enregistré" in raw
    with session_scope(factory) as s:
        row = s.scalars(select(CoverageScenario)).one()
        assert row.name == "Essai d'attaque" and row.changes == PLAN
        scenario_id = row.id
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "scenario.create")
                          .order_by(AuditEvent.id.desc())).first()
        assert event.actor == "ars@demo.e-meuse-sante.fr" and event.target == f"scenario:{scenario_id}"
    # saving again from the opened scenario changes it (its author), audited with before / after
    status, raw = _post(ars, app, "planner-save-message.children",
                        {**VALUES, "planner-scenario": scenario_id, "planner-name": "Essai renommé"})
    with session_scope(factory) as s:
        assert s.scalars(select(CoverageScenario)).one().name == "Essai renommé"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "scenario.update")
                          .order_by(AuditEvent.id.desc())).first()
        assert event.detail["before"]["name"] == "Essai d'attaque" and event.detail["after"]["name"] == "Essai renommé"
    # its URL restores it: the export by id (no plan in the URL) has the same rows as by plan; refused below detail
    by_id = ars.get(f"/export/couverture-scenario.csv?dep=55&scenario={scenario_id}").get_data(as_text=True)
    assert read_export(by_id)[1:] == read_export(ars.get(EXPORT).get_data(as_text=True))[1:]
    assert signed_in("financeurs").get(f"/export/couverture-scenario.csv?dep=55&scenario={scenario_id}"
                                       ).status_code == 403
    # the list: every author's for those who may plan, nothing for the others
    status, raw = _post(signed_in("collectivites"), app, "planner-saved.children",
                        {"planner-scenario": None, "planner-deleted": 0})
    assert "Essai renommé" in raw
    status, raw = _post(signed_in("financeurs"), app, "planner-saved.children",
                        {"planner-scenario": None, "planner-deleted": 0})
    assert "Essai renommé" not in raw and json.loads(raw)["response"]["planner-saved"]["children"] is None


def test_only_the_author_changes_a_scenario_and_deletion_is_audited(db):
    from data.access import scope_for_user
    from data.planner import Plan, parse_plan
    from data.scenarios import ScenarioRefused, delete_scenario, list_scenarios, save_scenario
    from data.users import get_by_email
    from tests.conftest import TERRITORY

    def scope(who):
        return scope_for_user(db, get_by_email(db, email=f"{who}@demo.e-meuse-sante.fr"), territory=TERRITORY)

    plan = parse_plan("teleconsultation:55545:10")
    saved = save_scenario(db, scope=scope("ars"), actor="ars", name="  Téléconsultation   à Verdun ", plan=plan,
                          query="?dep=55")
    assert saved.name == "Téléconsultation à Verdun" and saved.plan == plan
    with pytest.raises(ScenarioRefused):
        save_scenario(db, scope=scope("collectivites"), actor="c", name="x", plan=Plan(), query="",
                      scenario_id=saved.id)
    with pytest.raises(ScenarioRefused):
        delete_scenario(db, scope=scope("collectivites"), actor="c", scenario_id=saved.id)
    with pytest.raises(ScenarioRefused):
        list_scenarios(db, scope=scope("financeurs"))
    assert [s.id for s in list_scenarios(db, scope=scope("collectivites"))] == [saved.id]
    delete_scenario(db, scope=scope("admin"), actor="admin@demo.e-meuse-sante.fr", scenario_id=saved.id)
    assert list_scenarios(db, scope=scope("ars")) == []
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "scenario.delete")
                       .order_by(AuditEvent.id.desc())).first()
    assert event.target == f"scenario:{saved.id}" and event.detail["name"] == "Téléconsultation à Verdun"
