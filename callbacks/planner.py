"""Planificateur (Couverture) callbacks: edit the plan, recompute it before / after, suggest sites, save.

Every figure comes from the planner views (data/views/planner.py), which refuse callers without
`detail` on coverage; saving and deleting go through data/scenarios.py, which refuses them too.
"""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app, request
from flask_login import current_user

import components.planner as ui
from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, read_filters
from components.map_patch import map_state_id
from components.maps import view_map_answer
from components.panel import data_id, graph_id, map_data, view_table
from components.stat_card import stat_cards
from data.formatting import fmt_number
from data.models import Dataset
from data.planner import Plan, plan_from_json, valid_change
from data.scenarios import ScenarioRefused, delete_scenario, get_scenario, list_scenarios, save_scenario
from data.views.planner import SCENARIOS_VERSION, planner_options, suggest_options
from server.cache import bump, page_view
from server.database import db_session
from server.health import geojson_url

COVERAGE = Dataset.COVERAGE.value
SAMPLE_PLAN = {"changes": [{"kind": "gp", "insee": "55029", "amount": 2.0}], "retire_soon": False}


def _options(filters, threshold, exclude, plan: Plan, scenario_id):
    return planner_options(filters=filters, threshold=threshold, exclude_65_plus="65" in (exclude or []), plan=plan,
                           scenario_id=scenario_id)


@callback(Output(ui.COMMUNE, "value"), Input(graph_id(ui.MAP), "clickData"), prevent_initial_call=True)
@guarded(dataset=None, sample_args=({"points": [{"location": "55029"}]},),
         has_data=lambda result: result == "55029", public=True)
def planner_map_click(click, *, scope):
    """Clicking a commune on the scenario map makes it the place of the next change."""
    point = ((click or {}).get("points") or [{}])[0]
    code = point.get("location") or point.get("customdata")
    if isinstance(code, list):
        code = code[0] if code else None
    if not isinstance(code, str) or code[:2] not in scope.departements:
        raise PreventUpdate
    return code


@callback(Output(ui.AMOUNT, "value"), Input(ui.KIND, "value"), prevent_initial_call=True)
@guarded(dataset=None, sample_args=("mobile",), has_data=lambda result: result == 2.0, public=True)
def planner_default_amount(kind, *, scope):
    return ui.DEFAULT_AMOUNT.get(kind, 1.0)


@callback(Output(ui.SUGGEST, "children"), Input(ui.COUNT, "value"))
@guarded(dataset=None, sample_args=(5,), has_data=lambda result: result == "Proposer 5 emplacements",
         public=True)
def planner_suggest_label(count, *, scope):
    try:
        n = max(1, min(10, int(count)))
    except (TypeError, ValueError):
        n = 3
    return f"Proposer {n} emplacement{'s' if n > 1 else ''}"


@callback(Output(ui.PLAN, "data", allow_duplicate=True),
          Input(ui.ADD, "n_clicks"), Input(ui.CLEAR, "n_clicks"), Input({"type": ui.REMOVE, "index": ALL}, "n_clicks"),
          Input(ui.RETIRE, "value"),
          State(ui.KIND, "value"), State(ui.COMMUNE, "value"), State(ui.AMOUNT, "value"), State(ui.PLAN, "data"),
          prevent_initial_call=True)
@guarded(dataset=None, sample_args=(1, None, [], [], "gp", "55029", 2, None),
         has_data=lambda result: result["changes"][0]["insee"] == "55029", public=True)
def planner_edit(add, clear, removes, retire, kind, commune, amount, plan, *, scope):
    """The plan being edited (browser state; every figure is recomputed on the server from it)."""
    current = plan_from_json(plan)
    trigger = ctx.triggered_id if ctx.triggered_id is not None else ui.ADD
    changes = list(current.changes)
    if trigger == ui.CLEAR:
        return Plan().as_json()
    if isinstance(trigger, dict) and trigger.get("type") == ui.REMOVE:
        k = trigger.get("index")
        if not any(removes or []) or not isinstance(k, int) or not 0 <= k < len(changes):
            raise PreventUpdate
        del changes[k]
    elif trigger == ui.ADD:
        change = valid_change(kind, commune, amount) if commune and commune[:2] in scope.departements else None
        if change is None:
            raise PreventUpdate
        changes.append(change)
    return Plan(tuple(changes), "62" in (retire or [])).as_json()


PLANNER_INPUTS = (Input(ui.PLAN, "data"), Input(ui.SCENARIO, "data"), *FILTER_INPUTS,
                  Input("coverage-threshold", "value"), Input("coverage-exclude", "value"))
PLANNER_SAMPLE = (SAMPLE_PLAN, None, *SAMPLE_FILTERS, 2.5, ["65"])


def _planner_view(scope, plan, scenario_id, departements, month_from, month_to, epci, commune, threshold, exclude):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    options = _options(filters, threshold, exclude, plan_from_json(plan), scenario_id)
    return page_view("planner", scope=scope, filters=filters, options=options)


@callback(Output(ui.STATS, "children"), Output(ui.CHANGES, "children"), Output(ui.LINK, "children"),
          *PLANNER_INPUTS)
