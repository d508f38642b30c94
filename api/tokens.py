"""Who is calling the machine API: a Bearer token (alert sources, dispatch clients) or, for the dispatch
endpoints, the logged-in browser session."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import psycopg
from flask import request

from api.errors import ApiError
from geo_data.scope import Permission, Role, Scope
from geo_data.tokens import ApiToken, token_for

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gridcommand"'}


def bearer() -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None when the header is absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "Authorization must be 'Bearer <token>'", headers=CHALLENGE)
    return value.strip()


def required_bearer() -> str:
    """The token of ``Authorization: Bearer <token>``; 401 when the header is absent."""
    value = bearer()
    if value is None:
        raise ApiError(401, "missing Authorization: Bearer <token>", headers=CHALLENGE)
    return value


def checked(token: ApiToken | None, scope_name: str) -> ApiToken:
    """``token`` (a live token's record, or None) if it carries ``scope_name``: 401 if None, 403 if not allowed."""
    if token is None:
        raise ApiError(401, "unknown or revoked token", headers=CHALLENGE)
    if not token.has(scope_name):
        raise ApiError(403, f"token lacks scope {scope_name}")
    return token


def require_token(conn: psycopg.Connection[Any], scope_name: str) -> ApiToken:
    """The live token of the request carrying ``scope_name``: 401 if missing/unknown/revoked, 403 if not allowed."""
    return checked(token_for(conn, required_bearer()), scope_name)


def dispatch_scope(conn: psycopg.Connection[Any], scope_name: str) -> Scope:
    """The caller of a dispatch endpoint: a token with ``scope_name`` (acts county-wide for its county), or a
    logged-in user allowed to dispatch (a township dispatcher stays in their township)."""
    if request.headers.get("Authorization") is not None:
        token = require_token(conn, scope_name)
        return Scope(actor=f"token:{token.prefix}", role=Role.COUNTY_OPERATOR, county_code=token.county_code,
                     remote_addr=request.remote_addr or "")
    from flask_login import current_user

    from callbacks.context import current_scope

    if not getattr(current_user, "is_authenticated", False):
        raise ApiError(401, "log in or send Authorization: Bearer <token>", headers=CHALLENGE)
    if request.method not in ("GET", "HEAD") and not _same_origin():
        raise ApiError(403, "cross-site request refused")
    return current_scope(Permission.DISPATCH)


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return not origin or urlparse(origin).netloc == request.host
