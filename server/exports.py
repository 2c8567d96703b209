"""Exports of every table a page shows: /export/<table>.<csv|xlsx>?<filters>.

The table is taken from the page's own view (data/views), asked again here with the caller's own scope
(level of detail, départements, statistical secrecy) — never from what the browser displayed — so an
export is exactly the table on screen, and each export is journalled.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from flask import Blueprint, Response, current_app, request
from flask_login import current_user

from data import audit
from data.exports import to_csv, to_xlsx
from data.filters import parse_filters
from data.users import utcnow
from data.views import EXPORTS, VIEWS
from data.views.base import find_table
from data.views.metadata import export_metadata
from server.auth import current_scope
from server.cache import page_view
from server.database import db_session
from server.refusals import note_refusal
from server.security import error_page

bp = Blueprint("exports", __name__)
MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _values(df: pd.DataFrame) -> list[list]:
    return [[None if (isinstance(v, float) and v != v) or v is pd.NA else v for v in row]
            for row in df.itertuples(index=False)]


def _from_view(key: str, fmt: str):
    """A table of a page view: the same (cached) view the page shows, so the export equals the screen."""
    spec = EXPORTS[key]
    view_spec = VIEWS[spec.view]
    scope = current_scope()
    if scope is None or not scope.can_open(view_spec.dataset, view_spec.roles):
        note_refusal("export", request.path, dataset=view_spec.dataset, roles=view_spec.roles)
        return error_page(403, "Accès refusé", "Votre profil ne permet pas d'exporter ce tableau.")
    settings = current_app.config["EMEUSE_SETTINGS"]
    filters = parse_filters(request.args, today=date.today(), territory=settings.departements)
    options = view_spec.options(request.args, filters)
    session = db_session()
    view = page_view(spec.view, scope=scope, filters=filters, options=options, exact=True)
    if getattr(view, "refused", False):  # the view decided the caller may not see this table at all
        return error_page(403, "Accès refusé", getattr(view, "message", None) or "Votre profil ne permet pas "
                                                                                 "d'exporter ce tableau.")
    table = find_table(view, key)
    if table is None:  # a table the view offers at detail level only
        return error_page(403, "Accès refusé", "Ce tableau n'est pas proposé à votre niveau de détail.")
    metadata = export_metadata(session, spec=view_spec, view=view, table=table, scope=scope, filters=filters,
                               options=options, base_url=request.host_url, version=_version(session),
                               extracted_at=utcnow())
    return _send(session, key, fmt, spec.title, table.frame, filters, {"options": repr(options)}, metadata.lines)


def _version(session) -> str:
    """The app's version as deployed: its database schema revision (Alembic head)."""
    from data.db import schema_revision

    return f"schéma {schema_revision(session.get_bind()) or 'inconnu'}"


def _send(session, key: str, fmt: str, title: str, df: pd.DataFrame, filters, params: dict,
          metadata: tuple[tuple[str, str], ...] = ()) -> Response:
    audit.record(session, action="export", actor=current_user.email, user_id=current_user.id, target=key,
                 detail={"format": fmt, "query": filters.to_query(), "params": params, "rows": len(df)},
                 ip=request.remote_addr)
    session.commit()
    header, rows = list(df.columns), _values(df)
    body = (to_csv(rows, header, metadata).encode("utf-8") if fmt == "csv"
            else to_xlsx(rows, header, sheet=title, metadata=metadata))
    name = f"e-meuse-sante_{key}_{date.today():%Y-%m-%d}.{fmt}"
    return Response(body, mimetype=MIME[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                        "Cache-Control": "no-store"})


@bp.route("/export/<key>.<fmt>")
def export(key: str, fmt: str):
    if key not in EXPORTS or fmt not in MIME:
        return error_page(404, "Export inconnu", "Ce tableau n'existe pas ou ce format n'est pas proposé "
                                                 "(formats : CSV, XLSX).")
    return _from_view(key, fmt)
