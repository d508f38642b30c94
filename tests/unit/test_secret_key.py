"""The session signing key on a first start: gunicorn's workers each build the app at the same moment, and they
must all sign with the same key (or a cookie made by one worker is "login required" in the other)."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

from app import _secret_key

WORKERS = 6


def _worker(data_dir: str, barrier: Any, out: Any) -> None:
    barrier.wait()
    out.put(_secret_key(Path(data_dir)))


def test_workers_starting_together_on_a_fresh_data_directory_share_one_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")   # as gunicorn makes its workers
    for round_ in range(10):
        data_dir = tmp_path / f"start-{round_}"   # not made yet, as on a first `make run`
        barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(str(data_dir), barrier, out)) for _ in range(WORKERS)]
        for p in procs:
            p.start()
        keys = [out.get(timeout=30) for _ in procs]
        for p in procs:
            p.join(30)
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        assert (data_dir / "secret_key").read_text(encoding="utf-8") == keys[0]
        assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600
        assert [p.name for p in data_dir.iterdir()] == ["secret_key"]   # nothing left aside


def test_the_key_is_kept_across_starts(tmp_path: Path) -> None:
    assert _secret_key(tmp_path) == _secret_key(tmp_path)
