"""Shared helpers for command modules: the database URL, connections, clear error exits."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import psycopg

from geo_data.db import connect, database_url
from geo_data.errors import GridCommandError, InvalidInput
from geo_data.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def url_of(ctx: click.Context) -> str:
    """The database URL (``DATABASE_URL`` or the local cluster, started on demand)."""
    return database_url(settings_of(ctx).db)


@contextmanager
def db_conn(ctx: click.Context) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """One connection in one transaction; errors become a clear message and exit status 2."""
    with fail_clearly():
        with connect(url_of(ctx)) as conn:
            with conn.transaction():
                yield conn


@contextmanager
def fail_clearly() -> Iterator[None]:
    """Turn product errors into ``error: ...`` on stderr with exit status 2 (1 for unavailability)."""
    try:
        yield
    except InvalidInput as exc:
        click.echo(f"error: {exc}", err=True)
        for p in exc.problems:
            click.echo(str(p), err=True)
        sys.exit(2)
    except GridCommandError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # a file or folder the command was told to use: say which and why, no traceback
        click.echo(f"error: cannot use {exc.filename or 'a file'}: {exc.strerror or exc}", err=True)
        sys.exit(2)

