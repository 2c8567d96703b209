/* When the server says the session is over (401 on a Dash request), go to the sign-in page
   with a French explanation instead of leaving a silent, broken dashboard. */
(function () {
    var originalFetch = window.fetch;
    window.fetch = function () {
        return originalFetch.apply(this, arguments).then(function (response) {
            if (response.status === 401 && response.url.indexOf('/_dash-') !== -1) {
                var next = encodeURIComponent(window.location.pathname + window.location.search);
                window.location.assign('/login?reason=expired&next=' + next);
            }
            return response;
        });
    };
})();
