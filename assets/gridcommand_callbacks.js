/* The small clientside callbacks of the Dash pages (ClientsideFunction("gc", ...)), merged into the one
   clientside namespace window.dash_clientside.gc that gridcommand.js defines. Dash loads assets/ in
   alphabetical order, so this file runs after gridcommand.js (which assigns the namespace whole) and adds to it. */
(function () {
    "use strict";

    var callbacks = {
        // The playback slider's time as a person reads it, in Asia/Shanghai (the product's one zone).
        playbackLabel: function (value, meta, lang) {
            if (!meta) { return ""; }
            var d = new Date((meta.start + value * meta.step) * 1000);
            return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", {timeZone: "Asia/Shanghai"});
        },
        // The date range pickers show only for the "custom" period.
        customDatesClass: function (choice) { return choice === "custom" ? "gc-dates" : "gc-dates hidden"; },
        // Remember the language choice for a year; the page says its language (screen readers read it).
        rememberLang: function (lang) {
            document.cookie = "gc_lang=" + (lang === "en" ? "en" : "zh") + "; path=/; max-age=31536000; SameSite=Lax";
            document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
            return lang;
        },
        // A grid's CSV button: a press asks the grid (dash-ag-grid exportDataAsCsv) to export what it shows.
        exportCsv: function (n) { return Boolean(n); }
    };

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.gc = Object.assign(window.dash_clientside.gc || {}, callbacks);
})();
