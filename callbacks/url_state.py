"""URL state: the address bar and the menu links follow the shared filters and the page's own controls.

For each dashboard page (components/url_state.py `PAGE_CONTROLS`), a server callback turns the
filter bar and the page's controls, validated by their codecs, into the page's state store. In the
browser (assets/url_state.js), that store rewrites the address bar (replaceState: no navigation, the
map keeps its zoom) and the session memory; the memory sets the menu links' `href` props (what
`dbc.NavLink` navigates with), so a menu click carries the shared filters to every page and brings
each page's own last controls back to it.
"""
from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, read_filters
from components import url_state
from components.url_state import NAV_LINK, NAV_MEMORY, PAGE_CONTROLS, PAGE_STATE, page_state, page_state_id
from data.url_codecs import Decimal


def control_inputs(page: str) -> list[Input]:
    """The Inputs of a page's own controls, in registry order (for the page's callbacks)."""
    return [Input(c.id, c.prop) for c in url_state.controls(page)]


def control_states(page: str) -> list[State]:
    """The same controls as State (for a page's figures callback, which its cards callback triggers)."""
    return [State(c.id, c.prop) for c in url_state.controls(page)]


def read_controls(page: str, *values) -> tuple:
    """What the browser sent for the page's controls, validated by their codecs (registry order)."""
    return url_state.clean_values(page, values)


def _sample(page: str) -> tuple:
    return tuple(c.codec.default for c in url_state.controls(page))


PAGE_STATE_CALLBACKS: dict = {}  # page → its state callback (filter bar + own controls → the page's query)


def _register_page_state(page: str) -> None:
    def state(*values, scope):
        filters = read_filters(*values[:len(FILTER_INPUTS)])
        return page_state(filters.to_query(), url_state.own_query(page, values[len(FILTER_INPUTS):]))

    state.__name__ = state.__qualname__ = f"page_state_{page}"
    PAGE_STATE_CALLBACKS[page] = callback(
        Output(page_state_id(page), "data"), *FILTER_INPUTS, *control_inputs(page),
        prevent_initial_call=True)(  # the layout writes the first state itself
        guarded(dataset=None, sample_args=(*SAMPLE_FILTERS, *_sample(page)), public=True,
                has_data=lambda result: result["filters"].startswith("?dep=55&"))(state))


def _register_validity(page: str, control: url_state.Control) -> None:
    """A number typed in a text field is checked on the server; the field says when it is not valid."""

    def invalid(value, *, scope):
        return control.codec.number(value) is None

    invalid.__name__ = invalid.__qualname__ = f"invalid_{control.id.replace('-', '_')}"
    callback(Output(control.id, "invalid"), Input(control.id, "value"), prevent_initial_call=True)(
        guarded(dataset=None, sample_args=("2,5",), public=True, has_data=lambda result: result is False)(invalid))


for _page, _controls in PAGE_CONTROLS.items():
    _register_page_state(_page)
    for _control in _controls:
        if isinstance(_control.codec, Decimal):
            _register_validity(_page, _control)


clientside_callback(
    ClientsideFunction(namespace="emeuse", function_name="syncAddress"),
    Output(NAV_MEMORY, "data"),
    Input({"type": PAGE_STATE, "page": ALL}, "data"),
    State(NAV_MEMORY, "data"),
)

clientside_callback(
    ClientsideFunction(namespace="emeuse", function_name="navHrefs"),
    Output({"type": NAV_LINK, "page": ALL, "path": ALL, "slot": ALL}, "href"),
    Input(NAV_MEMORY, "data"),
)
