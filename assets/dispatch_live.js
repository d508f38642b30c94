/* The dispatch page follows the live push (/events): a pushed incident or team change (a field step, another
 * dispatcher, a tracker) bumps the page's dsp-push store, at most every 250 ms (the stream itself sends at most
 * every GRIDCOMMAND_MAP_PUSH_INTERVAL_MS), and the queue, the teams and
 * the open incident's timeline are read again — no reload, no waiting for the 15 s tick. Other pages: nothing. */
(function () {
  "use strict";
  var source = null, last = 0, timer = null;
  function bump() {
    if (timer) { return; }
    timer = setTimeout(function () {
      timer = null; last = Date.now();
      var dc = window.dash_clientside;
      if (dc && dc.set_props && document.getElementById("dsp-queue")) { dc.set_props("dsp-push", { data: last }); }
    }, Math.max(0, 250 - (Date.now() - last)));
  }
  setInterval(function () {
    var here = !!document.getElementById("dsp-queue");
    if (here && !source && typeof EventSource !== "undefined") {
      source = new EventSource("/events", { withCredentials: true });
      source.onmessage = function (ev) {
        try {
          var m = JSON.parse(ev.data);
          if (m.resync || (m.changes || []).some(function (c) { return c.kind === "incident" || c.kind === "team"; })) { bump(); }
        } catch (err) { /* not a change message */ }
      };
    } else if (!here && source) { source.close(); source = null; }
  }, 500);
}());
