"""What the app shell (pages/shell.py) shows about the caller: name, role, county and township names; and the
language the shell was rendered in kept in the ``gc_lang`` cookie, so the next page opens in it too."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from dash import ClientsideFunction, Input, Output

from callbacks.context import services
from callbacks.map_common import request_lang
from callbacks.registry import clientside_callback
from geo_data.db import fetch_one
from geo_data.scope import Scope


@dataclass(frozen=True)
class ShellUser:
    """The logged-in user as the shell shows them."""

    username: str
    display_name: str
    scope: Scope
    county_name: str
    township_name: str | None


def shell_user() -> ShellUser | None:
    """The caller, or None when nobody is logged in (the login guard sends such a request away first)."""
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        return None
    user = current_user.user
    scope: Scope = user.scope()
    with services().read_pool.connection() as conn:
        names = fetch_one(conn, "report_area_name", scope.params)
    return ShellUser(username=user.username, display_name=user.display_name, scope=scope,
                     county_name=(names or {}).get("county_name") or scope.county_code,
                     township_name=(names or {}).get("township_name"))


def page_lang() -> str:
    """The language of the page a callback serves: its address's ``?lang=`` (the Referer of Dash's callback
    request: it holds from the page's first callbacks on; a page's own GET: its query), else the ``gc_lang``
    cookie, else the default."""
    from flask import has_request_context, request

    if not has_request_context():
        return request_lang()
    if request.path.startswith("/_dash"):
        asked = parse_qs(urlsplit(request.headers.get("Referer", "")).query).get("lang", [None])[0]
    else:
        asked = request.args.get("lang")
    return request_lang(asked)


# the gc_lang cookie and the page's <html lang> (assets/gridcommand_callbacks.js)
clientside_callback(ClientsideFunction("gc", "rememberLang"), Output("shell-lang-cookie", "data"),
                    Input("shell-lang", "data"))
