"""Which component library for the desk pages: the same admin-like page built with plain Dash html,
dash-mantine-components and dash-bootstrap-components (Bootstrap's CSS served locally, as the product would),
each with the same dash-ag-grid table, each served by its own process (Dash serves the scripts of every component
library imported in the process, so one process per variant) and loaded in headless Chromium with the cache off. Prints page weight (KiB over the wire, uncompressed as Dash serves it) and the time from
navigation start until the grid's rows and the shell's buttons are drawn (median / p95 over ``--runs``).

    .venv/bin/python bench/ui_library.py [--runs 15] [--bootstrap-css /path/bootstrap.min.css]

The Bootstrap CSS is not on PyPI (dbc links a CDN); ``npm pack bootstrap@5.3.6`` gives it (or pass the product's
``assets/vendor/bootstrap.min.css``). dash-mantine-components is not a dependency of the product: ``.venv/bin/pip
install dash-mantine-components==2.8.1`` for this comparison. Results: docs/ui.md.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dash  # noqa: E402
import dash_ag_grid as dag  # noqa: E402
from dash import html  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from tests.map_scenario import headless_chromium  # noqa: E402

PAGES = ["地图", "大屏", "派单", "计划", "覆盖", "管理"]
ROWS = [{"id": i, "username": f"user{i}", "role": "planner", "active": "✓" if i % 3 else "—",
         "last_login_at": "2026-12-03 09:12"} for i in range(200)]
COLUMNS = [{"field": c, "sortable": True, "filter": True} for c in ("id", "username", "role", "active",
                                                                   "last_login_at")]


def _grid() -> Any:
    return dag.AgGrid(id="grid", rowData=ROWS, columnDefs=COLUMNS, className="ag-theme-quartz",
                      dashGridOptions={"pagination": True, "paginationPageSize": 20}, style={"height": 520})


def plain_app() -> dash.Dash:
    app = dash.Dash("plain")
    app.layout = html.Div([
        html.Header([html.B("金东区"), *[html.A(p, href="#") for p in PAGES], html.Span("admin · 管理员"),
                     html.Button("退出")]),
        html.Main([html.H2("用户"), html.Div([html.Button(b) for b in ("停用", "启用", "解锁", "重置")]),
                   html.Div([dash.dcc.Input(placeholder="用户名"), dash.dcc.Dropdown(["planner", "viewer"])]),
                   _grid()]),
    ])
    return app


def mantine_app() -> dash.Dash:
    import dash_mantine_components as dmc

    app = dash.Dash("mantine")
    app.layout = dmc.MantineProvider(dmc.AppShell([
        dmc.AppShellHeader(dmc.Group([dmc.Text("金东区", fw=700), *[dmc.Anchor(p, href="#") for p in PAGES],
                                      dmc.Badge("admin · 管理员"), dmc.Button("退出", variant="subtle")], h="100%",
                                     px="md")),
        dmc.AppShellMain([dmc.Title("用户", order=2),
                          dmc.Group([dmc.Button(b, variant="light") for b in ("停用", "启用", "解锁", "重置")]),
                          dmc.Group([dmc.TextInput(placeholder="用户名"), dmc.Select(data=["planner", "viewer"])]),
                          _grid()]),
    ], header={"height": 56}, padding="md"))
    return app


def bootstrap_app(css: Path) -> dash.Dash:
    import dash_bootstrap_components as dbc

    assets = Path("/tmp/gc_bench_bootstrap_assets")
    assets.mkdir(exist_ok=True)
    (assets / "bootstrap.min.css").write_bytes(css.read_bytes())
    app = dash.Dash("bootstrap", assets_folder=str(assets))
    app.layout = html.Div([
        dbc.Navbar(dbc.Container([dbc.NavbarBrand("金东区"),
                                  dbc.Nav([dbc.NavItem(dbc.NavLink(p, href="#")) for p in PAGES]),
                                  dbc.Badge("admin · 管理员"), dbc.Button("退出", color="link")]), color="light"),
        dbc.Container([html.H2("用户"),
                       dbc.ButtonGroup([dbc.Button(b, outline=True) for b in ("停用", "启用", "解锁", "重置")]),
                       dbc.Row([dbc.Col(dbc.Input(placeholder="用户名")),
                                dbc.Col(dbc.Select(options=["planner", "viewer"]))]),
                       _grid()]),
    ])
    return app


# resolves with [ms since navigation start when the grid rows and the buttons are in the page, bytes loaded]
_WAIT = """
const done = arguments[arguments.length - 1];
function ready() { return document.querySelector('.ag-row') && document.querySelectorAll('button').length >= 5; }
function report() {
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  done([performance.now(), entries.reduce((s, e) => s + (e.encodedBodySize || 0), 0)]);
}
if (ready()) { report(); } else {
  new MutationObserver((_m, obs) => { if (ready()) { obs.disconnect(); report(); } })
    .observe(document.body, {childList: true, subtree: true});
}
"""


def measure(driver: Any, url: str, runs: int) -> tuple[list[float], float]:
    times, weight = [], 0.0
    for _ in range(runs + 1):  # the first run warms the server (Python imports, first requests)
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        driver.get("about:blank")
        driver.get(url)
        ms, size = driver.execute_async_script(_WAIT)
        times.append(float(ms))
        weight = size / 1024
    return times[1:], weight


VARIANTS = {"plain": "plain html", "mantine": "dash-mantine-components 2.8.1",
            "bootstrap": "dash-bootstrap-components 2.0.4"}


def serve(variant: str, css: Path) -> None:
    """Child process: build one variant, print its port, serve until killed."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = {"plain": plain_app, "mantine": mantine_app, "bootstrap": lambda: bootstrap_app(css)}[variant]()
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    print(srv.server_port, flush=True)
    srv.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--bootstrap-css", type=Path, default=Path("/tmp/bs/package/dist/css/bootstrap.min.css"))
    ap.add_argument("--serve", choices=VARIANTS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.bootstrap_css)
        return
    driver = headless_chromium("--window-size=1920,1080")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.set_script_timeout(30)
    try:
        for variant, name in VARIANTS.items():
            child = subprocess.Popen([sys.executable, __file__, "--serve", variant, "--bootstrap-css",
                                      str(args.bootstrap_css)], stdout=subprocess.PIPE, text=True)
            try:
                port = int((child.stdout.readline() if child.stdout else "").strip())
                times, kib = measure(driver, f"http://127.0.0.1:{port}/", args.runs)
            finally:
                child.terminate()
                child.wait(10)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"{name:34s} weight {kib:7.0f} KiB  render median {statistics.median(times):6.0f} ms"
                  f"  p95 {p95:6.0f} ms  (n={len(times)})")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
