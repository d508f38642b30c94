"""Inspection-code use cases (亮码): the enterprise's scan and rating, its public page, the inspector's sheet, and
the planner's exports.

``api/visits.py`` is the HTTP side (routes, bodies, status codes). The enterprise's phone has no login: the code
is the capability, so every attempt on a code is counted (per code, ``geo_data.visit_codes``) and every unknown
code against the caller's address (``geo_data.visit_public``); ``attempt`` keeps those records even when the
attempt is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

import pandas as pd
import psycopg

from geo_data import audit, draws, plans, visit_codes, visit_public
from geo_data.errors import GridCommandError, NotFound
from geo_data.scope import Permission, Scope
from layers.tables import DepartmentNames, export_frame
from services.container import Services

T = TypeVar("T")


def attempt(services: Services, remote_addr: str, work: Callable[[psycopg.Connection[Any]], T]) -> T:
    """Run ``work(conn)`` for an anonymous caller at ``remote_addr`` and commit even when it refuses, so the
    recorded attempt survives. ``visit_codes.RateLimited`` when the address guessed too many unknown codes (or
    ``work`` hit the per-code limit); ``NotFound`` for an unknown code, counted against the address."""
    with services.pool.connection() as conn:
        try:
            visit_public.check_misses(conn, remote_addr, services.settings.plan.code_misses_per_10min)
            result = work(conn)
        except visit_codes.RateLimited:
            conn.rollback()
            raise
        except NotFound:
            conn.rollback()
            visit_public.record_miss(conn, remote_addr)
            conn.commit()
            raise
        except GridCommandError:
            conn.commit()
            raise
        conn.commit()
        return result


def refuse_unknown(services: Services, remote_addr: str) -> None:
    """A code that cannot exist (wrong shape): ``NotFound``, counted like any unknown code."""

    def unknown(_conn: psycopg.Connection[Any]) -> None:
        raise NotFound("unknown code")

    attempt(services, remote_addr, unknown)


def scan(services: Services, code: str, *, lng: float, lat: float, datum: str, at: datetime | None,
         remote_addr: str) -> visit_codes.ScanVerdict:
    """The enterprise confirms the inspectors showed their code (检查人员已亮码) at its premises; refused
    (``visit_codes.Refused``, with the reason) when too far, outside the H3 neighbourhood or not the visit's day."""
    plan = services.settings.plan
    return attempt(services, remote_addr, lambda conn: visit_codes.record_scan(
        conn, code, lng=lng, lat=lat, datum=datum, at=at, max_distance_m=plan.scan_max_distance_m,
        attempts_limit=plan.code_attempts_per_10min, remote_addr=remote_addr))


def rate(services: Services, code: str, *, rating: int, comment: str, remote_addr: str) -> None:
    """The enterprise rates the visit once, after it."""
    plan = services.settings.plan
    attempt(services, remote_addr, lambda conn: visit_codes.record_rating(
        conn, code, rating=rating, comment=comment, attempts_limit=plan.code_attempts_per_10min,
        remote_addr=remote_addr))


def public_visit(services: Services, code: str, *, remote_addr: str) -> dict[str, Any] | None:
    """What the enterprise's page shows of a code, None for an unknown one (counted against the address);
    ``visit_codes.RateLimited`` past the address's limit on unknown codes."""
    with services.pool.connection() as conn:
        visit_public.check_misses(conn, remote_addr, services.settings.plan.code_misses_per_10min)
        details = visit_public.public_visit(conn, code)
        if details is None:
            visit_public.record_miss(conn, remote_addr)
        conn.commit()
    return details


def public_url(services: Services, code: str, request_base: str) -> str:
    """The address of a code's public page (setting ``public_base_url``, else where this request came to)."""
    return visit_public.public_url(services.settings.server.public_base_url or request_base, code)


def code_details(conn: psycopg.Connection[Any], scope: Scope, code: str) -> dict[str, Any]:
    """A code in the caller's scope, for its sheet and QR image (logged-in users)."""
    scope.require(Permission.READ)
    return visit_codes.code_details(conn, scope, code)


def export_table(conn: psycopg.Connection[Any], scope: Scope, kind: Literal["plan", "draw"], object_id: int,
                 fmt: str, lang: str = "zh") -> pd.DataFrame:
    """A plan (visits with routes) or a draw's publishable list as a table for the planner's download, in
    ``lang`` (headers, departments, statuses). Audited."""
    scope.require(Permission.EXPORT)
    frame = plans.plan_table(conn, scope, object_id) if kind == "plan" else draws.result_table(conn, scope, object_id)
    audit.record_for(conn, scope, f"{kind}.export", object_type=kind, object_id=object_id,
                     detail={"format": fmt, "rows": len(frame), "lang": lang})
    return export_frame(frame, kind, lang, DepartmentNames.from_rows(plans.department_rows(conn), lang))
