// Starts Redoc on /api/redoc/ without an inline script (the app's CSP allows none).
"use strict";
(function () {
  const script = document.currentScript;
  Redoc.init(script.dataset.schemaUrl, {}, document.getElementById("redoc-container"));
})();
