"""The embedded default: a private PostgreSQL 15 + PostGIS cluster inside the project's data directory.

It listens only on a unix socket in that directory, is started on demand and reused by later runs. When the
caller is root, the server runs as an unprivileged OS user (``postgres`` if present, else a system user
``gridcommand`` created for it), because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geo_data.errors import ClusterError

PG_BINDIRS = (Path("/usr/lib/postgresql/15/bin"),)
DB_NAME = "gridcommand"
DB_USER = "gridcommand"
PORT = 5432
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
"""


@dataclass(frozen=True)
class LocalCluster:
    """Paths and identity of the embedded cluster rooted at ``data_dir`` (the project's ``.data``)."""

    data_dir: Path

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pg"

    @property
    def socket_dir(self) -> Path:
        """``<data_dir>/run``, or a short path under /tmp when the project path is too long for a socket."""
        preferred = self.data_dir / "run"
        if len(str(preferred / f".s.PGSQL.{PORT}")) <= _MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"gridcommand-{digest}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "log" / "postgresql.log"

    def url(self, dbname: str = DB_NAME) -> str:
        """libpq URL of a database in this cluster (peer-less trust auth over the private socket)."""
        return f"postgresql://{DB_USER}@/{dbname}?host={self.socket_dir}&port={PORT}"

    # -- lifecycle ---------------------------------------------------------------------------------------

    def status(self) -> str:
        """``running``, ``stopped`` or ``absent`` (no cluster initialised yet)."""
        if not (self.pgdata / "PG_VERSION").exists():
            return "absent"
        proc = self._pg_ctl("status", check=False)
        return "running" if proc.returncode == 0 else "stopped"

    def start(self) -> bool:
        """Initialise if needed and start; returns True if it was started now, False if it already ran."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            if self.status() == "running":
                return False
            self._prepare_dirs()
            proc = self._pg_ctl("start", "-w", "-t", "120", "-l", str(self.log_file), check=False)
            if proc.returncode != 0:
                tail = self._log_tail()
                raise ClusterError(f"PostgreSQL did not start ({proc.stderr.strip() or proc.stdout.strip()})\n{tail}")
            self._ensure_database()
            return True

    def stop(self) -> bool:
        """Stop the server if it runs; returns True if it was stopped now."""
        if self.status() != "running":
            return False
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "120")
        return True

    # -- internals ---------------------------------------------------------------------------------------

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with open(self.data_dir / "cluster.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _initdb(self) -> None:
        bindir = pg_bindir()
        if not (bindir / "initdb").exists():
            raise ClusterError(f"PostgreSQL 15 server binaries not found in {bindir}; install postgresql-15")
        if not postgis_available():
            raise ClusterError(
                "PostGIS for PostgreSQL 15 is not installed; run as root: apt-get install postgresql-15-postgis-3"
            )
        tmp = self.data_dir / "pg.init"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self._give_to_service_user(tmp)
        self._run_as_service_user(
            [str(bindir / "initdb"), "-D", str(tmp), "-U", DB_USER, "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-instructions"],
        )
        with open(tmp / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write(_SERVER_CONF.format(port=PORT, socket_dir=self.socket_dir))
        # Only the private socket exists; still, refuse every host connection explicitly.
        (tmp / "pg_hba.conf").write_text("local all all trust\n", encoding="utf-8")
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
