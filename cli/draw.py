"""``gridcommand draw create|export``: 双随机 draws from the command line (same rules and records as the page)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from cli.common import db_conn, settings_of
from enforcement.draws import DrawParams
from geo_data import draws, plans
from geo_data.errors import InvalidInput
from geo_data.scope import system_scope
from layers.tables import DepartmentNames, export_frame


@click.group("draw")
def command() -> None:
    """双随机 draws: targets and inspectors, reproducible from the recorded seed."""


def _county(ctx: click.Context, county_code: str | None) -> str:
    return county_code or settings_of(ctx).server.default_county


@command.command("create")
@click.option("--department", required=True, help="department code")
@click.option("--items", required=True, help="item codes, comma-separated")
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--rate", type=float, default=0.05, show_default=True, help="base rate (general risk, credit B)")
@click.option("--seed", type=int, default=None, help="seed (default: random, recorded)")
@click.option("--county", "county_code", default=None)
@click.option("--dry-run", is_flag=True, help="show what the draw would be (counts, first targets); record nothing")
@click.pass_context
def create(ctx: click.Context, department: str, items: str, date_from: date, date_to: date, rate: float,
           seed: int | None, county_code: str | None, dry_run: bool) -> None:
    """Draw targets and inspectors, file random-check tasks, record the draw (audited). With ``--dry-run``
    nothing is written; the same ``--seed`` then records exactly what was shown."""
    scope = system_scope(_county(ctx, county_code), actor="cli")
    with db_conn(ctx) as conn:
        try:
            params = DrawParams(base_rate=rate)
        except ValueError as exc:
            raise InvalidInput(f"rate: {exc}") from exc
        chosen = [i.strip() for i in items.split(",") if i.strip()]
        first = date_from.date() if hasattr(date_from, "date") else date_from
        last = date_to.date() if hasattr(date_to, "date") else date_to
        if dry_run:
            p = draws.preview_draw(conn, scope, department=department, items=chosen, period_start=first,
                                   period_end=last, params=params, seed=seed, sample=10)
            click.echo(f"preview (nothing recorded): {len(p.targets)} of {p.register_size} enterprises, seed {p.seed},"
                       f" register sha256 {p.register_digest[:16]}…")
            for r in p.by_risk:
                click.echo(f"  risk {r['risk']}: {r['drawn']} of {r['register']}")
            for r in p.sample:
                click.echo(f"  {r['position']:>4}  {r['enterprise_name']}  {r['uscc']}  {r['township_name']}"
                           f"  {r['inspectors'] or '-'}")
            return
        out = draws.create_draw(conn, scope, department=department, items=chosen, period_start=first,
                                period_end=last, params=params, seed=seed)
    click.echo(f"draw {out.draw_id}: {len(out.targets)} of {out.register_size} enterprises, seed {out.seed}, "
               f"register sha256 {out.register_digest[:16]}…")


@command.command("export")
@click.argument("draw_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="file to write (.csv or .xlsx)")
@click.option("--county", "county_code", default=None)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="language of the headers and department names")
@click.pass_context
def export(ctx: click.Context, draw_id: int, output: Path, county_code: str | None, lang: str) -> None:
    """The publishable result list (一公开) as CSV or Excel."""
    scope = system_scope(_county(ctx, county_code), actor="cli")
    with db_conn(ctx) as conn:
        frame = export_frame(draws.result_table(conn, scope, draw_id), "draw", lang,
                             DepartmentNames.from_rows(plans.department_rows(conn), lang))
    data = draws.result_excel(frame) if output.suffix.lower() == ".xlsx" else draws.result_csv(frame)
    output.write_bytes(data)
    click.echo(f"wrote {len(frame)} rows to {output}")
