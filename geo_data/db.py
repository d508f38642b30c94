"""Connections: which database, the pool, named SQL files and migrations.

``DATABASE_URL`` wins; without it the embedded local cluster is started on demand.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from geo_data.errors import DatabaseUnavailable
from geo_data.settings import DatabaseSettings
from geo_data.standby import failover_url, roles

SQL_DIR = Path(__file__).with_name("sql")


def database_url(settings: DatabaseSettings, *, start: bool = True) -> str:
    """The URL to use: ``DATABASE_URL`` if set, else the local cluster's (started if ``start``).

    With a local standby (``gridcommand db standby``) the URL names both clusters and connects to whichever is
    the primary, so a promotion needs no change here.
    """
    if settings.url:
        return settings.url
    primary, standby = roles(settings.data_dir)
    if start:
        primary.start()
    return primary.url() if standby is None else failover_url([primary, standby], target="read-write")


def replica_database_url(settings: DatabaseSettings) -> str | None:
    """The URL for read-only traffic: ``GRIDCOMMAND_DATABASE_REPLICA_URL``, else the local standby (the primary
    when the standby does not answer), else None (reads go to the primary's pool)."""
    if settings.replica_url:
        return settings.replica_url
    if settings.url:
        return None
    primary, standby = roles(settings.data_dir)
    return None if standby is None else failover_url([standby, primary], target="prefer-standby")


def connect(url: str, **kwargs: Any) -> psycopg.Connection[dict[str, Any]]:
    """One connection with dict rows; an unreachable server becomes ``DatabaseUnavailable``."""
    try:
        return psycopg.connect(url, row_factory=dict_row, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(str(exc)) from exc


def open_pool(url: str, settings: DatabaseSettings, *, name: str = "gridcommand") -> ConnectionPool:
    """A connection pool with dict rows, the Shanghai time zone and a statement timeout.

    Every checkout first checks its connection (one empty round trip, ~22 µs on the local socket): after a
    server restart or a failover the pool hands out fresh connections instead of failing each broken one once.
    """

    def configure(conn: psycopg.Connection[Any]) -> None:
        conn.execute("SET TIME ZONE 'Asia/Shanghai'")
        conn.execute(f"SET statement_timeout = {int(settings.statement_timeout_ms)}")
        conn.commit()

    return ConnectionPool(
        url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        kwargs={"row_factory": dict_row},
        configure=configure,
        check=ConnectionPool.check_connection,
        name=name,
        open=True,
        timeout=10,
        reconnect_timeout=30,
    )


@contextmanager
def transaction(pool: ConnectionPool) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """A pooled connection inside one transaction (committed on success, rolled back on error).

    Connection failures surface as ``DatabaseUnavailable`` so callers can answer 503 / retry.
    """
    try:
        with pool.connection() as conn:
            with conn.transaction():
                yield conn  # type: ignore[misc]
    except (psycopg.OperationalError, psycopg.errors.AdminShutdown) as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    except PoolTimeout as exc:
        raise DatabaseUnavailable(str(exc)) from exc


# -- named SQL ---------------------------------------------------------------------------------------------

@cache
def sql_text(name: str) -> str:
    """The text of ``geo_data/sql/<name>.sql`` (named for the question it answers)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no SQL file named {name!r} in {SQL_DIR}")
    return path.read_text(encoding="utf-8")


Params = Mapping[str, Any] | Sequence[Any] | None


def fetch_all(conn: psycopg.Connection[Any], name: str, params: Params = None) -> list[dict[str, Any]]:
    """Run a named query with bound parameters; all rows as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql_text(name).encode(), params)
        return cur.fetchall() if cur.description else []


def fetch_one(conn: psycopg.Connection[Any], name: str, params: Params = None) -> dict[str, Any] | None:
    """Run a named query with bound parameters; the first row or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql_text(name).encode(), params)
        return cur.fetchone() if cur.description else None


def int_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers (``{1,2,3}``), to bind where the SQL casts it (``::bigint[]``).

    psycopg adapts a Python list element by element (~1.5 µs each: a 60,000-cell list took 90 ms); this text
    is built in a few milliseconds and parsed by the server as fast.
    """
    return "{" + ",".join(map(str, values)) + "}"


def float_array(values: Iterable[float]) -> str:
    """A PostgreSQL array literal of floats (``::float8[]``); ``repr`` round-trips every double exactly."""
    return "{" + ",".join(map(repr, values)) + "}"


def text_array(values: Iterable[str]) -> str:
    """A PostgreSQL array literal of texts (``::text[]``): every element double-quoted, ``\\`` and ``"``
    escaped, so any text (commas, braces, quotes, NULL spelled out) comes back as it was."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def fetch_pipelined(conn: psycopg.Connection[Any], queries: Sequence[tuple[str, Params]],
                    *, unprepared: Collection[str] = ()) -> list[list[dict[str, Any]]]:
    """Run several named queries in ONE round trip (libpq pipeline mode), in order; each one's rows.

    The server runs them one after the other as usual (a later query sees what an earlier one wrote or locked);
    only the waiting between them goes. The first failing query aborts the rest (the error is raised here).
    Queries named in ``unprepared`` are planned for their actual values every time (never a cached generic
    plan): a generic plan does not know how many elements a large array parameter has (it guesses a few), and
    cannot hash ``= ANY(array)`` — a linear search per row.
    """
    cursors: list[psycopg.Cursor[dict[str, Any]]] = []
    with conn.pipeline():
        for name, params in queries:
            cur = conn.cursor(row_factory=dict_row)
            cur.execute(sql_text(name).encode(), params, prepare=False if name in unprepared else None)
            cursors.append(cur)
    return [cur.fetchall() if cur.description else [] for cur in cursors]


def execute(conn: psycopg.Connection[Any], name: str, params: Params = None) -> int:
    """Run a named statement with bound parameters; the number of rows affected."""
    with conn.cursor() as cur:
        cur.execute(sql_text(name).encode(), params)
        return cur.rowcount
