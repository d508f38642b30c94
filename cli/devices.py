"""``gridcommand device add|list|revoke|prune-tracks``: position-reporting devices bound to teams."""

from __future__ import annotations

import click

from cli.common import db_conn, fail_clearly, settings_of, url_of
from geo_data.db import connect
from geo_data.devices import KINDS, add_device, list_devices, revoke_device
from geo_data.positions import prune_tracks


@click.group("device")
def command() -> None:
    """Vehicle trackers, body cameras and phones reporting positions (OsmAnd / Traccar Client)."""


@command.command("add")
@click.option("--team", "team_id", required=True, type=int, help="id of the team the device belongs to")
@click.option("--identifier", default=None, help="what the tracker sends as its id (default: generated)")
@click.option("--kind", type=click.Choice(KINDS), default="tracker", show_default=True)
@click.option("--label", default="", help="free text, e.g. the vehicle's plate")
@click.pass_context
def add(ctx: click.Context, team_id: int, identifier: str | None, kind: str, label: str) -> None:
    """Bind a device to a team and print its token (shown only this once)."""
    with db_conn(ctx) as conn:
        token, dev = add_device(conn, team_id=team_id, identifier=identifier, kind=kind, label=label)
    click.echo(token)
    click.echo(f"id {dev.id} identifier {dev.identifier} team {dev.team_id} county {dev.county_code} "
               f"prefix {dev.prefix}", err=True)


@command.command("list")
@click.option("--county", "county_code", default=None, help="only this 6-digit county")
@click.pass_context
def list_(ctx: click.Context, county_code: str | None) -> None:
    """List devices (id, identifier, kind, team, state, last fix)."""
    with db_conn(ctx) as conn:
        rows = list_devices(conn, county_code)
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "live"
        last = f"{r['last_fix_at']:%Y-%m-%d %H:%M:%S}" if r["last_fix_at"] else "never"
        click.echo(f"{r['id']:>5}  {r['identifier']:<20} {r['kind']:<12} team {r['team_id']:>4} "
                   f"{r['team_name']:<20} {r['prefix']:<13} {state:<24} last fix {last}")


@command.command("revoke")
@click.argument("ref")
@click.pass_context
def revoke(ctx: click.Context, ref: str) -> None:
    """Revoke the device with id, identifier or token prefix REF (its fixes are refused from now on)."""
    with db_conn(ctx) as conn:
        rows = revoke_device(conn, ref)
    for r in rows:
        click.echo(f"revoked id {r['id']} identifier {r['identifier']} prefix {r['prefix']}")


@command.command("prune-tracks")
@click.option("--days", type=int, default=None, help="keep this many days (default: setting track_days)")
@click.pass_context
def prune(ctx: click.Context, days: int | None) -> None:
    """Delete track points older than the kept period."""
    keep = days if days is not None else settings_of(ctx).positions.track_days
    with fail_clearly(), connect(url_of(ctx), autocommit=True) as conn:
        n = prune_tracks(conn, older_than_days=keep)
    click.echo(f"deleted {n} track points older than {keep} days")
