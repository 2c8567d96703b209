"""Report downloads (/rapports/<id>.<pdf|xlsx>) and the `flask --app app report` command.

A report is served to its recipient (or an administrator) only, checked on the server for every download
and journalled; what it contains was decided by the page views for its recipient (data/reports.py).
"""
from __future__ import annotations

from datetime import date

import click
from flask import Blueprint, Flask, Response, current_app, request
from flask_login import current_user

from data import audit, reports
from data.filters import parse_month
from data.users import utcnow
from server.auth import current_scope
from server.database import db_session, reader
from server.refusals import note_refusal
from server.security import error_page

bp = Blueprint("reports", __name__)


@bp.route("/rapports/<int:report_id>.<fmt>")
def download(report_id: int, fmt: str):
    if fmt not in reports.MIME:
        return error_page(404, "Format inconnu", "Un rapport se télécharge en PDF ou en XLSX.")
    session = db_session()
    try:
        data, name = reports.report_file(session, scope=current_scope(), report_id=report_id, fmt=fmt)
    except reports.ReportRefused:
        note_refusal("report", request.path)
        return error_page(403, "Accès refusé", "Ce rapport n'est pas le vôtre : seul son destinataire (ou un "
                                               "administrateur) peut le télécharger.")
    except LookupError:
        return error_page(404, "Rapport indisponible", "Ce rapport n'est pas encore prêt, ou sa génération a échoué.")
    audit.record(session, action="report.download", actor=current_user.email, user_id=current_user.id,
                 target=f"report {report_id}", detail={"format": fmt}, ip=request.remote_addr)
    session.commit()
    return Response(data, mimetype=reports.MIME[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def report_job(app: Flask) -> None:
    """The worker's monthly step (server/worker.py runs it each round): last month's reports, once each."""
    settings = app.config["EMEUSE_SETTINGS"]
    with app.extensions["emeuse.sessions"]() as session:
        reports.run_due_reports(session, now=utcnow(), territory=settings.departements,
                                base_url=settings.public_base_url, read=lambda: reader(app))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.cli.command("report")
    @click.option("--email", required=True, help="the recipient (their subscription; every page they may see if none)")
    @click.option("--month", required=True, help="YYYY-MM")
    def report_cmd(email: str, month: str) -> None:
        """Render (or re-use) one user's report of a month, on demand; prints where it is and its size."""
        from data.db import session_scope
        from data.report_content import user_by_email

        first = parse_month(month)
        if first is None or first > date.today():
            raise click.BadParameter("mois attendu au format AAAA-MM, pas dans le futur", param_hint="--month")
        settings = current_app.config["EMEUSE_SETTINGS"]
        with session_scope(current_app.extensions["emeuse.sessions"]) as session:
            user = user_by_email(session, email)
            if user is None:
                raise click.BadParameter(f"aucun utilisateur {email}", param_hint="--email")
            subs = reports.subscriptions_of(session, user_id=user.id)
            if not subs:
                from data.access import scope_for_user

                scope = scope_for_user(session, user, territory=settings.departements)
                subs = [reports.subscribe(session, scope=scope, actor="cli", pages=None)]
                session.commit()
            report = reports.generate(session, subscription_id=subs[0].id, month=first,
                                      territory=settings.departements, now=utcnow(),
                                      base_url=settings.public_base_url, asked=True,
                                      read=lambda: reader(current_app))
            if report is None or report.status != reports.READY:
                raise click.ClickException(f"rapport non généré : {report.error if report else 'en cours ailleurs'}")
            click.echo(f"report {report.id} ({month}) for {email}: PDF {len(report.pdf)} bytes, "
                       f"XLSX {len(report.xlsx)} bytes, data until {report.data_until}")