@guarded(dataset=COVERAGE, sample_args=PLANNER_SAMPLE, has_data=lambda result: result[2] is not None)
def update_planner(plan, scenario_id, departements, month_from, month_to, epci, commune, threshold, exclude, *,
                   scope):
    """The scenario's before / after figures and its changes (the cards; its map and tables follow)."""
    view = _planner_view(scope, plan, scenario_id, departements, month_from, month_to, epci, commune, threshold,
                         exclude)
    if view.refused:
        return html.P(view.message, className="alert alert-secondary"), None, None
    changes = html.Ul([html.Li([text, " ", html.Button("retirer", id={"type": ui.REMOVE, "index": k},
                                                       className="btn btn-link btn-sm p-0 align-baseline",
                                                       **{"aria-label": f"Retirer : {text}"})]
                               if k < len(view.plan.changes) else text)
                       for k, text in enumerate(view.changes)], className="mb-0") if view.changes else html.P(
        "Scénario vide : ajoutez un service, retirez les médecins de 62 ans et plus ou demandez des emplacements.",
        className="small text-muted mb-0")
    link = [html.Span("Pour partager ce scénario : "),
            html.A("lien vers cette page avec le scénario", href="/couverture" + view.query, id=f"{ui.P}-href")]
    return stat_cards(view.stats), changes, link


@callback(Output(graph_id(ui.MAP), "figure"), Output(data_id(ui.MAP), "children"),
          Output(data_id(ui.EPCI), "children"), Output(data_id(ui.COMMUNES), "children"),
          Output(map_state_id(graph_id(ui.MAP)), "data"),
          *PLANNER_INPUTS, State(map_state_id(graph_id(ui.MAP)), "data"))
@guarded(dataset=COVERAGE, sample_args=(*PLANNER_SAMPLE, None),
         has_data=lambda result: isinstance(result[0], dict) and len(result[0].get("data", [])) >= 1)
def planner_figures(plan, scenario_id, departements, month_from, month_to, epci, commune, threshold, exclude,
                    map_state=None, *, scope):
    """The scenario's change map and its tables (the same cached view as its cards); the map as a Patch of its
    values when the scenario changed only them (components/map_patch.py)."""
    view = _planner_view(scope, plan, scenario_id, departements, month_from, month_to, epci, commune, threshold,
                         exclude)
    if view.refused:
        return {"data": [], "layout": {}}, None, None, None, None
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    figure, state = view_map_answer(view.map, map_state, scope=scope, geojson_url=geojson_url, tile_url=tile_url)
    return (figure, map_data(view.map), view_table(view.epci, query=view.query),
            view_table(view.communes, query=view.query), state)


@callback(Output(ui.SUGGESTION, "children"), Output(ui.PLAN, "data", allow_duplicate=True),
          Input(ui.SUGGEST, "n_clicks"),
          State(ui.COUNT, "value"), State(ui.OBJECTIVE, "value"), State(ui.HOSTS, "value"), State(ui.KIND, "value"),
          State(ui.AMOUNT, "value"), State(ui.PLAN, "data"), State(ui.SCENARIO, "data"), *[
              State(i.component_id, i.component_property) for i in FILTER_INPUTS],
          State("coverage-threshold", "value"), State("coverage-exclude", "value"), prevent_initial_call=True)
@guarded(dataset=COVERAGE, sample_args=(1, 2, "above", [], "gp", 1, None, None, *SAMPLE_FILTERS, 2.5, ["65"]),
         has_data=lambda result: result[1] is not no_update)
def planner_suggest(n_clicks, count, objective, hosts, kind, amount, plan, scenario_id, departements, month_from,
                    month_to, epci, commune, threshold, exclude, *, scope):
    """« Proposer N emplacements »: the exact solution becomes the scenario; the greedy pick is shown beside."""
    if not n_clicks:
        raise PreventUpdate
    filters = read_filters(departements, month_from, month_to, epci, commune)
    planner = _options(filters, threshold, exclude, plan_from_json(plan), scenario_id)
    amount = amount if (amount or 0) > 0 else 1
    options = suggest_options(planner=planner, kind=kind, amount=amount, count=count, objective=objective,
                              only_hosts="1" in (hosts or []))
    s = page_view("planner-suggest", scope=scope, filters=filters, options=options)
    if s.refused:
        return html.P(s.message, className="alert alert-secondary"), no_update
    if not s.exact:
        return html.P("Aucun emplacement possible pour ce choix (pas de commune candidate).",
                      className="alert alert-warning"), no_update
    gain = (f"soit {fmt_number(s.gain)} de plus que le choix glouton" if s.gain > 0
            else "le choix glouton fait aussi bien")
    box = html.Div([
        html.P([html.Strong("Solution exacte : "), ", ".join(s.exact), f" — {fmt_number(s.exact_value)} {s.objective}"],
               className="mb-1", id=f"{ui.P}-exact"),
        html.P([html.Strong("Choix glouton (un par un, le meilleur à chaque fois) : "), ", ".join(s.greedy),
                f" — {fmt_number(s.greedy_value)}"], className="mb-1"),
        html.P(f"Gain de la solution exacte : {gain} ; {s.status}.", className="mb-1 small"),
        html.P("Les emplacements de la solution exacte ont été ajoutés au scénario ci-dessous.",
               className="small text-muted mb-0"),
    ], className="alert alert-success")
    return box, s.plan.as_json()


