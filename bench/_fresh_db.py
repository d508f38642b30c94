"""Shared by the benchmarks: throwaway databases on the local cluster (or DATABASE_URL's server)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from geo_data.db import database_url
from geo_data.migrator import migrate
from geo_data.settings import DatabaseSettings


def _with_db(url: str, name: str) -> str:
    info = conninfo_to_dict(url)
    info["dbname"] = name
    return make_conninfo(**info)


def _admin_url() -> str:
    return _with_db(database_url(DatabaseSettings()), "postgres")


def database_of(name: str) -> str:
    """The URL of an existing database ``name`` on the same server (a benchmark's ``--reuse``)."""
    return _with_db(_admin_url(), name)


def database_name(url: str) -> str:
    return str(conninfo_to_dict(url)["dbname"])


def create_database(prefix: str) -> str:
    """The URL of a new, migrated database ``<prefix>_<random>`` (dropped again if migrating fails)."""
    admin = _admin_url()
    name = f"{prefix}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(admin, name)
    try:
        migrate(url)
    except BaseException:
        drop_database(url)
        raise
    return url


def drop_database(url: str) -> None:
    """Drop the database ``url`` names (connections to it are closed)."""
    with psycopg.connect(_admin_url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


@contextmanager
def fresh_database(prefix: str, keep: bool = False) -> Iterator[str]:
    """A new migrated database for the ``with`` block, dropped afterwards unless ``keep``."""
    url = create_database(prefix)
    try:
        yield url
    finally:
        if not keep:
            drop_database(url)
