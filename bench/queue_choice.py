"""The measurement behind the job queue's choice (docs/operations.md "Background jobs"): procrastinate and
pgqueuer side by side on the same cluster, each in an empty database of its own.

For each: 1,000 no-op jobs enqueued one by one, then drained by one worker (concurrency 1); then 50 single jobs
deferred to an idle worker, the latency from defer to the job's start (LISTEN/NOTIFY). Both through psycopg 3.

pgqueuer is not a dependency of GridCommand: run this in a scratch virtualenv that has both
(``pip install procrastinate pgqueuer psycopg[binary]``), from the project folder:
``PYTHONPATH=. /tmp/venv/bin/python bench/queue_choice.py procrastinate`` (or ``pgqueuer``).
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import sys
import time
from typing import Any

import psycopg

from bench._fresh_db import _admin_url, _with_db, drop_database

N = 1000
LATENCY_N = 50


def _empty_database() -> str:
    name = f"bench_queue_{secrets.token_hex(3)}"
    with psycopg.connect(_admin_url(), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return _with_db(_admin_url(), name)


class _Seen:
    def __init__(self) -> None:
        self.started: dict[int, float] = {}
        self.target = N
        self.done = asyncio.Event()

    def start(self, i: int) -> None:
        self.started[i] = time.perf_counter()
        if len(self.started) >= self.target:
            self.done.set()

    def expect(self, n: int) -> None:
        self.target = n
        self.done.clear()


async def _procrastinate(url: str) -> tuple[float, float, list[float]]:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    seen = _Seen()

    @app.task(name="noop")
    async def noop(i: int) -> None:
        seen.start(i)

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        t0 = time.perf_counter()
        for i in range(N):
            await noop.defer_async(i=i)
        enqueue_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        worker = asyncio.create_task(app.run_worker_async(install_signal_handlers=False, concurrency=1))
        await seen.done.wait()
        drain_s = time.perf_counter() - t0
        latency = []
        for i in range(N, N + LATENCY_N):
            seen.expect(i + 1)
            await asyncio.sleep(0.05)
            t = time.perf_counter()
            await noop.defer_async(i=i)
            await seen.done.wait()
            latency.append(seen.started[i] - t)
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    return enqueue_s, drain_s, latency


async def _pgqueuer(url: str) -> tuple[float, float, list[float]]:
    from pgqueuer import PgQueuer, Queries
    from pgqueuer.db import PsycopgDriver

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    qconn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await Queries(PsycopgDriver(conn)).install()
    pgq = PgQueuer(PsycopgDriver(conn))
    seen = _Seen()

    @pgq.entrypoint("noop")
    async def noop(job: Any) -> None:
        seen.start(int(job.payload))

    q = Queries(PsycopgDriver(qconn))
    t0 = time.perf_counter()
    for i in range(N):
        await q.enqueue("noop", str(i).encode())
    enqueue_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    worker = asyncio.create_task(pgq.run(batch_size=10))
    await seen.done.wait()
    drain_s = time.perf_counter() - t0
    latency = []
    for i in range(N, N + LATENCY_N):
        seen.expect(i + 1)
        await asyncio.sleep(0.05)
        t = time.perf_counter()
        await q.enqueue("noop", str(i).encode())
        await seen.done.wait()
        latency.append(seen.started[i] - t)
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    await conn.close()
    await qconn.close()
    return enqueue_s, drain_s, latency


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "procrastinate"
    url = _empty_database()
    try:
        run = _procrastinate if which == "procrastinate" else _pgqueuer
        enqueue_s, drain_s, latency = asyncio.run(run(url))
    finally:
        drop_database(url)
    latency.sort()
    print(f"{which}: enqueue {N} one by one {enqueue_s:.2f} s ({N / enqueue_s:.0f}/s); drain {N} no-op jobs, "
          f"one worker {drain_s:.2f} s ({N / drain_s:.0f}/s); defer->start, idle worker: median "
          f"{statistics.median(latency) * 1000:.1f} ms, p95 {latency[int(0.95 * len(latency)) - 1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
