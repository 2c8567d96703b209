"""« Rapports » page builders: the subscription form, the on-demand form and the list of reports (French)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.formatting import fmt_date, fmt_datetime, fmt_month
from data.reports import STATUS_WORDS

ALL, CHOSEN = "all", "chosen"
STATUS_COLOURS = {"ready": "success", "failed": "danger", "rendering": "secondary", "pending": "secondary"}


def subscription_form(choices: list[tuple[str, str]], *, mode: str, chosen: list[str]) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Mon abonnement mensuel", className="h5"),
        html.P("Le 1er de chaque mois, le rapport du mois écoulé vous est envoyé par courriel (PDF et classeur "
               "XLSX) et reste disponible ci-dessous, au niveau de détail de votre profil.", className="small"),
        dbc.RadioItems(id=ids.REPORTS_MODE, value=mode, className="mb-2",
                       options=[{"label": "Toutes les pages que je peux consulter", "value": ALL},
                                {"label": "Seulement les pages choisies :", "value": CHOSEN}]),
        dbc.Checklist(id=ids.REPORTS_PAGES, value=chosen, className="ms-4 mb-3",
                      options=[{"label": title, "value": name} for name, title in choices]),
        html.Div([dbc.Button("Enregistrer l'abonnement", id=ids.REPORTS_SAVE, color="primary", className="me-2"),
                  dbc.Button("Me désabonner", id=ids.REPORTS_STOP, color="secondary", outline=True)]),
        html.P(id=ids.REPORTS_STATE, className="small text-muted mt-2 mb-0", **{"aria-live": "polite"}),
    ]), className="mb-3")


def generate_form(months: list) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Générer maintenant", className="h5"),
        html.P("Le rapport est établi tout de suite (quelques dizaines de secondes) ; celui du mois en cours "
               "s'arrête à hier.", className="small"),
        dbc.Row([dbc.Col(dbc.Select(id=ids.REPORTS_MONTH, value=f"{months[0]:%Y-%m}",
                                    options=[{"label": fmt_month(m).capitalize(), "value": f"{m:%Y-%m}"}
                                             for m in months]), md=5),
                 dbc.Col(dbc.Button("Générer maintenant", id=ids.REPORTS_GENERATE, color="primary"), md="auto")],
                className="g-2"),
    ]), className="mb-3")


def report_list(rows) -> html.Div:
    """The user's reports, newest month first, with their download links (served by server/reports.py)."""
    if not rows:
        return html.Div(dbc.Alert("Aucun rapport pour l'instant.", color="light", className="border"),
                        id="reports-empty")
    body = []
    for r in rows:
        links = ([html.A("PDF", href=f"/rapports/{r.id}.pdf", className="me-3 report-pdf", **{"data-report": r.id}),
                  html.A("XLSX", href=f"/rapports/{r.id}.xlsx", className="report-xlsx")]
                 if r.status == "ready" else [html.Span(r.error or "—", className="small text-muted")])
        body.append(html.Tr([
            html.Td(fmt_month(r.month).capitalize()),
            html.Td(dbc.Badge(STATUS_WORDS.get(r.status, r.status), color=STATUS_COLOURS.get(r.status, "secondary"))),
            html.Td(fmt_date(r.data_until) if r.data_until else "—"),
            html.Td(fmt_datetime(r.rendered_at, label=True) if r.rendered_at else "—"),
            html.Td(links),
        ], className="report-row"))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Mois", "État", "Données jusqu'au", "Établi le",
                                                     "Télécharger")]))
    return html.Div(dbc.Table([head, html.Tbody(body)], bordered=False, hover=True, size="sm", className="mb-0"),
                    className="table-responsive")

