/* Pages outside the Dash app: the enterprise's page of an inspection code (/v/<code>), and the print buttons
 * ([data-gc-print]) of the printable visit sheet and monthly report. On the enterprise page: confirm the scan-in
 * (亮码) with the phone's position, then rate once (查后评价); the server renders each state, so a success
 * reloads the page. Dash loads every file of assets/ into its own pages too: without #gc-visit or a print
 * button this does nothing. */
(function () {
  "use strict";

  function start() {
    document.querySelectorAll("[data-gc-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    var root = document.getElementById("gc-visit");
    if (!root || !root.dataset.code) { return; }
    var code = root.dataset.code;
    var msg = document.getElementById("gc-v-msg");

    function say(text, bad) {
      msg.textContent = text || "";
      msg.classList.toggle("gc-v-bad", !!bad);
    }

    function post(path, body) {
      return fetch("/api/v1/visits/" + encodeURIComponent(code) + path, {
        method: "POST", credentials: "omit", headers: {"Content-Type": "application/json"},
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          return {ok: r.ok, status: r.status, body: j};
        });
      });
    }

    var scan = document.getElementById("gc-v-scan");
    if (scan) {
      scan.addEventListener("click", function () {
        if (!navigator.geolocation) { say(root.dataset.msgUnavailable, true); return; }
        scan.disabled = true;
        say(root.dataset.msgLocating);
        navigator.geolocation.getCurrentPosition(function (p) {
          say(root.dataset.msgSending);
          // the W3C Geolocation API gives WGS-84 degrees
          post("/scan", {lng: p.coords.longitude, lat: p.coords.latitude, datum: "wgs84"}).then(function (res) {
            if (res.ok || res.status === 409) { window.location.reload(); return; }
            scan.disabled = false;
            say(res.body.error || root.dataset.msgNetwork, true);
          }, function () { scan.disabled = false; say(root.dataset.msgNetwork, true); });
        }, function (err) {
          scan.disabled = false;
          say(err.code === 1 ? root.dataset.msgDenied : root.dataset.msgUnavailable, true);
        }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
      });
    }

    var form = document.getElementById("gc-v-rate");
    if (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var chosen = form.querySelector("input[name=rating]:checked");
        if (!chosen) { say(root.dataset.msgChoose, true); return; }
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        say(root.dataset.msgSending);
        post("/rating", {rating: parseInt(chosen.value, 10), comment: form.elements.comment.value.trim()})
          .then(function (res) {
            if (res.ok || res.status === 409) { window.location.reload(); return; }
            button.disabled = false;
            say(res.body.error || root.dataset.msgNetwork, true);
          }, function () { button.disabled = false; say(root.dataset.msgNetwork, true); });
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
