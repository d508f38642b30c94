"""The product as ``make run`` serves it, for the tests: ``gridcommand serve`` (gunicorn, its workers and
threads, the job worker it starts beside them) in a subprocess against a test database.

A feature that only works under an in-process test server does not work; so the browser tests and the HTTP
tests of pages talk to this server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
GRIDCOMMAND = Path(sys.executable).with_name("gridcommand")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running ``gridcommand serve``: its base URL, process and log file."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        """PIDs of the processes serve started (gunicorn's arbiter and workers, the job worker)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True,
                             text=True, check=False).stdout.split()
        pids = [int(p) for p in out]
        for pid in list(pids):
            pids += [int(p) for p in subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                                                    text=True, check=False).stdout.split()]
        return pids


def serve_env(db_url: str, data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a served test instance: its database, its own data directory (secret key, files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCOMMAND_")}
    env.update({"DATABASE_URL": db_url, "GRIDCOMMAND_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


@contextmanager
def served(db_url: str, data_dir: Path, *, workers: int = 2, threads: int = 64,
           env: Mapping[str, str] | None = None, start_timeout_s: float = 90.0) -> Iterator[Served]:
    """``gridcommand serve`` on a free local port against ``db_url``, ready when ``/healthz`` answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / f"serve-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(GRIDCOMMAND), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--threads", str(threads)],
        cwd=ROOT, env=serve_env(db_url, data_dir, env), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    instance = Served(f"http://127.0.0.1:{port}", proc, log_path)
    try:
        _wait_ready(instance, start_timeout_s)
        yield instance
    finally:
        stop(instance)
        log.close()


def _wait_ready(instance: Served, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if instance.process.poll() is not None:
            raise RuntimeError(f"gridcommand serve exited with {instance.process.returncode}:\n"
                               f"{instance.log_tail()}")
        try:
            if requests.get(f"{instance.base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gridcommand serve not ready after {timeout_s:.0f} s:\n{instance.log_tail()}")
        time.sleep(0.2)


def stop(instance: Served, timeout_s: float = 20.0) -> None:
    """SIGTERM to serve (it stops gunicorn and the job worker), SIGKILL to the whole group if it lingers."""
    if instance.process.poll() is None:
        instance.process.send_signal(signal.SIGTERM)
        try:
            instance.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(instance.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    instance.process.wait(5)
