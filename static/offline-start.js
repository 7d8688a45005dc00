/* Loads offline.js only where it can work: on HTTPS (or localhost), where
   browsers allow a service worker. On the box's plain http:// network this
   is all a phone downloads of the offline feature. ES5 for old browsers. */
(function () {
  "use strict";
  if (window.isSecureContext !== true || !("serviceWorker" in window.navigator)) { return; }
  var me = document.querySelector && document.querySelector("script[data-offline]");
  if (!me) { return; }
  var script = document.createElement("script");
  script.src = me.getAttribute("data-offline");
  document.head.appendChild(script);
})();
