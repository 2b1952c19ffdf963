// omnisync's GraphiQL bootstrap, a file of its own so the page's Content-Security-Policy needs no inline script.
// It asks for an API token, keeps it in this tab's sessionStorage and hands it to GraphiQL's fetcher as the
// Authorization header (HTTP) and as connection parameters (subscriptions over graphql-transport-ws). The token
// never goes into a URL.
(function () {
  'use strict';

  var KEY = 'omnisync.token';
  // `{ warehouses(first: 5) { nodes { id name isDefault } } }`, laid out to read at a glance.
  var DEFAULT_QUERY = '{\n  warehouses(first: 5) {\n    nodes { id name isDefault }\n  }\n}\n';

  function storedToken() {
    try {
      return window.sessionStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  }

  function openGraphiQL(token) {
    var authorization = 'Bearer ' + token;
    // Absolute URLs from this page's location: a path-absolute reference drops any query and fragment.
    var http = new URL('/graphql', window.location.href);
    var ws = new URL('/graphql/ws', window.location.href);
    ws.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    var fetcher = GraphiQL.createFetcher({
      url: http.href,
      subscriptionUrl: ws.href,
      headers: { Authorization: authorization },
      wsConnectionParams: { Authorization: authorization }
    });
    document.getElementById('token-form').hidden = true;
    document.getElementById('bar').hidden = false;
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: DEFAULT_QUERY, shouldPersistHeaders: false })
    );
  }

  document.getElementById('token-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var input = document.getElementById('token');
    var token = input.value.trim();
    input.value = '';
    if (!token) {
      return;
    }
    try {
      window.sessionStorage.setItem(KEY, token);
    } catch (e) {
      // Storage refused (a private mode): GraphiQL still works for this page's life.
    }
    openGraphiQL(token);
  });

  document.getElementById('forget-token').addEventListener('click', function () {
    try {
      window.sessionStorage.removeItem(KEY);
    } catch (e) {
      // Nothing stored.
    }
    // A fresh page drops the fetcher and any open subscription socket that carried the old token.
    window.location.reload();
  });

  var token = storedToken();
  if (token) {
    openGraphiQL(token);
  }
})();
