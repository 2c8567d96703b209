"""Callbacks shared by every page: the filter bar (its inputs, territory choices, map clicks), tables, timers.

The address bar and the menu links follow the filters in callbacks/url_state.py."""
from datetime import date

from dash import MATCH, ClientsideFunction, Input, Output, State, callback, clientside_callback
from dash.exceptions import PreventUpdate
from flask import current_app

from callbacks._access import guarded
from components import ids
from components.filters import ALL, commune_select_options, epci_select_options
from components.panel import TABLE_BODY, TABLE_DATA
from data.filters import INSEE_RE, Filters, parse_filters
from data.geography import commune_options, epci_options
from server.database import db_session

# --- filters shared by every dashboard page ------------------------------------------------------

FILTER_INPUTS = [Input(ids.FILTER_DEPARTEMENTS, "value"), Input(ids.FILTER_MONTH_FROM, "value"),
                 Input(ids.FILTER_MONTH_TO, "value"), Input(ids.FILTER_EPCI, "value"),
                 Input(ids.FILTER_COMMUNE, "value")]
# The same controls read as State by a page's figures callback, which its cards callback triggers.
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]
SAMPLE_FILTERS = (["55"], "2026-01", "2026-06", ALL, ALL)
SAMPLE_READY = 1  # what a cards callback last wrote to its page's `ready` store (any value triggers the figures)


def read_filters(departements, month_from, month_to, epci=None, commune=None) -> Filters:
    """The filters the controls hold, validated like a URL query (the browser is not trusted)."""
    settings = current_app.config["EMEUSE_SETTINGS"]
    return parse_filters({"dep": ",".join(departements or []), "du": month_from, "au": month_to,
                          "epci": epci, "commune": commune}, today=date.today(), territory=settings.departements)


@callback(Output(ids.FILTER_EPCI, "options"), Output(ids.FILTER_EPCI, "value"),
          Output(ids.FILTER_COMMUNE, "options"), Output(ids.FILTER_COMMUNE, "value", allow_duplicate=True),
          Input(ids.FILTER_DEPARTEMENTS, "value"), Input(ids.FILTER_EPCI, "value"),
          State(ids.FILTER_COMMUNE, "value"), prevent_initial_call=True)
@guarded(dataset=None, sample_args=(["55"], ALL, ALL), has_data=lambda result: len(result[2]) > 1, public=True)
def territory_choices(departements, epci, commune, *, scope):
    """EPCI and communes offered follow the départements chosen; a choice that no longer fits is cleared."""
    deps = scope.restrict(departements)
    session = db_session()
    epcis = epci_options(session, deps)
    epci = epci if epci in epcis else ALL
    communes = commune_options(session, deps, None if epci == ALL else epci)
    return (epci_select_options(epcis), epci, commune_select_options(communes),
            commune if commune in communes else ALL)


def map_click_filters_commune(graph: str) -> None:
    """Clicking a commune (choropleth location, or a point's customdata) makes it the commune filter."""

    @callback(Output(ids.FILTER_COMMUNE, "value", allow_duplicate=True), Input(graph, "clickData"),
              prevent_initial_call=True)
    @guarded(dataset=None, sample_args=({"points": [{"location": "55029"}]},),
             has_data=lambda result: result == "55029", public=True)
    def clicked(click, *, scope):
        point = ((click or {}).get("points") or [{}])[0]
        code = point.get("location") or point.get("customdata")
        if isinstance(code, list):
            code = code[0] if code else None
        if not isinstance(code, str) or not INSEE_RE.match(code) or code[:2] not in scope.departements:
            raise PreventUpdate
        return code

    clicked.__name__ = f"clicked_{graph.replace('-', '_')}"


# Each data table is drawn in the browser from the rows its panel's callback sent (assets/tables.js), as
# plain DOM inside its container (the output is only the container's class: its rows are no Dash components).
clientside_callback(
    ClientsideFunction(namespace="emeuse", function_name="renderTable"),
    Output({"type": TABLE_BODY, "key": MATCH}, "className"),
    Input({"type": TABLE_DATA, "key": MATCH}, "data"),
)


# Pause / resume the live timers of a page.
clientside_callback(
    "function(on) { return !on; }",
    Output({"type": "live-interval", "page": MATCH}, "disabled"),
    Input({"type": "live-switch", "page": MATCH}, "value"),
)


def updated_at() -> str:
    """'Mis à jour à 14:05:12 (heure de Paris)': the one clock (data.formatting); 'Données de 14:05:02 (heure de
    Paris)' when the page's view was served as it was a few seconds ago (a live view, server/cache.py)."""
    from datetime import UTC, datetime

    from data.formatting import updated_at as stamp
    from server.cache import view_as_of

    as_of = view_as_of()
    return stamp() if as_of is None else stamp(datetime.fromtimestamp(as_of, UTC), served=True)


def view_ready() -> int:
    """What a page's cards callback writes to its `ready` store once the page's view is cached: a fresh
    value (the figures callback runs on every write), carrying no data."""
    import time

    return time.time_ns()


def note_box(note: str | None, incomplete: str | None = None):
    """The level-of-detail note above a page's figures (None when at detail level), and the view's
    « données incomplètes » warning when the period lacks reports."""
    from dash import html

    boxes = [html.Div(note, className="alert alert-info small py-2") if note else None,
             html.Div(incomplete, className="alert alert-warning small py-2 incomplete-note") if incomplete else None]
    boxes = [b for b in boxes if b is not None]
    return boxes or None
