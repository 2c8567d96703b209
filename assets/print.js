/* Printing a page as a report (assets/style.css @media print): the print date in its header, every data
   table unfolded, and the charts redrawn at the paper's width, then everything put back. */
(function () {
    var PAPER_WIDTH = 700;  // px: A4 portrait minus margins, at 96 dpi
    var opened = [];
    var resized = [];
    function stamp() {
        var el = document.getElementById('print-date');
        if (el) {
            el.textContent = new Date().toLocaleString('fr-FR', {dateStyle: 'long', timeStyle: 'short',
                                                                 timeZone: 'Europe/Paris'}) + ' (heure de Paris)';
        }
    }
    function before() {
        stamp();
        document.querySelectorAll('details:not([open])').forEach(function (d) { d.open = true; opened.push(d); });
        if (!window.Plotly) { return; }
        document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
            if (gd._fullLayout && gd._fullLayout.width > PAPER_WIDTH) {
                resized.push(gd);
                window.Plotly.relayout(gd, {width: PAPER_WIDTH});
            }
        });
    }
    function after() {
        opened.forEach(function (d) { d.open = false; });
        opened = [];
        resized.forEach(function (gd) { window.Plotly.relayout(gd, {width: null, autosize: true}); });
        resized = [];
    }
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    var media = window.matchMedia('print');  // emulated print media (DevTools, tests) fires this, not beforeprint
    media.addEventListener('change', function (e) { if (e.matches) { before(); } else { after(); } });
    document.addEventListener('DOMContentLoaded', stamp);
    new MutationObserver(function () {  // the header is drawn with each page: date it at once
        var el = document.getElementById('print-date');
        if (el && !el.textContent) { stamp(); }
    }).observe(document.documentElement, {childList: true, subtree: true});
})();
