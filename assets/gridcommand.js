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
    var live = {
        layers: {alert: {}, incident: {}, team: {}},   // kind -> id -> feature
        liveOn: {alert: true, incident: true, team: true},
        baseAt: {alert: 0, incident: 0, team: 0},
        pushedAt: {alert: {}, incident: {}, team: {}}, // kind -> id -> epoch s of the push
        lastAt: Date.now(),     // last message or heartbeat (ms)
        seq: 0,
        urgent: null,           // the latest new urgent incident/alert feature
        seen: 0,                // features applied (tests and benchmarks read it)
        arrivedAt: {},          // feature id -> ms when its last change arrived (diagnostics)
        source: null,
        resync: 0
    };

    var sentResync = 0;
    function setTick() {
        live.seq += 1;
        var dc = window.dash_clientside;
        if (dc && dc.set_props) {
            dc.set_props("live-tick", {data: {seq: live.seq, resync: live.resync}});
            if (live.resync !== sentResync) { sentResync = live.resync; dc.set_props("live-resync", {data: live.resync}); }
        }
    }

    function apply(changes) {
        var touched = false;
        if (Object.keys(live.arrivedAt).length > 5000) { live.arrivedAt = {}; }
        changes.forEach(function (c) {
            if (c.op === "resync") { live.resync += 1; touched = true; return; }
            var layer = live.layers[c.kind];
            if (!layer) { return; }
            var fid = c.kind + ":" + c.id;
            if (c.op === "remove") { delete layer[fid]; touched = true; return; }
            if (!c.feature) { return; }
            var isNew = !layer[fid];
            var f = c.feature;
            if (c.kind === "alert" || c.kind === "incident") {
                if (f.properties.severity === "urgent" && isNew) { live.urgent = f; }
            }
            layer[fid] = f;
            live.pushedAt[c.kind][fid] = c.at;
            live.arrivedAt[fid] = Date.now();
            live.seen += 1;
            touched = true;
        });
        if (touched) { setTick(); }
    }

    function connect(url) {
        if (live.source || typeof EventSource === "undefined") { return; }
        var es = new EventSource(url || "/events", {withCredentials: true});
        live.source = es;
        es.onmessage = function (ev) {
            live.lastAt = Date.now();
            try { apply(JSON.parse(ev.data)); } catch (err) { console.error("gc push", err); }
        };
        es.addEventListener("heartbeat", function () { live.lastAt = Date.now(); });
        es.addEventListener("hello", function () {
            // (re)connected: anything could have happened while away, ask the page to resync
            if (live.seq > 0) { live.resync += 1; setTick(); }
            live.lastAt = Date.now();
        });
    }

    function collection(kind) {
        var layer = live.layers[kind];
        return {type: "FeatureCollection", features: Object.keys(layer).map(function (k) { return layer[k]; })};
    }

    // Replace a live layer with a freshly loaded base, keeping pushes that arrived after the base was read.
    function reset(kind, base) {
        var layer = {};
        var at = (base && base.generated_at) || 0;
        ((base && base.features) || []).forEach(function (f) { layer[f.id] = f; });
        var old = live.layers[kind];
        Object.keys(old).forEach(function (fid) {
            if ((live.pushedAt[kind][fid] || 0) > at && !layer[fid]) { layer[fid] = old[fid]; }
        });
        live.layers[kind] = layer;
        live.liveOn[kind] = !base || base.live !== false;
        live.baseAt[kind] = at;
    }

    function merged(kind, tick, base) {
        var ctx = window.dash_clientside && window.dash_clientside.callback_context;
        var trig = ctx && ctx.triggered && ctx.triggered.length ? ctx.triggered[0].prop_id : "";
        if (trig.indexOf("tick") < 0 || !live.liveOn[kind]) { reset(kind, base); }
        if (!live.liveOn[kind]) { return base; }
        return collection(kind);
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
        return L.marker(latlng, {icon: icon, interactive: false, keyboard: false});
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
        mergeAlerts: function (tick, base) { return merged("alert", tick, base); },
        mergeIncidents: function (tick, base) { return merged("incident", tick, base); },
        mergeTeams: function (tick, base) { return merged("team", tick, base); },
        // Fly to a new urgent incident/alert and highlight it (wall and map).
        focusUrgent: function (tick, hideout) {
            var nu = window.dash_clientside.no_update;
            var f = live.urgent;
            if (!f) { return [nu, nu]; }
            live.urgent = null;
            var c = f.geometry.coordinates;
            var p = f.properties;
            var target = p.kind === "incident" ? f.id : (p.incident_id ? "incident:" + p.incident_id : null);
            var h = Object.assign({}, hideout || {}, {highlight: target});
            return [{center: [c[1], c[0]], zoom: 15, transition: "flyTo"}, h];
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
        esc: esc, live: live, connect: connect, apply: apply, collection: collection,
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
        if (document.getElementById("gc-live-marker")) { connect("/events"); }
        else { setTimeout(boot, 300); }
    }
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); } else { boot(); }
})();
