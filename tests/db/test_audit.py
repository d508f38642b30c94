"""The hash-chained audit trail: intact chains verify; edited, inserted or deleted rows are detected."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from geo_data import audit
from geo_data.db import connect


@pytest.fixture
def fresh_audit(db_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """The test database's audit trail, emptied (triggers lifted only for the reset) and refilled."""
    with connect(db_url, autocommit=True) as c:
        _reset(c)
        for i in range(5):
            audit.record(c, actor=f"user{i}", action="dispatch.assign", object_type="incident", object_id=i,
                         county_code="330702", detail={"team": i, "名称": "城东中队"}, remote_addr="10.0.0.1")
        yield c
        _reset(c)


def _reset(c: psycopg.Connection[Any]) -> None:
    c.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    c.execute("DELETE FROM audit_log")
    c.execute("DELETE FROM app_state WHERE key = 'audit_head'")
    c.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")


def _tamper(c: psycopg.Connection[Any], statement: str, params: tuple[Any, ...] = ()) -> None:
    """What an attacker with table-owner rights would do: lift the append-only trigger and change rows."""
    c.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    c.execute(statement, params)
    c.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")


def _cli_verify(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", "audit", "verify"], capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": db_url})


def test_untouched_log_verifies(fresh_audit: Any, db_url: str) -> None:
    assert audit.verify(fresh_audit).ok
    proc = _cli_verify(db_url)
    assert proc.returncode == 0, proc.stderr
    assert "intact: 5 rows" in proc.stdout


def test_edited_row_is_detected(fresh_audit: Any, db_url: str) -> None:
    _tamper(fresh_audit, "UPDATE audit_log SET detail = '{\"team\": 99}' WHERE seq = 3")
    result = audit.verify(fresh_audit)
    assert not result.ok and any("seq 3: content changed" in p for p in result.problems)
    proc = _cli_verify(db_url)
    assert proc.returncode == 1 and "seq 3" in proc.stderr


def test_deleted_middle_row_is_detected(fresh_audit: Any) -> None:
    _tamper(fresh_audit, "DELETE FROM audit_log WHERE seq = 2")
    result = audit.verify(fresh_audit)
    assert not result.ok and any("seq 2: missing" in p for p in result.problems)


def test_deleted_last_row_is_detected(fresh_audit: Any, db_url: str) -> None:
    _tamper(fresh_audit, "DELETE FROM audit_log WHERE seq = 5")
    assert not audit.verify(fresh_audit).ok
    assert _cli_verify(db_url).returncode == 1


def test_rehashed_forgery_without_the_chain_is_detected(fresh_audit: Any) -> None:
    """Recomputing one row's own hash after editing it still breaks the link of the next row."""
    row = fresh_audit.execute("SELECT * FROM audit_log WHERE seq = 2").fetchone()
    row["actor"] = "mallory"
    forged = audit.row_hash(row)
    _tamper(fresh_audit, "UPDATE audit_log SET actor = 'mallory', hash = %s WHERE seq = 2", (forged,))
    result = audit.verify(fresh_audit)
    assert not result.ok and any("seq 3: link" in p for p in result.problems)


def test_concurrent_writers_keep_one_linear_chain(fresh_audit: Any, db_url: str) -> None:
    import threading

    def write(n: int) -> None:
        with connect(db_url, autocommit=True) as c:
            for i in range(10):
                audit.record(c, actor=f"w{n}", action="status.change", object_id=i)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(fresh_audit)
    assert result.ok, result.problems
    assert result.rows == 65
