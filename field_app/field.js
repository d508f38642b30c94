/* The field app (执法终端): today's dispatch and visits, one tap per step, photos, positions — offline first.
 *
 * Everything the inspector does becomes an item of one queue in IndexedDB (steps, photos, position fixes, visit
 * results), each with an id made here (crypto.randomUUID) and the phone's time; the queue is sent in order
 * whenever the network is there, and an item leaves it only once the server answered it (a resend of an id is
 * answered with the first answer, so nothing is stored twice). A refusal (the dispatch was reassigned
 * meanwhile) is shown and dropped. No inline script (CSP): text comes from data- attributes.
 */
(function () {
  "use strict";
  var root = document.getElementById("gc-field");
  if (!root) { return; }
  var M = JSON.parse(root.dataset.msgs || "{}");
  var INTERVAL_MS = Math.max(5, parseInt(root.dataset.intervalS || "30", 10)) * 1000;
  var TILES = JSON.parse(root.dataset.tiles || "[]");
  var DB_NAME = "gc-field", STORE = "queue";
  var state = { view: null, map: null, layers: null, sending: false, lastFix: null, locating: 0 };
  var $ = function (id) { return document.getElementById(id); };
  var LOCALE = root.dataset.lang === "en" ? "en-GB" : "zh-CN";
  function clock(iso) { return new Date(iso).toLocaleTimeString(LOCALE, { hour12: false, timeZone: "Asia/Shanghai" }); }
  var NEXT = { assigned: "accepted", accepted: "en_route", en_route: "on_site", on_site: "resolved" };

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16); crypto.getRandomValues(b); b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function text(el, s) { el.textContent = s == null ? "" : String(s); return el; }
  function make(tag, cls, s) { var el = document.createElement(tag); if (cls) { el.className = cls; } if (s != null) { text(el, s); } return el; }
  function say(s, bad) { var el = $("gc-f-msg"); text(el, s); el.classList.toggle("gc-f-bad", !!bad); }

  // ------------------------------------------------------------------------------------------- the queue
  function db() {
    return new Promise(function (ok, fail) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true }); };
      req.onsuccess = function () { ok(req.result); };
      req.onerror = function () { fail(req.error); };
    });
  }
  function tx(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (ok, fail) {
        var t = d.transaction(STORE, mode), out = fn(t.objectStore(STORE));
        t.oncomplete = function () { d.close(); ok(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { d.close(); fail(t.error); };
      });
    });
  }
  function enqueue(item) {
    item.client_id = item.client_id || uuid();
    item.queued_at = new Date().toISOString();
    return tx("readwrite", function (s) { return s.add(item); }).then(function () { showQueue(); flush(); });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function drop(seq) { return tx("readwrite", function (s) { s.delete(seq); }); }

  function showQueue() {
    return all().then(function (items) {
      var ul = $("gc-f-queue"); ul.textContent = "";
      var w = $("gc-f-waiting"), n = items.length + state.locating;
      w.hidden = n === 0; text(w, M.waiting + " " + n);
      if (!items.length) { ul.appendChild(make("li", "gc-f-empty", M.queue_empty)); return; }
      items.forEach(function (it) {
        var label = it.kind === "step" ? M["step_" + it.body.step] : M["kind_" + it.kind];
        var li = make("li", "gc-f-q-item", label + " · " + clock(it.at));
        li.dataset.kind = it.kind; ul.appendChild(li);
      });
    });
  }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
                        body: JSON.stringify(body) });
  }
  function sendOne(it, rest) {
    if (it.kind === "step") { return post("/api/v1/field/steps", it.body); }
    if (it.kind === "result") { return post("/api/v1/field/visits/" + it.visit_id + "/result", it.body); }
    if (it.kind === "photo") {
      var fd = new FormData();
      fd.append("photo", it.blob, it.name || "photo.jpg"); fd.append("client_id", it.client_id); fd.append("at", it.at);
      return fetch("/api/v1/incidents/" + it.incident_id + "/evidence", { method: "POST", credentials: "same-origin", body: fd });
    }
    // consecutive position fixes go together
    var fixes = [it].concat(rest), batch = [];
    for (var i = 0; i < fixes.length && fixes[i].kind === "fix" && batch.length < 500; i++) { batch.push(fixes[i]); }
    it.batch = batch;
    return post("/api/v1/field/positions", { fixes: batch.map(function (f) { return f.body; }) });
  }
  function flush() {
    if (state.sending) { return Promise.resolve(); }
    state.sending = true;
    var changed = false;
    function loop() {
      return all().then(function (items) {
        if (!items.length) { return null; }
        var it = items[0];
        return sendOne(it, items.slice(1)).then(function (r) {
          if (r.status >= 500 || r.status === 401 || r.status === 429) { throw new Error("later " + r.status); }
          return r.json().catch(function () { return {}; }).then(function (answer) {
            var done = it.batch || [it];
            if (r.status >= 400) {
              var why = answer.error || r.status;
              if (r.status === 409 && /no longer active/.test(String(why))) { why = M.reassigned; }
              say(M.conflict + "（" + (it.kind === "step" ? M["step_" + it.body.step] : M["kind_" + it.kind]) + "）：" + why, true);
            }
            changed = true;
            return done.reduce(function (p, d) { return p.then(function () { return drop(d.seq); }); }, Promise.resolve())
              .then(showQueue).then(loop);
          });
        });
      });
    }
    return loop().catch(function () { /* offline or the server away: the queue waits */ })
      .then(function () { state.sending = false; setNet(); if (changed) { load(); } });
  }

  // ------------------------------------------------------------------------------------------- positions
  function locateFor(timeoutMs) {  // a tap waiting for its position counts as waiting until it is queued
    state.locating += 1; showQueue();
    return locate(timeoutMs).then(function (p) { state.locating -= 1; return p; });
  }
  function locate(timeoutMs) {
    return new Promise(function (ok) {
      if (!navigator.geolocation) { ok(null); return; }
      navigator.geolocation.getCurrentPosition(function (p) { ok(p); }, function () { ok(null); },
        { enableHighAccuracy: true, timeout: timeoutMs || 8000, maximumAge: 0 });
    });
  }
  function fixOf(p) {
    var c = p.coords, at = new Date(Math.max(Date.now() - 600000, Math.min(p.timestamp || Date.now(), Date.now())));
    var f = { lat: c.latitude, lng: c.longitude, at: at.toISOString(), accuracy_m: c.accuracy == null ? null : Math.min(c.accuracy, 100000) };
    if (c.speed != null && c.speed >= 0) { f.speed_kmh = c.speed * 3.6; }
    if (c.heading != null && c.heading >= 0 && c.heading <= 360) { f.heading = c.heading; }
    return f;
  }
  function enqueueFix(p) {
    var body = fixOf(p);
    if (state.lastFix === body.at) { body.at = new Date(Date.parse(body.at) + 1).toISOString(); }
    state.lastFix = body.at;
    body.client_id = uuid();
    return enqueue({ kind: "fix", client_id: body.client_id, at: body.at, body: body });
  }
  function reportPosition() {
    return locate().then(function (p) {
      if (!p) { say(M.no_position, true); return; }
      return enqueueFix(p);
    });
  }

  // --------------------------------------------------------------------------------------------- steps
  function tapStep(step) {
    var d = state.view && state.view.dispatch;
    if (!d) { return; }
    var at = new Date().toISOString(), id = uuid();
    var note = step === "resolved" ? $("gc-f-note").value.trim() : "";
    d.dispatch_status = step;  // the phone moves on at once; the server's answer (or refusal) follows
    renderDispatch();
    return locateFor(5000).then(function (p) {
      var body = { client_id: id, incident_id: d.incident_id, dispatch_id: d.dispatch_id, step: step, at: at, note: note };
      if (p) { body.lat = p.coords.latitude; body.lng = p.coords.longitude; body.accuracy_m = Math.min(p.coords.accuracy || 0, 100000); }
      if (step === "resolved") { $("gc-f-note").value = ""; }
      return enqueue({ kind: "step", client_id: id, at: at, body: body });
    });
  }
  function addPhotos(files) {
    var d = state.view && state.view.dispatch;
    if (!d || !files.length) { return; }
    Array.prototype.reduce.call(files, function (p, f) {
      return p.then(function () {
        return enqueue({ kind: "photo", incident_id: d.incident_id, blob: f, name: (f.name || "photo.jpg").replace(/[\\/]/g, "_"),
                         at: new Date().toISOString() });
      });
    }, Promise.resolve()).then(function () { $("gc-f-photo").value = ""; });
  }

  // ------------------------------------------------------------------------------------------ rendering
  function navLinks(nav) {
    var box = make("div", "gc-f-nav");
    box.appendChild(make("span", "gc-f-nav-label", M.navigate));
    ["amap", "baidu", "tencent"].forEach(function (k) {
      var a = make("a", "gc-f-nav-" + k, M[k]); a.href = nav[k]; a.rel = "noopener"; a.dataset.app = k; box.appendChild(a);
    });
    return box;
  }
  function renderDispatch() {
    var d = state.view && state.view.dispatch, box = $("gc-f-dispatch"), actions = $("gc-f-actions");
    box.textContent = "";
    if (!d) { box.appendChild(make("p", "gc-f-empty", M.no_dispatch)); actions.hidden = true; return; }
    var head = make("p", "gc-f-d-type");
    head.appendChild(make("b", null, root.dataset.lang === "en" && d.type_name_en ? d.type_name_en : d.type_name));
    head.appendChild(make("span", "gc-f-sev gc-f-sev-" + d.severity, M["sev_" + d.severity] || d.severity));
    box.appendChild(head);
    if (d.enterprise_name) { box.appendChild(make("p", "gc-f-d-ent", d.enterprise_name)); }
    if (d.enterprise_address) { box.appendChild(make("p", "gc-f-d-addr", d.enterprise_address)); }
    if (d.assign_note) { box.appendChild(make("p", "gc-f-d-note", d.assign_note)); }
    var st = make("p", "gc-f-d-status", M["status_" + d.dispatch_status] || d.dispatch_status);
    st.id = "gc-f-dstatus"; st.dataset.status = d.dispatch_status; box.appendChild(st);
    actions.hidden = false;
    var next = NEXT[d.dispatch_status];
    Array.prototype.forEach.call(document.querySelectorAll(".gc-f-step"), function (b) {
      b.disabled = b.dataset.step !== next; b.classList.toggle("gc-f-next", b.dataset.step === next);
    });
    var nav = $("gc-f-dnav"); nav.textContent = ""; nav.appendChild(navLinks(d.nav));
  }
  function renderVisits() {
    var ol = $("gc-f-visits"), visits = (state.view && state.view.visits) || [];
    ol.textContent = "";
    if (!visits.length) { ol.appendChild(make("li", "gc-f-empty", M.no_visits)); return; }
    visits.forEach(function (v, i) {
      var li = make("li", "gc-f-visit"); li.dataset.visitId = v.id;
      var h = make("p", "gc-f-v-head");
      h.appendChild(make("span", "gc-f-v-no", String(i + 1)));
      h.appendChild(make("b", null, v.enterprise_name));
      if (v.status === "done") { h.appendChild(make("span", "gc-f-v-done", "✓ " + M.done)); }
      li.appendChild(h);
      if (v.enterprise_address) { li.appendChild(make("p", "gc-f-v-addr", v.enterprise_address)); }
      li.appendChild(navLinks(v.nav));
      if (v.code) {
        var b = make("button", "gc-f-secondary gc-f-showcode", M.show_code); b.type = "button";
        b.addEventListener("click", function () { showCode(v); }); li.appendChild(b);
      }
      if (v.status !== "done") { li.appendChild(resultForm(v)); }
      ol.appendChild(li);
    });
  }
  function resultForm(v) {
    var f = make("form", "gc-f-result"); f.noValidate = true;
    f.appendChild(make("p", "gc-f-r-title", M.result));
    var items = make("fieldset", "gc-f-r-items"); items.appendChild(make("legend", null, M.items));
    (v.items || []).forEach(function (it) {
      var l = make("label"), c = make("input"); c.type = "checkbox"; c.name = "item"; c.value = it.code; c.checked = true;
      l.appendChild(c); l.appendChild(document.createTextNode(" " + it.name)); items.appendChild(l);
    });
    f.appendChild(items);
    var pr = make("fieldset", "gc-f-r-problem");
    [["0", M.no_problem], ["1", M.problem]].forEach(function (o) {
      var l = make("label"), r = make("input"); r.type = "radio"; r.name = "problem"; r.value = o[0]; r.checked = o[0] === "0";
      l.appendChild(r); l.appendChild(document.createTextNode(" " + o[1])); pr.appendChild(l);
    });
    f.appendChild(pr);
    var fu = make("label", "gc-f-r-fu", M.follow_up + " "), sel = make("select"); sel.name = "follow_up";
    ["none", "rectify", "recheck", "case"].forEach(function (k) { var o = make("option", null, M["fu_" + k]); o.value = k; sel.appendChild(o); });
    fu.appendChild(sel); f.appendChild(fu);
    var btn = make("button", "gc-f-primary", M.save_result); btn.type = "submit"; f.appendChild(btn);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var checked = Array.prototype.map.call(f.querySelectorAll("input[name=item]:checked"), function (c) { return c.value; });
      var at = new Date().toISOString(), id = uuid();
      var body = { client_id: id, at: at, items_checked: checked, problem_found: f.querySelector("input[name=problem]:checked").value === "1",
                   follow_up: sel.value };
      v.status = "done"; renderVisits();
      locateFor(5000).then(function (p) {
        if (p) { body.lat = p.coords.latitude; body.lng = p.coords.longitude; body.accuracy_m = Math.min(p.coords.accuracy || 0, 100000); }
        return enqueue({ kind: "result", client_id: id, visit_id: v.id, at: at, body: body });
      });
    });
    return f;
  }
  function showCode(v) {
    var box = $("gc-f-qr");
    text($("gc-f-qr-name"), v.enterprise_name); text($("gc-f-qr-code"), v.code);
    $("gc-f-qr-img").innerHTML = v.qr_svg || "";  // segno's SVG, made by the server from the code's URL
    box.hidden = false;
    if (box.requestFullscreen) { box.requestFullscreen().catch(function () { /* not allowed: the overlay covers the screen */ }); }
  }
  function hideCode() {
    $("gc-f-qr").hidden = true;
    if (document.fullscreenElement && document.exitFullscreen) { document.exitFullscreen().catch(function () {}); }
  }
  function renderMap() {
    if (!window.L || !state.view) { return; }
    if (!state.map) {
      state.map = L.map("gc-f-map", { zoomControl: false, attributionControl: TILES.length > 0 });
      TILES.forEach(function (t) { L.tileLayer(t.url, { subdomains: t.subdomains, maxZoom: t.maxZoom, attribution: t.attribution }).addTo(state.map); });
      state.layers = L.layerGroup().addTo(state.map);
    }
    state.layers.clearLayers();
    var pts = [], v = state.view;
    var area = null;
    if (v.outline && v.outline.features && v.outline.features.length) {
      area = L.geoJSON(v.outline, { interactive: false, style: { color: "#0b4f8a", weight: 1.5, fillColor: "#cfe0f1", fillOpacity: 0.35 } }).addTo(state.layers);
    }
    (v.visits || []).forEach(function (x, i) {
      if (!x.position) { return; }
      pts.push(x.position);
      L.marker(x.position, { icon: L.divIcon({ className: "gc-f-pin", html: "<span>" + (i + 1) + "</span>", iconSize: [24, 24] }) }).addTo(state.layers);
    });
    if (v.dispatch && v.dispatch.position) {
      pts.push(v.dispatch.position);
      L.circleMarker(v.dispatch.position, { radius: 9, color: "#b3261e", fillColor: "#e5484d", fillOpacity: 0.9, weight: 2 }).addTo(state.layers);
    }
    if (v.team.position) {
      pts.push(v.team.position);
      L.circleMarker(v.team.position, { radius: 7, color: "#fff", fillColor: "#0b63ce", fillOpacity: 1, weight: 3, className: "gc-f-me" }).addTo(state.layers);
    }
    if (pts.length > 1) { state.map.fitBounds(pts, { padding: [24, 24], maxZoom: 16 }); }
    else if (area) { state.map.fitBounds(area.getBounds(), { padding: [8, 8] }); }
    else if (pts.length === 1) { state.map.setView(pts[0], 15); }
    else { state.map.setView([29.08, 119.65], 10); }
  }
  function render(stale) {
    var v = state.view; if (!v) { return; }
    text($("gc-f-team"), v.team.name + " · " + (M["team_" + v.team.status] || v.team.status)
         + (stale ? " · " + M.stale + " " + clock(v.now) : ""));
    renderDispatch(); renderVisits(); renderMap();
  }
  function setNet() {
    var on = navigator.onLine, el = $("gc-f-net");
    text(el, on ? M.online : M.offline); el.classList.toggle("gc-f-off", !on);
  }

  function load() {
    return fetch("/api/v1/field/today", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401) { location.href = "/login?next=/field"; throw new Error("login"); }
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.json();
      })
      .then(function (v) {
        return all().then(function (items) {  // steps still waiting keep the phone's own view of the dispatch
          items.forEach(function (it) {
            if (it.kind === "step" && v.dispatch && it.body.dispatch_id === v.dispatch.dispatch_id) { v.dispatch.dispatch_status = it.body.step; }
            if (it.kind === "result") { (v.visits || []).forEach(function (x) { if (x.id === it.visit_id) { x.status = "done"; } }); }
          });
          state.view = v;
          try { localStorage.setItem("gc-field-view", JSON.stringify(v)); } catch (e) { /* storage full */ }
          render(false);
        });
      })
      .catch(function () {
        if (!state.view) {
          try { state.view = JSON.parse(localStorage.getItem("gc-field-view") || "null"); } catch (e) { state.view = null; }
        }
        render(true);
      });
  }

  // ---------------------------------------------------------------------------------------------- wiring
  Array.prototype.forEach.call(document.querySelectorAll(".gc-f-step"), function (b) {
    b.addEventListener("click", function () { tapStep(b.dataset.step); });
  });
  $("gc-f-photo").addEventListener("change", function (e) { addPhotos(e.target.files); });
  $("gc-f-locate").addEventListener("click", reportPosition);
  $("gc-f-qr-close").addEventListener("click", hideCode);
  window.addEventListener("online", function () { setNet(); flush(); });
  window.addEventListener("offline", setNet);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); load(); } });
  setInterval(reportPosition, INTERVAL_MS);       // on duty: the phone's position every N seconds
  function keepAwake() {  // a screen that stays on keeps the reports coming (Screen Wake Lock, where offered)
    if (navigator.wakeLock && !document.hidden) { navigator.wakeLock.request("screen").catch(function () { /* refused */ }); }
  }
  document.addEventListener("visibilitychange", keepAwake);
  keepAwake();
  setInterval(function () { flush(); }, 10000);   // and whatever waits, as soon as the network is back
  setInterval(function () { if (navigator.onLine && !state.sending) { load(); } }, 30000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(function () { /* http: not offered */ });
  }
  setNet(); showQueue(); load().then(flush);
  window.gcField = { flush: flush, queue: all, reportPosition: reportPosition,
                     waiting: function () { return all().then(function (q) { return q.length + state.locating; }); } };
}());
