"""What every dashboard page starts with: rights check, filters from the URL, the filter bar,
the live-refresh controls and the note on the level of detail. (Dash skips `_` modules.)"""
from __future__ import annotations

from datetime import date

from dash import dcc, html

from components import url_state
from components.filters import filter_bar
from components.live import live_controls
from components.page import denied, page_header
from data.filters import Filters, parse_filters
from data.geography import commune_options, departement_names, epci_options
from server.auth import current_scope
from server.database import db_session
from settings import get_settings


def note_id(page: str) -> str:
    return f"{page}-note"


def ready_id(page: str) -> dict:
    """The store a page's cards callback writes once its view is cached: it triggers the figures callback,
    so the cards are drawn first and the figures read the view from the cache (one computation)."""
    return {"type": "view-ready", "page": page}


def dashboard_page(query: dict, *, page: str, title: str, subtitle: str, dataset: str | None,
                   body, live: bool = True, show_filters: bool = True) -> html.Div:
    """`body(filters)` returns the page's own content; its own controls take their values from
    `url_state.initial_values(page, query)` (components/url_state.py)."""
    scope = current_scope()
    if scope is None or not scope.can_open(dataset, None):
        return denied()
    filters: Filters = parse_filters(query, today=date.today(), territory=get_settings().departements)
    session = db_session()
    deps = {code: name for code, name in departement_names(session).items() if code in scope.departements}
    chosen = scope.restrict(filters.departements)
    return html.Div([
        page_header(title, subtitle),
        filter_bar(filters=filters, departements=deps, epcis=epci_options(session, chosen),
                   communes=commune_options(session, chosen, filters.epci)) if show_filters else None,
        live_controls(page) if live else None,
        html.Div(id=note_id(page), **{"aria-live": "polite"}),
        dcc.Store(id=ready_id(page)),
        body(filters),
        _state_store(page, filters, query) if show_filters else None,
    ])


def _state_store(page: str, filters: Filters, query: dict):
    """The page's URL state as the layout drew it (callbacks/url_state.py keeps it up to date)."""
    if page not in url_state.PAGE_CONTROLS:
        return None
    own = url_state.own_query(page, tuple(url_state.initial_values(page, query).values()))
    return dcc.Store(id=url_state.page_state_id(page), data=url_state.page_state(filters.to_query(), own))
