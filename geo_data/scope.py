"""Who is asking and what they may see: every query that reads or changes scoped data takes a ``Scope``.

Township scoping is enforced here and in the SQL (``township_code`` filters), never only in the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from geo_data.errors import Forbidden


class Role(StrEnum):
    COUNTY_OPERATOR = "county_operator"
    TOWNSHIP_DISPATCHER = "township_dispatcher"
    PLANNER = "planner"
    VIEWER = "viewer"
    ADMIN = "admin"
    INSPECTOR = "inspector"  # 执法队员: a member of one team, on the field app only


class Permission(StrEnum):
    READ = "read"
    DISPATCH = "dispatch"
    PLAN = "plan"
    EXPORT = "export"
    ADMIN = "admin"
    FIELD = "field"  # the field app: one's own team's dispatches and visits


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.COUNTY_OPERATOR: frozenset({Permission.READ, Permission.DISPATCH, Permission.EXPORT}),
    Role.TOWNSHIP_DISPATCHER: frozenset({Permission.READ, Permission.DISPATCH}),
    Role.PLANNER: frozenset({Permission.READ, Permission.PLAN, Permission.EXPORT}),
    Role.VIEWER: frozenset({Permission.READ}),
    Role.ADMIN: frozenset({Permission.READ, Permission.ADMIN, Permission.PLAN, Permission.EXPORT}),
    Role.INSPECTOR: frozenset({Permission.FIELD}),
}


@dataclass(frozen=True)
class Scope:
    """The caller: a user (or machine) bound to a county and, for township dispatchers, one township."""

    actor: str
    role: Role
    county_code: str
    township_code: str | None = None
    remote_addr: str = ""
    team_id: int | None = None  # inspectors: their team (what the field app shows and lets them change)

    @property
    def whole_county(self) -> bool:
        return self.township_code is None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Raise ``Forbidden`` unless the role carries ``permission``."""
        if not self.can(permission):
            raise Forbidden(f"role {self.role.value} may not {permission.value}")

    def require_township(self, township_code: str | None, county_code: str | None = None) -> None:
        """Raise ``Forbidden`` if a thing in ``township_code`` / ``county_code`` lies outside this scope."""
        if county_code is not None and county_code != self.county_code:
            raise Forbidden("outside your county")
        if self.township_code is not None and township_code != self.township_code:
            raise Forbidden("outside your township")

    @property
    def params(self) -> dict[str, str | None]:
        """Bound parameters every scoped SQL file accepts: ``%(county_code)s``, ``%(township_code)s``.

        Scoped SQL filters with ``county_code = %(county_code)s AND (%(township_code)s::text IS NULL OR
        township_code = %(township_code)s)``.
        """
        return {"county_code": self.county_code, "township_code": self.township_code}


def system_scope(county_code: str, actor: str = "system") -> Scope:
    """Whole-county scope for command-line tools and background jobs."""
    return Scope(actor=actor, role=Role.ADMIN, county_code=county_code)
