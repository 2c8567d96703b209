/* URL state (callbacks/url_state.py): the page's state store → the address bar and the session memory;
   the memory → the menu links' href props (dbc.NavLink navigates with its href prop, not the DOM). */
(function () {
    function withOwn(query, own) {
        return own ? query + (query ? '&' : '?') + own : query;
    }
    window.dash_clientside = Object.assign({}, window.dash_clientside);
    window.dash_clientside.emeuse = Object.assign({}, window.dash_clientside.emeuse, {
        syncAddress: function (states, memory) {
            var noUpdate = window.dash_clientside.no_update;
            var inputs = window.dash_clientside.callback_context.inputs_list[0] || [];
            var state = states && states[0];
            if (inputs.length !== 1 || !state || typeof state.filters !== 'string') {
                return noUpdate;  // not a dashboard page (or not drawn yet)
            }
            var query = withOwn(state.filters, state.own || '');
            if (window.location.search !== query) {
                window.history.replaceState(window.history.state, '',
                                            window.location.pathname + query + window.location.hash);
            }
            var pages = Object.assign({}, (memory && memory.pages) || {});
            pages[inputs[0].id.page] = state.own || '';
            return {filters: state.filters, pages: pages};
        },
        navHrefs: function (memory) {
            var outputs = window.dash_clientside.callback_context.outputs_list || [];
            if (outputs.length && Array.isArray(outputs[0])) {
                outputs = outputs[0];
            }
            var filters = (memory && typeof memory.filters === 'string') ? memory.filters : '';
            var pages = (memory && memory.pages) || {};
            return outputs.map(function (output) {
                return output.id.path + withOwn(filters, pages[output.id.page] || '');
            });
        }
    });
})();
