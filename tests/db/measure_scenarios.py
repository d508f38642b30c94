"""Small hand-built scenarios for the measure and coverage tests: an isolated fake county per scenario.

Each scenario gets its own county code (``3399NN``), so scenarios never see each other's rows even though
they share the run's database.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from geo_data.coords import h3_cells

DEPTS = {"tm_market": "测试市场监管", "tm_fire": "测试消防救援", "tm_ecology": "测试生态环境"}
_county_seq = itertools.count(1)
_uscc_seq = itertools.count(1)


def _square(lng: float, lat: float, d: float) -> str:
    return (f"SRID=4326;MULTIPOLYGON((({lng} {lat},{lng + d} {lat},{lng + d} {lat + d},{lng} {lat + d},"
            f"{lng} {lat})))")


class Scenario:
    """A fake county (two townships, a few reference rows) and helpers to add rows to it."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        n = next(_county_seq)
        self.county = f"3399{n:02d}"
        self.towns = [f"{self.county}001", f"{self.county}002"]
        self.lng0, self.lat0 = 119.5 + 0.01 * n, 29.0
        conn.execute("INSERT INTO counties (code, name, geom) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                     (self.county, f"测试县{n}", _square(self.lng0, self.lat0, 0.2)))
        for i, t in enumerate(self.towns):
            conn.execute("INSERT INTO townships (code, county_code, name, geom) VALUES (%s, %s, %s, %s)"
                         " ON CONFLICT DO NOTHING",
                         (t, self.county, f"测试镇{n}-{i}", _square(self.lng0 + 0.1 * i, self.lat0, 0.1)))
        for code, name in DEPTS.items():
            conn.execute("INSERT INTO departments (code, name, name_en) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                         (code, name, code))
        conn.execute("INSERT INTO industries (code, name, name_en) VALUES ('tm_food', '测试餐饮', 'food'),"
                     " ('tm_chem', '测试化工', 'chem') ON CONFLICT DO NOTHING")
        conn.execute("INSERT INTO alert_types (code, name, name_en, departments) VALUES"
                     " ('tm_fire_lane', '测试消防通道堵塞', 'fire lane', '{tm_fire}') ON CONFLICT DO NOTHING")

    def point(self, town: int, dx: float, dy: float) -> tuple[float, float]:
        return self.lng0 + 0.1 * town + 0.01 + dx, self.lat0 + 0.01 + dy

    def cells(self, lng: float, lat: float) -> dict[str, int]:
        return {f"h3_r{r}": int(h3_cells([lat], [lng], r)[0]) for r in (7, 8, 9)}

    def enterprise(self, *, town: int = 0, risk: str = "general", industry: str = "tm_food",
                   dx: float = 0.0, dy: float = 0.0) -> int:
        lng, lat = self.point(town, dx, dy)
        uscc = f"91{next(_uscc_seq):016d}"
        row = self.conn.execute(
            "INSERT INTO enterprises (county_code, township_code, uscc, name, industry_code, risk, credit, geom,"
            " h3_r7, h3_r8, h3_r9) VALUES (%(c)s, %(t)s, %(u)s, %(n)s, %(i)s, %(r)s, 'B',"
            " ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), %(h3_r7)s, %(h3_r8)s, %(h3_r9)s) RETURNING id",
            {"c": self.county, "t": self.towns[town], "u": uscc, "n": f"企业{uscc[-4:]}", "i": industry,
             "r": risk, "lng": lng, "lat": lat, **self.cells(lng, lat)}).fetchone()
        assert row is not None
        return int(row["id"])

    def _ent(self, enterprise_id: int) -> dict[str, Any]:
        row = self.conn.execute("SELECT township_code, ST_X(geom) AS lng, ST_Y(geom) AS lat, h3_r7, h3_r8, h3_r9"
                                " FROM enterprises WHERE id = %s", (enterprise_id,)).fetchone()
        assert row is not None
        return dict(row)

    def visit(self, enterprise_id: int, day: date, departments: list[str], *, status: str = "done",
              task_count: int = 1, planned: bool = True, from_draw: bool = False, reason: str = "annual",
              code_scanned: bool = True, rating: int | None = None) -> int:
        e = self._ent(enterprise_id)
        row = self.conn.execute(
            "INSERT INTO visits (county_code, township_code, enterprise_id, visit_date, lead_department,"
            " departments, status, reason, planned, from_draw, task_count, code_scanned, rating, geom,"
            " h3_r7, h3_r8, h3_r9) VALUES (%(c)s, %(t)s, %(e)s, %(d)s, %(lead)s, %(deps)s, %(s)s, %(reason)s,"
            " %(planned)s, %(draw)s, %(tasks)s, %(scan)s, %(rating)s, ST_SetSRID(ST_MakePoint(%(lng)s,"
            " %(lat)s), 4326), %(h3_r7)s, %(h3_r8)s, %(h3_r9)s) RETURNING id",
            {"c": self.county, "t": e["township_code"], "e": enterprise_id, "d": day, "lead": departments[0],
             "deps": departments, "s": status, "reason": reason, "planned": planned, "draw": from_draw,
             "tasks": task_count, "scan": code_scanned, "rating": rating, "lng": e["lng"], "lat": e["lat"],
             "h3_r7": e["h3_r7"], "h3_r8": e["h3_r8"], "h3_r9": e["h3_r9"]}).fetchone()
        assert row is not None
        return int(row["id"])

    def incident(self, *, created: datetime, sla_minutes: int = 60, on_site: datetime | None = None,
                 on_site_event: datetime | None = None, status: str = "open", closed: datetime | None = None,
                 enterprise_id: int | None = None, town: int = 0) -> int:
        lng, lat = self.point(town, 0.001, 0.001)
        row = self.conn.execute(
            "INSERT INTO incidents (county_code, township_code, type_code, severity, status, first_seen, last_seen,"
            " enterprise_id, geom, h3_r7, h3_r8, h3_r9, sla_due_at, on_site_at, closed_at, created_at)"
            " VALUES (%(c)s, %(t)s, 'tm_fire_lane', 'high', %(s)s, %(cr)s, %(cr)s, %(e)s,"
            " ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), %(h3_r7)s, %(h3_r8)s, %(h3_r9)s, %(due)s,"
            " %(on)s, %(closed)s, %(cr)s) RETURNING id",
            {"c": self.county, "t": self.towns[town], "s": status, "cr": created, "e": enterprise_id,
             "lng": lng, "lat": lat, **self.cells(lng, lat), "due": created + timedelta(minutes=sla_minutes),
             "on": on_site, "closed": closed}).fetchone()
        assert row is not None
        iid = int(row["id"])
        if on_site_event is not None:
            self.conn.execute("INSERT INTO dispatch_events (county_code, incident_id, at, actor, event)"
                              " VALUES (%s, %s, %s, 'test', 'on_site')", (self.county, iid, on_site_event))
        return iid

    def alert(self, *, enterprise_id: int, observed: datetime) -> None:
        e = self._ent(enterprise_id)
        self.conn.execute(
            "INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code,"
            " observed_at, severity, enterprise_id, geom, h3_r7, h3_r8, h3_r9) VALUES (%(c)s, %(t)s, 'test',"
            " %(sid)s, 'drone', 'tm_fire_lane', %(o)s, 'low', %(e)s, ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s),"
            " 4326), %(h3_r7)s, %(h3_r8)s, %(h3_r9)s)",
            {"c": self.county, "t": e["township_code"], "sid": f"{self.county}-{enterprise_id}-{observed}",
             "o": observed, "e": enterprise_id, "lng": e["lng"], "lat": e["lat"], "h3_r7": e["h3_r7"],
             "h3_r8": e["h3_r8"], "h3_r9": e["h3_r9"]})

    def monitor(self, cell: int, *, kind: str = "drone_track", valid_from: date, valid_to: date | None) -> None:
        self.conn.execute("INSERT INTO monitoring_coverage (cell, county_code, kind, source, valid_from, valid_to)"
                          " VALUES (%s, %s, %s, 'test', %s, %s)", (cell, self.county, kind, valid_from, valid_to))


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A wall-clock time in Asia/Shanghai as an aware datetime."""
    from zoneinfo import ZoneInfo

    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("Asia/Shanghai"))


AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
