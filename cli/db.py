"""``gridcommand db start|stop|status|url|migrate``."""

from __future__ import annotations

import click

from cli.common import fail_clearly, settings_of
from geo_data.cluster import LocalCluster
from geo_data.db import database_url, migrate


@click.group("db")
def command() -> None:
    """The database: the embedded local PostGIS cluster, or the server DATABASE_URL names."""


def _cluster(ctx: click.Context) -> LocalCluster:
    return LocalCluster(settings_of(ctx).db.data_dir)


@command.command("start")
@click.pass_context
def start(ctx: click.Context) -> None:
    """Start the local cluster (initialised on first use); a no-op with DATABASE_URL."""
    if settings_of(ctx).db.url:
        click.echo("DATABASE_URL is set: using that server, nothing to start")
        return
    with fail_clearly():
        started = _cluster(ctx).start()
    click.echo("started" if started else "already running")


@command.command("stop")
@click.pass_context
def stop(ctx: click.Context) -> None:
    """Stop the local cluster."""
    with fail_clearly():
        stopped = _cluster(ctx).stop()
    click.echo("stopped" if stopped else "not running")


@command.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Say whether the local cluster runs (exit 0 running, 3 stopped/absent)."""
    if settings_of(ctx).db.url:
        click.echo("external (DATABASE_URL)")
        return
    state = _cluster(ctx).status()
    click.echo(state)
    ctx.exit(0 if state == "running" else 3)


@command.command("url")
@click.pass_context
def url(ctx: click.Context) -> None:
    """Print the connection URL of the database in use."""
    click.echo(database_url(settings_of(ctx).db, start=False))


@command.command("migrate")
@click.pass_context
def migrate_cmd(ctx: click.Context) -> None:
    """Bring the database to the current schema (each migration once)."""
    with fail_clearly():
        applied = migrate(database_url(settings_of(ctx).db))
    click.echo("applied: " + ", ".join(applied) if applied else "schema is current")
