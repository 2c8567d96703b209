"""Rapports: the signed-in user's monthly subscription, « Générer maintenant », their reports to download."""
from __future__ import annotations

from datetime import date

import dash
from dash import dcc, html

from components import ids
from components.page import page_header
from components.reports import ALL, CHOSEN, generate_form, subscription_form
from data import reports
from data.filters import add_months, month_start
from data.report_content import page_choices
from server.auth import current_scope
from server.database import db_session

dash.register_page(__name__, path="/rapports", name="Rapports", title="Rapports — e-Meuse Santé", order=85,
                   dataset=None)


def layout(**_query) -> html.Div:
    scope = current_scope()
    subs = reports.subscriptions_of(db_session(), user_id=scope.user_id) if scope and scope.user_id else []
    sub = subs[0] if subs else None
    choices = page_choices(scope)
    mode = CHOSEN if sub is not None and sub.pages is not None else ALL
    chosen = list(sub.pages) if sub is not None and sub.pages is not None else [name for name, _ in choices]
    current = month_start(date.today())
    return html.Div([
        page_header("Rapports mensuels", "Les chiffres du mois, les graphiques et les tableaux des pages que vous "
                                         "consultez, en PDF et en classeur XLSX."),
        dcc.Loading(html.Div(id=ids.REPORTS_MESSAGE, **{"aria-live": "polite"}), type="default",
                    delay_show=300),
        subscription_form(choices, mode=mode, chosen=chosen),
        generate_form([add_months(current, -1), current]),
        html.H2("Mes rapports", className="h5"),
        html.Div(id=ids.REPORTS_LIST),
    ])
