"""``GET /events``: Server-Sent Events with live changes for the logged-in user's scope.

One ``PushHub`` per process (``geo_data.push``) fans notifications out; each stream is one subscriber. A stream
sends at most one message per ``MapSettings.push_interval_ms``: ``{"seq", "at", "resync", "changes": [...]}``
with the latest change per (kind, id) since the previous message (``geo_data.push.Subscriber``). The first
event, ``hello``, carries the server time the subscription started: a base the page read before it may miss
changes and is reloaded. A heartbeat event every 10 s keeps proxies from closing the stream and lets the page
tell "quiet" from "stale".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from api import state as api_state
from callbacks.context import current_scope
from geo_data.errors import DatabaseUnavailable, Forbidden
from geo_data.push import PushHub

bp = Blueprint("events", __name__)
HEARTBEAT_S = 10.0


def stream(hub: PushHub, county_code: str, township_code: str | None, *, interval_s: float,
           heartbeat_s: float = HEARTBEAT_S, session_live: Callable[[], bool] = lambda: True) -> Iterator[str]:
    """The event stream of one subscriber: hello, then batches at most every ``interval_s``, heartbeats.

    ``session_live`` is asked again every ``heartbeat_s``: the stream ends once the session it was opened with
    has ended (logout, revocation, an admin, the idle or absolute timeout), and the reconnect is refused."""
    sub = hub.subscribe(county_code, township_code)
    try:
        yield "retry: 2000\n"
        yield f"event: hello\ndata: {json.dumps({'at': time.time()})}\n\n"
        seq, last, checked = 0, 0.0, time.monotonic()
        while True:
            if time.monotonic() - checked >= heartbeat_s:
                if not session_live():
                    return
                checked = time.monotonic()
            if not sub.wait(heartbeat_s):
                # A heartbeat says "the feed is alive", so none while this process has lost its LISTEN connection
                # (the database restarting or away): the page's stale-data warning then comes on by itself.
                if hub.connected.is_set():
                    yield f"event: heartbeat\ndata: {json.dumps({'at': time.time()})}\n\n"
                continue
            # something waits: hold it until the interval since the last message has passed, so that every
            # further change of the same rows in the meantime replaces it instead of following it
            pause = last + interval_s - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            batch = sub.take()
            if batch is None:
                continue
            seq += 1
            last = time.monotonic()
            yield f"data: {batch.as_json(seq)}\n\n"
    finally:
        hub.unsubscribe(sub)


@bp.route("/events")
def events() -> Any:
    try:
        scope = current_scope()
    except Forbidden as exc:
        return jsonify({"error": str(exc)}), 401
    live = api_state.current()
    if live.push is None:
        return jsonify({"error": "no live push in this server"}), 404
    resp = Response(stream(live.push, scope.county_code, scope.township_code, interval_s=live.push_interval_s,
                           session_live=_session_check()), mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp


def _session_check() -> Callable[[], bool]:
    """Whether the session of this request is still live, askable after the request (the stream outlives it)."""
    from flask_login import current_user

    from geo_data import sessions
    from geo_data.db import transaction

    config = current_app.extensions["gc_auth"]
    sid = str(current_user.id)

    def check() -> bool:
        try:
            with transaction(config.pool) as conn:
                return sessions.live(conn, sid, policy=config.sessions) is not None
        except DatabaseUnavailable:
            return True  # the database is away: the missing heartbeats tell the page; judge when it is back

    return check
