"""``gridcommand import tasks FILE [--county C] [--skip-bad] [--rejects FILE]``: departments' inspection plans.

A subcommand of the ``import`` group of ``cli/imports.py`` (``import enterprises`` …).
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import db_conn, fail_clearly, settings_of
from cli.imports import command
from geo_data.errors import InvalidInput
from geo_data.importers import ImportRefused, unsummarised
from geo_data.scope import system_scope
from geo_data.tasks import VALUE_MAP_FIELDS, import_tasks, read_table, rejects_frame
from geo_data.vocabularies import parse_value_maps


@command.command("tasks")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--county", "county_code", default=None, help="6-digit county code (default: settings)")
@click.option("--skip-bad", is_flag=True, help="load the good rows and report the bad ones")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the bad rows with their problems to this CSV")
@click.option("--map-values", "value_maps", multiple=True, metavar="FIELD:VALUE=KNOWN",
              help=f"read VALUE of FIELD ({', '.join(VALUE_MAP_FIELDS)}) as the known value KNOWN,"
                   " e.g. reason:日常检查=annual")
@click.pass_context
def tasks(ctx: click.Context, path: Path, county_code: str | None, skip_bad: bool, rejects: Path | None,
          value_maps: tuple[str, ...]) -> None:
    """Inspection tasks (CSV/Excel): department, uscc, items, reason, earliest, latest."""
    county = county_code or settings_of(ctx).server.default_county
    with fail_clearly():
        frame = read_table(path)
        values = parse_value_maps(value_maps, VALUE_MAP_FIELDS)
    scope = system_scope(county, actor="cli")
    with db_conn(ctx) as conn:
        try:
            report = import_tasks(conn, scope, frame, skip_bad=skip_bad, source=path.name, value_maps=values)
        except InvalidInput as exc:
            if rejects is not None and exc.problems:
                rejects_frame(frame, exc.problems).to_csv(rejects, index=False, encoding="utf-8-sig")
                click.echo(f"bad rows written to {rejects}", err=True)
            if isinstance(exc, ImportRefused) and exc.unknown:  # each unknown value once, then the rest
                summary = "\n".join(["unknown values (each once):", *(f"  {u}" for u in exc.unknown)])
                raise InvalidInput(f"{exc}\n{summary}", unsummarised(exc.problems, exc.unknown)) from exc
            raise
    for u in report.unknown:
        click.echo(f"unknown value (rows skipped): {u}", err=True)
    for problem in unsummarised(report.problems, report.unknown):
        click.echo(str(problem), err=True)
    if rejects is not None and report.problems:
        rejects_frame(frame, report.problems).to_csv(rejects, index=False, encoding="utf-8-sig")
        click.echo(f"bad rows written to {rejects}", err=True)
    bad = len({p.row for p in report.problems})
    click.echo(f"imported {report.inserted} tasks into county {county}" + (f", skipped {bad} bad rows" if bad else ""))

