"""Layout of the coverage planner (what-if scenarios, suggested sites) on the Couverture page."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.panel import data_id, graph_id, panel
from data.planner import KINDS, MOBILE_PER_HALF_DAY, TELECONSULTATION_PER_HOUR, WEEKS_PER_YEAR
from data.siting import OBJECTIVES

P = "planner"
PLAN, SCENARIO = f"{P}-plan", f"{P}-scenario"  # stores: the plan being edited, the saved scenario it came from
KIND, COMMUNE, AMOUNT, ADD, RETIRE, CLEAR = (f"{P}-kind", f"{P}-commune", f"{P}-amount", f"{P}-add", f"{P}-retire",
                                             f"{P}-clear")
CHANGES, REMOVE, STATS, LINK = f"{P}-changes", f"{P}-remove", f"{P}-stats", f"{P}-link"
COUNT, OBJECTIVE, HOSTS, SUGGEST, SUGGESTION = (f"{P}-count", f"{P}-objective", f"{P}-hosts", f"{P}-suggest",
                                                f"{P}-suggestion")
NAME, SAVE, SAVED, SAVE_MESSAGE, DELETE, DELETED = (f"{P}-name", f"{P}-save", f"{P}-saved",
                                                    f"{P}-save-message", f"{P}-delete", f"{P}-deleted")
SAVED_TITLE = f"{P}-saved-title"
MAP, EPCI, COMMUNES = f"{P}-map", f"{P}-epci", f"{P}-communes"
DEFAULT_AMOUNT = {"gp": 1.0, "mobile": 2.0, "teleconsultation": 10.0}
CONVERSIONS = (f"1 ETP de médecin généraliste = {int(KINDS['gp'].per_unit):,} consultations par an ; "
               f"une demi-journée hebdomadaire de cabinet mobile = {MOBILE_PER_HALF_DAY} consultations × "
               f"{WEEKS_PER_YEAR} semaines = {int(KINDS['mobile'].per_unit)} par an ; une heure hebdomadaire de "
               f"téléconsultation = {TELECONSULTATION_PER_HOUR} consultations × {WEEKS_PER_YEAR} semaines = "
               f"{int(KINDS['teleconsultation'].per_unit)} par an.").replace(",", "\u202f")


def planner_section(*, communes: dict[str, str], plan: dict, scenario_id: int | None, name: str = "",
                    note: str | None = None) -> html.Div:
    """The planner card: changes, suggestions, saving, then the before / after figures."""
    kind_options = [{"label": f"{k.label} ({k.unit})", "value": key} for key, k in KINDS.items()]
    edit = dbc.Row([
        dbc.Col([dbc.Label("Type de service", html_for=KIND),
                 dbc.Select(id=KIND, options=kind_options, value="gp")], md=3),
        dbc.Col([dbc.Label("Commune (ou cliquez la carte du scénario)", html_for=COMMUNE),
                 dbc.Select(id=COMMUNE, value="",
                            options=[{"label": "Choisir une commune", "value": ""}]
                            + [{"label": v, "value": k} for k, v in communes.items()])], md=4),
        dbc.Col([dbc.Label("Quantité", html_for=AMOUNT),
                 dbc.Input(id=AMOUNT, type="number", value=DEFAULT_AMOUNT["gp"], step=0.5, min=-20, max=60)], md=2),
        dbc.Col([html.Div("\u00a0", className="form-label"),
                 dbc.Button("Ajouter au scénario", id=ADD, color="primary", className="w-100")], md=3),
    ], className="g-2 mb-2 align-items-end")
    options = dbc.Row([
        dbc.Col(dbc.Checklist(id=RETIRE, options=[{"label": "Et dans 3 ans ? Retirer les médecins de 62 ans et plus",
                                                   "value": "62"}],
                              value=["62"] if plan.get("retire_soon") else [], switch=True), md=8),
        dbc.Col(dbc.Button("Vider le scénario", id=CLEAR, color="secondary", outline=True, size="sm"), md=4,
                className="text-md-end"),
    ], className="mb-2")
    suggest = dbc.Row([
        dbc.Col([dbc.Label("Nombre d'emplacements", html_for=COUNT),
                 dbc.Input(id=COUNT, type="number", value=3, min=1, max=10, step=1)], md=2),
        dbc.Col(html.Fieldset([html.Legend("Objectif", className="form-label fs-6"),
                               dbc.RadioItems(id=OBJECTIVE, value="above",
                                              options=[{"label": v[0].upper() + v[1:], "value": k}
                                                       for k, v in OBJECTIVES.items()])]), md=4),
        dbc.Col(dbc.Checklist(id=HOSTS, options=[{"label": "Seulement les communes qui accueillent déjà un service "
                                                           "du programme", "value": "1"}], value=[]), md=3),
        dbc.Col(dbc.Button("Proposer 3 emplacements", id=SUGGEST, color="success", className="w-100"), md=3),
    ], className="g-2 mb-2 align-items-end")
    save = dbc.Row([
        dbc.Col([dbc.Label("Nom du scénario", html_for=NAME),
                 dbc.Input(id=NAME, type="text", maxlength=120, value=name,
                           placeholder="ex. Maison de santé à Stenay")], md=5),
        dbc.Col([html.Div("\u00a0", className="form-label"),
                 dbc.Button("Enregistrer", id=SAVE, color="primary", outline=True, className="w-100")], md=2),
        dbc.Col(html.Div(id=SAVE_MESSAGE, **{"aria-live": "polite"}), md=5),
    ], className="g-2 mb-2 align-items-end")
    return html.Div([
        dcc.Store(id=PLAN, data=plan),
        dcc.Store(id=SCENARIO, data=scenario_id),
        dcc.Store(id=DELETED, data=0),
        dbc.Card([
            dbc.CardHeader(html.H2("Planificateur : et si… ?", className="h5 mb-0")),
            dbc.CardBody([
                html.P(note, className="alert alert-info py-2") if note else None,
                html.P("Ajoutez (ou retirez, quantité négative) une offre hypothétique, ou demandez les meilleurs "
                       "emplacements : l'accessibilité est recalculée par la même méthode et comparée à "
                       "aujourd'hui. " + CONVERSIONS, className="small text-muted"),
                edit, options,
                html.Div(id=CHANGES, className="mb-2"),
                html.Hr(),
                html.H3("Proposer des emplacements", className="h6"),
                html.P("Parmi les communes des départements et de l'EPCI choisis en haut de page, le type de service "
                       "et la quantité ci-dessus pour chaque emplacement ; le scénario en cours est pris en compte. "
                       "Solveur exact (HiGHS), limite de 10 s, avec le choix glouton à côté.",
                       className="small text-muted mb-1"),
                suggest,
                dcc.Loading(html.Div(id=SUGGESTION, className="mb-2", **{"aria-live": "polite"}), type="dot"),
                html.Hr(),
                html.H3("Enregistrer et partager", className="h6"),
                save,
                html.Div(id=LINK, className="small mb-2"),
                html.H3(id=SAVED_TITLE, className="h6"),
                html.Div(id=SAVED),
            ]),
        ], className="shadow-sm mb-4", id=f"{P}-card"),
        dcc.Loading(html.Div(id=STATS), type="dot", delay_show=300),
        dbc.Row([
            panel(MAP, "Carte de l'écart (avant / après)", is_map=True, height=520, width=12,
                  help_text="Écart d'accessibilité dû au scénario : en bleu les hausses, en rouge les baisses ; "
                            "cliquez une commune pour la choisir comme lieu du prochain changement."),
            panel(EPCI, "Effet par EPCI", graph=False, width=12),
            panel(COMMUNES, "Avant / après par commune", graph=False, width=12),
        ]),
    ], id=f"{P}-section")


__all__ = ["planner_section", "graph_id", "data_id"]
