/* Data tables drawn in the browser from the compact rows a callback sends (components/panel.py
   `table_payload`): {caption, columns, numeric, rows}. Returns Dash html components as JSON. */
(function () {
    function el(type, props) {
        return {type: type, namespace: 'dash_html_components', props: props};
    }
    function align(numeric, i) {
        return numeric[i] ? 'text-end' : null;
    }
    window.dash_clientside = Object.assign({}, window.dash_clientside);
    window.dash_clientside.emeuse = Object.assign({}, window.dash_clientside.emeuse, {
        renderTable: function (data) {
            if (!data || !data.columns) {
                return null;
            }
            var head = el('Tr', {children: data.columns.map(function (name, i) {
                return el('Th', {children: name, scope: 'col', className: align(data.numeric, i)});
            })});
            var body = data.rows.map(function (row) {
                return el('Tr', {children: row.map(function (cell, i) {
                    return el('Td', {children: cell, className: align(data.numeric, i)});
                })});
            });
            return el('Table', {className: 'table table-sm table-striped mb-1', children: [
                el('Caption', {children: data.caption, className: 'visually-hidden'}),
                el('Thead', {children: head}),
                el('Tbody', {children: body})
            ]});
        }
    });
})();
