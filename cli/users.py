"""``gridcommand user create NAME --role ROLE [--township CODE] [--password P]``."""

from __future__ import annotations

import click

from cli.common import db_conn, settings_of
from geo_data.scope import Role
from geo_data.users import create_display_token, create_user


@click.group("user")
def command() -> None:
    """Users of the pages."""


@command.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--township", "township_code", default=None, help="9-digit township code (dispatchers)")
@click.option("--county", "county_code", default=None, help="6-digit county code (default: settings)")
@click.option("--password", default=None, help="asked for when not given")
@click.option("--display-name", default="")
@click.pass_context
def create(ctx: click.Context, name: str, role: str, township_code: str | None, county_code: str | None,
           password: str | None, display_name: str) -> None:
    """Create a user."""
    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    county = county_code or (township_code[:6] if township_code else settings_of(ctx).server.default_county)
    with db_conn(ctx) as conn:
        user = create_user(conn, username=name, password=password, role=role, county_code=county,
                           township_code=township_code, display_name=display_name)
    click.echo(f"created user {user.username} ({user.role.value}, county {user.county_code}"
               + (f", township {user.township_code})" if user.township_code else ")"))


@command.command("display-token")
@click.argument("name")
@click.pass_context
def display_token(ctx: click.Context, name: str) -> None:
    """Create a display token for the viewer NAME; open /display/<token> on the wall screen (shown once)."""
    with db_conn(ctx) as conn:
        token = create_display_token(conn, username=name)
    click.echo(token)
