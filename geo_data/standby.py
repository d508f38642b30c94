"""A hot standby of the local cluster, its promotion, and the URLs that follow a failover (issue 12).

Two slots in the data directory: ``pg`` (port 5432) and ``pg-standby`` (5433). Whichever runs as primary, the
other can be made its streaming standby (``pg_basebackup`` over the private socket, a physical replication slot,
``standby.signal``). Promotion retires the old primary (a ``gridcommand.retired`` marker: it never starts again as
a second primary) until ``gridcommand db standby`` rebuilds it as the new primary's standby.

The app reaches the pair through multi-host libpq URLs: writes go to whichever host is read-write
(``target_session_attrs=read-write``), reads prefer the standby and fall back to the primary
(``prefer-standby``), so a promotion needs no configuration change: new pooled connections find the new primary.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path

from geo_data.cluster import DB_NAME, DB_USER, PORT, RETIRED, LocalCluster, pg_bindir
from geo_data.errors import ClusterError

APPLICATION_NAME = "gridcommand_standby"  # how the primary names its standby (synchronous_standby_names)
SLOT = "gridcommand_standby"              # the physical replication slot that keeps the standby's WAL
# A standby away for long must not fill the primary's disk with WAL kept for it.
MAX_SLOT_WAL_KEEP = "8GB"


def slots(data_dir: Path, port: int = PORT) -> tuple[LocalCluster, LocalCluster]:
    """The two local clusters a data directory can hold: the app's own and its standby's."""
    return LocalCluster(data_dir, port=port), LocalCluster(data_dir, port=port + 1, name="pg-standby")


def _exists(cluster: LocalCluster) -> bool:
    return (cluster.pgdata / "PG_VERSION").exists()


def roles(data_dir: Path, port: int = PORT) -> tuple[LocalCluster, LocalCluster | None]:
    """(primary, standby or None) of the local pair: the primary is the slot neither retired nor a standby."""
    first, second = slots(data_dir, port)
    if not _exists(second):
        return first, None
    if not _exists(first) or first.is_retired or first.is_standby:
        primary, other = second, first
    else:
        primary, other = first, second
    standby = other if _exists(other) and other.is_standby and not other.is_retired else None
    return primary, standby


def replication_settings(*, has_standby: bool, synchronous: bool) -> dict[str, str]:
    """The primary's replication settings: with a standby and ``synchronous``, a commit returns only once
    the standby has it on disk and applied (``synchronous_commit = remote_apply`` with the standby named)."""
    waits = has_standby and synchronous
    return {
        "max_slot_wal_keep_size": MAX_SLOT_WAL_KEEP,
        "synchronous_standby_names": APPLICATION_NAME if waits else "",
        # remote_apply: applied on the standby, not only on its disk, before the commit (and its push notice)
        # returns, so a screen reading the standby after a push sees what the push announced.
        "synchronous_commit": "remote_apply" if waits else "on",
    }


def standby_settings(primary: LocalCluster) -> dict[str, str]:
    """What makes a cluster stream from ``primary`` (and never wait for a standby of its own)."""
    conninfo = (f"host={primary.socket_dir} port={primary.port} user={DB_USER} "
                f"application_name={APPLICATION_NAME}")
    return {"primary_conninfo": conninfo, "primary_slot_name": SLOT, "hot_standby": "on",
            "synchronous_standby_names": "", "max_slot_wal_keep_size": MAX_SLOT_WAL_KEEP}


def build(primary: LocalCluster, standby: LocalCluster, *, settings: dict[str, str],
          timeout_s: float = 120.0) -> None:
    """Make ``standby`` a streaming hot standby of the running ``primary`` (a retired or absent slot is
    rebuilt from scratch); returns once it streams. ``settings``: its managed settings (archiving etc.),
    ``standby_settings`` are added."""
    if primary.status() != "running" or primary.in_recovery():
        raise ClusterError(f"the primary in {primary.pgdata} must run first: gridcommand db start")
    if _exists(standby) and not standby.is_retired:
        raise ClusterError(f"{standby.pgdata} already holds a cluster; drop it first: gridcommand db standby --drop")
    standby.stop("immediate")
    shutil.rmtree(standby.pgdata, ignore_errors=True)
    import psycopg

    with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (SLOT,)).fetchone() is None:
            conn.execute("SELECT pg_create_physical_replication_slot(%s)", (SLOT,))
    tmp = standby.data_dir / f"{standby.name}.init"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tmp.chmod(0o700)
    standby.give_to_server_user(tmp)
    standby.run_as_server_user([
        str(pg_bindir() / "pg_basebackup"), "-D", str(tmp), "-h", str(primary.socket_dir), "-p", str(primary.port),
        "-U", DB_USER, "-X", "stream", "-c", "fast", "-S", SLOT, "--no-password"])
    _drop_recovery_settings(tmp / "postgresql.auto.conf")
    (tmp / "standby.signal").touch()
    (tmp / RETIRED).unlink(missing_ok=True)
    for leftover in ("postmaster.pid", "postmaster.opts"):
        (tmp / leftover).unlink(missing_ok=True)
    standby.give_to_server_user(tmp)
    tmp.rename(standby.pgdata)
    standby.start(settings={**settings, **standby_settings(primary)})
    wait_until_streaming(primary, timeout_s)


def _drop_recovery_settings(auto_conf: Path) -> None:
    """A primary restored by pgBackRest keeps its recovery settings (restore_command naming its own
    configuration) in postgresql.auto.conf, which a copy would obey over its own: drop them from the copy."""
    if not auto_conf.exists():
        return
    kept = [line for line in auto_conf.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.lstrip().startswith(("restore_command", "recovery_target"))]
    auto_conf.write_text("".join(kept), encoding="utf-8")


def wait_until_streaming(primary: LocalCluster, timeout_s: float = 120.0) -> None:
    """Block until the primary's standby streams (its WAL receiver connected and caught up once)."""
    import psycopg

    deadline = time.monotonic() + timeout_s
    with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT state FROM pg_stat_replication WHERE application_name = %s",
                               (APPLICATION_NAME,)).fetchone()
            if row is not None and row[0] == "streaming":
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"the standby does not stream after {timeout_s:.0f} s (state {row})")
            time.sleep(0.1)


