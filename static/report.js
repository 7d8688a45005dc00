/* Hazard report form: fill the coordinates from the phone, where the browser allows it.
   Browsers give a page the phone's location only in a secure context (HTTPS or
   the box itself), so on a plain http:// hotspot the button never shows and
   people type the numbers, or leave them empty. The button shows only once the
   person has said that it is safe to record the location. */
(function () {
  "use strict";
  var box = document.querySelector(".use-location");
  var safe = document.querySelector("input[name=geo_safe]");
  if (!box || !safe || !window.isSecureContext || !navigator.geolocation) {
    return;
  }
  var status = box.querySelector("[data-locate-status]");
  function toggle() {
    box.hidden = !safe.checked;
  }
  safe.addEventListener("change", toggle);
  toggle();
  box.querySelector("[data-locate]").addEventListener("click", function () {
    status.textContent = status.getAttribute("data-working");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        document.getElementById("field-latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("field-longitude").value = position.coords.longitude.toFixed(6);
        status.textContent = "";
      },
      function () {
        status.textContent = status.getAttribute("data-failed");
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
    );
  });
})();
