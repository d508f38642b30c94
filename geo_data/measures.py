"""Run the measure SQL (``geo_data/sql/measure_*.sql``) for a scope and a filter; build ``Measure`` values.

``panel(conn, scope, filt)`` is the fast entry point for KPI tiles (three queries, all measures);
``by_group`` gives the same measures per township, H3 cell or month (maps and trends) from the same SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from enforcement.measures import GROUPS, Measure, MeasureFilter, measures_from_counts
from geo_data.db import fetch_all
from geo_data.errors import InvalidInput
from geo_data.scope import Scope

_EMPTY: dict[str, Any] = {}


def _params(scope: Scope, filt: MeasureFilter, group_by: str, as_of: datetime | None,
            live: bool = False) -> dict[str, Any]:
    """The measure SQL's parameters; ``live`` makes coverage read the visits, alerts and incidents themselves."""
    filt = filt.narrowed_to(scope.township_code)
    params = filt.sql_params(scope.county_code, group_by=group_by)
    params["as_of"] = as_of or datetime.now(UTC)
    params["single_month"] = filt.date_from.replace(day=1) == filt.date_to.replace(day=1)
    params["monthly"] = _whole_months(filt) and not live
    return params


def _whole_months(filt: MeasureFilter) -> bool:
    """Whether the period is whole calendar months: coverage may then read its monthly pre-aggregate.

    Both of ``measure_coverage.sql``'s sources count the same thing (tests compare them).
    """
    return filt.date_from.day == 1 and (filt.date_to + timedelta(days=1)).day == 1


SOURCES = ("visits", "incidents", "coverage")   # the three count queries (measure_<source>.sql)


def counts(conn: psycopg.Connection[Any], scope: Scope, filt: MeasureFilter, *, group_by: str = "none",
           as_of: datetime | None = None, live: bool = False, sources: tuple[str, ...] = SOURCES,
           ) -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """Raw count rows per group: ``{grp: (visit_row, incident_row, coverage_row)}``.

    ``as_of`` is "now" for SLA deadlines still running (default: the current time). ``sources`` leaves out the
    queries a caller shows nothing of (their rows stay empty: those measures are None).
    """
    if group_by not in GROUPS:
        raise InvalidInput(f"group_by: {group_by!r} is not one of {', '.join(GROUPS)}")
    params = _params(scope, filt, group_by, as_of, live)
    out: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
    for idx, source in enumerate(SOURCES):
        name = f"measure_{source}"
        if source not in sources or (source == "coverage" and group_by == "month"):
            continue
        for row in fetch_all(conn, name, params):
            grp = row.pop("grp") or ""
            parts = list(out.get(grp, (_EMPTY, _EMPTY, _EMPTY)))
            parts[idx] = row
            out[grp] = (parts[0], parts[1], parts[2])
    return out


def panel(conn: psycopg.Connection[Any], scope: Scope, filt: MeasureFilter, *,
          as_of: datetime | None = None, live: bool = False, sources: tuple[str, ...] = SOURCES,
          ) -> dict[str, Measure]:
    """Every measure for one filter, keyed by measure key (``enforcement.measures.MEASURE_KEYS`` order).

    A rate with nothing to count (e.g. no visits) has value None, never a division error; so are the measures
    of a source left out of ``sources``.
    """
    rows = counts(conn, scope, filt, as_of=as_of, live=live, sources=sources).get("", (_EMPTY, _EMPTY, _EMPTY))
    return measures_from_counts(*rows)


def by_group(conn: psycopg.Connection[Any], scope: Scope, filt: MeasureFilter, group_by: str, *,
             as_of: datetime | None = None, live: bool = False) -> dict[str, dict[str, Measure]]:
    """Every measure per group (``township`` code, ``r7``/``r8``/``r9`` cell as decimal text, ``month``)."""
    return {grp: measures_from_counts(*rows)
            for grp, rows in counts(conn, scope, filt, group_by=group_by, as_of=as_of, live=live).items()}


def coverage_counts(conn: psycopg.Connection[Any], scope: Scope, filt: MeasureFilter,
                    group_by: str) -> dict[str, dict[str, Any]]:
    """Enterprise and covered-enterprise counts per risk grade per group (for blind spots, inspection ratios)."""
    params = _params(scope, filt, group_by, None)
    return {(r.pop("grp") or ""): r for r in fetch_all(conn, "measure_coverage", params)}


def defer_preaggregates(conn: psycopg.Connection[Any]) -> None:
    """For a bulk load: switch the measure pre-aggregate triggers off until the end of the current transaction.

    Call ``rebuild_preaggregates`` for the county before committing (migration 406).
    """
    conn.execute("SELECT set_config('gridcommand.defer_measures', 'on', true)")


def rebuild_preaggregates(conn: psycopg.Connection[Any], county_code: str) -> None:
    """Recompute the county's repeat flags, enterprise counts and monthly coverage rows from the source tables."""
    conn.execute("SELECT measure_preaggregates_rebuild(%s)", (county_code,))