def _actor() -> tuple[str, str | None]:
    return current_user.email, request.remote_addr


@callback(Output(ui.SAVE_MESSAGE, "children"), Output(ui.SCENARIO, "data"), Input(ui.SAVE, "n_clicks"),
          State(ui.NAME, "value"), State(ui.PLAN, "data"), State(ui.SCENARIO, "data"), *[
              State(i.component_id, i.component_property) for i in FILTER_INPUTS],
          State("coverage-threshold", "value"), State("coverage-exclude", "value"), prevent_initial_call=True)
@guarded(dataset=COVERAGE, sample_args=(1, "", SAMPLE_PLAN, None, *SAMPLE_FILTERS, 2.5, ["65"]),
         has_data=lambda result: result is not None)
def planner_save(n_clicks, name, plan, scenario_id, departements, month_from, month_to, epci, commune, threshold,
                 exclude, *, scope):
    """Save the plan under a name (a new scenario, or the caller's own one it was opened from)."""
    if not n_clicks:
        raise PreventUpdate
    filters = read_filters(departements, month_from, month_to, epci, commune)
    p = plan_from_json(plan)
    query = filters.to_query() + _options(filters, threshold, exclude, Plan(), None).coverage.to_query()
    session = db_session()
    actor, ip = _actor()
    try:
        existing = get_scenario(session, scope=scope, scenario_id=int(scenario_id)) if scenario_id else None
        own = existing is not None and existing.author_id == scope.user_id
        saved = save_scenario(session, scope=scope, actor=actor, name=name or "", plan=p, query=query,
                              scenario_id=existing.id if own else None, ip=ip)
    except ScenarioRefused:
        session.rollback()
        return html.Span("Vous ne pouvez pas enregistrer de scénario.", className="text-danger"), no_update
    except ValueError:
        session.rollback()
        return html.Span("Donnez un nom au scénario.", className="text-danger"), no_update
    session.commit()
    bump(SCENARIOS_VERSION)
    href = f"/couverture{query}&scenario={saved.id}"
    return html.Span([f"Scénario « {saved.name} » enregistré : ",
                      html.A(f"son lien (n° {saved.id})", href=href, id=f"{ui.P}-saved-link")],
                     className="text-success"), saved.id


@callback(Output(ui.DELETED, "data"), Input({"type": ui.DELETE, "index": ALL}, "n_clicks"),
          State(ui.DELETED, "data"), prevent_initial_call=True)
@guarded(dataset=None, sample_args=([], 0), has_data=lambda result: result is not None, public=True)
def planner_delete(deletes, deleted, *, scope):
    """Delete a saved scenario (data.scenarios refuses anyone but its author, an administrator, and anyone
    below detail on coverage); answers a counter only, which refreshes the list."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("type") != ui.DELETE or not any(deletes or []):
        return no_update
    session = db_session()
    actor, ip = _actor()
    try:
        delete_scenario(session, scope=scope, actor=actor, scenario_id=int(trigger["index"]), ip=ip)
    except (ScenarioRefused, TypeError, ValueError):
        session.rollback()
        return no_update
    session.commit()
    bump(SCENARIOS_VERSION)
    return (deleted or 0) + 1


@callback(Output(ui.SAVED, "children"), Output(ui.SAVED_TITLE, "children"), Input(ui.SCENARIO, "data"),
          Input(ui.DELETED, "data"))
@guarded(dataset=COVERAGE, sample_args=(None, 0), has_data=lambda result: result[1] is not None)
def planner_saved_list(scenario_id, deleted, *, scope):
    """Saved scenarios (every author's); the caller's own — or any, for an administrator — can be deleted."""
    try:
        saved = list_scenarios(db_session(), scope=scope)
    except ScenarioRefused:
        return None, None
    title = f"Scénarios enregistrés ({fmt_number(len(saved))})"
    if not saved:
        return html.P("Aucun scénario enregistré.", className="small text-muted mb-0"), title
    items = []
    for s in saved:
        href = f"/couverture{s.query}&scenario={s.id}"
        mine = s.author_id == scope.user_id or scope.role == "admin"
        items.append(html.Li([
            html.A(s.name, href=href), f" — {s.author}, {s.updated_at:%d/%m/%Y %H:%M} UTC, "
                                       f"{len(s.plan.changes)} changement(s)" + (" + départs 62 ans et plus"
                                                                                 if s.plan.retire_soon else ""),
            " ", html.Button("supprimer", id={"type": ui.DELETE, "index": s.id},
                             className="btn btn-link btn-sm p-0 align-baseline text-danger",
                             **{"aria-label": f"Supprimer le scénario {s.name}"}) if mine else None]))
    return html.Ul(items, className="small mb-0"), title
