"""Shared bits of the planner callbacks: a transaction that lets product errors through unchanged, formatting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from callbacks.context import services
from geo_data import plans
from layers.tables import DepartmentNames


@contextmanager
def tx() -> Iterator[Any]:
    """A pooled connection in one transaction (errors reach the app's error handler as they are)."""
    with services().pool.connection() as conn, conn.transaction():
        yield conn


def parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def department_names(conn: Any, lang: str) -> DepartmentNames:
    """The names planners read instead of codes (``task_departments.sql``; items are named in Chinese only)."""
    return DepartmentNames.from_rows(plans.department_rows(conn), lang)


def cell(value: Any) -> Any:
    """A value a table cell can show."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return value
