"""Composition root: settings -> database -> pool -> Flask/Dash app -> pages -> callbacks -> API.

``create_app()`` builds everything; ``server`` (module attribute, built on first access) is the WSGI app.
"""

from __future__ import annotations

import importlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import dash
from flask import Flask

from api import state as api_state
from api.alert_groups import AlertGroups
from api.errors import install_app_handlers
from callbacks import registry
from callbacks.errors import NOTICE_ID, check_callback_requests, handle_callback_error, log_refused_callbacks
from geo_data.db import database_url, open_pool, replica_database_url
from geo_data.jobs import queue_app
from geo_data.push import hub_for
from geo_data.scope import Permission
from geo_data.settings import PROJECT_ROOT, Settings, load_settings
from layers.basemaps import display_datum, tile_hosts
from layers.geojson import live_feature
from pages import shell
from services import intake
from services.container import Services, bind
from services.transactions import transaction_on

# Screens: modules under pages/ with PATH, TITLE and layout(); and their callback modules.
PAGE_MODULES = ["pages.map", "pages.wall", "pages.admin", "pages.coverage", "pages.planner", "pages.dispatch"]
CALLBACK_MODULES: list[str] = ["callbacks.map_view", "callbacks.map_live", "callbacks.map_details",
                               "callbacks.map_search", "callbacks.map_time", "callbacks.wall", "callbacks.admin",
                               "callbacks.coverage_filter", "callbacks.coverage_panel", "callbacks.coverage_map",
                               "callbacks.coverage_export", "callbacks.planner_plan", "callbacks.planner_routes",
                               "callbacks.planner_draws", "callbacks.dispatch", "callbacks.shell",
                               "callbacks.tables"]
# The callbacks a wall display's session may run (it reaches /wall only).
DISPLAY_CALLBACK_MODULES = {"callbacks.wall"}
# Flask blueprints ("module:attribute"), all mounted here (by ``mount_api``): the login pages, the live-push stream,
# the machine API and the phone pages.
EVENTS_BLUEPRINT = "api.events:bp"  # the live-push stream (starts this process's listener)
API_BLUEPRINTS: list[str] = ["api.auth_pages:bp", EVENTS_BLUEPRINT, "api.intake:bp", "api.dispatch:bp",
                             "api.visits:bp", "api.visits:pages_bp", "api.reports:bp", "api.positions:bp",
                             "api.evidence:bp", "api.field:bp", "api.field:api"]


def _secret_key(data_dir: Path) -> str:
    """The session signing key: generated on first run into the git-ignored data directory.

    Every gunicorn worker builds the app itself, at the same moment: on a first start they would each write a key
    and some would sign with one the others do not know (their cookies fail there: "login required" on half the
    requests). So the key file appears whole and only once: written aside, then hard-linked into place, which
    fails for every process but the first; all then read the one that is there.
    """
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, aside = tempfile.mkstemp(prefix=".secret_key.", dir=data_dir)   # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(secrets.token_hex(32))
            os.link(aside, path)
        except FileExistsError:
            pass   # another process was first: use its key
        finally:
            os.unlink(aside)
    return path.read_text(encoding="utf-8").strip()


