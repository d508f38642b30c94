/* Leaflet's own control texts (zoom buttons' titles and aria-labels, the attribution's link) in the page's language.
   Leaflet ships them in English; the language is decided as the server does: ?lang= first, then the shell's
   gc_lang cookie, else Chinese. Runs before any map is created (Dash loads the component bundles, which define
   window.L, before the app's assets). */
(function () {
    "use strict";
    if (!window.L) { return; }
    var asked = new URLSearchParams(window.location.search).get("lang");
    var kept = (document.cookie.match(/(?:^|;\s*)gc_lang=([^;]*)/) || [])[1];
    if ((asked || kept) === "en") { return; }
    window.L.Control.Zoom.prototype.options.zoomInTitle = "放大";
    window.L.Control.Zoom.prototype.options.zoomOutTitle = "缩小";
    window.L.Control.Attribution.prototype.options.prefix =
        '<a href="https://leafletjs.com" title="Leaflet 交互地图库">Leaflet</a>';
}());
