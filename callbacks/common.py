"""Callbacks shared by every page: keep the URL (and the menu links) in step with the filters."""
from dash import Input, Output, clientside_callback

from components import ids

# replaceState changes the address bar without a navigation, so the page is not rebuilt and the
# map keeps its zoom; menu links get the same query so moving between pages keeps the filters.
clientside_callback(
    """
    function(query) {
        if (typeof query !== 'string') { return window.dash_clientside.no_update; }
        if (window.location.search !== query) {
            window.history.replaceState(window.history.state, '', window.location.pathname + query);
        }
        document.querySelectorAll('a.nav-page-link, a.navbar-brand').forEach(function (a) {
            var url = new URL(a.href, window.location.origin);
            a.setAttribute('href', url.pathname + query);
        });
        return query;
    }
    """,
    Output(ids.FILTERS_QUERY_APPLIED, "data"),
    Input(ids.FILTERS_QUERY, "data"),
    prevent_initial_call=True,
)
