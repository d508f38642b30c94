"""Backups and point-in-time restore of the local cluster with pgBackRest (issue 12).

The app writes pgBackRest's configuration (``<data_dir>/pgbackrest/<cluster>.conf``: one stanza, the repository
folder from ``BackupSettings``, retention, compression) and the archiving settings of the cluster
(``archive_mode``, ``archive_command`` -> ``pgbackrest archive-push``): every finished WAL segment goes to the
repository, so a restore can replay to any moment after the oldest backup kept. Only the embedded cluster is
managed here; a server named by ``DATABASE_URL`` has its own backups.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from enforcement.local_time import SHANGHAI
from geo_data.cluster import DB_USER, LocalCluster
from geo_data.errors import ClusterError, InvalidInput
from geo_data.settings import BackupSettings

BackupType = Literal["full", "diff", "incr"]
# pgBackRest records a backup's end in whole seconds and picks a backup for a time target only if it ended
# before the target's second: a target needs one second of distance from the backup it starts from.
_STOP_GRAIN = timedelta(seconds=1)


@dataclass(frozen=True)
class Repository:
    """The pgBackRest repository of one local cluster: where its configuration and backups are."""

    cluster: LocalCluster
    settings: BackupSettings

    @property
    def path(self) -> Path:
        return self.settings.repo_for(self.cluster.data_dir)

    @property
    def config_file(self) -> Path:
        return self.cluster.data_dir / "pgbackrest" / f"{self.cluster.name}.conf"

    @property
    def stanza(self) -> str:
        return self.settings.stanza

    def archive_settings(self) -> dict[str, str]:
        """The cluster settings that turn WAL archiving into this repository on (or off when disabled)."""
        if not self.settings.enabled:
            return {"archive_mode": "off"}
        push = (f"pgbackrest --config={shlex.quote(str(self.config_file))} --stanza={shlex.quote(self.stanza)}"
                " archive-push %p")
        return {"archive_mode": "on", "archive_command": push, "archive_timeout": "300"}

    def write_config(self) -> Path:
        """Write the pgBackRest configuration (rewritten on every use, so settings changes take effect)."""
        data_dir = self.cluster.data_dir
        lines = [
            "# written by gridcommand (geo_data/backup.py): edits here are overwritten",
            "[global]",
            f"repo1-path={self.path}",
            f"repo1-retention-full={self.settings.retention_full}",
            *([f"repo1-retention-diff={self.settings.retention_diff}"] if self.settings.retention_diff else []),
            f"compress-type={self.settings.compress}",
            "start-fast=y",
            "delta=y",
            f"log-path={data_dir / 'log' / 'pgbackrest'}",
            "log-level-console=warn",
            "log-level-file=info",
            f"lock-path={data_dir / 'pgbackrest' / 'lock'}",
            "archive-timeout=60",
            "",
            f"[{self.stanza}]",
            f"pg1-path={self.cluster.pgdata}",
            f"pg1-socket-path={self.cluster.socket_dir}",
            f"pg1-port={self.cluster.port}",
            f"pg1-user={DB_USER}",
            "",
        ]
        for d in (self.config_file.parent, self.path, data_dir / "log" / "pgbackrest",
                  data_dir / "pgbackrest" / "lock"):
            d.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text("\n".join(lines), encoding="utf-8")
        for d in (self.config_file.parent, self.path, data_dir / "log" / "pgbackrest"):
            self.cluster.give_to_server_user(d)
        return self.config_file

    def pgbackrest(self, *args: str) -> str:
        """Run one pgBackRest command on this stanza as the server's OS user; its standard output."""
        proc = self.cluster.run_as_server_user(
            ["pgbackrest", f"--config={self.config_file}", f"--stanza={self.stanza}", *args], check=False)
        if proc.returncode != 0:
            message = (proc.stderr.strip() or proc.stdout.strip()).replace("\n", " ")
            raise ClusterError(f"pgbackrest {args[0]} failed: {message}")
        return proc.stdout

    def ensure_stanza(self) -> None:
        """Create the stanza in the repository once (the cluster must run); refuse a repository of another
        cluster (a data directory made anew beside an old repository), whose archive would refuse every WAL
        segment while they pile up in pg_wal."""
        import psycopg

        self.write_config()
        info = self.path / "archive" / self.stanza / "archive.info"
        if not info.exists():
            self.pgbackrest("stanza-create")
            return
        ids = [line.split("=", 1)[1] for line in info.read_text(encoding="utf-8").splitlines()
               if line.startswith("db-system-id=")]
        with psycopg.connect(self.cluster.url("postgres")) as conn:
            row = conn.execute("SELECT system_identifier::text FROM pg_control_system()").fetchone()
        if row is None or ids != [row[0]]:
            raise ClusterError(f"the backup repository {self.path} belongs to another cluster (system id"
                               f" {', '.join(ids)}, this one {row[0] if row else '?'}): move it away, or set"
                               " GRIDCOMMAND_BACKUP_REPO_DIR to a new folder")

    # -- the commands ------------------------------------------------------------------------------------

    def backup(self, kind: BackupType = "full") -> BackupInfo:
        """Take a backup (``incr``/``diff`` become ``full`` while none exists); expires beyond retention."""
        self._require_enabled()
        if self.cluster.status() != "running":
            raise ClusterError("the local cluster does not run; start it first: gridcommand db start")
        self.ensure_stanza()
        self.pgbackrest("backup", f"--type={kind}")
        return self.backups()[-1]

    def backups(self) -> list[BackupInfo]:
        """The backups in the repository, oldest first."""
        self.write_config()
        if not (self.path / "backup" / self.stanza).exists():
            return []
        found = json.loads(self.pgbackrest("info", "--output=json"))
        return [BackupInfo.of(b) for stanza in found for b in stanza.get("backup", [])]

    def check_target(self, to: datetime | None) -> None:
        """Refuse a restore that cannot succeed (backups off, none taken, ``to`` outside what they reach)
        before anything is stopped."""
        self._require_enabled()
        kept = self.backups()
        if not kept:
            raise ClusterError("no backup to restore from; take one first: gridcommand db backup")
        if to is None:
            return
        if to.tzinfo is None:
            raise InvalidInput("--to: needs a time zone")
        if to < kept[0].stop + _STOP_GRAIN:
            raise InvalidInput(f"--to: before the end of the oldest backup kept ({kept[0].stop.isoformat()}) plus"
                               " one second (pgBackRest's granularity); nothing earlier can be restored")
        if to > datetime.now(SHANGHAI):
            raise InvalidInput("--to: in the future")

    def restore(self, to: datetime | None = None, *, settings: Mapping[str, str] | None = None) -> None:
        """Stop the cluster, restore the latest backup before ``to`` and replay the archived WAL up to ``to``
        (every transaction committed at or before it, none after); without ``to``, everything archived.
        The cluster runs again, as a primary, when this returns (with ``settings`` as its managed settings:
        those in the backup may name a standby that no longer follows it)."""
        self.check_target(to)
        if to is None:
            target = ["--type=default"]
        else:  # the newest backup that ended (to pgBackRest's second) before the target, named explicitly
            base = [b for b in self.backups() if b.stop + _STOP_GRAIN <= to][-1]
            target = [f"--set={base.label}", "--type=time", f"--target={to.astimezone(SHANGHAI).isoformat(sep=' ')}",
                      "--target-action=promote"]
        if self.cluster.status() == "running":
            self._archive_everything()
            self.cluster.stop()
        self.pgbackrest("restore", *target)
        self.cluster.start(settings=settings)
        self.cluster.wait_until_primary()

    # -- internals ---------------------------------------------------------------------------------------

    def _require_enabled(self) -> None:
        if not self.settings.enabled:
            raise ClusterError("backups are off (GRIDCOMMAND_BACKUP_ENABLED=false)")

    def _archive_everything(self, timeout_s: float = 60.0) -> None:
        """Put every committed transaction into the archive before the cluster stops: a restore replaces the
        data directory (pg_wal included), so WAL not archived yet would be lost. A last small commit gives a
        time target after the last real commit something to stop at (recovery must pass its target)."""
        import psycopg

        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("BEGIN; SELECT pg_current_xact_id(); COMMIT")
            segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
            assert segment is not None
            deadline = time.monotonic() + timeout_s
            while True:
                row = conn.execute("SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver").fetchone()
                assert row is not None
                if row[0] is not None and row[0] >= segment[0]:
                    return
                if time.monotonic() > deadline:
                    raise ClusterError(f"WAL segment {segment[0]} was not archived within {timeout_s:.0f} s"
                                       f" (last failed: {row[1]}); see {self.cluster.log_file}")
                time.sleep(0.05)


@dataclass(frozen=True)
class BackupInfo:
    """One backup in the repository: its label, type, when it ran and its size (bytes)."""

    label: str
    kind: str
    start: datetime
    stop: datetime
    size: int
    repo_size: int
    wal_start: str
    wal_stop: str

    @classmethod
    def of(cls, b: dict[str, Any]) -> BackupInfo:
        ts = b["timestamp"]
        return cls(label=b["label"], kind=b["type"],
                   start=datetime.fromtimestamp(ts["start"], SHANGHAI),
                   stop=datetime.fromtimestamp(ts["stop"], SHANGHAI),
                   size=int(b["info"]["size"]), repo_size=int(b["info"]["repository"]["delta"]),
                   wal_start=b["archive"]["start"], wal_stop=b["archive"]["stop"])


def parse_time(text: str) -> datetime:
    """A restore target from the command line: ISO 8601, ``YYYY-MM-DD HH:MM[:SS[.ffffff]]`` with an optional
    offset; without one it is Shanghai time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"--to: {text!r} is not a time; write YYYY-MM-DD HH:MM:SS") from exc
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
