"""What callbacks and API handlers ask of the request: the caller's scope, the form token, and (re-exported from
``services.container``, built by the composition root ``app.py``) the app's services.

Callbacks never import ``app``; they ask this module for the services and for the caller's scope.
"""

from __future__ import annotations

from geo_data.errors import Forbidden
from geo_data.scope import Permission, Scope
from services.container import Services
from services.container import current as services

__all__ = ["Services", "current_scope", "form_token", "services"]


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
