/* The field app's service worker (scope /field): keeps the app shell so /field opens with no network.
 * The page and today's data: network first, the last good copy when offline. Static code: cache first.
 * Writes (POST) are never touched here: the app's own queue (IndexedDB) keeps and resends them. */
"use strict";
var CACHE = "gc-field-v2";   // bump with every change of the app's files: they are served cache-first
var SHELL = ["/field", "/field/app/field.js", "/field/app/field.css", "/field/app/icon.svg",
             "/field/app/leaflet/leaflet.js", "/field/app/leaflet/leaflet.css", "/field/manifest.webmanifest"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) {
    return Promise.all(SHELL.map(function (u) {
      return fetch(u, { credentials: "same-origin" }).then(function (r) { if (r.ok) { return c.put(u, r); } })
        .catch(function () { /* fetched again on the next visit */ });
    }));
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("gc-field-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) { return; }
  var page = url.pathname === "/field", data = url.pathname === "/api/v1/field/today";
  if (page || data) {
    var key = page ? "/field" : url.pathname;
    e.respondWith(fetch(req).then(function (r) {
      if (r.ok && !r.redirected) { var copy = r.clone(); caches.open(CACHE).then(function (c) { c.put(key, copy); }); }
      return r;
    }).catch(function () {
      return caches.match(key).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/field/app/") === 0) {
    e.respondWith(caches.match(url.pathname).then(function (hit) {
      return hit || fetch(req).then(function (r) {
        if (r.ok) { var copy = r.clone(); caches.open(CACHE).then(function (c) { c.put(url.pathname, copy); }); }
        return r;
      });
    }));
  }
});
