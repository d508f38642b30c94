"""行政行为码 (inspection codes): issue a code per routed visit, the QR, scan-in and the enterprise's rating.

Code format: ``ZJ`` + county code (6 digits) + visit date (YYYYMMDD) + 10 random base32 characters
(``A-Z2-7``, 50 bits from ``secrets``), e.g. ``ZJ33070220260302K3M9QX2BTA``. Unique by primary key.

Threat model (the code is the capability): anyone holding the code — printed on the visit sheet, shown by
the inspector (亮码) — may record the scan-in and, afterwards, one rating. The code reveals nothing by
itself; the scan endpoint answers only accepted/refused with a reason. Guessing is infeasible (50 random
bits per county and day); a leaked code allows at most one scan-in, and only at the enterprise (≤ 200 m and
within the H3 res-9 ring-1 neighbourhood of its cell) on the visit's day, plus one rating after it. Every
attempt is recorded and each (code, client address) takes at most ``code_attempts_per_10min`` attempts per ten
minutes (429): a stranger cannot use up the inspector's attempts.
A client-supplied time ``at`` (queued offline scans) must lie within the last 12 hours and not in the future.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import h3.api.basic_int as h3_int
import psycopg

from enforcement.local_time import SHANGHAI
from enforcement.visit_inspectors import Member, visit_inspectors
from geo_data.coords import h3_cells, to_wgs84
from geo_data.db import execute, fetch_all, fetch_one, int_array
from geo_data.errors import Conflict, InvalidInput, NotFound
from geo_data.scope import Scope
from geo_data.travel import haversine_m

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
REASON_ORDER = ("complaint", "alert", "special", "random", "annual")
MAX_COMMENT = 500
MAX_AT_AGE = timedelta(hours=12)
MAX_AT_AHEAD = timedelta(minutes=5)


class RateLimited(Conflict):
    """Too many attempts on one code in a short time."""


class Refused(InvalidInput):
    """A scan-in that is well-formed but not accepted (too far, wrong day)."""


def new_code(county_code: str, day: date) -> str:
    tail = "".join(secrets.choice(BASE32) for _ in range(10))
    return f"ZJ{county_code}{day:%Y%m%d}{tail}"


def _main_reason(reasons: list[str]) -> str:
    return next((r for r in REASON_ORDER if r in (reasons or [])), "annual")


def issue_codes(conn: psycopg.Connection[Any], scope: Scope, plan_id: int) -> int:
    """A code and a planned ``visits`` row for every routed visit of the plan without one; returns how many."""
    rows = fetch_all(conn, "visit_codes_to_issue", {"plan_id": plan_id, "county_code": scope.county_code})
    params = [{"plan_visit_id": r["id"], "code": new_code(scope.county_code, r["visit_date"]),
               "reason": _main_reason(r["reasons"]),
               "inspector_ids": int_array(visit_inspectors(
                   lead_department=r["lead_department"], departments=r["departments"], team_id=r["team_id"],
                   drawn=r["drawn"], members=[Member(m["id"], m["team_id"], m["department"],
                                                     tuple(m["qualifications"] or ())) for m in r["members"]]))}
              for r in rows]
    if params:
        from geo_data.db import sql_text

        with conn.cursor() as cur:
            cur.executemany(sql_text("visit_code_issue").encode(), params)
    return len(params)


def code_details(conn: psycopg.Connection[Any], scope: Scope, code: str) -> dict[str, Any]:
    """The code's enterprise, team, inspectors, items and legal bases (for the sheet); NotFound outside scope."""
    row = fetch_one(conn, "visit_code_details", {"code": code, "county_code": scope.county_code})
    if row is None or (scope.township_code and row["township_code"] != scope.township_code):
        raise NotFound(f"no visit code {code}")
    return row


@dataclass(frozen=True)
class ScanVerdict:
    accepted: bool
    reason: str
    distance_m: float


def scan_verdict(*, ent_lng: float, ent_lat: float, ent_cell: int, lng: float, lat: float, at: datetime,
                 visit_date: date, max_distance_m: float) -> ScanVerdict:
    """Accept a scan only near the enterprise (distance AND H3 res-9 ring 1) and on the visit's day."""
    distance = haversine_m(ent_lng, ent_lat, lng, lat)
    cell = int(h3_cells([lat], [lng], 9)[0])
    local_day = at.astimezone(SHANGHAI).date()
    if local_day != visit_date:
        return ScanVerdict(False, f"不在检查当日 not on the visit's day ({visit_date.isoformat()}, "
                                  f"scan on {local_day.isoformat()} Asia/Shanghai)", distance)
    if distance > max_distance_m:
        return ScanVerdict(False, f"距离企业过远 too far from the enterprise: {distance:.0f} m "
                                  f"(at most {max_distance_m:.0f} m)", distance)
    if cell not in set(h3_int.grid_disk(int(ent_cell), 1)):
        return ScanVerdict(False, "不在企业所在网格邻域 outside the enterprise's H3 neighbourhood", distance)
    return ScanVerdict(True, "", distance)


