"""``gridcommand token create|revoke|list``: API tokens for alert sources and dispatch clients."""

from __future__ import annotations

import click

from cli.common import db_conn
from geo_data.tokens import SCOPES, create_token, list_tokens, revoke_token


@click.group("token")
def command() -> None:
    """API tokens (the token is printed once; only its SHA-256 is stored)."""


@command.command("create")
@click.option("--source", required=True, help="the sending system, e.g. drone-patrol-1")
@click.option("--county", "county_code", required=True, help="6-digit county code the source writes into")
@click.option("--scopes", default="alerts:write", show_default=True,
              help=f"comma-separated, from: {', '.join(SCOPES)}")
@click.pass_context
def create(ctx: click.Context, source: str, county_code: str, scopes: str) -> None:
    """Create a token and print it (shown only this once)."""
    with db_conn(ctx) as conn:
        token, rec = create_token(conn, source=source, county_code=county_code,
                                  scopes=tuple(s.strip() for s in scopes.split(",") if s.strip()))
    click.echo(token)
    click.echo(f"id {rec.id} prefix {rec.prefix} source {rec.source} county {rec.county_code} "
               f"scopes {','.join(rec.scopes)}", err=True)


@command.command("revoke")
@click.argument("ref")
@click.pass_context
def revoke(ctx: click.Context, ref: str) -> None:
    """Revoke the token with id or prefix REF."""
    with db_conn(ctx) as conn:
        rows = revoke_token(conn, ref)
    for r in rows:
        click.echo(f"revoked id {r['id']} prefix {r['prefix']} source {r['source']}")


@command.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List tokens (id, prefix, source, county, scopes, state)."""
    with db_conn(ctx) as conn:
        rows = list_tokens(conn)
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "live"
        used = f"{r['last_used_at']:%Y-%m-%d %H:%M}" if r["last_used_at"] else "never"
        click.echo(f"{r['id']:>5}  {r['prefix']:<12} {r['source']:<24} {r['county_code']}  "
                   f"{','.join(r['scopes']):<40} {state:<24} used {used}")
