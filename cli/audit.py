"""``gridcommand audit verify|tail|prune``: check the hash chain, read the latest entries, apply retention."""

from __future__ import annotations

import json
import sys

import click

from cli.common import db_conn, settings_of
from geo_data import audit


@click.group("audit")
def command() -> None:
    """The append-only, hash-chained audit trail."""


@command.command("verify")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Recompute the chain; exit 1 and list the rows if any row was changed, inserted or deleted."""
    with db_conn(ctx) as conn:
        result = audit.verify(conn)
    if result.ok:
        click.echo(f"audit trail intact: {result.rows} rows")
        return
    click.echo(f"audit trail BROKEN ({result.rows} rows):", err=True)
    for p in result.problems:
        click.echo(f"  {p}", err=True)
    sys.exit(1)


@command.command("tail")
@click.option("-n", "limit", default=20, show_default=True)
@click.option("--action", default=None, help="only this action, e.g. dispatch.assign")
@click.pass_context
def tail(ctx: click.Context, limit: int, action: str | None) -> None:
    """Print the latest entries, newest last."""
    with db_conn(ctx) as conn:
        rows = audit.latest(conn, limit=limit, action=action)
    for r in reversed(rows):
        click.echo(f"{r['seq']:>7} {r['at']:%Y-%m-%d %H:%M:%S} {r['actor']:<16} {r['action']:<20} "
                   f"{r['object_type']}:{r['object_id']} {json.dumps(r['detail'], ensure_ascii=False)}")


@command.command("prune")
@click.option("--keep-days", type=int, default=None,
              help="keep this many days (default: settings, GRIDCOMMAND_AUDIT_RETENTION_DAYS; at least 180)")
@click.pass_context
def prune(ctx: click.Context, keep_days: int | None) -> None:
    """Remove entries older than the retention period from the start of the chain (it stays verifiable)."""
    days = keep_days if keep_days is not None else settings_of(ctx).server.audit_retention_days
    with db_conn(ctx) as conn:
        removed = audit.prune(conn, keep_days=days)
    click.echo(f"removed {removed} audit rows older than {days} days")
