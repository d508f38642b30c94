"""The embedded default: a private PostgreSQL 15 + PostGIS cluster inside the project's data directory.

It listens only on a unix socket in that directory, is started on demand and reused by later runs. When the
caller is root, the server runs as an unprivileged OS user (``postgres`` if present, else a system user
``gridcommand`` created for it), because PostgreSQL refuses to run as root.

The same machinery runs a second cluster beside it (another data subdirectory and port: the local hot standby,
``geo_data.standby``) and the throwaway clusters of the backup and failover drills. Settings that other modules
manage (WAL archiving, replication) go into ``gridcommand.conf`` in the data directory, which
``postgresql.conf`` includes last; ``start(settings=...)`` rewrites it and reloads or restarts as needed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geo_data.errors import ClusterError

PG_BINDIRS = (Path("/usr/lib/postgresql/15/bin"),)
DB_NAME = "gridcommand"
DB_USER = "gridcommand"
PORT = 5432
MANAGED_CONF = "gridcommand.conf"
RETIRED = "gridcommand.retired"  # written by a failover into the old primary: it must not start as a primary
# Longest unix socket path Linux accepts (sun_path is 108 bytes including the NUL).
_MAX_SOCKET_PATH = 107

_SERVER_CONF = """
# --- written by gridcommand: private cluster, unix socket only ---
listen_addresses = ''
port = {port}
unix_socket_directories = '{socket_dir}'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 1GB
max_wal_size = 4GB
checkpoint_timeout = 15min
effective_cache_size = 8GB
random_page_cost = 1.1
jit = off
timezone = 'Asia/Shanghai'
log_timezone = 'Asia/Shanghai'
logging_collector = off
include_if_exists = '{managed}'
"""
# Local connections only, replication included (a local standby streams over the same private socket).
_HBA = "local all all trust\nlocal replication all trust\n"


@dataclass(frozen=True)
class LocalCluster:
    """Paths and identity of an embedded cluster rooted at ``data_dir`` (the project's ``.data``).

    ``name`` is the data subdirectory and ``port`` names the socket; the defaults are the app's own cluster.
    Clusters in one ``data_dir`` share the socket directory and differ by port.
    """

    data_dir: Path
    port: int = PORT
    name: str = "pg"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / self.name

    @property
    def socket_dir(self) -> Path:
        """``<data_dir>/run``, or a short path under /tmp when the project path is too long for a socket."""
        preferred = self.data_dir / "run"
        if len(str(preferred / f".s.PGSQL.{self.port}")) <= _MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"gridcommand-{digest}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "log" / ("postgresql.log" if self.name == "pg" else f"{self.name}.log")

    def url(self, dbname: str = DB_NAME) -> str:
        """libpq URL of a database in this cluster (peer-less trust auth over the private socket)."""
        return f"postgresql://{DB_USER}@/{dbname}?host={self.socket_dir}&port={self.port}"

    # -- lifecycle ---------------------------------------------------------------------------------------

    def status(self) -> str:
        """``running``, ``stopped`` or ``absent`` (no cluster initialised yet)."""
        if not (self.pgdata / "PG_VERSION").exists():
            return "absent"
        proc = self._pg_ctl("status", check=False)
        return "running" if proc.returncode == 0 else "stopped"

    @property
    def is_retired(self) -> bool:
        """True when a promoted standby replaced this cluster (``geo_data.standby.promote``)."""
        return (self.pgdata / RETIRED).exists()

    @property
    def is_standby(self) -> bool:
        """True when the cluster starts (or runs) in standby mode (``standby.signal`` in its data directory)."""
        return (self.pgdata / "standby.signal").exists()

    def start(self, *, settings: Mapping[str, str] | None = None) -> bool:
        """Initialise if needed and start; returns True if it was started now, False if it already ran.

        With ``settings``, ``gridcommand.conf`` is rewritten with them first (port and socket are always
        added); a running server reloads it, and restarts once if a changed setting needs a restart.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if self.is_retired:
                raise ClusterError(f"the cluster in {self.pgdata} was replaced by its promoted standby and must not"
                                   " start as a second primary; rebuild it as a standby: gridcommand db standby")
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            changed = self._write_settings(settings) if settings is not None else False
            if self.status() == "running":
                if changed:
                    self._apply_settings(settings or {})
                return False
            self._prepare_dirs()
            self._start_server()
            if not self.is_standby:
                self._ensure_database()
            return True

    def stop(self, mode: str = "fast") -> bool:
        """Stop the server if it runs (``fast``, or ``immediate`` as a crash would); True if stopped now."""
        if self.status() != "running":
            return False
        self._pg_ctl("stop", "-m", mode, "-w", "-t", "120")
        return True

    def restart(self) -> None:
        """Stop (fast) and start again, e.g. for a setting only read at server start."""
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "120", check=False)
        self._start_server()

    def promote(self, timeout_s: float = 60.0) -> None:
        """Turn this standby into a primary (it accepts writes when this returns)."""
        if self.status() != "running":
            raise ClusterError(f"the cluster in {self.pgdata} does not run; start it before promoting it")
        if not self.in_recovery():
            raise ClusterError(f"the cluster in {self.pgdata} is already a primary")
        self._pg_ctl("promote", "-w", "-t", str(int(timeout_s)))
        self.wait_until_primary(timeout_s)

    def in_recovery(self) -> bool:
        """True while the server replays WAL (a standby, or a restore not finished yet)."""
        import psycopg

        with psycopg.connect(self.url("postgres"), connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        return bool(row and row[0])

    def wait_until_primary(self, timeout_s: float = 120.0) -> None:
        """Block until recovery has ended (after a promotion or a point-in-time restore)."""
        import psycopg

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if not self.in_recovery():
                    return
            except psycopg.OperationalError:
                pass  # a restore's recovery may restart the server once at the end
            if time.monotonic() > deadline:
                raise ClusterError(f"the cluster in {self.pgdata} still recovers after {timeout_s:.0f} s\n"
                                   f"{self._log_tail()}")
            time.sleep(0.1)

    def run_as_server_user(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` as the OS user the server runs as (tools that read its data directory: pgBackRest,
        pg_basebackup); a failure with ``check`` is a ``ClusterError`` quoting its message."""
        return self._run_as_service_user(cmd, check=check)

    def give_to_server_user(self, path: Path) -> None:
        """Make ``path`` (a directory, recursively) the server user's, and its ancestors traversable."""
        self._give_to_service_user(path)

    # -- internals ---------------------------------------------------------------------------------------

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with open(self.data_dir / ("cluster.lock" if self.name == "pg" else f"{self.name}.lock"), "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _start_server(self) -> None:
        proc = self._pg_ctl("start", "-w", "-t", "120", "-l", str(self.log_file), check=False)
        if proc.returncode != 0:
            tail = self._log_tail()
            raise ClusterError(f"PostgreSQL did not start ({proc.stderr.strip() or proc.stdout.strip()})\n{tail}")

    def _write_settings(self, settings: Mapping[str, str]) -> bool:
        """Write ``gridcommand.conf`` (and make sure it is included, and local replication allowed, in a
        cluster initialised before these existed); True if anything changed."""
        values = {"port": str(self.port), "unix_socket_directories": str(self.socket_dir), **settings}
        text = "# --- written by gridcommand on every `db start`: edits here are overwritten ---\n" + "".join(
            f"{name} = '{value.replace(chr(39), chr(39) * 2)}'\n" for name, value in values.items())
        changed = False
        conf = self.pgdata / "postgresql.conf"
        include = f"include_if_exists = '{MANAGED_CONF}'"
        if include not in conf.read_text(encoding="utf-8"):
            with open(conf, "a", encoding="utf-8") as fh:
                fh.write(f"\n{include}\n")
            changed = True
        hba = self.pgdata / "pg_hba.conf"
        if "local replication all trust" not in hba.read_text(encoding="utf-8"):
            hba.write_text(_HBA, encoding="utf-8")
            changed = True
        managed = self.pgdata / MANAGED_CONF
        if not managed.exists() or managed.read_text(encoding="utf-8") != text:
            managed.write_text(text, encoding="utf-8")
            changed = True
        if os.geteuid() == 0:  # files created here as root must stay readable by the server
            user = pwd.getpwnam(service_user())
            for path in (conf, hba, managed):
                os.chown(path, user.pw_uid, user.pw_gid)
        return changed

    def _apply_settings(self, settings: Mapping[str, str]) -> None:
        """Reload a running server; restart it once if a changed setting is only read at server start."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
            rows = conn.execute("SELECT name, setting FROM pg_settings WHERE context = 'postmaster'"
                                " AND name = ANY(%s)", (list(settings),)).fetchall()
        if any(settings[name] != setting for name, setting in rows):
            self.restart()

    def _initdb(self) -> None:
        bindir = pg_bindir()
        if not (bindir / "initdb").exists():
            raise ClusterError(f"PostgreSQL 15 server binaries not found in {bindir}; install postgresql-15")
        if not postgis_available():
            raise ClusterError(
                "PostGIS for PostgreSQL 15 is not installed; run as root: apt-get install postgresql-15-postgis-3"
            )
        tmp = self.data_dir / f"{self.name}.init"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self._give_to_service_user(tmp)
        self._run_as_service_user(
            [str(bindir / "initdb"), "-D", str(tmp), "-U", DB_USER, "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-instructions"],
        )
        with open(tmp / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write(_SERVER_CONF.format(port=self.port, socket_dir=self.socket_dir, managed=MANAGED_CONF))
        # Only the private socket exists; still, refuse every host connection explicitly.
        (tmp / "pg_hba.conf").write_text(_HBA, encoding="utf-8")
        self._give_to_service_user(tmp)
        tmp.rename(self.pgdata)

    def _prepare_dirs(self) -> None:
        for d in (self.socket_dir, self.log_file.parent):
            d.mkdir(parents=True, exist_ok=True)
            self._give_to_service_user(d)

    def _ensure_database(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run_as_service_user([str(pg_bindir() / "pg_ctl"), "-D", str(self.pgdata), *args], check=check)

    def _run_as_service_user(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", service_user(), "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise ClusterError(f"{' '.join(cmd)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def _give_to_service_user(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        user = pwd.getpwnam(service_user())
        for root, dirs, files in os.walk(path):
            os.chown(root, user.pw_uid, user.pw_gid)
            for name in dirs + files:
                os.lchown(os.path.join(root, name), user.pw_uid, user.pw_gid)
        _grant_traverse(path.parent, service_user())

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def pg_bindir() -> Path:
    """Directory of the PostgreSQL 15 server binaries."""
    for d in PG_BINDIRS:
        if d.exists():
            return d
    return PG_BINDIRS[0]


def postgis_available() -> bool:
    """True when the PostGIS extension files for PostgreSQL 15 are installed."""
    return Path("/usr/share/postgresql/15/extension/postgis.control").exists()


def service_user() -> str:
    """The unprivileged OS user the server runs as when we are root (created if missing)."""
    for name in ("postgres", "gridcommand"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "gridcommand"],
                   check=True, capture_output=True)
    return "gridcommand"


def _grant_traverse(path: Path, user: str) -> None:
    """Let ``user`` traverse every ancestor of ``path`` (search permission only, nothing readable)."""
    for d in [path, *path.parents]:
        probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(d)], capture_output=True)
        if probe.returncode == 0:
            continue
        if shutil.which("setfacl"):
            subprocess.run(["setfacl", "-m", f"u:{user}:x", str(d)], check=False, capture_output=True)
        else:
            os.chmod(d, os.stat(d).st_mode | 0o001)


def wait_until_ready(url: str, timeout_s: float = 30.0) -> None:
    """Block until a connection to ``url`` succeeds (used after an external start)."""
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
