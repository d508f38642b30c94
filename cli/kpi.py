"""``gridcommand kpi --county CODE --from DATE --to DATE [--township CODE] [--format json|table]``.

Prints every measure (enforcement.measures) with its numerator and denominator, so a figure can be checked.
"""

from __future__ import annotations

import json

import click

from cli.common import db_conn, fail_clearly
from enforcement.grades import RISK_GRADES
from enforcement.measures import MeasureFilter, format_value, parse_date
from geo_data.measures import panel
from geo_data.scope import system_scope


def _num(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


@click.command("kpi")
@click.option("--county", "county_code", required=True, help="6-digit county code")
@click.option("--from", "date_from", required=True, help="first day, YYYY-MM-DD (Asia/Shanghai, inclusive)")
@click.option("--to", "date_to", required=True, help="last day, YYYY-MM-DD (inclusive)")
@click.option("--township", "township_code", default=None, help="9-digit township code")
@click.option("--department", default=None, help="department code")
@click.option("--industry", default=None, help="industry code")
@click.option("--risk", type=click.Choice(RISK_GRADES), default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.pass_context
def command(ctx: click.Context, county_code: str, date_from: str, date_to: str, township_code: str | None,
            department: str | None, industry: str | None, risk: str | None, fmt: str, lang: str) -> None:
    """Print the enforcement measures (KPIs) of a county or township over a period."""
    with fail_clearly():
        filt = MeasureFilter(parse_date(date_from, "--from"), parse_date(date_to, "--to"),
                             township_code=township_code, department=department, industry=industry, risk=risk)
    with db_conn(ctx) as conn:
        measures = panel(conn, system_scope(county_code, actor="cli"), filt)
    if fmt == "json":
        click.echo(json.dumps({"county": county_code, "filter": filt.describe(),
                               "measures": {k: m.as_dict() for k, m in measures.items()}},
                              ensure_ascii=False, indent=2))
        return
    rows = [(m.name(lang), format_value(m.value, m.unit), _num(m.numerator), _num(m.denominator))
            for m in measures.values()]
    head = ("指标", "值", "分子", "分母") if lang == "zh" else ("measure", "value", "numerator", "denominator")
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(4)]
    click.echo(f"{county_code} {filt.date_from} – {filt.date_to}" + (f" {township_code}" if township_code else ""))
    for r in [head, *rows]:
        click.echo("  ".join(_pad(c, w, right=i > 0) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _pad(s: str, width: int, *, right: bool) -> str:
    fill = " " * (width - _width(s))
    return fill + s if right else s + fill
