"""Throwaway local clusters for the backup and failover drills (issue 12).

Each drill runs the real ``gridcommand db ...`` commands against its own data directory in a fresh directory
under /tmp (own socket directory, so the default ports never meet the suite's cluster in ``.data/pg``), and
stops every cluster it started, whatever happens. Not pytest's ``tmp_path``: every pytest session (another
engineer's too) resets ``/tmp/pytest-of-<user>`` to mode 0700, and the server's OS user must traverse the path
for as long as the drill runs (``archive_command`` starts pgBackRest there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from geo_data import standby as replication
from geo_data.settings import DatabaseSettings

_OWN_ENV = ("DATABASE_URL", "GRIDCOMMAND_DATABASE_URL", "GRIDCOMMAND_DATABASE_REPLICA_URL")


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def gridcommand(data_dir: Path, *args: str, check: bool = True, **env: str) -> Ran:
    """Run ``gridcommand <args>`` (the real command group, in this process: an interpreter start per command
    cost 1-2 s on the shared machine) on the local clusters of ``data_dir``, with no DATABASE_URL inherited."""
    from cli import main

    unset: dict[str, str | None] = {k: None for k in os.environ if k in _OWN_ENV or k.startswith("GRIDCOMMAND_BACKUP_")}
    result = CliRunner().invoke(main, list(args), env={**unset, "GRIDCOMMAND_DATA_DIR": str(data_dir), **env})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    ran = Ran(result.exit_code, result.stdout, result.stderr)
    if check and ran.returncode != 0:
        raise AssertionError(f"gridcommand {' '.join(args)} -> {ran.returncode}\n{ran.stdout}\n{ran.stderr}")
    return ran


@contextmanager
def local_clusters() -> Iterator[DatabaseSettings]:
    """Settings of a fresh data directory; its clusters (primary and standby slot) are stopped and the
    directory removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="gc-drill-"))
    data_dir = root / "data"
    try:
        # explicitly the local clusters, whatever DATABASE_URL the suite itself runs with
        yield DatabaseSettings(data_dir=data_dir, url=None, replica_url=None)
    finally:
        for cluster in replication.slots(data_dir):
            if cluster.status() == "running":
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
