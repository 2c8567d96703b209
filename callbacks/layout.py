"""Responsive layout, in the browser only (clientside: no data, nothing to guard): the « Menu » toggler below
the lg breakpoint, the off-canvas filters panel and the active filters in words (assets/layout.js)."""
from dash import ClientsideFunction, Input, Output, State, clientside_callback

from components import ids

_PAGES_LOCATION = "_pages_location"  # Dash pages' own dcc.Location: a navigation closes the menu

clientside_callback(
    ClientsideFunction(namespace="emeuse_layout", function_name="toggleMenu"),
    Output(ids.NAV_PAGES, "is_open"), Output(ids.NAV_ACCOUNT, "is_open"), Output(ids.NAV_TOGGLER, "aria-expanded"),
    Input(ids.NAV_TOGGLER, "n_clicks"), Input(_PAGES_LOCATION, "pathname"),
    State(ids.NAV_PAGES, "is_open"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="emeuse_layout", function_name="toggleFilters"),
    Output(ids.FILTERS_PANEL, "className"), Output(ids.FILTERS_BACKDROP, "className"),
    Output(ids.FILTERS_OPEN, "aria-expanded"),
    Input(ids.FILTERS_OPEN, "n_clicks"), Input(ids.FILTERS_CLOSE, "n_clicks"), Input(ids.FILTERS_BACKDROP, "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="emeuse_layout", function_name="filtersSummary"),
    Output(ids.FILTERS_SUMMARY, "children"),
    Input(ids.FILTER_DEPARTEMENTS, "value"), Input(ids.FILTER_MONTH_FROM, "value"), Input(ids.FILTER_MONTH_TO, "value"),
    Input(ids.FILTER_EPCI, "value"), Input(ids.FILTER_COMMUNE, "value"),
    State(ids.FILTER_DEPARTEMENTS, "options"), State(ids.FILTER_MONTH_FROM, "options"),
    State(ids.FILTER_EPCI, "options"), State(ids.FILTER_COMMUNE, "options"),
)
