"""Alert centre: the firing alerts the user may see, their history, the rules to follow (and, for admin and
ARS, to create, switch off or silence)."""
from __future__ import annotations

import dash
from dash import dcc, html
from sqlalchemy import select

from components import ids
from components.alerts import new_rule_form, silence_select
from components.page import page_header
from data.alerts import KINDS, SEVERITIES, can_manage
from data.geography import departement_names
from data.models import Commune, FeedSource, Site
from server.auth import current_scope
from server.database import db_session

dash.register_page(__name__, path="/alertes", name="Alertes", title="Alertes — e-Meuse Santé", order=85,
                   dataset=None, nav=False)  # reached from the header's « Alertes » button and its badge

REFRESH_SECONDS = 60


def layout(**_query) -> html.Div:
    scope = current_scope()
    manage = scope is not None and can_manage(scope)
    form = None
    if manage:
        session = db_session()
        deps = departement_names(session)
        sites = session.execute(select(Site.id, Site.name).join(Commune, Commune.insee == Site.commune_insee)
                                .where(Commune.departement_code.in_(scope.departements)).order_by(Site.name)).all()
        sources = session.execute(select(FeedSource.id, FeedSource.name).order_by(FeedSource.name)).all()
        form = new_rule_form([(k, spec.label) for k, spec in KINDS.items()],
                             [(c, n) for c, n in deps.items() if c in scope.departements], list(SEVERITIES.items()),
                             [tuple(r) for r in sites], [tuple(r) for r in sources])
    return html.Div([
        page_header("Alertes", "Ce qui demande une intervention, sans avoir à surveiller le tableau de bord : les "
                               "alertes actives, leur historique, et les règles auxquelles s'abonner pour les "
                               "recevoir par courriel."),
        dcc.Interval(id=ids.ALERTS_INTERVAL, interval=REFRESH_SECONDS * 1000, n_intervals=0),
        dcc.Store(id=ids.ALERTS_REFRESH, data=0),
        html.Div(id=ids.ALERTS_MESSAGE, **{"aria-live": "polite"}),
        html.Section([html.H2("Alertes actives", className="h5"),
                      dcc.Loading(html.Div(id=ids.ALERTS_FIRING), type="dot")], className="mb-4",
                     **{"aria-label": "Alertes actives"}),
        html.Section([html.H2("Règles d'alerte", className="h5"), form, silence_select() if manage else None,
                      html.Div(id=ids.ALERTS_RULES)], className="mb-4"),
        html.Section([html.H2("Historique", className="h5"), html.Div(id=ids.ALERTS_HISTORY)], className="mb-4"),
        html.P(f"Les alertes sont évaluées chaque minute par le service de surveillance ; la page s'actualise toutes "
               f"les {REFRESH_SECONDS} s.", className="small text-muted"),
    ])
