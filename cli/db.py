"""``gridcommand db start|stop|status|url|migrate|backup|backups|restore|standby|promote``.

Backups, restores, the standby and promotion manage the embedded local cluster (and its standby) only; a server
named by ``DATABASE_URL`` is backed up and replicated by whoever runs it (docs/operations.md).
"""

from __future__ import annotations

from typing import cast

import click

from cli.common import fail_clearly, settings_of
from geo_data import standby as replication
from geo_data.backup import BackupType, Repository, parse_time
from geo_data.cluster import LocalCluster
from geo_data.db import database_url, replica_database_url
from geo_data.errors import ClusterError
from geo_data.migrator import migrate
from geo_data.settings import Settings


@click.group("db")
def command() -> None:
    """The database: the embedded local PostGIS cluster, or the server DATABASE_URL names."""


def _pair(ctx: click.Context) -> tuple[LocalCluster, LocalCluster | None]:
    return replication.roles(settings_of(ctx).db.data_dir)


def _local_only(ctx: click.Context, what: str) -> None:
    if settings_of(ctx).db.url:
        raise ClusterError(f"DATABASE_URL is set: `gridcommand db {what}` manages the local cluster only; back up"
                           " and replicate that server with its own tools (docs/operations.md)")


def _primary_settings(settings: Settings, primary: LocalCluster, *, has_standby: bool) -> dict[str, str]:
    """The managed settings of the local primary: WAL archiving and replication."""
    repo = Repository(primary, settings.backup)
    repo.write_config()
    return {**repo.archive_settings(),
            **replication.replication_settings(has_standby=has_standby, synchronous=settings.db.synchronous_standby)}


def _standby_settings(settings: Settings, standby: LocalCluster, primary: LocalCluster) -> dict[str, str]:
    """A standby archives into the same repository once promoted (its own pgBackRest config, same stanza)."""
    repo = Repository(standby, settings.backup)
    repo.write_config()
    return {**repo.archive_settings(), **replication.standby_settings(primary)}


@command.command("start")
@click.pass_context
def start(ctx: click.Context) -> None:
    """Start the local cluster (initialised on first use) with WAL archiving, and its standby if there is one;
    a no-op with DATABASE_URL. A cluster from before archiving existed is restarted once to turn it on."""
    settings = settings_of(ctx)
    if settings.db.url:
        click.echo("DATABASE_URL is set: using that server, nothing to start")
        return
    with fail_clearly():
        primary, standby = _pair(ctx)
        started = primary.start(settings=_primary_settings(settings, primary, has_standby=standby is not None))
        if settings.backup.enabled:
            Repository(primary, settings.backup).ensure_stanza()
        if standby is not None:
            standby.start(settings=_standby_settings(settings, standby, primary))
    click.echo("started" if started else "already running")


@command.command("stop")
@click.pass_context
def stop(ctx: click.Context) -> None:
    """Stop the local cluster (and its standby)."""
    with fail_clearly():
        primary, standby = _pair(ctx)
        if standby is not None:
            standby.stop()
        stopped = primary.stop()
    click.echo("stopped" if stopped else "not running")


