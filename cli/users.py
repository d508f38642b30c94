"""``gridcommand user create|unlock|reset-2fa|end-sessions|display-token``."""

from __future__ import annotations

from typing import Any

import click
import psycopg

from cli.common import db_conn, settings_of
from geo_data import login_throttle, two_factor
from geo_data.errors import NotFound
from geo_data.scope import Role
from geo_data.users import create_display_token, create_user


@click.group("user")
def command() -> None:
    """Users of the pages."""


@command.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--township", "township_code", default=None, help="9-digit township code (dispatchers)")
@click.option("--team", "team_id", type=int, default=None, help="team id (inspectors: the team they belong to)")
@click.option("--county", "county_code", default=None, help="6-digit county code (default: settings)")
@click.option("--password", default=None, help="asked for when not given")
@click.option("--display-name", default="")
@click.option("--temporary", is_flag=True, help="the user must choose a new password at first login")
@click.pass_context
def create(ctx: click.Context, name: str, role: str, township_code: str | None, team_id: int | None,
           county_code: str | None, password: str | None, display_name: str, temporary: bool) -> None:
    """Create a user."""
    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    county = county_code or (township_code[:6] if township_code else settings_of(ctx).server.default_county)
    with db_conn(ctx) as conn:
        user = create_user(conn, username=name, password=password, role=role, county_code=county,
                           township_code=township_code, display_name=display_name,
                           must_change_password=temporary, team_id=team_id)
    click.echo(f"created user {user.username} ({user.role.value}, county {user.county_code}"
               + (f", township {user.township_code}" if user.township_code else "")
               + (f", team {user.team_id})" if user.team_id else ")"))


@command.command("display-token")
@click.argument("name")
@click.pass_context
def display_token(ctx: click.Context, name: str) -> None:
    """Create a display token for the viewer NAME; open /display/<token> on the wall screen (shown once)."""
    with db_conn(ctx) as conn:
        token = create_display_token(conn, username=name)
    click.echo(token)


def _user_row(conn: psycopg.Connection[Any], name: str) -> tuple[int, str]:
    """(id, county code) of the user NAME."""
    row = conn.execute("SELECT id, county_code FROM users WHERE username = %s", (name,)).fetchone()
    if row is None:
        raise NotFound(f"user {name}")
    return int(row["id"]), str(row["county_code"])


@command.command("unlock")
@click.argument("name")
@click.pass_context
def unlock(ctx: click.Context, name: str) -> None:
    """Forget NAME's failed logins from every address (its login delays end now). Audited."""
    with db_conn(ctx) as conn:
        _user_id, county = _user_row(conn, name)
        n = login_throttle.unlock(conn, username=name, actor="cli", actor_kind="cli", county_code=county)
    click.echo(f"unlocked {name} ({n} address(es) had failures)")


@command.command("reset-2fa")
@click.argument("name")
@click.pass_context
def reset_2fa(ctx: click.Context, name: str) -> None:
    """Remove NAME's TOTP key and recovery codes (lost phone): they enrol again at their next login."""
    with db_conn(ctx) as conn:
        user_id, county = _user_row(conn, name)
        two_factor.reset(conn, user_id=user_id, actor="cli", actor_kind="cli", county_code=county)
    click.echo(f"two-factor login reset for {name}")


@command.command("end-sessions")
@click.argument("name")
@click.pass_context
def end_sessions(ctx: click.Context, name: str) -> None:
    """End every live session of NAME now (their browsers must log in again)."""
    from geo_data import sessions
    from geo_data.scope import system_scope

    with db_conn(ctx) as conn:
        user_id, county = _user_row(conn, name)
        n = sessions.end_for_admin(conn, system_scope(county, actor="cli"), user_id=user_id)
    click.echo(f"ended {n} session(s) of {name}")
