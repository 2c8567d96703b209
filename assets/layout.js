/* Responsive layout (callbacks/layout.py): the « Menu » toggler, the off-canvas filters panel below the lg
   breakpoint (Bootstrap's .offcanvas-lg: inline from lg, a sliding panel below), the active filters in words. */
(function () {
    var PANEL = 'offcanvas-lg offcanvas-start filters-panel';
    function label(options, value) {
        var found = (options || []).filter(function (o) { return o.value === value; })[0];
        return found ? found.label : value;
    }
    function focusLater(id) {
        setTimeout(function () { var el = document.getElementById(id); if (el) { el.focus(); } }, 50);
    }
    window.dash_clientside = Object.assign({}, window.dash_clientside);
    window.dash_clientside.emeuse_layout = {
        toggleMenu: function (_clicks, _path, open) {
            var ctx = window.dash_clientside.callback_context;
            var clicked = ctx.triggered_id === 'nav-toggler';
            var next = clicked ? !open : false;  // a navigation closes it
            return [next, next, next ? 'true' : 'false'];
        },
        toggleFilters: function () {
            var ctx = window.dash_clientside.callback_context;
            var open = ctx.triggered_id === 'filters-open';
            focusLater(open ? 'filters-panel' : 'filters-open');
            return [open ? PANEL + ' show' : PANEL,
                    open ? 'offcanvas-backdrop fade show d-lg-none' : 'd-none', open ? 'true' : 'false'];
        },
        filtersSummary: function (deps, from, to, epci, commune, depOptions, monthOptions, epciOptions,
                                  communeOptions) {
            var parts = [];
            parts.push(deps && deps.length ? deps.map(function (d) { return label(depOptions, d); }).join(', ')
                                           : 'tout votre territoire');
            parts.push(from === to ? label(monthOptions, from)
                                   : 'de ' + label(monthOptions, from) + ' à ' + label(monthOptions, to));
            if (epci && epci !== 'tous') { parts.push('EPCI : ' + label(epciOptions, epci)); }
            if (commune && commune !== 'tous') { parts.push('commune : ' + label(communeOptions, commune)); }
            return 'Filtres : ' + parts.join(' · ');
        }
    };
    // Escape closes the filters panel, as Bootstrap's own off-canvas does.
    document.addEventListener('keydown', function (event) {
        var panel = document.getElementById('filters-panel');
        if (event.key === 'Escape' && panel && panel.classList.contains('show')) {
            document.getElementById('filters-close').click();
        }
    });
})();
