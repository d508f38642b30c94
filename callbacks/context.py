"""What callbacks and API handlers need at run time, set once by the composition root (app.py).

Callbacks never import ``app``; they ask this module for the pool and settings, and for the caller's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from geo_data.errors import Forbidden
from geo_data.scope import Permission, Scope
from geo_data.settings import Settings


@dataclass
class Services:
    settings: Settings
    pool: ConnectionPool
    extras: dict[str, Any]
    replica_pool: ConnectionPool | None = None  # the hot standby, when one is configured

    @property
    def read_pool(self) -> ConnectionPool:
        """For read-only screens (wall, map, KPI panels): the standby if configured, else the primary.
        Anything that writes (audit included) uses ``pool``."""
        return self.replica_pool or self.pool


_services: Services | None = None
_EXTENSION_KEY = "gridcommand"


def init(services: Services, server: Any | None = None) -> None:
    """Make ``services`` the ones of ``server`` (a Flask app) and the process default."""
    global _services
    _services = services
    if server is not None:
        server.extensions[_EXTENSION_KEY] = services


def services() -> Services:
    """The services of the Flask app handling the current request (the process default outside requests).

    Looking them up per app keeps two apps in one process (as in tests) on their own databases.
    """
    from flask import current_app, has_app_context

    if has_app_context() and _EXTENSION_KEY in current_app.extensions:
        found: Services = current_app.extensions[_EXTENSION_KEY]
        return found
    if _services is None:
        raise RuntimeError("services not initialised: create the app through app.create_app()")
    return _services


def current_scope(permission: Permission = Permission.READ) -> Scope:
    """The logged-in user's scope, checked for ``permission``; ``Forbidden`` when anonymous or not allowed."""
    from flask import request
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        raise Forbidden("not logged in")
    scope: Scope = current_user.user.scope(remote_addr=request.remote_addr or "")
    scope.require(permission)
    return scope


def form_token() -> str:
    """The session's form token (CSRF) for a form a page renders (e.g. the logout button)."""
    from api.auth_pages import csrf_token

    return csrf_token()