def drop(primary: LocalCluster, standby: LocalCluster) -> None:
    """Stop and delete the standby and its replication slot on the primary."""
    standby.stop("fast")
    shutil.rmtree(standby.pgdata, ignore_errors=True)
    if primary.status() == "running" and not primary.in_recovery():
        import psycopg

        with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                         " WHERE slot_name = %s AND NOT active", (SLOT,))


def promote(standby: LocalCluster, old_primary: LocalCluster) -> None:
    """Failover: stop the old primary if it still runs, retire it (it will not start as a second primary),
    promote the standby. Every transaction the old primary acknowledged with a synchronous standby is there."""
    retire(old_primary, reason=f"the promotion of {standby.pgdata}")
    standby.promote()
    import psycopg

    with psycopg.connect(standby.url("postgres"), autocommit=True) as conn:
        # The promoted standby inherited its old primary's slot list; it has no standby of its own yet.
        conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                     " WHERE slot_name = %s AND NOT active", (SLOT,))


def retire(cluster: LocalCluster, *, reason: str) -> None:
    """Stop ``cluster`` if it runs and mark it retired: it will not start again until rebuilt as a standby."""
    cluster.stop("fast")
    if _exists(cluster):
        (cluster.pgdata / RETIRED).write_text(
            f"retired at {datetime.now().astimezone().isoformat()} after {reason}; rebuild it as the standby of the"
            " current primary: gridcommand db standby\n", encoding="utf-8")


def failover_url(clusters: list[LocalCluster], *, target: str, dbname: str = DB_NAME) -> str:
    """A libpq URL over several local clusters, tried in order: ``target`` is ``read-write`` (the primary,
    wherever it is now) or ``prefer-standby`` (a standby if one answers, else the primary)."""
    hosts = ",".join(str(c.socket_dir) for c in clusters)
    ports = ",".join(str(c.port) for c in clusters)
    return f"postgresql://{DB_USER}@/{dbname}?host={hosts}&port={ports}&target_session_attrs={target}"
