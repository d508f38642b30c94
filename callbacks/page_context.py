"""The one helper a page layout (``pages/*.py``) asks for what it shows: the caller's scope, checked for the page's
permission, the settings, and one read-only transaction for the rows it needs.

Pages neither open transactions nor check roles themselves: a page declares ``PERMISSION`` (the login guard
refuses the page's URL without it, ``api.auth_pages``) and asks ``page_context(PERMISSION)`` (the same check again
for Dash's own page router, plus roles the page leaves out); a refusal is ``Forbidden``, which the app shell shows
as its "no access" panel.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg

from callbacks.context import current_scope, services
from geo_data.errors import Forbidden
from geo_data.scope import Permission, Role, Scope
from geo_data.settings import Settings
from services.transactions import transaction_on

T = TypeVar("T")


@dataclass(frozen=True)
class PageContext:
    """What a page knows of its request: who asks (``scope``) and the app's ``settings``."""

    scope: Scope
    settings: Settings

    def can(self, permission: Permission) -> bool:
        return self.scope.can(permission)

    def read(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``fn(conn)`` in one transaction on the read pool (the standby when configured): pages only read."""
        return transaction_on(services().read_pool, fn)


def page_context(permission: Permission = Permission.READ, *, not_for: Collection[Role] = (),
                 why: str = "your role may not open this page") -> PageContext:
    """The context of the page being built; ``Forbidden`` (with ``why`` for a role in ``not_for``) otherwise."""
    scope = current_scope(permission)
    if scope.role in not_for:
        raise Forbidden(why)
    return PageContext(scope=scope, settings=services().settings)
