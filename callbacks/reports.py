"""« Rapports » callbacks: subscribe, unsubscribe, generate now, list — each for the signed-in caller only.

Everything is decided and audited in `data.reports` (the caller's own subscription and reports, the pages
their scope may open); the callback reads the buttons, calls it, and presents the result.
"""
from __future__ import annotations

from dash import Input, Output, State, callback, ctx
from flask import current_app, request
from flask_login import current_user

from callbacks._access import guarded
from components import ids
from components.admin import message
from components.reports import ALL, report_list
from data import reports
from data.filters import parse_month
from data.formatting import de, fmt_month
from data.report_content import page_choices
from server.database import db_session, reader

SAMPLE = (None, None, None, ALL, [], None)


def _state(subs, choices) -> str:
    sub = next((s for s in subs if s.active), None)
    if sub is None:
        return "Vous n'êtes abonné à aucun rapport mensuel."
    if sub.pages is None:
        return "Abonné : chaque mois, toutes les pages que vous pouvez consulter."
    titles = dict(choices)
    shown = ", ".join(titles[p] for p in sub.pages if p in titles) or "aucune page"
    return f"Abonné : chaque mois, {shown}."


@callback(
    Output(ids.REPORTS_MESSAGE, "children"), Output(ids.REPORTS_STATE, "children"),
    Output(ids.REPORTS_LIST, "children"), Output(ids.REPORTS_PAGES, "options"),
    Input(ids.REPORTS_SAVE, "n_clicks"), Input(ids.REPORTS_STOP, "n_clicks"), Input(ids.REPORTS_GENERATE, "n_clicks"),
    State(ids.REPORTS_MODE, "value"), State(ids.REPORTS_PAGES, "value"), State(ids.REPORTS_MONTH, "value"),
)
@guarded(sample_args=SAMPLE, has_data=lambda result: len(result[3]) > 1)  # pages beyond the overview
def reports_actions(_save, _stop, _generate, mode, pages, month, *, scope):
    session = db_session()
    actor, ip = current_user.email, request.remote_addr
    reply = None
    try:
        if ctx.triggered_id == ids.REPORTS_SAVE:
            reports.subscribe(session, scope=scope, actor=actor, pages=None if mode == ALL else list(pages or []),
                              ip=ip)
            session.commit()
            reply = message("Abonnement enregistré.")
        elif ctx.triggered_id == ids.REPORTS_STOP:
            for sub in reports.subscriptions_of(session, user_id=scope.user_id):
                if sub.active:
                    reports.unsubscribe(session, scope=scope, actor=actor, subscription_id=sub.id, ip=ip)
            session.commit()
            reply = message("Désabonnement enregistré : vos rapports restent téléchargeables.", "secondary")
        elif ctx.triggered_id == ids.REPORTS_GENERATE:
            chosen = parse_month(month)
            if chosen is None:
                raise ValueError("mois inconnu")
            settings = current_app.config["EMEUSE_SETTINGS"]
            app = current_app._get_current_object()
            report = reports.generate_now(session, scope=scope, actor=actor, month=chosen, ip=ip,
                                          territory=settings.departements, base_url=settings.public_base_url,
                                          read=lambda: reader(app))
            if report is not None and report.status == reports.READY:
                reply = message(f"Rapport {de(fmt_month(chosen))} prêt.")
            else:
                reply = message(f"Le rapport {de(fmt_month(chosen))} n'a pas pu être établi ; il sera réessayé.",
                                "danger")
    except (ValueError, reports.ReportRefused) as exc:
        session.rollback()
        reply = message(f"Action refusée : {exc}", "danger")
    choices = page_choices(scope)
    subs = reports.subscriptions_of(session, user_id=scope.user_id) if scope.user_id else []
    rows = reports.reports_of(session, user_id=scope.user_id) if scope.user_id else []
    return reply, _state(subs, choices), report_list(rows), [{"label": t, "value": n} for n, t in choices]
