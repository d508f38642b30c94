"""A real ``gridcommand worker`` process against a test database, for the job queue tests.

Short heartbeats, stalled-job checks and polling come in through the environment (``GRIDCOMMAND_JOBS_*``), as a
county would set them; nothing of the worker is replaced.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GRIDCOMMAND = Path(sys.executable).with_name("gridcommand")

# Fast settings for tests: a lost worker is noticed within ~3 s.
FAST_JOBS = {"GRIDCOMMAND_JOBS_HEARTBEAT_S": "0.5", "GRIDCOMMAND_JOBS_STALLED_AFTER_S": "2",
             "GRIDCOMMAND_JOBS_STALLED_CHECK_EVERY_S": "1", "GRIDCOMMAND_JOBS_POLL_S": "0.5",
             "GRIDCOMMAND_JOBS_STOP_TIMEOUT_S": "3", "GRIDCOMMAND_JOBS_DB_TIMEOUT_S": "2",
             "GRIDCOMMAND_DISPATCH_ESCALATE_EVERY_S": "0"}


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def worker_env(db_url: str, data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCOMMAND_") and k != "DATABASE_URL"}
    env.update({"DATABASE_URL": db_url, "GRIDCOMMAND_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    env.update(FAST_JOBS)
    env.update(extra or {})
    return env


@contextmanager
def job_worker(db_url: str, data_dir: Path, *, name: str = "w", env: Mapping[str, str] | None = None
               ) -> Iterator[Worker]:
    """``gridcommand worker`` running until the block ends (SIGTERM, SIGKILL if it lingers)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"worker-{name}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(GRIDCOMMAND), "worker"], cwd=ROOT, env=worker_env(db_url, data_dir, env),
                                stdout=log, stderr=subprocess.STDOUT)
        worker = Worker(proc, log_path)
        try:
            yield worker
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def wait_for(what: str, check: Callable[[], Any], timeout_s: float, *, every_s: float = 0.1,
             logs: Callable[[], str] = lambda: "") -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` (and the worker log) otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s\n{logs()[-4000:]}")
        time.sleep(every_s)
