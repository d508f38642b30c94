"""``gridcommand import coverage FILE --kind drone_track|camera_fov [--buffer-m 150] [--county C]``.

Drone flight tracks (lines, buffered) and camera fields of view (polygons) become the H3 res-9 cells of remote
monitoring coverage. A subcommand of the ``import`` group of ``cli/imports.py``.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import db_conn, fail_clearly, settings_of
from cli.imports import command
from enforcement.measures import parse_date
from geo_data.coverage import KINDS, import_coverage
from geo_data.scope import system_scope


@command.command("coverage")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--buffer-m", type=float, default=None, help="half-width of a drone track's strip (default: settings)")
@click.option("--county", "county_code", default=None, help="6-digit county code (default: settings)")
@click.option("--datum", type=click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"]), default="wgs84")
@click.option("--valid-from", default=None, help="YYYY-MM-DD (default: a feature's valid_from, else today)")
@click.option("--valid-to", default=None, help="YYYY-MM-DD (default: a feature's valid_to, else open-ended)")
@click.pass_context
def coverage(ctx: click.Context, path: Path, kind: str, buffer_m: float | None, county_code: str | None,
             datum: str, valid_from: str | None, valid_to: str | None) -> None:
    """Import remote monitoring coverage (drone tracks / camera fields of view) as H3 res-9 cells."""
    settings = settings_of(ctx)
    county = county_code or settings.server.default_county
    with fail_clearly():
        vf = parse_date(valid_from, "--valid-from") if valid_from else None
        vt = parse_date(valid_to, "--valid-to") if valid_to else None
    with db_conn(ctx) as conn:
        result = import_coverage(conn, system_scope(county, actor="cli"), path, kind=kind,
                                 buffer_m=buffer_m if buffer_m is not None else settings.coverage.drone_buffer_m,
                                 datum=datum, valid_from=vf, valid_to=vt)
    click.echo(f"{path.name}: {result.features} feature(s) -> {result.cells} cell(s), {result.inserted} new")

