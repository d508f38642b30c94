/* GridCommand browser side: ONE namespace, window.gc, used by dash-leaflet (style, pointToLayer, filter,
   onEachFeature, clusterToLayer) and window.dash_clientside.gc for clientside callbacks.
   Every string that came from data is escaped with gc.esc before it reaches HTML. */
(function () {
    "use strict";

    function esc(value) {
        return String(value === null || value === undefined ? "" : value)
            .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    }

    function hide(ctx) { return (ctx && ctx.hideout) || {}; }

    // ---------------------------------------------------------------- live state fed by Server-Sent Events
    // One store per kind, keyed by feature id ("alert:12"), merged from the period's base (Dash stores) and the
    // pushed batches of /events. Every entry remembers the epoch s its state was read at (a base's
    // generated_at, a change's at); an older state never replaces a newer one and a removal leaves a
    // tombstone, so base and pushes merge in whatever order they arrive. Drawing is incremental: one change
    // touches one Leaflet layer (canvas circle markers; alerts as counted bins below cfg.binZoom).
    var KINDS = ["alert", "incident", "team"];
    var live = {
        layers: {alert: {}, incident: {}, team: {}},   // kind -> fid -> feature (what is shown)
        ver: {alert: {}, incident: {}, team: {}},      // kind -> fid -> epoch s of the state (tombstones too)
        liveOn: {alert: true, incident: true, team: true},
        baseAt: {alert: 0, incident: 0, team: 0},
        baseInfo: {alert: null, incident: null, team: null},   // {shown, total} of the last base
        lastAt: Date.now(),     // last message or heartbeat (ms)
        helloAt: 0,             // server epoch s the current subscription started
        seq: 0,                 // last batch's seq
        seen: 0,                // changes applied (tests and benchmarks read it)
        drawnAt: {},            // fid -> performance.timeOrigin + now() when its last change was drawn
        pushedAt: {},           // fid -> server epoch s of its last pushed state, until that state is drawn
        drawLatency: [],        // ms from a change's read on the server to its drawing (last few thousand)
        batches: 0, bytes: 0,   // stream messages and their characters received
        source: null,
        resync: 0,
        cfg: {}
    };
    var view = null;            // the page's one map view (see attach)

    function dc() { return window.dash_clientside; }
    function setProps(id, props) {   // ids of the page's own layout only (stores have no DOM element to check)
        var d = dc();
        if (d && d.set_props) { d.set_props(id, props); }
    }

    function askResync() { live.resync += 1; setProps("live-resync", {data: live.resync}); }

    function put(kind, fid, f, v) {
        if ((live.ver[kind][fid] || 0) > v) { return false; }
        live.ver[kind][fid] = v;
        if (kind === "incident" && CLOSED[f.properties.status]) { return drop(kind, fid, v); }
        var isNew = !live.layers[kind][fid];
        live.layers[kind][fid] = f;
        if (view) { view.draw(kind, fid, f, isNew); }
        return isNew;
    }
    function drop(kind, fid, v) {
        if ((live.ver[kind][fid] || 0) > v) { return false; }
        live.ver[kind][fid] = v;
        if (live.layers[kind][fid]) {
            delete live.layers[kind][fid];
            if (view) { view.undraw(kind, fid); }
        }
        return false;
    }
    var CLOSED = {closed: true, remote_closed: true};

    // A base (FeatureCollection with generated_at, live, shown, total) replaces what it knew at its stamp.
    function setBase(kind, base) {
        if (!base || !base.features) { return; }
        var at = base.generated_at || 0, ids = {};
        live.liveOn[kind] = base.live !== false;
        base.features.forEach(function (f) { ids[f.id] = true; put(kind, f.id, f, at); });
        Object.keys(live.ver[kind]).forEach(function (fid) {
            if (!ids[fid] && live.ver[kind][fid] <= at) {      // not in the window as of the base: gone
                delete live.ver[kind][fid];
                if (live.layers[kind][fid]) { delete live.layers[kind][fid]; if (view) { view.undraw(kind, fid); } }
            }
        });
        live.baseAt[kind] = at;
        live.baseInfo[kind] = {shown: base.shown, total: base.total};
        if (at && live.helloAt && at < live.helloAt - 1) { askResync(); }  // read before the stream: may miss some
        if (view) { view.note(); }
        if (kind === "incident") { listSoon(); }
        if (view && !view.fitted) { view.fitted = true; view.rescale(); view.fit(); }
    }

    var incidentsTouched = false;
    // the kinds this page shows (the dispatch page: incidents and teams; pushes of other kinds are not kept)
    function wants(kind) { return !live.cfg.kinds || live.cfg.kinds.indexOf(kind) >= 0; }

    // Ask for the bases until ones read after ``since`` (server epoch s) arrived: the first hello can come before
    // Dash has wired its callbacks, and a request made then is lost.
    var ensureTimer = null;
    function ensureBases(since) {
        if (ensureTimer) { clearTimeout(ensureTimer); }
        var tries = 0;
        (function again() {
            var fresh = KINDS.every(function (k) { return live.baseAt[k] >= since; });
            if (fresh || tries >= 30) { ensureTimer = null; return; }
            tries += 1;
            askResync();
            ensureTimer = setTimeout(again, 2500);
        })();
    }

    function apply(msg) {
        var changes = Array.isArray(msg) ? msg : (msg.changes || []);
        if (msg.seq) { live.seq = msg.seq; }
        if (msg.resync) { askResync(); detailSoon(0); }
        changes.forEach(function (c) {
            if (c.op === "resync") { askResync(); return; }
            if (!live.layers[c.kind] || !live.liveOn[c.kind] || !wants(c.kind)) { return; }
            var fid = c.kind + ":" + c.id, isNew = false;
            followDetail(c, fid);
            if (c.op === "remove") { drop(c.kind, fid, c.at); }
            else if (c.feature) {
                isNew = put(c.kind, fid, c.feature, c.at);
                if (isNew && c.kind !== "team" && c.feature.properties.severity === "urgent" && view) {
                    view.urgent(c.kind, c.feature);
                }
            }
            if (c.kind === "incident") { incidentsTouched = true; }
            live.pushedAt[fid] = c.at;
            live.seen += 1;
        });
        if (view && changes.length) { view.stamp(changes); view.noteSoon(); }
        if (incidentsTouched) { incidentsTouched = false; listSoon(); }
    }

    function connect(url) {
        if (live.source || typeof EventSource === "undefined") { return; }
        var es = new EventSource(url || "/events", {withCredentials: true});
        live.source = es;
        es.onmessage = function (ev) {
            live.lastAt = Date.now();
            live.batches += 1;
            live.bytes += ev.data.length;
            try { apply(JSON.parse(ev.data)); } catch (err) { console.error("gc push", err); }
        };
        es.addEventListener("heartbeat", function () { live.lastAt = Date.now(); });
        es.addEventListener("hello", function (ev) {
            // (re)connected: load the bases now — what changes from here on is pushed
            try { live.helloAt = JSON.parse(ev.data).at; } catch (err) { live.helloAt = Date.now() / 1000; }
            live.lastAt = Date.now();
            ensureBases(live.helloAt);
        });
    }

    function collection(kind) {
        var layer = live.layers[kind];
        return {type: "FeatureCollection", features: Object.keys(layer).map(function (k) { return layer[k]; })};
    }


    // ------------------------------------------------------------- lists drawn from the live incident layer
    // The wall's incident list and the dispatch queue ARE the live incident layer, sorted: a pushed change or
    // a base redraws the list's top rows in the browser (within 100 ms), with no callback and no server
    // round trip, so they keep up with any feed the layer keeps up with. cfg.list = {id, kind: "wall"|"queue",
    // max, note, texts}; every text from data goes in through textContent.
    var SEV_RANK = {urgent: 0, high: 1, medium: 2, low: 3};
    var OPEN = {open: true, dispatched: true};
    var listTimer = null, listState = {selected: null, township: "", sig: ""};
    function listSoon() {     // one redraw per burst of batches (a batch comes at most every push interval)
        if (listTimer || !live.cfg.list) { return; }
        listTimer = setTimeout(function () { listTimer = null; drawList(); }, 100);
    }
    function ms(iso) { var v = iso ? Date.parse(iso) : NaN; return isNaN(v) ? 0 : v; }
    function shanghai(iso, lang) {      // '2026年11月21日 14:05' (zh) or '2026-11-21 14:05' (en), Asia/Shanghai
        var v = ms(iso);
        if (!v) { return "—"; }
        var d = new Date(v + 8 * 3600 * 1000), p2 = function (n) { return (n < 10 ? "0" : "") + n; };
        var hm = p2(d.getUTCHours()) + ":" + p2(d.getUTCMinutes());
        return lang === "en" ? d.getUTCFullYear() + "-" + p2(d.getUTCMonth() + 1) + "-" + p2(d.getUTCDate()) + " " + hm
            : d.getUTCFullYear() + "年" + (d.getUTCMonth() + 1) + "月" + d.getUTCDate() + "日 " + hm;
    }
    function node(tag, cls, text) {
        var el = document.createElement(tag);
        if (cls) { el.className = cls; }
        if (text !== undefined && text !== null) { el.textContent = String(text); }
        return el;
    }
    function fill(template, n) { return String(template || "{n}").replace("{n}", fmt(n)); }
    function openIncidents(township) {
        var layer = live.layers.incident, out = [];
        Object.keys(layer).forEach(function (fid) {
            var p = layer[fid].properties;
            if (OPEN[p.status] && (!township || p.township_code === township)) { out.push(layer[fid]); }
        });
        return out;
    }
    function drawList() {
        var cfg = live.cfg.list, el = cfg && document.getElementById(cfg.id);
        if (!el) { return; }
        if (cfg.kind === "queue") { drawQueue(el, cfg); } else { drawWallList(el, cfg); }
        live.listDrawn = (live.listDrawn || 0) + 1;
    }
    function sevName(p) { return ((live.cfg.severityNames || {})[p.severity]) || p.severity; }
    function typeName(p) { return (live.cfg.lang === "en" ? p.type_name_en : p.type_name) || ""; }
    function replaceRows(el, rows, sig) {   // the DOM is rebuilt only when what it shows changed
        if (sig === el.getAttribute("data-sig")) { return; }
        el.setAttribute("data-sig", sig);
        el.replaceChildren.apply(el, rows);
    }
    function drawWallList(el, cfg) {
        var items = openIncidents("").sort(function (a, b) {
            var pa = a.properties, pb = b.properties;
            return (SEV_RANK[pa.severity] - SEV_RANK[pb.severity]) || (ms(pb.last_seen) - ms(pa.last_seen));
        }).slice(0, cfg.max || 30);
        var lang = live.cfg.lang, sig = [];
        var rows = items.map(function (f) {
            var p = f.properties, li = node("li", "inc inc-" + p.severity);
            li.id = "inc-" + f.id.split(":")[1];
            li.appendChild(node("span", "sev sev-" + p.severity, sevName(p)));
            li.appendChild(node("span", "inc-type", typeName(p)));
            li.appendChild(node("span", "inc-town", p.township_name || ""));
            li.appendChild(node("span", "inc-time", shanghai(p.last_seen, lang)));
            sig.push(f.id + p.severity + p.status + p.last_seen);
            return li;
        });
        replaceRows(el, rows, sig.join("|") + lang);
    }
    function slaText(p, now, t) {
        var left = Math.floor((ms(p.sla_due_at) - now) / 60000);
        return {text: left >= 0 ? fill(t.sla_left, left) : fill(t.sla_over, -left), over: left < 0};
    }
    function drawQueue(el, cfg) {
        var t = cfg.texts || {}, now = Date.now(), lang = live.cfg.lang;
        var all = openIncidents(listState.township).sort(function (a, b) {
            var pa = a.properties, pb = b.properties;
            return (SEV_RANK[pa.severity] - SEV_RANK[pb.severity]) || (ms(pa.sla_due_at) - ms(pb.sla_due_at)) ||
                (+a.id.split(":")[1] - +b.id.split(":")[1]);
        });
        var items = all.slice(0, cfg.max || 100), sig = [String(listState.selected), Math.floor(now / 60000)];
        var rows = items.map(function (f) {
            var p = f.properties, id = +f.id.split(":")[1], sla = slaText(p, now, t);
            var btn = node("button", "dsp-inc" + (id === listState.selected ? " selected" : ""));
            btn.type = "button";
            btn.setAttribute("data-id", String(id));
            btn.style.borderLeftColor = (live.cfg.severityColors || {})[p.severity] || "#999";
            btn.appendChild(node("b", null, "#" + id + " " + typeName(p)));
            btn.appendChild(document.createTextNode(" · " + sevName(p) + " · "));
            btn.appendChild(node("span", "dsp-sla" + (sla.over ? " over" : ""), sla.text));
            btn.appendChild(node("br"));
            btn.appendChild(node("small", null, [p.township_name || "", (t.status || {})[p.status] || p.status,
                fill(t.alerts, p.alert_count), p.escalated ? t.escalated : "", p.team_name || ""]
                .filter(function (x) { return x; }).join(" · ")));
            var li = node("li");
            li.appendChild(btn);
            sig.push(f.id + p.severity + p.status + p.sla_due_at + p.alert_count + p.escalated + p.team_name);
            return li;
        });
        if (!rows.length) { rows = [node("li", "dsp-empty", t.empty)]; }
        replaceRows(el, rows, sig.join("|") + lang);
        var note = document.getElementById(cfg.note);
        if (note) {
            var text = all.length > items.length ? String(t.capped || "{n} / {m}").replace("{n}", fmt(items.length))
                .replace("{m}", fmt(all.length)) : "";
            if (note.textContent !== text) { note.textContent = text; }
        }
    }
    function listClick(ev) {
        var btn = ev.target.closest ? ev.target.closest("button.dsp-inc") : null;
        if (!btn) { return; }
        var id = +btn.getAttribute("data-id");
        listState.selected = id;
        setProps("dsp-selected", {data: id});
        drawList();
    }

    // The dispatch page's detail panel (recommendations, timeline) is read again when its own incident changes,
    // on a resync, and when a team's status (not only its position) changes — at most once a second, and for
    // team changes at most every 5 s: a dispatcher needs the next free team, not every GPS fix.
    var detailTimer = null, detailDue = 0, detailLast = 0, teamStatus = {};
    function detailSoon(minGap) {
        if (live.cfg.page !== "dispatch") { return; }
        var due = Math.max(Date.now(), detailLast + Math.max(1000, minGap));
        if (detailTimer && detailDue <= due) { return; }      // one already comes as soon or sooner
        if (detailTimer) { clearTimeout(detailTimer); }      // a team's 5 s wait gives way to the incident's own step
        detailDue = due;
        detailTimer = setTimeout(function () {
            detailTimer = null; detailLast = Date.now();
            setProps("dsp-push", {data: detailLast});
        }, due - Date.now());
    }
    function followDetail(c, fid) {
        if (live.cfg.page !== "dispatch") { return; }
        if (c.kind === "incident" && c.id === listState.selected) { detailSoon(0); }
        if (c.kind === "team") {
            var status = c.op === "remove" ? "gone" : c.feature && c.feature.properties.status;
            if (teamStatus[fid] !== undefined && teamStatus[fid] !== status) { detailSoon(5000); }
            teamStatus[fid] = status;
        }
    }
    setInterval(function () { if (live.cfg.list && live.cfg.list.kind === "queue") { drawList(); } }, 30000);

    // Dash's renderer keeps an undo history (window.store, state.history) with an entry for every input value a
    // component changed: each tick of the 1 s stale clock, each map move, each interval. It never forgets one
    // (measured: 447 entries after 6.5 minutes on the map, ~100,000 a day; bench/live_load.py prints it). The
    // product offers no undo, and walls and dispatch screens stay open for days: keep none of it. The arrays are
    // emptied in place; the renderer copies them on its next entry.
    function forgetDashHistory() {
        var st = window.store && window.store.getState ? window.store.getState() : null, h = st && st.history;
        if (!h) { return; }
        if (h.past && h.past.length) { h.past.length = 0; }
        if (h.future && h.future.length) { h.future.length = 0; }
    }
    setInterval(forgetDashHistory, 10000);

    // ------------------------------------------------------------------------------------ the map view
    var SEV = {urgent: "#b10026", high: "#e31a1c", medium: "#fd8d3c", low: "#fecc5c"};
    function latlngOf(f) { var c = f.geometry.coordinates; return [c[1], c[0]]; }

    function View(map) {
        this.map = map;
        this.groups = {};
        this.markers = {alert: {}, incident: {}, team: {}};
        this.bins = {};          // key -> {n, marker}
        this.binOf = {};         // alert fid -> bin key
        this.focus = null;
        this.pending = [];
        var self = this;
        ["alert", "incident", "team", "urgent"].forEach(function (name, i) {
            var pane = map.getPane("gc-" + name) || map.createPane("gc-" + name);
            pane.style.zIndex = String(410 + i * 10);
            pane.style.pointerEvents = "none";     // hits are found by gc (hit), so the cells below stay clickable
        });
        this.renderers = {alert: L.canvas({pane: "gc-alert", padding: 0.2}),
                          incident: L.canvas({pane: "gc-incident", padding: 0.2}),
                          team: L.canvas({pane: "gc-team", padding: 0.2}),
                          urgent: L.canvas({pane: "gc-urgent", padding: 0.2})};
        this.scale = live.cfg.page === "wall" ? Math.max(1, window.innerWidth / 1920) : 1;   // 4K walls
        this.binned = this.binMode();
        map.on("zoomend", function () {
            var b = self.binMode(), crossed = b !== self.binned;
            self.binned = b;
            if (crossed || b) { self.redrawAlerts(); }
            if (crossed) {           // incidents are drawn smaller at county zoom: restyle them once
                var layer = live.layers.incident;
                Object.keys(layer).forEach(function (fid) { self.draw("incident", fid, layer[fid], false); });
            }
            self.note();
        });
        map.on("overlayadd overlayremove", function (e) {
            var id = (live.cfg.overlays || {})[e.name];
            if (id) { setProps(id, {checked: e.type === "overlayadd"}); }
        });
        var box = map.getContainer();
        box.addEventListener("click", function (ev) { self.click(ev); }, true);
        var lastMove = 0;
        box.addEventListener("mousemove", function (ev) {
            var now = Date.now();
            if (now - lastMove < 120) { return; }
            lastMove = now;
            self.hover(ev);
        });
        this.tip = L.tooltip({direction: "top", offset: [0, -8]});
        // fitted when the first base arrives (by then dash-leaflet has applied the layout's centre and zoom,
        // which would undo an earlier fit), unless the map was moved first (the user, a search, the rotation)
        this.fitted = false;
        map.on("movestart zoomstart", function () { self.fitted = true; });
        // a wall screen resized (or a 4K screen attached) refits the area and resizes its markers (the page's
        // config may come after the map's first layers: asked when it happens)
        window.addEventListener("resize", function () {
            if (live.cfg.page !== "wall") { return; }
            map.invalidateSize();
            self.fit();
            self.rescale();
        });
    }

    // Markers on a wall grow with the screen (a 4K wall: twice a desk's size); every marker restyled once.
    View.prototype.rescale = function () {
        var scale = live.cfg.page === "wall" ? Math.max(1, window.innerWidth / 1920) : 1, self = this;
        if (scale === this.scale) { return; }
        this.scale = scale;
        ["incident", "team"].forEach(function (kind) {
            var layer = live.layers[kind];
            Object.keys(self.markers[kind]).forEach(function (fid) { if (layer[fid]) { self.draw(kind, fid, layer[fid], false); } });
        });
        this.redrawAlerts();
    };

    // The first view fitted to the area (county or township) at whatever size the screen has: the server can
    // only guess the map's pixel size, so its centre/zoom is a start and the browser fits it here once.
    View.prototype.fit = function () {
        var b = live.cfg.fit;
        if (!b || !b.length) { return; }
        this.map.fitBounds(b, {padding: [16, 16], animate: false});
    };

    View.prototype.binMode = function () { return this.map.getZoom() < (live.cfg.binZoom || 13); };

    View.prototype.style = function (kind, f) {
        var p = f.properties, h = live.cfg, k = this.scale * (this.binned ? 0.6 : 1);   // small at county zoom
        if (kind === "team") {
            return {radius: 6 * this.scale, color: "#1d2733", weight: 1.5, fillColor: (h.statusColors || {})[p.status] || "#555",
                    fillOpacity: 0.95};
        }
        var color = SEV[p.severity] || "#e31a1c";
        if (kind === "incident") {
            return {radius: (p.severity === "urgent" ? 10 : 7) * k, color: color, weight: this.binned ? 2 : 3,
                    fillColor: "#fff", fillOpacity: 0.55};
        }
        return {radius: (p.severity === "urgent" ? 6 : 4) * this.scale, color: "#fff", weight: 0.8, fillColor: color, fillOpacity: 0.9};
    };

    View.prototype.rendererFor = function (kind, f) {
        return f.properties.severity === "urgent" && kind !== "team" ? this.renderers.urgent : this.renderers[kind];
    };

    View.prototype.draw = function (kind, fid, f, isNew) {
        var group = this.groups[kind];
        if (!group) { return; }
        if (kind === "alert" && this.binned) { this.unbin(fid); this.bin(fid, f); return; }
        var m = this.markers[kind][fid], ll = latlngOf(f), st = this.style(kind, f);
        var renderer = this.rendererFor(kind, f);
        if (m && m.options.renderer !== renderer) { group.removeLayer(m); m = null; }
        if (!m) {
            st.renderer = renderer;
            st.interactive = false;
            m = L.circleMarker(ll, st);
            m.gcKind = kind; m.gcFid = fid;
            this.markers[kind][fid] = m;
            group.addLayer(m);
        } else {
            var old = m.getLatLng();
            if (old.lat !== ll[0] || old.lng !== ll[1]) { m.setLatLng(ll); }
            if (m.options.fillColor !== st.fillColor || m.options.radius !== st.radius || m.options.color !== st.color) {
                m.setStyle(st);
                m.setRadius(st.radius);
            }
        }
        if (this.focus && this.focus.gcFid === fid) { this.focus.setLatLng(ll); }
    };

    View.prototype.undraw = function (kind, fid) {
        if (kind === "alert") { this.unbin(fid); }
        var m = this.markers[kind][fid];
        if (m) { if (this.groups[kind]) { this.groups[kind].removeLayer(m); } delete this.markers[kind][fid]; }
        if (this.focus && this.focus.gcFid === fid) { this.map.removeLayer(this.focus); this.focus = null; }
    };

    var BIN_PX = 56;
    View.prototype.binKey = function (f) {
        var z = this.map.getZoom(), pt = this.map.project(latlngOf(f), z);
        return z + ":" + Math.floor(pt.x / BIN_PX) + ":" + Math.floor(pt.y / BIN_PX);
    };
    View.prototype.binIcon = function (n, urgent) {
        var size = n < 10 ? 22 : (n < 100 ? 28 : 34);
        return L.divIcon({className: "gc-bin" + (urgent ? " gc-bin-urgent" : ""), iconSize: [size, size],
                          html: "<span>" + esc(n) + "</span>"});
    };
    View.prototype.bin = function (fid, f) {
        var key = this.binKey(f), b = this.bins[key];
        var urgent = f.properties.severity === "urgent" ? 1 : 0;
        if (!b) {
            var parts = key.split(":"), z = +parts[0];
            var centre = this.map.unproject([(+parts[1] + 0.5) * BIN_PX, (+parts[2] + 0.5) * BIN_PX], z);
            b = this.bins[key] = {n: 0, urgent: 0, marker: L.marker(centre, {interactive: false, keyboard: false,
                                                                              pane: "gc-alert"})};
            b.marker.gcBin = b;
            this.groups.alert.addLayer(b.marker);
        }
        b.n += 1; b.urgent += urgent;
        b.marker.setIcon(this.binIcon(b.n, b.urgent > 0));
        this.binOf[fid] = key;
        b.sev = urgent;
    };
    View.prototype.unbin = function (fid) {
        var key = this.binOf[fid];
        if (!key) { return; }
        delete this.binOf[fid];
        var b = this.bins[key], f = live.layers.alert[fid];
        if (!b) { return; }
        b.n -= 1;
        if (f && f.properties.severity === "urgent") { b.urgent = Math.max(0, b.urgent - 1); }
        if (b.n <= 0) { this.groups.alert.removeLayer(b.marker); delete this.bins[key]; }
        else { b.marker.setIcon(this.binIcon(b.n, b.urgent > 0)); }
    };

    // Zoom crossed the bin threshold (or bins changed size): the one O(n) step, once per zoom.
    View.prototype.redrawAlerts = function () {
        var self = this, group = this.groups.alert;
        if (!group) { return; }
        Object.keys(this.bins).forEach(function (k) { group.removeLayer(self.bins[k].marker); });
        this.bins = {}; this.binOf = {};
        Object.keys(this.markers.alert).forEach(function (fid) { group.removeLayer(self.markers.alert[fid]); });
        this.markers.alert = {};
        var layer = live.layers.alert;
        Object.keys(layer).forEach(function (fid) { self.draw("alert", fid, layer[fid], true); });
    };

    View.prototype.attach = function (kind, group) {
        if (this.groups[kind] === group) { return; }
        this.groups[kind] = group;
        this.markers[kind] = {};
        if (kind === "alert") { this.bins = {}; this.binOf = {}; }
        var layer = live.layers[kind], self = this;
        Object.keys(layer).forEach(function (fid) { self.draw(kind, fid, layer[fid], true); });
        this.note();
    };

    // The thing under a click or the mouse: nearest marker within 12 px, urgent and teams before the rest.
    View.prototype.hit = function (ev) {
        var map = this.map, pt = map.mouseEventToContainerPoint(ev), best = null, bestD = 145;
        var order = ["alert", "incident", "team"];
        for (var k = 0; k < order.length; k++) {
            var kind = order[k], group = this.groups[kind];
            if (!group || !map.hasLayer(group) || (kind === "alert" && this.binned)) { continue; }
            var ms = this.markers[kind];
            for (var fid in ms) {
                var p = map.latLngToContainerPoint(ms[fid].getLatLng());
                var dx = p.x - pt.x, dy = p.y - pt.y, d = dx * dx + dy * dy;
                var bonus = kind === "alert" ? 0 : -40;     // incidents and teams win near-ties: drawn on top
                if (d + bonus < bestD) { bestD = d + bonus; best = {kind: kind, fid: fid}; }
            }
        }
        return best;
    };
    View.prototype.click = function (ev) {
        var h = this.hit(ev);
        if (!h) { return; }
        ev.stopPropagation();
        var f = live.layers[h.kind][h.fid];
        live.clickAt = performance.timeOrigin + performance.now();
        var props = Object.assign({}, f.properties, {kind: h.kind, rid: h.fid.split(":")[1]});
        setProps((live.cfg.prefix || "") + h.kind + "s", {clickData: {type: "Feature", id: f.id, properties: props,
                                                                       geometry: f.geometry}});
    };
    View.prototype.hover = function (ev) {
        var h = this.hit(ev), map = this.map;
        if (!h) { if (map.hasLayer(this.tip)) { map.closeTooltip(this.tip); } return; }
        var f = live.layers[h.kind][h.fid], p = f.properties, lang = live.cfg.lang;
        var text = h.kind === "team" ? esc(p.name) + " · " + esc((live.cfg.statusNames || {})[p.status] || p.status)
            : esc(lang === "en" ? p.type_name_en : p.type_name) + " · " +
              esc((live.cfg.severityNames || {})[p.severity] || p.severity);
        this.tip.setLatLng(latlngOf(f)).setContent(text);
        if (!map.hasLayer(this.tip)) { map.openTooltip(this.tip); }
    };

    // A new urgent item: the wall flies there; both screens mark it with a pulsing ring.
    View.prototype.urgent = function (kind, f) {
        var map = this.map, p = f.properties;
        var fid = kind === "alert" && p.incident_id ? "incident:" + p.incident_id : f.id;
        if (this.focus) { map.removeLayer(this.focus); }
        this.focus = L.marker(latlngOf(f), {interactive: false, keyboard: false, zIndexOffset: 3000,
            icon: L.divIcon({className: "gc-incident gc-sev-urgent gc-pulse", iconSize: [30, 30], iconAnchor: [15, 15],
                             html: "<span style=\"border-color:" + SEV.urgent + "\">!</span>"})});
        this.focus.gcFid = fid;
        this.focus.addTo(map);
        live.urgentAt = Date.now();
        // at most one flight per 20 s: a busy county posts an urgent item every few seconds, and every flight
        // redraws all layers and reloads the choropleth
        if (live.cfg.page === "wall" && Date.now() - (this.flownAt || 0) > 20000) {
            this.flownAt = Date.now();
            map.flyTo(latlngOf(f), 15, {duration: 1.2});
        }
    };

    // Push -> drawn: Leaflet's canvases draw on the next animation frame; stamp the changes then.
    View.prototype.stamp = function (changes) {
        var self = this;
        changes.forEach(function (c) { self.pending.push(c.kind + ":" + c.id); });
        if (this.stampQueued) { return; }
        this.stampQueued = true;
        requestAnimationFrame(function () {
            requestAnimationFrame(function () {
                var t = performance.timeOrigin + performance.now();
                self.pending.forEach(function (fid) {
                    live.drawnAt[fid] = t;
                    if (live.pushedAt[fid]) { live.drawLatency.push(t - live.pushedAt[fid] * 1000); }
                    // used once: kept, it would hold an entry for every id ever pushed (a wall runs for days)
                    delete live.pushedAt[fid];
                });
                if (live.drawLatency.length > 5000) { live.drawLatency = live.drawLatency.slice(-2500); }
                self.pending = [];
                self.stampQueued = false;
                if (Object.keys(live.drawnAt).length > 20000) { live.drawnAt = {}; }
            });
        });
    };

    // Said out loud: where a layer is cut or binned.
    View.prototype.noteSoon = function () {
        var self = this;
        if (this.noteQueued) { return; }
        this.noteQueued = true;
        setTimeout(function () { self.noteQueued = false; self.note(); }, 1000);
    };
    View.prototype.note = function () {
        var el = document.getElementById((live.cfg.prefix || "") + "live-note");
        if (!el) { return; }
        var t = live.cfg.texts || {}, parts = [];
        KINDS.forEach(function (kind) {
            var info = live.baseInfo[kind];
            if (info && info.total > info.shown) {
                var n = Object.keys(live.layers[kind]).length;
                var tpl = (kind === "incident" && t.cappedIncident) || t.capped || "{layer}: {n} / {m}";
                parts.push(String(tpl).replace("{layer}", (t.layers || {})[kind] || kind)
                    .replace("{n}", fmt(n)).replace("{m}", fmt(info.total - info.shown + n)));
            }
        });
        if (this.binned && this.groups.alert && this.map.hasLayer(this.groups.alert) &&
                Object.keys(live.layers.alert).length) {
            parts.push(String(t.binned || "").replace("{n}", fmt(Object.keys(live.layers.alert).length))
                .replace("{z}", live.cfg.binZoom || 13));
        }
        var text = parts.join(" · ");
        if (el.textContent !== text) { el.textContent = text; }
    };
    function fmt(n) { return Number(n).toLocaleString("en-US"); }

    function attacher(kind) {
        return function (e) {
            var group = e.target, map = group._map;
            if (!map) { return; }
            if (!view || view.map !== map) { view = new View(map); }
            view.attach(kind, group);
        };
    }

    // ---------------------------------------------------------------------------------- layer functions
    function townshipStyle(feature) {
        var county = feature.properties.kind === "county";
        return {color: county ? "#1f3b5a" : "#5b7ea6", weight: county ? 3 : 1.2, dashArray: county ? null : "4 3",
                fillColor: "#dfe8f2", fillOpacity: county ? 0.0 : 0.08};
    }

    function cellStyle(feature, ctx) {
        var h = hide(ctx), colors = h.colors || ["#ffffb2"], p = feature.properties;
        var empty = p.value === null || p.value === undefined || (p.value === 0 && !h.rate);
        return {color: "#7a7a7a", weight: 0.4, fillColor: empty ? "#ffffff" : colors[p.cls || 0],
                fillOpacity: empty ? 0.05 : (h.opacity || 0.6)};
    }

    function circle(latlng, color, radius, extra) {
        var opts = {radius: radius, color: "#333", weight: 1, fillColor: color, fillOpacity: 0.9};
        Object.keys(extra || {}).forEach(function (k) { opts[k] = extra[k]; });
        return L.circleMarker(latlng, opts);
    }

    function enterprisePoint(feature, latlng, ctx) {
        var colors = hide(ctx).riskColors || {};
        var m = circle(latlng, colors[feature.properties.risk] || "#888", 6);
        m.bindTooltip(esc(feature.properties.name));
        return m;
    }

    function enterpriseCluster(feature, latlng, index, ctx) {
        var n = feature.properties.point_count;
        var size = n < 100 ? 30 : (n < 1000 ? 38 : 46);
        var icon = L.divIcon({html: "<div><span>" + esc(feature.properties.point_count_abbreviated) + "</span></div>",
                              className: "gc-cluster", iconSize: L.point(size, size)});
        return L.marker(latlng, {icon: icon});
    }

    function alertPoint(feature, latlng, ctx) {
        var h = hide(ctx), p = feature.properties;
        var glyph = (h.glyphs || {})[p.source_kind] || "!";
        var color = (h.severityColors || {})[p.severity] || "#e31a1c";
        var label = (h.lang === "en" ? p.type_name_en : p.type_name) || "";
        var icon = L.divIcon({className: "gc-alert gc-sev-" + esc(p.severity),
                              html: "<span style=\"background:" + esc(color) + "\">" + esc(glyph) + "</span>",
                              iconSize: [22, 22], iconAnchor: [11, 11]});
        var m = L.marker(latlng, {icon: icon, zIndexOffset: 500});
        m.bindTooltip(esc(label) + " · " + esc(p.observed_at || ""));
        return m;
    }

    function incidentPoint(feature, latlng, ctx) {
        var h = hide(ctx), p = feature.properties;
        var color = (h.severityColors || {})[p.severity] || "#e31a1c";
        var hot = h.highlight && h.highlight === feature.id;
        var icon = L.divIcon({className: "gc-incident gc-sev-" + esc(p.severity) + (hot ? " gc-pulse" : ""),
                              html: "<span style=\"border-color:" + esc(color) + "\">" + esc(p.alert_count) + "</span>",
                              iconSize: [30, 30], iconAnchor: [15, 15]});
        var m = L.marker(latlng, {icon: icon, zIndexOffset: hot ? 2000 : 800});
        m.bindTooltip(esc(h.lang === "en" ? p.type_name_en : p.type_name));
        return m;
    }

    function teamPoint(feature, latlng, ctx) {
        var h = hide(ctx), p = feature.properties;
        var color = (h.statusColors || {})[p.status] || "#555";
        var icon = L.divIcon({className: "gc-team", html: "<span style=\"background:" + esc(color) + "\">▲</span>",
                              iconSize: [20, 20], iconAnchor: [10, 10]});
        var m = L.marker(latlng, {icon: icon, zIndexOffset: 1000});
        m.bindTooltip(esc(p.name) + " · " + esc(((h.statusNames || {})[p.status]) || p.status));
        return m;
    }

    function visitPoint(feature, latlng) {
        var m = circle(latlng, feature.properties.code_scanned ? "#2c7fb8" : "#7fcdbb", 5, {color: "#08306b"});
        m.bindTooltip(esc(feature.properties.enterprise_name));
        return m;
    }

    function labelPoint(feature, latlng) {
        var icon = L.divIcon({className: "gc-label", html: "<span>" + esc(feature.properties.name) + "</span>",
                              iconSize: null});
        var m = L.marker(latlng, {icon: icon, interactive: false, keyboard: false});
        m.on("add", function () { declutterSoon(m._map); });
        return m;
    }

    // Township labels never overlap: after each zoom or move (and when labels arrive) they are placed in
    // order, and one that would touch a label already placed is hidden until the view leaves room for it.
    var declutterTimer = null;
    function declutterSoon(map) {
        if (!map || declutterTimer) { return; }
        if (!map.gcDeclutter) {
            map.gcDeclutter = true;
            map.on("zoomend moveend resize", function () { declutterSoon(map); });
        }
        declutterTimer = setTimeout(function () { declutterTimer = null; declutter(map); }, 60);
    }
    function declutter(map) {
        var box = map.getContainer(), placed = [], gap = 3;
        var spans = box.querySelectorAll(".gc-label span");
        var shown = 0;
        Array.prototype.forEach.call(spans, function (span) {
            span.style.visibility = "";
            var r = span.getBoundingClientRect();
            var hit = r.width === 0 || placed.some(function (p) {
                return r.left < p.right + gap && r.right > p.left - gap && r.top < p.bottom + gap && r.bottom > p.top - gap;
            });
            if (hit) { span.style.visibility = "hidden"; } else { placed.push(r); shown += 1; }
        });
        live.labelsShown = shown;
        live.labelsHidden = spans.length - shown;
    }

    function playbackPoint(feature, latlng, ctx) {
        var p = feature.properties;
        var color = p.kind === "visit" ? "#2c7fb8" : (((hide(ctx).severityColors || {})[p.severity]) || "#e31a1c");
        return circle(latlng, color, p.kind === "visit" ? 4 : 6, {weight: 0.5});
    }

    function playbackFilter(feature, ctx) {
        var h = hide(ctx), t = feature.properties.t;
        return h.until === undefined || (t <= h.until && t > h.since);
    }

    function routeStyle() { return {color: "#08519c", weight: 3, opacity: 0.7, dashArray: "6 4"}; }

    function townshipTooltip(feature, layer) {
        if (feature.properties.kind === "township") { layer.bindTooltip(esc(feature.properties.name), {sticky: true}); }
    }

    function cellTooltip(feature, layer, ctx) {
        var v = feature.properties.value, h = hide(ctx);
        var text = v === null || v === undefined ? "—" : (h.rate ? (v * 100).toFixed(1) + "%" : String(v));
        layer.bindTooltip(esc(h.title || "") + ": " + esc(text), {sticky: true});
    }

    // ------------------------------------------------------------------------------ clientside callbacks
    var clientside = {
        // The three bases of a page, merged into the live layers (whichever arrived), then let go of: the stores
        // are emptied once merged. A store left holding base N kept base N-1 alive as well (React keeps a
        // component's previous props until it renders again), one whole base more after the first reload.
        setBases: function (alerts, incidents, teams) {
            var prefix = (live.cfg && live.cfg.prefix) || "", merged = [];
            [["alert", alerts, "alerts-base"], ["incident", incidents, "incidents-base"],
             ["team", teams, "teams-base"]].forEach(function (kb) {
                if (kb[1]) { setBase(kb[0], kb[1]); merged.push(prefix + kb[2]); }
            });
            if (merged.length) {
                setTimeout(function () { merged.forEach(function (id) { setProps(id, {data: null}); }); }, 0);
            }
            return window.dash_clientside.no_update;
        },
        // The dispatch queue follows the page's selection (a click, a ?incident= link) and township filter.
        dispatchView: function (selected, township) {
            listState.selected = selected === null || selected === undefined ? null : +selected;
            listState.township = township || "";
            drawList();
            return window.dash_clientside.no_update;
        },
        // "data is N s old": seconds since the last message or heartbeat.
        staleness: function (n, texts) {
            var age = Math.round((Date.now() - live.lastAt) / 1000);
            var t = texts || {};
            if (age < (t.after || 25)) { return ["", "gc-stale hidden"]; }
            return [String(t.template || "{n} s").replace("{n}", age), "gc-stale"];
        },
        // Playback: the slider's time window (epoch s) for the playback layer's filter.
        playbackWindow: function (value, meta, hideout) {
            if (!meta) { return window.dash_clientside.no_update; }
            var until = meta.start + value * meta.step;
            return Object.assign({}, hideout || {}, {since: until - meta.window, until: until});
        },
        playbackStep: function (n, value, meta) {
            if (!meta) { return window.dash_clientside.no_update; }
            return value >= meta.steps ? 0 : value + 1;
        }
    };

    window.gc = {
        esc: esc, live: live, connect: connect, drawList: drawList, apply: apply, collection: collection, setBase: setBase,
        view: function () { return view; },
        liveAddAlert: attacher("alert"), liveAddIncident: attacher("incident"), liveAddTeam: attacher("team"),
        townshipStyle: townshipStyle, cellStyle: cellStyle, enterprisePoint: enterprisePoint,
        enterpriseCluster: enterpriseCluster, alertPoint: alertPoint, incidentPoint: incidentPoint,
        teamPoint: teamPoint, visitPoint: visitPoint, labelPoint: labelPoint, playbackPoint: playbackPoint,
        playbackFilter: playbackFilter, routeStyle: routeStyle, townshipTooltip: townshipTooltip,
        cellTooltip: cellTooltip
    };
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.gc = clientside;

    // Open the stream once the page is a map page (login page has no #live-tick).
    function boot() {
        var marker = document.getElementById("gc-live-marker");
        if (marker) {
            try { live.cfg = JSON.parse(marker.getAttribute("data-config") || "{}"); } catch (err) { live.cfg = {}; }
            var list = live.cfg.list && document.getElementById(live.cfg.list.id);
            if (list && live.cfg.list.kind === "queue") { list.addEventListener("click", listClick); }
            connect("/events");
        } else { setTimeout(boot, 300); }
    }
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); } else { boot(); }
})();
