"""The one place where errors raised inside callbacks become something the person understands.

Registered as the app-wide ``on_error`` handler: ``Forbidden`` becomes HTTP 403 (nothing changed); other product
errors appear in the page's notice bar; unexpected errors propagate (logged, 500) so they are never hidden.
"""

from __future__ import annotations

import logging

from dash import no_update, set_props
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
        set_props(NOTICE_ID, {"children": message_for(err), "className": "gc-notice show"})
        return no_update
    log.exception("callback failed", exc_info=err)
    raise err
