"""What every dashboard page starts with: rights check, filters from the URL, the filter bar,
the live-refresh controls and the note on the level of detail. (Dash skips `_` modules.)"""
from __future__ import annotations

from datetime import date

from dash import dcc, html

from components import ids, url_state
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


def filters_panel(bar) -> html.Div:
    """The filter bar inline from the lg breakpoint; below it, an off-canvas panel opened by « Filtres », with
    the active filters in words beside the button (callbacks/layout.py; the same words head a printed page)."""
    return html.Div([
        html.Div([
            html.Button("Filtres", id=ids.FILTERS_OPEN, type="button",
                        className="btn btn-outline-primary btn-sm d-lg-none me-2 flex-shrink-0",
                        **{"aria-controls": ids.FILTERS_PANEL, "aria-expanded": "false"}),
            html.P(id=ids.FILTERS_SUMMARY, className="filters-summary small mb-0 d-lg-none", **{"aria-live": "polite"}),
        ], className="filters-toggle d-flex align-items-center mb-2"),
        html.Div(id=ids.FILTERS_BACKDROP, className="d-none"),
        html.Div([
            html.Div([html.H2("Filtres", className="h5 offcanvas-title", id=f"{ids.FILTERS_PANEL}-title"),
                      html.Button(id=ids.FILTERS_CLOSE, type="button", className="btn-close",
                                  **{"aria-label": "Fermer les filtres"})],
                     className="offcanvas-header"),
            html.Div(bar, className="offcanvas-body"),
        ], id=ids.FILTERS_PANEL, className="offcanvas-lg offcanvas-start filters-panel", tabIndex="-1"),
    ], className="filters-area")


def print_header() -> html.Div:
    """Shown on paper only (assets/style.css): what the page is, when it was printed (assets/print.js)."""
    return html.Div(html.P(["e-Meuse Santé — tableau de bord du consortium · imprimé le ",
                            html.Span(id=ids.PRINT_DATE)], className="small mb-1"), className="print-header")


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
        print_header(),
        page_header(title, subtitle),
        filters_panel(filter_bar(filters=filters, departements=deps, epcis=epci_options(session, chosen),
                                 communes=commune_options(session, chosen, filters.epci))) if show_filters else None,
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
