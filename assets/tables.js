/* Data tables drawn in the browser from the compact rows a callback sends (components/panel.py
   `table_payload`): {caption, columns, numeric, rows}.

   The <table> is built as plain DOM inside its (childless) container, not returned as Dash
   components: 200 rows of 8 cells were ~1 800 Dash components per table, each subscribed to the
   renderer's store, and a page with three tables spent seconds re-rendering them after every
   callback (before its KPI cards could paint). The container's React element has no children, so
   React never touches what is drawn here. */
(function () {
    function stringifyId(id) {  // Dash's DOM id of a pattern-matching component: keys sorted
        if (typeof id !== 'object') { return id; }
        return '{' + Object.keys(id).sort().map(function (k) {
            return JSON.stringify(k) + ':' + JSON.stringify(id[k]);
        }).join(',') + '}';
    }
    function cell(tag, text, numeric, scope) {
        var node = document.createElement(tag);
        node.textContent = text;
        if (numeric) { node.className = 'text-end'; }
        if (scope) { node.setAttribute('scope', scope); }
        return node;
    }
    function build(data) {
        var table = document.createElement('table');
        table.className = 'table table-sm table-striped mb-1';
        var caption = document.createElement('caption');
        caption.className = 'visually-hidden';
        caption.textContent = data.caption || '';
        table.appendChild(caption);
        var head = document.createElement('thead');
        var tr = document.createElement('tr');
        data.columns.forEach(function (name, i) { tr.appendChild(cell('th', name, data.numeric[i], 'col')); });
        head.appendChild(tr);
        table.appendChild(head);
        var body = document.createElement('tbody');
        var code = data.columns.indexOf('Code INSEE');
        data.rows.forEach(function (row) {
            var line = document.createElement('tr');
            row.forEach(function (value, i) { line.appendChild(cell('td', value, data.numeric[i])); });
            if (code >= 0 && /^\d[0-9AB]\d{3}$/.test(row[code])) {  // a commune's row: a click shows it on the map
                line.className = 'row-commune';
                line.tabIndex = 0;
                line.title = 'Afficher ' + row[code] + ' sur la carte (avec ses voisines)';
                line.setAttribute('data-insee', row[code]);
            }
            body.appendChild(line);
        });
        table.appendChild(body);
        return table;
    }
    function draw(domId, data, tries) {
        var target = document.getElementById(domId);
        if (!target) {  // the container is rendered in the same update: try again next frame
            if (tries < 120) { requestAnimationFrame(function () { draw(domId, data, tries + 1); }); }
            return;
        }
        target.replaceChildren(data && data.columns ? build(data) : '');
    }
    window.dash_clientside = Object.assign({}, window.dash_clientside);
    window.dash_clientside.emeuse = Object.assign({}, window.dash_clientside.emeuse, {
        renderTable: function (data) {
            var ctx = window.dash_clientside.callback_context;
            var out = ctx && ctx.outputs_list;
            var id = out && (Array.isArray(out) ? out[0] : out).id;
            if (!id) { return window.dash_clientside.no_update; }
            draw(stringifyId(id), data, 0);
            return 'data-table-body' + (data && data.rows ? ' rows-' + data.rows.length : '');
        }
    });
    // Clicking (or Enter on) a commune's row makes it the commune filter: the page's map zooms on it.
    function choose(event) {
        var row = event.target.closest && event.target.closest('tr.row-commune');
        if (!row || !window.dash_clientside.set_props) { return; }
        if (event.type === 'keydown' && event.key !== 'Enter') { return; }
        window.dash_clientside.set_props('filter-commune', {value: row.getAttribute('data-insee')});
        var map = document.querySelector('.js-plotly-plot');
        if (map && map.scrollIntoView) { map.scrollIntoView({behavior: 'smooth', block: 'center'}); }
    }
    document.addEventListener('click', choose);
    document.addEventListener('keydown', choose);
})();
