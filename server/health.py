"""Health check for load balancers and the container, and the fingerprinted map geometry."""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import text

from data.db import schema_revision
from data.geography import GEOMETRY_FILES, geojson_fingerprint

bp = Blueprint("health", __name__)


WRITE_TIMEOUT_MS = 1000  # the check waits this long for a write lock (writers wait 30 s)
# A real write that changes nothing, rolled back: it needs the write lock (SQLite) or a writable transaction
# (PostgreSQL read-only replica or `default_transaction_read_only`), on a table every migrated database has.
PROBE_WRITE = "UPDATE alembic_version SET version_num = version_num"


def _probe_write(conn) -> None:
    """Attempt the harmless write with a short lock timeout; the caller rolls back."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {WRITE_TIMEOUT_MS}")
        try:
            conn.exec_driver_sql(PROBE_WRITE)
        finally:
            conn.rollback()
            conn.exec_driver_sql("PRAGMA busy_timeout = 30000")  # make_engine's timeout, for the pooled connection
        return
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {WRITE_TIMEOUT_MS}")
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {2 * WRITE_TIMEOUT_MS}")
    try:
        conn.exec_driver_sql(PROBE_WRITE)
    finally:
        conn.rollback()


@bp.route("/healthz")
def healthz():
    engine = current_app.extensions["emeuse.engine"]
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = schema_revision(engine)
    except Exception as exc:  # the point is to report, not to raise
        return jsonify(status="error", database="unreachable", detail=type(exc).__name__), 503
    if revision is not None:
        try:
            with engine.connect() as conn:
                _probe_write(conn)
        except Exception as exc:  # locked, read-only or out of space: reads work, writes do not
            return jsonify(status="degraded", database="read-only", detail=type(exc).__name__,
                           schema=revision, engine=engine.dialect.name), 503
    return jsonify(status="ok", database="ok", schema=revision, engine=engine.dialect.name)


def geojson_url(level: str = "commune") -> str:
    """URL of the commune (or département) geometry; its fingerprint changes whenever the file does."""
    geo_dir = current_app.config["EMEUSE_SETTINGS"].geo_dir
    name = GEOMETRY_FILES[level]
    return f"/geo/{name.removesuffix('.geojson')}.{geojson_fingerprint(geo_dir / name)}.geojson"


@lru_cache(maxsize=4)
def _geojson_bytes(path: Path) -> tuple[bytes, bytes]:
    """The file and its gzip form, compressed once per process rather than on every request."""
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9)


@bp.route("/geo/<kind>.<fingerprint>.geojson")
def geometry(kind: str, fingerprint: str):
    files = {name.removesuffix(".geojson"): name for name in GEOMETRY_FILES.values()}
    if kind not in files:
        abort(404)
    path = current_app.config["EMEUSE_SETTINGS"].geo_dir / files[kind]
    if not path.exists() or fingerprint != geojson_fingerprint(path):
        abort(404)
    raw, packed = _geojson_bytes(path)
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(packed if gzip_ok else raw, mimetype="application/geo+json")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["ETag"] = f'"{fingerprint}"'
    return response
