"""``gridcommand import enterprises|townships|visits FILE``: checked, all-or-nothing loads (see docs/importing.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cli.common import db_conn, fail_clearly, settings_of, url_of
from geo_data import audit
from geo_data.coords import Datum
from geo_data.db import connect
from geo_data.errors import InvalidInput
from geo_data.importers import (
    VALUE_MAP_FIELDS,
    ImportRefused,
    ImportReport,
    import_enterprises,
    import_townships,
    parse_mapping,
    unsummarised,
)
from geo_data.visits_import import VISIT_VALUE_MAP_FIELDS, import_visits
from geo_data.vocabularies import parse_value_maps

_CRS = click.Choice([d.value for d in Datum], case_sensitive=False)
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("import")
def command() -> None:
    """Load enterprises, townships or visit records from CSV, Excel, GeoJSON, GeoPackage or Shapefile."""


@contextmanager
def _refusal_audited(ctx: click.Context, action: str, file: Path, county_code: str) -> Iterator[None]:
    """A refused import rolls back; record the refusal (file, count, first problems) on its own connection.

    Unknown values are said once each (with their rows and a suggested ``--map-values``) in the message, and
    the row problems they cover are left out of the list printed after it.
    """
    try:
        yield
    except InvalidInput as exc:
        unknown = exc.unknown if isinstance(exc, ImportRefused) else []
        with connect(url_of(ctx)) as conn:
            audit.record(conn, actor="cli", actor_kind="cli", action=f"{action}.refused", object_type="file",
                         object_id=file.name, county_code=county_code,
                         detail={"message": str(exc), "problems": len(exc.problems),
                                 "first": [str(p) for p in exc.problems[:5]],
                                 "unknown": [str(u) for u in unknown[:20]]})
            conn.commit()
        if not unknown:
            raise
        summary = "\n".join(["unknown values (each once):", *(f"  {u}" for u in unknown)])
        raise InvalidInput(f"{exc}\n{summary}", unsummarised(exc.problems, unknown)) from exc


def _county(ctx: click.Context, county_code: str | None) -> str:
    return county_code or settings_of(ctx).server.default_county


def _say(report: ImportReport, county_code: str) -> None:
    click.echo(f"loaded {report.rows_loaded} of {report.rows_read} {report.kind} rows into county {county_code}")
    if report.rejects_path is not None:
        bad = len({p.row for p in report.problems})
        click.echo(f"{bad} bad rows written to {report.rejects_path}")
        if report.unknown:
            click.echo("unknown values (each once; their rows are in the rejects file):")
            for u in report.unknown:
                click.echo(f"  {u}")
        for p in unsummarised(report.problems, report.unknown):
            click.echo(str(p), err=True)
    for note in report.notes:
        click.echo(f"note: {note}")


@command.command("enterprises")
@click.argument("file", type=_FILE)
@click.option("--crs", "datum", type=_CRS, default="wgs84", show_default=True,
              help="datum of the coordinates: wgs84, cgcs2000, gcj02 (AMap) or bd09 (Baidu)")
@click.option("--county", "county_code", default=None, help="6-digit county code (default: settings)")
@click.option("--skip-bad", is_flag=True, help="load the good rows and write the bad ones to --rejects")
@click.option("--rejects", "rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV for rejected rows (default FILE.rejects.csv beside FILE)")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="take FIELD (uscc, name, address, industry, lng, lat, risk, risk_class, credit, township)"
                   " from COLUMN; risk_class: the column holds the 企业信用风险分类 A-D")
@click.option("--map-values", "value_maps", multiple=True, metavar="FIELD:VALUE=KNOWN",
              help=f"read VALUE of FIELD ({', '.join(VALUE_MAP_FIELDS)}) as the known value KNOWN,"
                   " e.g. industry:中餐馆=catering")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on for long files)")
@click.pass_context
def enterprises(ctx: click.Context, file: Path, datum: str, county_code: str | None, skip_bad: bool,
                rejects: Path | None, maps: tuple[str, ...], value_maps: tuple[str, ...],
                progress: bool | None) -> None:
    """Import enterprises (市场主体). All or nothing unless --skip-bad; bad rows exit with status 2."""
    county = _county(ctx, county_code)
    with fail_clearly():
        values = parse_value_maps(value_maps, VALUE_MAP_FIELDS)
    with db_conn(ctx) as conn, _refusal_audited(ctx, "import.enterprises", file, county):
        report = import_enterprises(conn, path=file, county_code=county, datum=datum.lower(), skip_bad=skip_bad,
                                    rejects_path=rejects, mapping=parse_mapping(maps), progress=progress,
                                    value_maps=values)
    _say(report, county)


@command.command("townships")
@click.argument("file", type=_FILE)
@click.option("--county", "county_code", default=None, help="6-digit county code (default: settings)")
@click.option("--crs", "datum", type=_CRS, default="wgs84", show_default=True, help="datum of the coordinates")
@click.option("--name-field", default=None, help="column holding the township name")
@click.option("--code-field", default=None, help="column holding the 9-digit township code")
@click.pass_context
def townships(ctx: click.Context, file: Path, county_code: str | None, datum: str, name_field: str | None,
              code_field: str | None) -> None:
    """Import real township polygons; they replace generated ones and enterprises/cells are re-placed."""
    county = _county(ctx, county_code)
    with db_conn(ctx) as conn, _refusal_audited(ctx, "import.townships", file, county):
        report = import_townships(conn, path=file, county_code=county, datum=datum.lower(),
                                  name_field=name_field, code_field=code_field)
    _say(report, county)


@command.command("visits")
@click.argument("file", type=_FILE)
@click.option("--county", "county_code", default=None, help="6-digit county code (default: settings)")
@click.option("--skip-bad", is_flag=True, help="load the good rows and write the bad ones to --rejects")
@click.option("--rejects", "rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV for rejected rows (default FILE.rejects.csv beside FILE)")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD", help="take FIELD from COLUMN")
@click.option("--map-values", "value_maps", multiple=True, metavar="FIELD:VALUE=KNOWN",
              help=f"read VALUE of FIELD ({', '.join(VISIT_VALUE_MAP_FIELDS)}) as the known value KNOWN,"
                   " e.g. department:消防大队=fire")
@click.pass_context
def visits(ctx: click.Context, file: Path, county_code: str | None, skip_bad: bool, rejects: Path | None,
           maps: tuple[str, ...], value_maps: tuple[str, ...]) -> None:
    """Import historical inspection visits (检查记录). All or nothing unless --skip-bad."""
    county = _county(ctx, county_code)
    with fail_clearly():
        values = parse_value_maps(value_maps, VISIT_VALUE_MAP_FIELDS)
    with db_conn(ctx) as conn, _refusal_audited(ctx, "import.visits", file, county):
        report = import_visits(conn, path=file, county_code=county, skip_bad=skip_bad, rejects_path=rejects,
                               mapping=parse_mapping(maps), value_maps=values)
    _say(report, county)
