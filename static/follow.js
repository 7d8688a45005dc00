/* Follow the facilitator: ask the box every few seconds whether the session
   moved on, and reload the page when it did. The box answers an unchanged
   state with an empty 304 (ETag), so polling costs the Wi-Fi almost nothing.
   Without this script the page has a link to reload it. Written for old
   Android browsers: XMLHttpRequest, no arrow functions. */
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !document.querySelector) { return; }
  var here = document.querySelector("[data-poll]");
  if (!here) { return; }
  var url = here.getAttribute("data-poll");
  var known = here.getAttribute("data-state");
  var pause = 3000;

  function ask() {
    var request = new XMLHttpRequest();
    request.open("GET", url, true);
    request.timeout = 10000;
    request.onreadystatechange = function () {
      if (request.readyState !== 4) { return; }
      var wait = pause;
      if (request.status === 200) {
        try {
          var state = JSON.parse(request.responseText);
          if (String(state.tag) !== known) { window.location.reload(); return; }
        } catch (error) { wait = pause * 2; }
      } else if (request.status !== 304) {
        wait = pause * 2; /* flaky Wi-Fi: ask again, a little later */
      }
      window.setTimeout(ask, wait);
    };
    request.send();
  }
  window.setTimeout(ask, pause);
})();
