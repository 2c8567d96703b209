"""The feeds API, /api/v1: authenticated by a per-source key, one event or a batch, JSON or FHIR.

Answers per item (accepted / updated / duplicate / rejected with the field at fault):
201 all stored, 200 nothing new (duplicates), 207 mixed, 422 all rejected; 400 unreadable body,
401 no or bad key, 403 key of another feed, 413 too large, 415 not JSON, 429 too many requests, 503
database unavailable (nothing was stored nor kept: send again). Errors are always JSON; every refused
body or item is kept in the rejects table (a body over the limit, truncated, with its size).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import InType, SecureType, SecuritySchemeData
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.wsgi import get_input_stream

from data import admin, audit
from data.ingestion import examples, fhir
from data.ingestion.pipeline import ENDPOINTS, MAX_BATCH, Endpoint, IngestResult, ingest, ingest_fhir, reject
from data.ingestion.schemas import ErrorResponse, FieldError, IngestResponse, TimeWindow
from data.models import FeedSource
from server.database import db_session
from server.extensions import csrf, limiter

log = logging.getLogger(__name__)
API_KEY_HEADER = "X-API-Key"
MAX_BYTES = 5 * 1024 * 1024
KEPT_BYTES = 64 * 1024  # what is kept of a body over the limit
MEASURE_BYTES = 4 * MAX_BYTES  # a chunked body over the limit is read (and counted) up to this size, no further
READ_CHUNK = 64 * 1024
JSON_TYPES = ("application/json", "application/fhir+json")
UNAVAILABLE = "base de données indisponible : rien n'a été enregistré ni conservé, renvoyez la requête"
APIKEY_AUDIT_EVERY = timedelta(hours=1)


def _new_spec() -> SpecTree:
    return SpecTree(
        # spectree skips the routes under its own path: keep it apart; /api/v1/openapi.json is ours
        "flask", title="e-Meuse Santé — API des flux", version="1.0.0", path="api/spectree", filename="openapi.json",
        page_templates={}, annotations=False, mode="strict",
        description="Flux du programme e-Meuse Santé : une clé d'API par source, en-tête X-API-Key.",
        security_schemes=[SecurityScheme(name="ApiKey", data=SecuritySchemeData(
            type=SecureType.API_KEY, name=API_KEY_HEADER, field_in=InType.HEADER,
            description="clé d'API de la source"))],
        security={"ApiKey": []},
    )

RESPONSES = Response(HTTP_200=IngestResponse, HTTP_201=IngestResponse, HTTP_207=IngestResponse,
                     HTTP_422=IngestResponse, HTTP_400=ErrorResponse, HTTP_401=ErrorResponse,
                     HTTP_403=ErrorResponse, HTTP_413=ErrorResponse, HTTP_415=ErrorResponse, HTTP_429=ErrorResponse,
                     HTTP_503=ErrorResponse)


class FhirPayload(RootModel[dict]):
    """A FHIR R4/R4B resource (Encounter, Observation, Location, PractitionerRole + Practitioner) or a Bundle."""

    model_config = ConfigDict(json_schema_extra={"description": (
        "Une ressource FHIR R4/R4B (Encounter, Observation, Location, PractitionerRole + Practitioner) "
        "ou un Bundle.")})


def _body_model(endpoint: Endpoint) -> type[BaseModel]:
    """One event, a list of events, or {"events": [...]}."""
    name = endpoint.schema.__name__
    batch = Annotated[list[endpoint.schema], Field(min_length=1, max_length=MAX_BATCH)]  # as `_items` answers
    envelope = create_model(f"{name}Batch", events=(batch, ...))
    root = RootModel[endpoint.schema | batch | envelope]  # type: ignore[valid-type]
    return type(f"{name}Body", (root,), {"__doc__": "Un événement, une liste, ou {\"events\": [...]}.",
                                         "__module__": __name__})


def _error(status: int, code: str, message: str, errors: list[FieldError] | None = None):
    response = jsonify(ErrorResponse(error=code, message=message, errors=errors or []).model_dump())
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def _authenticate(feed_kind: str | None) -> FeedSource | tuple:
    key = request.headers.get(API_KEY_HEADER, "").strip()
    if not key:
        return _error(401, "missing_api_key", f"clé d'API manquante (en-tête {API_KEY_HEADER})"), None
    source = admin.source_for_key(db_session(), key=key)
    if source is None:
        return _error(401, "invalid_api_key", "clé d'API inconnue ou révoquée"), None
    if feed_kind is not None and source.feed_kind != feed_kind:
        return _error(403, "wrong_feed", f"cette clé est réservée au flux {source.feed_kind!r}"), source
    return source


def _keep(source: FeedSource, feed_kind: str, payload, error: FieldError, received_at: datetime, status: int):
    """Keep a refused body with its reason and answer `status`; 503 if it cannot be kept (nothing claimed)."""
    session = db_session()
    try:
        reject(session, source=source, feed_kind=feed_kind, payload=payload, error=error, received_at=received_at)
        session.commit()
    except (OperationalError, DBAPIError) as exc:
        session.rollback()
        log.warning("reject not kept: %s", type(exc).__name__)
        return _error(503, "database_unavailable", UNAVAILABLE)
    return _error(status, error.reason, error.message, [error])


def _read_body() -> tuple[bytes, int | None]:
    """The body, read from the stream (chunked or not) up to MAX_BYTES + 1 bytes; `size` is None when it
    fits, else its real size (declared, or counted up to MEASURE_BYTES; -1 when larger still)."""
    # the raw stream, not `request.stream` (which refuses past MAX_CONTENT_LENGTH with nothing kept): bounded here
    stream = get_input_stream(request.environ, max_content_length=None)
    parts, got = [], 0
    while got <= MAX_BYTES:
        chunk = stream.read(min(READ_CHUNK, MAX_BYTES + 1 - got))
        if not chunk:
            return b"".join(parts), None
        parts.append(chunk)
        got += len(chunk)
    body = b"".join(parts)
    if request.content_length is not None:
        return body, request.content_length
    while got <= MEASURE_BYTES:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            return body, got
        got += len(chunk)
    return body, -1


def _too_large(source: FeedSource, feed_kind: str, body: bytes, size: int, received_at: datetime):
    measured = f"de {size} octets" if size > 0 else f"de plus de {MEASURE_BYTES} octets"
    error = FieldError(field="(corps)", reason="payload_too_large",
                       message=f"requête {measured} : {MAX_BYTES} octets ({MAX_BYTES // (1024 * 1024)} Mo) au plus, "
                               f"découpez-la en plusieurs lots (seuls les {KEPT_BYTES} premiers octets sont "
                               "conservés)")
    text = body[:KEPT_BYTES].decode("utf-8", errors="replace")
    return _keep(source, feed_kind, text, error, received_at, 413)


def _read_json(source: FeedSource, feed_kind: str, received_at: datetime):
    """The parsed body, or an error response (the refused body is kept as a reject)."""
    raw, size = _read_body()
    if size is not None:
        return None, _too_large(source, feed_kind, raw, size, received_at)
    mimetype = request.mimetype
    if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        error = FieldError(field="(en-tête Content-Type)", reason="unsupported_media_type",
                           message=f"type de contenu {mimetype or '(absent)'!r} refusé : application/json "
                                   "ou application/fhir+json attendu")
        return None, _keep(source, feed_kind, raw.decode("utf-8", errors="replace"), error, received_at, 415)
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError):
        error = FieldError(field="(corps)", reason="invalid_json", message="le corps de la requête n'est pas du JSON")
        return None, _keep(source, feed_kind, raw.decode("utf-8", errors="replace"), error, received_at, 400)


def _items(body, source: FeedSource, feed_kind: str, received_at: datetime):
    if isinstance(body, dict) and set(body) == {"events"} and isinstance(body["events"], list):
        items = body["events"]
    elif isinstance(body, list):
        items = body
    elif isinstance(body, dict):
        items = [body]
    else:
        items = None
    error = None
    if items is None:
        error = (400, FieldError(field="(corps)", reason="invalid_body",
                                 message="un événement (objet), une liste ou {\"events\": [...]} est attendu"))
    elif not items:
        error = (400, FieldError(field="events", reason="empty_batch", message="lot vide"))
    elif len(items) > MAX_BATCH:
        error = (413, FieldError(field="events", reason="batch_too_large",
                                 message=f"lot de {len(items)} événements : {MAX_BATCH} au plus par requête"))
    if error:
        return None, _keep(source, feed_kind, body, error[1], received_at, error[0])
    return items, None


def _status(result: IngestResult) -> int:
    stored = result.accepted + result.updated
    if result.rejected and (stored or result.duplicates):
        return 207
    if result.rejected:
        return 422
    return 201 if stored else 200


def _note_key_use(source: FeedSource, previous_seen: datetime | None, received_at: datetime) -> None:
    """Audit API-key use, once an hour per source (every request would drown the journal)."""
    if previous_seen is None or received_at - previous_seen >= APIKEY_AUDIT_EVERY:
        audit.record(db_session(), action="apikey.use", actor=source.name, target=source.name,
                     detail={"prefix": source.key_prefix, "feed_kind": source.feed_kind}, ip=request.remote_addr)


def _store(source: FeedSource, received_at: datetime, store: Callable[[Session], IngestResult],
           endpoints: Iterable[Endpoint]):
    """Run `store` in one transaction; 503 (nothing kept) when the database fails."""
    session = db_session()
    previous_seen = source.last_seen_at
    try:
        result = store(session)
        _note_key_use(source, previous_seen, received_at)
        session.commit()
    except (OperationalError, DBAPIError) as exc:
        session.rollback()
        log.warning("ingestion rolled back: %s", type(exc).__name__)
        return _error(503, "database_unavailable", UNAVAILABLE)
    from server.cache import bump_changes

    # after the commit: the months the events touched (every dataset of the endpoints, even if nothing was stored),
    # and the feeds page as a whole (receipts, rejects)
    touched = {d: result.touched.get(d, frozenset()) for endpoint in endpoints for d in endpoint.datasets}
    bump_changes({**touched, "feeds": None})
    return result


def _window() -> TimeWindow:
    settings = current_app.config["EMEUSE_SETTINGS"]
    return TimeWindow(earliest=settings.ingest_earliest, horizon=timedelta(days=settings.ingest_horizon_days))


def _ingest_view(endpoint: Endpoint):
    def view():
        auth = _authenticate(endpoint.feed_kind)
        if isinstance(auth, tuple):
            response, source = auth
            return response
        source = auth
        received_at = datetime.now(UTC).replace(tzinfo=None)
        body, error = _read_json(source, endpoint.feed_kind, received_at)
        if error is not None:
            return error
        items, error = _items(body, source, endpoint.feed_kind, received_at)
        if error is not None:
            return error
        result = _store(source, received_at, lambda session: ingest(
            session, source=source, endpoint=endpoint, items=items, received_at=received_at, window=_window()),
            [endpoint])
        if not isinstance(result, IngestResult):
            return result
        return jsonify(result.as_dict()), _status(result)

    view.__name__ = "ingest_" + endpoint.name.replace("/", "_").replace("-", "_")
    view.__doc__ = f"{endpoint.schema.DESCRIPTION}\n\nUn événement, une liste, ou {{\"events\": [...]}}."
    return view


def fhir_view():
    """Ressources FHIR R4/R4B (ou un Bundle) du flux de la clé : validées (structure R4B) puis vérifiées
    contre notre terminologie, comme la forme JSON."""
    auth = _authenticate(None)
    if isinstance(auth, tuple):
        return auth[0]
    source = auth
    received_at = datetime.now(UTC).replace(tzinfo=None)
    body, error = _read_json(source, source.feed_kind, received_at)
    if error is not None:
        return error
    entries = fhir.map_request(body, feed_kind=source.feed_kind)
    if len(entries) > MAX_BATCH:
        error = FieldError(field="entry", reason="batch_too_large", message=f"{MAX_BATCH} ressources au plus par "
                                                                            "requête")
        return _keep(source, source.feed_kind, body, error, received_at, 413)
    endpoints = {ENDPOINTS[entry.endpoint] for entry in entries if entry.error is None}
    window = _window()
    result = _store(source, received_at, lambda session: ingest_fhir(
        session, source=source, entries=entries, received_at=received_at, window=window), endpoints)
    if not isinstance(result, IngestResult):
        return result
    return jsonify(result.as_dict()), _status(result)


def _database_unavailable(exc: Exception):
    """The database failed outside a store (the key check, say): nothing was stored nor kept."""
    db_session().rollback()
    log.warning("API request failed on the database: %s", type(exc).__name__)
    return _error(503, "database_unavailable", UNAVAILABLE)


def _api_rate_key() -> str:
    return "api:" + (request.headers.get(API_KEY_HEADER, "")[:16] or request.remote_addr or "?")


def _rate() -> str:
    return current_app.config["EMEUSE_SETTINGS"].api_rate_limit


def docs():
    """Human-readable API page: endpoints, rules and one example per endpoint (JSON and FHIR)."""
    document = current_app.extensions["emeuse.api_spec"].spec
    fields = {name: _fields(endpoint.schema) for name, endpoint in ENDPOINTS.items()}
    return render_template("api_docs.html", document=document, endpoints=ENDPOINTS, fields=fields,
                           json_examples=examples.json_examples(), fhir_examples=examples.fhir_examples(),
                           header=API_KEY_HEADER, max_batch=MAX_BATCH, max_bytes=MAX_BYTES, dumps=json.dumps)


def _fields(schema: type[BaseModel]) -> list[tuple[str, bool, str]]:
    """(name, required, French description) of each field of an event, as its JSON schema says."""
    document = schema.model_json_schema()
    required = set(document.get("required", ()))
    return [(name, name in required, prop.get("description", "")) for name, prop in document["properties"].items()]


def openapi():
    """The OpenAPI document of this API."""
    return jsonify(current_app.extensions["emeuse.api_spec"].spec)


def register(app: Flask) -> None:
    """A blueprint and an OpenAPI document per app (tests build several apps in one process)."""
    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    spec = _new_spec()
    for endpoint in ENDPOINTS.values():
        view = _ingest_view(endpoint)
        view = spec.validate(json=_body_model(endpoint), resp=RESPONSES, tags=[endpoint.feed_kind],
                             skip_validation=True)(view)
        view = limiter.limit(_rate, key_func=_api_rate_key)(view)
        bp.add_url_rule(f"/{endpoint.name}", view_func=view, methods=["POST"])
    fhir_doc = spec.validate(json=FhirPayload, resp=RESPONSES, tags=["fhir"], skip_validation=True)(fhir_view)
    bp.add_url_rule("/fhir", view_func=limiter.limit(_rate, key_func=_api_rate_key)(fhir_doc), methods=["POST"])
    bp.add_url_rule("/docs", view_func=docs, methods=["GET"])
    bp.add_url_rule("/openapi.json", view_func=openapi, methods=["GET"])
    bp.register_error_handler(OperationalError, _database_unavailable)
    bp.register_error_handler(DBAPIError, _database_unavailable)
    csrf.exempt(bp)  # authenticated by API key, not by a browser session
    app.register_blueprint(bp)
    spec.register(app)
    app.extensions["emeuse.api_spec"] = spec