def _limit(conn: psycopg.Connection[Any], code: str, limit: int, addr: str) -> None:
    """At most ``limit`` attempts per (code, client address) in ten minutes: a stranger's bad requests slow only
    the stranger, never the inspector's scan-in or the enterprise's rating from their own phones."""
    row = fetch_one(conn, "visit_code_attempts_recent", {"code": code, "remote_addr": addr[:64]})
    if row is not None and int(row["n"]) >= limit:
        raise RateLimited(f"too many attempts on code {code} from this address; try again in 10 minutes")


def _attempt(conn: psycopg.Connection[Any], code: str, kind: str, accepted: bool, reason: str, addr: str) -> None:
    execute(conn, "visit_code_attempt_insert", {"code": code, "kind": kind, "accepted": accepted,
                                                "reason": reason[:300], "remote_addr": addr[:64]})


def record_scan(conn: psycopg.Connection[Any], code: str, *, lng: float, lat: float, datum: str = "wgs84",
                at: datetime | None = None, max_distance_m: float = 200.0, attempts_limit: int = 10,
                remote_addr: str = "") -> ScanVerdict:
    """Record a scan-in. Raises NotFound, RateLimited, Conflict (already scanned), Refused (far / wrong day).

    A refusal is recorded as an attempt; the caller commits either way (the attempt row must survive).
    """
    row = fetch_one(conn, "visit_code_for_scan", {"code": code})
    if row is None:
        raise NotFound("unknown code")
    _limit(conn, code, attempts_limit, remote_addr)
    now = datetime.now(UTC)
    when = now if at is None else at
    if when.tzinfo is None:
        when = when.replace(tzinfo=SHANGHAI)
    if when > now + MAX_AT_AHEAD or when < now - MAX_AT_AGE:
        _attempt(conn, code, "scan", False, "bad time", remote_addr)
        raise InvalidInput("at: must be within the last 12 hours and not in the future")
    wlng, wlat = to_wgs84(float(lng), float(lat), datum)
    if not (math.isfinite(wlng) and math.isfinite(wlat)):
        raise InvalidInput("lng/lat: must be finite numbers")
    if row["scanned_at"] is not None:
        _attempt(conn, code, "scan", False, "already scanned", remote_addr)
        raise Conflict(f"code already scanned at {row['scanned_at'].astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
    verdict = scan_verdict(ent_lng=float(row["lng"]), ent_lat=float(row["lat"]), ent_cell=int(row["h3_r9"]),
                           lng=wlng, lat=wlat, at=when, visit_date=row["visit_date"],
                           max_distance_m=max_distance_m)
    _attempt(conn, code, "scan", verdict.accepted, verdict.reason, remote_addr)
    if not verdict.accepted:
        raise Refused(verdict.reason)
    execute(conn, "visit_code_scan_set", {"code": code, "at": when, "lng": wlng, "lat": wlat,
                                          "distance_m": round(verdict.distance_m, 1)})
    return verdict


def record_rating(conn: psycopg.Connection[Any], code: str, *, rating: int, comment: str = "",
                  attempts_limit: int = 10, remote_addr: str = "") -> None:
    """The enterprise's rating, once, after the visit (scanned in, or its day is over)."""
    row = fetch_one(conn, "visit_code_for_scan", {"code": code})
    if row is None:
        raise NotFound("unknown code")
    _limit(conn, code, attempts_limit, remote_addr)
    if not 1 <= rating <= 5:
        raise InvalidInput("rating: must be 1..5")
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment: at most {MAX_COMMENT} characters")
    if row["rating"] is not None:
        _attempt(conn, code, "rating", False, "already rated", remote_addr)
        raise Conflict("this visit has already been rated")
    today = datetime.now(SHANGHAI).date()
    if row["scanned_at"] is None and row["visit_date"] >= today:
        _attempt(conn, code, "rating", False, "visit not yet made", remote_addr)
        raise Refused("评价须在检查之后 the visit has not taken place yet")
    _attempt(conn, code, "rating", True, "", remote_addr)
    execute(conn, "visit_code_rating_set", {"code": code, "rating": rating, "comment": comment})
