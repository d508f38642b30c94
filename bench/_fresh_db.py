"""Shared by the intake/dispatch benchmarks: a fresh database on the local cluster (or DATABASE_URL's server)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from geo_data.db import database_url, migrate
from geo_data.settings import DatabaseSettings


def _with_db(url: str, name: str) -> str:
    info = conninfo_to_dict(url)
    info["dbname"] = name
    return make_conninfo(**info)


@contextmanager
def fresh_database(prefix: str, keep: bool = False) -> Iterator[str]:
    admin = _with_db(database_url(DatabaseSettings()), "postgres")
    name = f"{prefix}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(admin, name)
    migrate(url)
    try:
        yield url
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