def create_app(settings: Settings | None = None, *, url: str | None = None) -> dash.Dash:
    """Build the Dash app (and its Flask server) for ``settings``, against ``url`` or the configured DB."""
    from api import auth_pages

    settings = settings or load_settings()
    read_url = settings.db.replica_url if url else replica_database_url(settings.db)
    url = url or database_url(settings.db)
    pool = open_pool(url, settings.db)
    replica_pool = open_pool(read_url, settings.db, name="gridcommand-read") if read_url else None
    server = Flask(__name__, static_folder=None)
    jobs = queue_app(settings, url).open(pool)  # defers background jobs; `gridcommand worker` runs them
    services = Services(settings=settings, pool=pool, database_url=url, jobs=jobs, replica_pool=replica_pool)
    server.secret_key = _secret_key(settings.db.data_dir)
    server.config["MAX_CONTENT_LENGTH"] = settings.server.max_body_bytes
    pages: list[Any] = [importlib.import_module(name) for name in PAGE_MODULES]
    auth_pages.install(server, pool=pool, settings=settings.server, image_hosts=tile_hosts(settings.map),
                       page_permissions={page.PATH: getattr(page, "PERMISSION", Permission.READ) for page in pages})
    mount_api(server, services)

    app = dash.Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash accepts a Flask app; its stub says bool
        use_pages=True,
        pages_folder="",
        assets_folder=str(PROJECT_ROOT / "assets"),
        # Bootstrap (dash-bootstrap-components' theme, served from here: no CDN) before the product's own CSS
        external_stylesheets=["/assets/vendor/bootstrap.min.css"],
        assets_path_ignore=["vendor"],
        title="县乡执法指挥一张图 · GridCommand",
        suppress_callback_exceptions=True,
        update_title=None,  # type: ignore[arg-type]  # None turns the "Updating…" title off
        on_error=handle_callback_error,
        # the callbacks are plain functions: with asgiref installed (procrastinate needs it) Dash would otherwise
        # serve every callback through async_to_sync, a fresh thread and event loop per request
        use_async=False,
    )
    # the document's language from the first byte (screen readers; the shell's callback sets it per page)
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">', 1)
    for name, page in zip(PAGE_MODULES, pages, strict=True):
        dash.register_page(name, path=page.PATH, title=shell.title(page.PATH, page.TITLE),
                           layout=shell.framed(page.PATH, page.layout))
    _register_callbacks(app)
    # a component-suite path outside the registered files (``..%2f`` and the like) is a 404, not a 500
    server.register_error_handler(dash.exceptions.DependencyException, lambda _exc: ("no such file", 404))
    auth_pages.set_script_hashes(server, app.csp_hashes)
    auth_pages.set_display_callbacks(server, lambda: [
        key for key, spec in app.callback_map.items()
        if getattr(spec.get("callback"), "__module__", "") in DISPLAY_CALLBACK_MODULES])
    app.layout = dash.html.Div([
        dash.html.Div(id=NOTICE_ID, className="gc-notice", role="alert"),
        dash.page_container,
    ], id="root")
    server.before_request(check_callback_requests(app.callback_map))  # filled by Dash's set-up, just below
    server.after_request(log_refused_callbacks)
    _finish_dash_setup(server)
    return app


def mount_api(server: Flask, services: Services, *, live_push: bool = True) -> None:
    """Bind ``services`` to ``server`` and mount every blueprint of ``API_BLUEPRINTS`` with the API's state and
    its JSON routing errors (also what a test's API-only server, without Dash, is made of). Without
    ``live_push`` the stream ``/events`` is left out and no listener starts."""
    bind(services, server)
    api_state.bind(server, _api_state(services, live_push=live_push))
    for name in API_BLUEPRINTS:
        if name == EVENTS_BLUEPRINT and not live_push:
            continue
        module_name, attribute = name.split(":")
        server.register_blueprint(getattr(importlib.import_module(module_name), attribute))
    install_app_handlers(server)


def _api_state(services: Services, *, live_push: bool) -> api_state.ApiState:
    """The machine API's state; the background work of a web process starts here, once per process: the writer
    of single alert posts (its thread starts with the first post) and the live-push listener. Everything else
    runs in the job worker (``geo_data.jobs``)."""
    settings = services.settings
    datum = display_datum(settings.map)

    def render(kind: str, row: dict[str, Any]) -> dict[str, Any]:
        return live_feature(kind, row, datum=datum)

    def store(conn: Any, source: str, county_code: str, items: list[Any], notices: list[str]) -> list[Any]:
        return intake.store_alerts(conn, services, source=source, county_code=county_code, items=items,
                                   notices=notices)

    singles = AlertGroups(lambda fn, notices: transaction_on(services.pool, fn, notices), store,
                          max_items=settings.dispatch.max_batch, linger_s=settings.dispatch.group_linger_ms / 1000)
    push = hub_for(services.database_url, render, max_pending=settings.map.push_max_pending) if live_push else None
    return api_state.ApiState(singles=singles, push=push, push_interval_s=settings.map.push_interval_ms / 1000.0)


def _finish_dash_setup(server: Flask) -> None:
    """Let Dash finish its set-up now, before the server takes a request.

    Dash completes its set-up (the page router, the registry of component script paths, the callback map) in a
    ``before_request`` hook that first marks itself done and only then does the work. Under a threaded server
    the first requests of a fresh worker race it: a request that arrives meanwhile finds no registered
    libraries ("dash" is not a registered library -> 500) and its page stays blank. One request served here,
    single-threaded, runs that hook to its end; ``/healthz`` is public and reads nothing.
    """
    reply = server.test_client().get("/healthz")
    if reply.status_code != 200:
        raise RuntimeError(f"the app's own health check answered {reply.status_code} during start-up")


def _register_callbacks(app: dash.Dash) -> None:
    """Import the callback modules (once per process) and register their callbacks on ``app``
    (``callbacks.registry``: each app gets its own set through Dash's public ``app.callback``)."""
    for name in CALLBACK_MODULES:
        importlib.import_module(name)
    registry.register(app)


_wsgi: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``app.server``: the WSGI application, built on first access (for gunicorn ``app:server``)."""
    if name == "server":
        if "server" not in _wsgi:
            _wsgi["server"] = create_app().server
        return _wsgi["server"]
    raise AttributeError(name)
