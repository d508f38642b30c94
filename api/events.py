"""``GET /events``: Server-Sent Events with live changes for the logged-in user's scope.

One ``PushHub`` per process (``geo_data.push``) fans notifications out; each stream is one subscriber. A
heartbeat event every 10 s keeps proxies from closing the stream and lets the page tell "quiet" from "stale".
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from callbacks.context import current_scope, services
from geo_data.errors import Forbidden
from geo_data.push import PushHub, hub_for
from layers.basemaps import display_datum
from layers.geojson import live_feature

bp = Blueprint("events", __name__)
HEARTBEAT_S = 10.0


def install(server: Flask) -> None:
    """Register the stream and start this process's listener."""
    svc = services()
    datum = display_datum(svc.settings.map)

    def render(kind: str, row: dict[str, Any]) -> dict[str, Any]:
        return live_feature(kind, row, datum=datum)

    server.extensions["gc_push"] = hub_for(svc.extras["database_url"], render)
    server.register_blueprint(bp)


def _stream(hub: PushHub, county_code: str, township_code: str | None) -> Iterator[str]:
    sub = hub.subscribe(county_code, township_code)
    try:
        yield "retry: 2000\n"
        yield f"event: hello\ndata: {json.dumps({'at': time.time()})}\n\n"
        while True:
            try:
                change = sub.queue.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                yield f"event: heartbeat\ndata: {json.dumps({'at': time.time()})}\n\n"
                continue
            batch = [change]
            while len(batch) < 200:  # send what is already waiting in one message
                try:
                    batch.append(sub.queue.get_nowait())
                except queue.Empty:
                    break
            yield "data: [" + ",".join(c.as_json() for c in batch) + "]\n\n"
    finally:
        hub.unsubscribe(sub)


@bp.route("/events")
def events() -> Any:
    try:
        scope = current_scope()
    except Forbidden as exc:
        return jsonify({"error": str(exc)}), 401
    hub: PushHub = current_app.extensions["gc_push"]
    resp = Response(_stream(hub, scope.county_code, scope.township_code), mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp
