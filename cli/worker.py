"""``gridcommand worker``: the job worker (routing jobs, SLA escalation, periodic upkeep; ``geo_data.jobs``).

``gridcommand serve`` starts one beside the web server; run more (here or on other machines against the same
database) for more routing throughput: periodic jobs still run once per tick for the whole cluster.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from cli.common import fail_clearly, settings_of, url_of

_PR_SET_PDEATHSIG = 1


@click.command("worker")
@click.option("--concurrency", type=int, default=None, help="jobs run at once (default from settings: 4)")
@click.option("--parent-pid", type=int, default=None, hidden=True,
              help="stop when this process (gridcommand serve) is gone")
@click.pass_context
def command(ctx: click.Context, concurrency: int | None, parent_pid: int | None) -> None:
    """Run background jobs from the database's job queue until stopped (SIGTERM / Ctrl-C)."""
    from geo_data.jobs import run_worker

    settings = settings_of(ctx)
    if concurrency is not None:
        settings = settings.model_copy(update={"jobs": settings.jobs.model_copy(update={"concurrency": concurrency})})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)   # not a line per job; ours say what matters
    if parent_pid is not None:
        _stop_with_parent(parent_pid, grace_s=settings.jobs.stop_timeout_s + 10)
    with fail_clearly():
        url = url_of(ctx)
        click.echo(f"GridCommand job worker {os.getpid()} on {socket.gethostname()}")
        run_worker(settings, url, name=f"{socket.gethostname()}:{os.getpid()}")


def _stop_with_parent(parent_pid: int, *, grace_s: float) -> None:
    """SIGTERM to this process when ``parent_pid`` ends, even by SIGKILL: the kernel's parent-death signal
    (Linux), and a watch of the parent pid for the case where the parent was already gone (or elsewhere).
    A worker still there ``grace_s`` later exits hard; its unfinished jobs are retried by another worker."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)
        os._exit(1)

    threading.Thread(target=watch, name="gc-parent-watch", daemon=True).start()


class WorkerChild:
    """A ``gridcommand worker`` child process of ``gridcommand serve``, against the same database.

    Started in its own session (a Ctrl-C in the terminal reaches serve, which stops it in order); restarted if
    it exits by itself (1 s, doubling to 30 s while it keeps failing); it stops when serve stops, and by the
    parent-death signal when serve is killed.
    """

    def __init__(self, url: str, *, stop_timeout_s: float) -> None:
        self._env = {**os.environ, "DATABASE_URL": url}
        self._stop_timeout_s = stop_timeout_s
        self._stopping = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> WorkerChild:
        self._spawn()
        threading.Thread(target=self._supervise, name="gc-worker-supervisor", daemon=True).start()
        return self

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            script = Path(sys.executable).with_name("gridcommand")   # the console script beside this Python
            command = [str(script)] if script.is_file() else [sys.executable, "-m", "cli"]
            self._proc = subprocess.Popen([*command, "worker", "--parent-pid", str(os.getpid())],
                                          env=self._env, start_new_session=True)

    def _supervise(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            started = time.monotonic()
            proc = self._proc
            while proc is not None and proc.poll() is None and not self._stopping.is_set():
                self._stopping.wait(0.5)
            if self._stopping.is_set():
                return
            if time.monotonic() - started > 60:
                backoff = 1.0
            click.echo(f"job worker exited ({proc.returncode if proc else '?'}); restarting in {backoff:.0f} s",
                       err=True)
            if self._stopping.wait(backoff):
                return
            self._spawn()
            backoff = min(30.0, backoff * 2)

    def stop(self) -> None:
        """SIGTERM, then up to ``stop_timeout_s`` + 5 s for running jobs to end, then SIGKILL."""
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(self._stop_timeout_s + 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
