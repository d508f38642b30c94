"""``gridcommand demo [--enterprises N] [--seed S] [--months M] [--if-empty]``: load the demo county 婺城区."""

from __future__ import annotations

import click

from cli.common import db_conn, settings_of
from geo_data.demo import create_demo_users, load_demo


@click.command("demo")
@click.option("--enterprises", type=click.IntRange(1, 5_000_000), default=None,
              help="how many enterprises (default: settings, 20000)")
@click.option("--seed", type=int, default=None, help="random seed (default: settings, 42); same seed, same demo")
@click.option("--months", "history_months", type=click.IntRange(1, 36), default=12,
              help="months of visit history ending today")
@click.option("--if-empty", is_flag=True, help="do nothing when the demo is already loaded (make run)")
@click.option("--progress/--no-progress", default=True, help="progress bar while copying enterprises")
@click.pass_context
def command(ctx: click.Context, enterprises: int | None, seed: int | None, history_months: int, if_empty: bool,
            progress: bool) -> None:
    """Load the demo county 婺城区 (330702): real outline, 26 generated townships, enterprises, teams, visits.

    Today's plan (Asia/Shanghai) comes approved and routed, its visits coded, for the township teams.
    Creates the demo users (admin, county, planner, wall, one dispatcher per township and an inspector
    ``<dispatcher>_field`` of the township's team) on the first load and prints their passwords once
    (GRIDCOMMAND_DEMO_PASSWORD fixes them).
    """
    settings = settings_of(ctx)
    county = settings.server.default_county
    with db_conn(ctx) as conn:
        summary = load_demo(conn, enterprises=enterprises or settings.demo.enterprises,
                            seed=settings.demo.seed if seed is None else seed, history_months=history_months,
                            county_code=county, if_empty=if_empty, progress=progress)
        if summary.skipped:
            click.echo(f"demo county {county} already loaded: nothing to do")
            return
        users = create_demo_users(conn, county_code=county, password=settings.demo.password)
    click.echo(f"demo county {county} loaded (seed {summary.seed}): {summary.townships} townships (generated), "
               f"{summary.enterprises} enterprises, {summary.teams} teams, {summary.inspectors} inspectors, "
               f"{summary.visits} visits, repeat-inspection rate {summary.repeat_rate:.1%}")
    click.echo(f"today's plan: approved and routed, {summary.today_visits} visits with codes (亮码) for the township"
               " teams; their inspectors log in to /field as <dispatcher>_field (e.g. chengdong_field), the"
               " enterprise page is /v/<code>")
    click.echo("seconds: " + ", ".join(f"{k} {v}" for k, v in summary.seconds.items()))
    if users:
        click.echo("demo users (passwords shown once; only their hashes are stored):")
        for name, password in users.items():
            click.echo(f"  {name:18s} {password}")