@command.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Say whether the local cluster runs (exit 0 running, 3 stopped/absent); the standby on a second line."""
    if settings_of(ctx).db.url:
        click.echo("external (DATABASE_URL)")
        return
    primary, standby = _pair(ctx)
    state = primary.status()
    click.echo(state)
    if standby is not None:
        click.echo(f"standby ({standby.pgdata.name}, port {standby.port}): {standby.status()}")
    ctx.exit(0 if state == "running" else 3)


@command.command("url")
@click.option("--replica", is_flag=True, help="the URL of read-only traffic (the standby) instead")
@click.pass_context
def url(ctx: click.Context, replica: bool) -> None:
    """Print the connection URL of the database in use."""
    db = settings_of(ctx).db
    click.echo((replica_database_url(db) or database_url(db, start=False)) if replica
               else database_url(db, start=False))


@command.command("migrate")
@click.pass_context
def migrate_cmd(ctx: click.Context) -> None:
    """Bring the database to the current schema (each migration once)."""
    with fail_clearly():
        applied = migrate(database_url(settings_of(ctx).db))
    click.echo("applied: " + ", ".join(applied) if applied else "schema is current")


@command.command("backup")
@click.option("--type", "kind", type=click.Choice(["full", "diff", "incr"]), default="full", show_default=True,
              help="full; diff: changes since the last full; incr: since the last backup of any type")
@click.pass_context
def backup(ctx: click.Context, kind: str) -> None:
    """Back the local cluster up into the repository (GRIDCOMMAND_BACKUP_REPO_DIR; retention applied)."""
    with fail_clearly():
        _local_only(ctx, "backup")
        primary, _ = _pair(ctx)
        made = Repository(primary, settings_of(ctx).backup).backup(cast(BackupType, kind))
    click.echo(f"backup {made.label} ({made.kind}) done: {made.size / 1e6:.1f} MB of data, "
               f"{made.repo_size / 1e6:.1f} MB stored")


@command.command("backups")
@click.pass_context
def backups(ctx: click.Context) -> None:
    """List the backups in the repository (times in Asia/Shanghai): a restore can reach any time after the
    end of the oldest one."""
    with fail_clearly():
        _local_only(ctx, "backups")
        primary, _ = _pair(ctx)
        repo = Repository(primary, settings_of(ctx).backup)
        found = repo.backups()
    click.echo(f"repository {repo.path} (stanza {repo.stanza})")
    if not found:
        click.echo("no backups yet: gridcommand db backup")
        return
    click.echo(f"{'label':<34} {'type':<5} {'started':<19}  {'ended':<19}  {'data MB':>9} {'stored MB':>9}")
    for b in found:
        click.echo(f"{b.label:<34} {b.kind:<5} {b.start:%Y-%m-%d %H:%M:%S}  {b.stop:%Y-%m-%d %H:%M:%S}"
                   f"  {b.size / 1e6:>9.1f} {b.repo_size / 1e6:>9.1f}")


@command.command("restore")
@click.option("--to", "to", default=None, metavar="TIMESTAMP",
              help="recover to this time (YYYY-MM-DD HH:MM:SS, Shanghai unless an offset is given); "
                   "default: everything archived")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.pass_context
def restore(ctx: click.Context, to: str | None, yes: bool) -> None:
    """Stop the local cluster, restore it from the repository (to TIMESTAMP), start it again. A standby is
    retired: rebuild it afterwards with `gridcommand db standby`."""
    settings = settings_of(ctx)
    with fail_clearly():
        _local_only(ctx, "restore")
        target = parse_time(to) if to else None
        if not yes:
            click.confirm(f"Replace the local database with the backup state at {target or 'the end of the archive'}"
                          "? Everything written after that is lost", abort=True)
        primary, standby = _pair(ctx)
        repo = Repository(primary, settings.backup)
        repo.check_target(target)
        alone = _primary_settings(settings, primary, has_standby=False)
        if standby is not None:  # the restored primary leaves it behind: stop waiting for it, then retire it
            if primary.status() == "running":
                primary.start(settings=alone)
            replication.retire(standby, reason="a restore of its primary")
        repo.restore(target, settings=alone)
    click.echo(f"restored to {target.isoformat() if target else 'the end of the archive'}; the cluster runs")


@command.command("standby")
@click.option("--drop", is_flag=True, help="stop and delete the standby (the primary stops waiting for it)")
@click.pass_context
def standby(ctx: click.Context, drop: bool) -> None:
    """Set up (or start) the local hot standby: a second cluster streaming from the primary, for read-only
    traffic and failover. With it, a commit returns once the standby has it on disk
    (GRIDCOMMAND_SYNCHRONOUS_STANDBY=false: it does not wait)."""
    settings = settings_of(ctx)
    with fail_clearly():
        _local_only(ctx, "standby")
        primary, current = _pair(ctx)
        if drop:
            if current is None:
                click.echo("no standby")
                return
            primary.start(settings=_primary_settings(settings, primary, has_standby=False))
            replication.drop(primary, current)
            click.echo(f"standby in {current.pgdata} dropped")
            return
        if current is not None:
            current.start(settings=_standby_settings(settings, current, primary))
            click.echo(f"standby runs: {current.pgdata} (port {current.port})")
            return
        other = next(c for c in replication.slots(settings.db.data_dir) if c.name != primary.name)
        primary.start(settings=_primary_settings(settings, primary, has_standby=False))
        replication.build(primary, other, settings=_standby_settings(settings, other, primary))
        primary.start(settings=_primary_settings(settings, primary, has_standby=True))
    click.echo(f"standby streams: {other.pgdata} (port {other.port})")
    click.echo(f"read-only traffic: {replica_database_url(settings.db)}")


@command.command("promote")
@click.pass_context
def promote(ctx: click.Context) -> None:
    """Failover: make the local standby the primary (the old primary is stopped and retired). Running apps
    reconnect to it by themselves (their URL names both clusters)."""
    with fail_clearly():
        _local_only(ctx, "promote")
        primary, current = _pair(ctx)
        if current is None:
            raise ClusterError("there is no standby to promote; set one up first: gridcommand db standby")
        replication.promote(current, primary)
    click.echo(f"promoted: {current.pgdata} (port {current.port}) is the primary; "
               f"{primary.pgdata} is retired (rebuild it as the new standby: gridcommand db standby)")
