"""Shared bits of the planner callbacks: a transaction that lets product errors through unchanged, formatting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from callbacks.context import services
from geo_data.db import fetch_all


@contextmanager
def tx() -> Iterator[Any]:
    """A pooled connection in one transaction (errors reach the app's error handler as they are)."""
    with services().pool.connection() as conn, conn.transaction():
        yield conn


def parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


@dataclass(frozen=True)
class DepartmentNames:
    """Department and inspection-item names for their codes (a code without a name shows as itself)."""

    departments: dict[str, str]
    items: dict[str, str]

    def department(self, code: str) -> str:
        return self.departments.get(code, code)

    def item(self, code: str) -> str:
        return self.items.get(code, code)


def department_names(conn: Any, lang: str) -> DepartmentNames:
    """The names planners read instead of codes (``task_departments.sql``; items are named in Chinese only)."""
    rows = fetch_all(conn, "task_departments")
    return DepartmentNames(
        departments={r["code"]: (r["name_en"] if lang == "en" and r["name_en"] else r["name"]) for r in rows},
        items={c: n for r in rows for c, n in zip(r["item_codes"], r["item_names"], strict=True)})


def cell(value: Any) -> Any:
    """A value a table cell can show."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return value
