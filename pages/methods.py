"""Méthodes: every indicator's definition, formula, sources, level rules, limits and reference — documentation
generated from the one registry the cards, exports and reports read (data.indicators); no data."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.page import page_header
from data.geography import POPULATION_VINTAGE
from data.indicators import DATASET_TITLES, SNDS_RULE, SOURCES, biology_tests, by_dataset
from data.views.base import SUMMARY_NOTE

dash.register_page(__name__, path="/methodes", name="Méthodes", title="Méthodes — e-Meuse Santé", order=80,
                   dataset=None)

KIND_WORDS = {"figure": "chiffre clé", "kpi": "chiffre clé de l'accueil", "table": "tableau et export",
              "map": "carte", "chart": "graphique"}
FIELDS = (("Définition", "definition"), ("Formule", "formula"), ("Unité", "unit"), ("Sources", "source_text"),
          ("Règles de niveau", "levels"), ("Limites connues", "limits"), ("Référence", "reference"))


def entry_card(item) -> html.Article:
    """One indicator, with its anchor `#<key>` (the « ? » of its cards and its panels link here)."""
    rows = [(label, attr, getattr(item, attr)) for label, attr in FIELDS if getattr(item, attr)]
    return html.Article(dbc.Card(dbc.CardBody([
        html.H3([item.name, html.Small(f" — {KIND_WORDS.get(item.kind, item.kind)}", className="text-muted")],
                className="h6"),
        html.Dl([part for label, attr, text in rows for part in (html.Dt(label), html.Dd(text, className=f"m-{attr}"))],
                className="methods-entry small mb-0"),
    ]), className="shadow-sm h-100"), id=item.key, className="methods-indicator h-100", tabIndex=-1)


def _table(rows: list[dict[str, str]], caption: str) -> html.Div:
    headers = list(rows[0]) if rows else []
    return html.Div(html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
        html.Tbody([html.Tr([html.Td(r[h]) for h in headers]) for r in rows]),
    ], className="table table-sm small"), className="table-responsive", id="methodes-examens")


def sections() -> list[tuple[str, str, list]]:
    """(anchor, title, content) of each section, one per page of the dashboard, then the references."""
    out = [(f"page-{dataset}", DATASET_TITLES.get(dataset, dataset),
            [dbc.Row([dbc.Col(entry_card(i), lg=6) for i in items])]) for dataset, items in by_dataset().items()]
    out.append(("secret-statistique", "Secret statistique", [
        html.P(SNDS_RULE), html.P(SUMMARY_NOTE),
        html.P("Niveau « détail » : aucune perturbation, valeurs exactes accordées au profil.")]))
    out.append(("examens", "Examens de biologie délocalisée (LOINC, UCUM)", [
        html.P("Seuls ces examens sont acceptés ; un résultat est anormal hors de l'intervalle de référence envoyé "
               "avec lui, sinon de celui-ci."),
        _table(biology_tests(), "Examens autorisés, unité UCUM et intervalle de référence")]))
    out.append(("sources", "Sources et géographie", [
        html.Ul([html.Li(text) for text in SOURCES.values()]), html.P(POPULATION_VINTAGE)]))
    return out


def layout(**_query) -> html.Div:
    parts = sections()
    return html.Div([
        page_header("Méthodes", "Chaque indicateur du tableau de bord : définition, formule, sources, règles du "
                                "niveau « synthèse », limites connues et référence suivie."),
        html.Nav(dbc.Nav([dbc.NavLink(title, href=f"#{anchor}", external_link=True) for anchor, title, _ in parts],
                         pills=True, className="flex-wrap"), className="mb-3",
                 **{"aria-label": "Sections des méthodes"}),
        *[html.Section([html.H2(title, className="h4 mt-4"), *content], id=anchor, className="mb-4")
          for anchor, title, content in parts],
    ], id="methodes")
