"""The one place where errors raised inside callbacks become something the person understands.

Registered as the app-wide ``on_error`` handler, the only error path of every callback (no callback catches its
own): ``Forbidden`` becomes HTTP 403 (nothing changed); other product errors appear in the page's notice bar
(every output left as it was), which fades after a while (``assets/admin.css``) so that a brief outage does not
stay on a wall display; unexpected errors propagate (logged, 500) so they are never hidden.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from dash import html, no_update, set_props
from werkzeug.exceptions import Forbidden as HTTPForbidden

from geo_data.errors import (
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    GridCommandError,
    InvalidInput,
    NotFound,
)

log = logging.getLogger(__name__)
NOTICE_ID = "gc-notice"


def message_for(err: GridCommandError) -> str:
    """A short bilingual message for a product error."""
    if isinstance(err, InvalidInput):
        detail = "; ".join(str(p) for p in err.problems[:5])
        return f"输入有误 · Invalid input: {err}" + (f" ({detail})" if detail else "")
    if isinstance(err, Conflict):
        return f"操作冲突 · Conflict: {err}"
    if isinstance(err, NotFound):
        return f"未找到 · Not found: {err}"
    if isinstance(err, DatabaseUnavailable):
        return "数据库暂不可用，请稍后重试 · Database unavailable, please retry"
    return f"{err}"


def handle_callback_error(err: Exception) -> object:
    """Dash ``on_error`` handler (see module docstring)."""
    if isinstance(err, Forbidden):
        raise HTTPForbidden(str(err))
    if isinstance(err, GridCommandError):
        # a fresh id each time (the renderer keys a component by its id): a new element, whose fade starts again
        message = html.Div(message_for(err), className="gc-notice-msg", id=f"gc-notice-{uuid.uuid4().hex}")
        set_props(NOTICE_ID, {"children": message, "className": "gc-notice show"})
        return no_update
    log.exception("callback failed", exc_info=err)
    raise err


def malformed_callback_request(callback_map: dict[str, Any], body: Any) -> str | None:
    """Why a ``/_dash-update-component`` body cannot be a call of a registered callback, or None if it can.

    Dash indexes the body by the callback's registration and fails with a 500 on a body of another shape (an
    unknown output, too few inputs, a stale page after an upgrade); such a request is the client's error.
    """
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "not a callback request"
    spec = callback_map.get(body["output"])
    if spec is None:
        return "no such callback"
    for part in ("inputs", "state"):
        sent = body.get(part, [])
        if not isinstance(sent, list) or len(sent) != len(spec.get(part) or []):
            return f"{part}: {len(sent) if isinstance(sent, list) else 'not a list'} sent, " \
                   f"{len(spec.get(part) or [])} expected"
    return None


def check_callback_requests(callback_map: dict[str, Any]) -> Callable[[], Any]:
    """A ``before_request`` hook answering 400 for a callback request of the wrong shape (see above)."""
    from flask import abort, request

    def check() -> None:
        if request.path != "/_dash-update-component" or request.method != "POST":
            return
        why = malformed_callback_request(callback_map, request.get_json(silent=True))
        if why:
            abort(400, f"malformed callback request: {why}")

    return check


def log_refused_callbacks(response: Any) -> Any:
    """An ``after_request`` hook: a callback request answered with an error is logged with its output and the
    answer's first words, so that a screen whose callback was refused (a lost session, a malformed request, a
    failure) can be traced in the server's log instead of only in one browser's console."""
    from flask import request

    if request.path == "/_dash-update-component" and response.status_code >= 400:
        body = request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        answer = "" if response.is_streamed else response.get_data(as_text=True)[:160].replace("\n", " ")
        log.warning("callback refused: %s %s (%s)", response.status_code, str(output)[:200], answer)
    return response
