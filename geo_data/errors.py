"""One error hierarchy. Callbacks and the API turn these into a clear message, in one place each."""

from __future__ import annotations

from dataclasses import dataclass


class GridCommandError(Exception):
    """Base of every error the product raises on purpose."""


class DatabaseUnavailable(GridCommandError):
    """The database cannot be reached right now; the caller may retry later."""


class ClusterError(GridCommandError):
    """The embedded PostgreSQL cluster could not be set up, started or stopped."""


class NotFound(GridCommandError):
    """The thing asked for does not exist (or is outside the caller's scope)."""


class Forbidden(GridCommandError):
    """The caller is authenticated but may not do this."""


class Conflict(GridCommandError):
    """The request clashes with the current state (e.g. a team already busy)."""


@dataclass(frozen=True)
class RowProblem:
    """One bad input row: 1-based data row number (header excluded), field, reason."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


class InvalidInput(GridCommandError):
    """Input failed validation; ``problems`` names every bad row/field with its reason."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class SchemaError(GridCommandError):
    """The database's schema cannot be brought to this code's (an applied migration was edited, or is unknown)."""
