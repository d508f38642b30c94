"""``gridcommand serve`` starts the job worker beside gunicorn, against serve's own database, starts another
when it dies, and the worker does not outlive serve: neither a normal stop (SIGTERM) nor serve being killed."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from tests.job_worker import wait_for
from tests.served import Served, served


def _job_worker_pids(instance: Served) -> list[int]:
    found = []
    for pid in instance.worker_pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in cmdline and b"--parent-pid" in cmdline:
            found.append(pid)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"   # a zombie has ended; only its exit status waits


def _worker_ids(conn: Any) -> set[int]:
    return {int(r["id"]) for r in conn.execute("SELECT id FROM procrastinate_workers").fetchall()}


def _registered_workers(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) AS n FROM procrastinate_workers").fetchone()["n"])


def test_serve_runs_one_job_worker_on_its_database_and_takes_it_down_when_stopped_or_killed(
        conn: Any, db_url: str, tmp_path: Path) -> None:
    with served(db_url, tmp_path / "a", workers=1, threads=4) as instance:
        pids = wait_for("serve's job worker", lambda: _job_worker_pids(instance), 30, logs=instance.log_tail)
        assert len(pids) == 1
        wait_for("the job worker to register in serve's database", lambda: _registered_workers(conn) == 1, 30,
                 logs=instance.log_tail)
        killed = _worker_ids(conn)
        os.kill(pids[0], signal.SIGKILL)                             # serve starts another
        pids = wait_for("a new job worker", lambda: [p for p in _job_worker_pids(instance) if p != pids[0]], 30,
                        logs=instance.log_tail)
        wait_for("the new worker to register", lambda: _worker_ids(conn) - killed, 30, logs=instance.log_tail)
        assert "job worker exited" in instance.log_tail(200)
        instance.process.send_signal(signal.SIGTERM)
        instance.process.wait(30)
        assert not _alive(pids[0])
    # the one serve stopped signed off; the killed one's row stays until a worker prunes it as stalled
    assert _worker_ids(conn) <= killed
    conn.execute("DELETE FROM procrastinate_workers")

    with served(db_url, tmp_path / "b", workers=1, threads=4) as instance:
        pids = wait_for("serve's job worker", lambda: _job_worker_pids(instance), 30, logs=instance.log_tail)
        wait_for("the job worker to register", lambda: _registered_workers(conn) == 1, 30, logs=instance.log_tail)
        os.kill(instance.process.pid, signal.SIGKILL)               # serve alone, not its process group
        instance.process.wait(10)
        wait_for("the orphaned job worker to stop", lambda: not _alive(pids[0]), 20, logs=instance.log_tail)
    assert _registered_workers(conn) == 0
