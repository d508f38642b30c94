"""A real live feed for the live-map test and benchmark (issue 13): alerts, incident updates and team moves
written straight through SQL at a fixed rate, so the statement triggers announce them as any writer's would.

``feed_county`` builds a small county of its own (code 330796, three townships, 60 teams) in any database, so
the e2e test can run next to the shared demo without touching its data; ``seed_history`` gives a county a
week of alerts and incidents; ``LiveFeed`` is the writer thread.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import h3.api.basic_int as h3
import psycopg

from geo_data.db import connect
from tests.map_scenario import ring_wkt

COUNTY = "330796"
TOWNS = ("330796001", "330796002", "330796003")
WEST, SOUTH, EAST, NORTH = 119.30, 29.30, 119.45, 29.40
TYPES = (("road", "占道经营", "Street vending"), ("smoke", "消防通道堵塞", "Blocked fire lane"))
SEVERITIES = (("low", 0.3), ("medium", 0.45), ("high", 0.2), ("urgent", 0.05))
KINDS = ("drone", "ai_camera", "sensor", "complaint")


def _box(w: float, s: float, e: float, n: float) -> str:
    return f"MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"


def feed_county(conn: psycopg.Connection[Any], *, teams: int = 60) -> str:
    """County 330796 (测试联动县) with three townships, two alert types and ``teams`` teams; idempotent."""
    if conn.execute("SELECT 1 FROM counties WHERE code = %s", (COUNTY,)).fetchone():
        return COUNTY
    conn.execute("INSERT INTO counties (code, name, city_name, geom) VALUES (%s, '测试联动县', '测试市',"
                 " ST_GeomFromText(%s, 4326))", (COUNTY, _box(WEST, SOUTH, EAST, NORTH)))
    step = (EAST - WEST) / len(TOWNS)
    for i, (code, name) in enumerate(zip(TOWNS, ("北街街道", "南湖镇", "西山乡"), strict=True)):
        conn.execute("INSERT INTO townships (code, county_code, name, geom, generated) VALUES"
                     " (%s, %s, %s, ST_GeomFromText(%s, 4326), true)",
                     (code, COUNTY, name, _box(WEST + i * step, SOUTH, WEST + (i + 1) * step, NORTH)))
    for code, name, name_en in TYPES:
        conn.execute("INSERT INTO alert_types (code, name, name_en) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                     (code, name, name_en))
    cells: dict[int, int] = {}   # the choropleth's cells: every res 7/8/9 cell whose centre is inside
    lat = SOUTH
    while lat <= NORTH:
        lng = WEST
        while lng <= EAST:
            for res in (7, 8, 9):
                c = h3.latlng_to_cell(lat, lng, res)
                clat, clng = h3.cell_to_latlng(c)
                if WEST <= clng <= EAST and SOUTH <= clat <= NORTH:
                    cells[c] = res
            lng += 0.0015
        lat += 0.0015
    rnd = random.Random(5)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO h3_cells (cell, res, county_code, township_code, geom) VALUES (%s, %s, %s, %s,"
            " ST_GeomFromText(%s, 4326))",
            [(c, r, COUNTY, TOWNS[min(2, int((h3.cell_to_latlng(c)[1] - WEST) / step))], ring_wkt(c))
             for c, r in cells.items()])
        cur.executemany(
            "INSERT INTO teams (county_code, township_code, name, kind, base, base_h3_r9, status, position)"
            " VALUES (%s, %s, %s, 'township', ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0, 'idle',"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            [(COUNTY, TOWNS[k % 3], f"联动{k:02d}队", x, y, x, y)
             for k in range(teams) for x, y in [(rnd.uniform(WEST, EAST), rnd.uniform(SOUTH, NORTH))]])
    return COUNTY


@dataclass
class _Area:
    county: str
    points: list[tuple[float, float, str]]      # lng, lat, township
    types: list[str]
    teams: list[int]


def _area(conn: psycopg.Connection[Any], county: str) -> _Area:
    pts = conn.execute(
        "SELECT ST_X(p.geom) AS lng, ST_Y(p.geom) AS lat, t.code FROM townships t,"
        " LATERAL ST_Dump(ST_GeneratePoints(t.geom, 400, 7)) p WHERE t.county_code = %s", (county,)).fetchall()
    types = [r["code"] for r in conn.execute("SELECT code FROM alert_types ORDER BY code")]
    teams = [r["id"] for r in conn.execute("SELECT id FROM teams WHERE county_code = %s AND active ORDER BY id",
                                           (county,))]
    return _Area(county, [(r["lng"], r["lat"], r["code"]) for r in pts], types, teams)


def _cells(lng: float, lat: float) -> list[int]:
    return [h3.latlng_to_cell(lat, lng, r) for r in (7, 8, 9)]


INSERT_INCIDENT = (
    "INSERT INTO incidents (county_code, township_code, type_code, severity, status, first_seen, last_seen, sources,"
    " geom, h3_r7, h3_r8, h3_r9, sla_due_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
    " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s, %s) RETURNING id")
INSERT_ALERT = (
    "INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code, observed_at,"
    " severity, incident_id, description, evidence_url, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, %s, 'feed', %s, %s,"
    " %s, %s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s) RETURNING id")


def _new_alert(conn: psycopg.Connection[Any], area: _Area, rnd: random.Random, *, at: datetime, source_id: str,
               severity: str | None = None, status: str = "open") -> tuple[int, int]:
    """One alert with its own incident; returns (alert id, incident id)."""
    lng, lat, town = rnd.choice(area.points)
    sev = severity or rnd.choices([s for s, _ in SEVERITIES], weights=[w for _, w in SEVERITIES])[0]
    kind, type_code = rnd.choice(KINDS), rnd.choice(area.types)
    cells = _cells(lng, lat)
    inc = conn.execute(INSERT_INCIDENT, (area.county, town, type_code, sev, status, at, at, [kind], lng, lat, *cells,
                                         at + timedelta(hours=2))).fetchone()
    assert inc is not None
    alert = conn.execute(INSERT_ALERT, (area.county, town, source_id, kind, type_code, at, sev, inc["id"],
                                        "无人机巡航发现", f"https://evidence.example.cn/{source_id}.jpg", lng, lat,
                                        *cells)).fetchone()
    assert alert is not None
    return int(alert["id"]), int(inc["id"])


def seed_history(url: str, county: str, *, alerts: int, days: float = 6.5, seed: int = 3) -> list[int]:
    """``alerts`` alerts (each with its incident: 40 % open, 10 % dispatched, the rest closed) spread over the
    last ``days`` days, none between 20 and 28 hours ago (so a "last 24 h" window holds the same alerts for hours
    and a test comparing it with the database never meets one that ages out meanwhile); returns the alert ids."""
    rnd = random.Random(seed)
    now = datetime.now().astimezone()
    ids: list[int] = []
    with connect(url) as conn:
        area = _area(conn, county)
        for k in range(alerts):
            status = rnd.choices(["open", "dispatched", "closed"], weights=[4, 1, 5])[0]
            age = rnd.uniform(60, days * 86400 - 8 * 3600)
            at = now - timedelta(seconds=age if age < 20 * 3600 else age + 8 * 3600)
            ids.append(_new_alert(conn, area, rnd, at=at, source_id=f"hist-{seed}-{k}", status=status)[0])
        conn.commit()
    return ids


@dataclass(eq=False)
class LiveFeed(threading.Thread):
    """Writes ``rate`` changed rows per second (ticks of 100 ms, one transaction each): 30 % new alerts (an
    alert and its new incident: two rows), 20 % incident updates (a further report or a status step), 50 %
    team moves. ``alerts``/``incidents`` list what it created; ``changes`` counts rows written."""

    url: str
    county: str
    rate: float = 50.0
    seed: int = 1
    alerts: list[int] = field(default_factory=list)
    incidents: list[int] = field(default_factory=list)   # the feed's own and any given to bump
    new_share: float = 0.3      # share of draws that post a new alert with its incident (0: a steady set of ids)
    changes: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, name="live-feed", daemon=True)
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._halt.set()
        self.join(10)

    def run(self) -> None:
        rnd = random.Random(self.seed)
        try:
            with connect(self.url) as conn:
                area = _area(conn, self.county)
                conn.commit()
                carry, n, start = 0.0, 0, time.monotonic()
                while not self._halt.is_set():
                    carry += self.rate / 10
                    todo, carry = int(carry), carry - int(carry)
                    with self._lock:
                        self._tick(conn, area, rnd, todo)
                        conn.commit()
                    n += 1
                    self._halt.wait(max(0.0, start + n * 0.1 - time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - the test reads errors and fails with them
            self.errors.append(repr(exc))

    def _tick(self, conn: psycopg.Connection[Any], area: _Area, rnd: random.Random, todo: int) -> None:
        now = datetime.now().astimezone()
        moves: list[tuple[float, float, int]] = []
        bumps: list[int] = []
        while todo > 0:
            r = rnd.random()
            if r < self.new_share and todo >= 2:
                a, i = _new_alert(conn, area, rnd, at=now, source_id=f"feed-{self.seed}-{time.time_ns()}")
                self.alerts.append(a)
                self.incidents.append(i)
                todo -= 2
            elif r < self.new_share + 0.2 and self.incidents:
                bumps.append(rnd.choice(self.incidents[-300:]))
                todo -= 1
            else:
                lng, lat, _town = rnd.choice(area.points)
                moves.append((lng, lat, rnd.choice(area.teams)))
                todo -= 1
        if bumps:
            conn.execute(
                "UPDATE incidents SET alert_count = alert_count + 1, last_seen = greatest(last_seen, %s),"
                " status = CASE WHEN random() < 0.3 AND status = 'open' THEN 'dispatched' ELSE status END"
                " WHERE id = ANY(%s) AND status IN ('open', 'dispatched')", (now, sorted(set(bumps))))
        if moves:
            conn.execute(
                "UPDATE teams t SET position = ST_SetSRID(ST_MakePoint(m.lng, m.lat), 4326), position_at = %s,"
                " status = 'out' FROM (SELECT DISTINCT ON (id) * FROM unnest(%s::float8[], %s::float8[], %s::bigint[])"
                " AS m(lng, lat, id)) m WHERE t.id = m.id",
                (now, [m[0] for m in moves], [m[1] for m in moves], [m[2] for m in moves]))
        self.changes += len(moves) + len(bumps)
        self.changes += 2 * (len(self.alerts) - getattr(self, "_counted", 0))
        self._counted = len(self.alerts)

    def post_urgent(self) -> tuple[int, int, float]:
        """One urgent alert with its incident, committed now; returns (alert id, incident id, epoch s of the
        commit)."""
        with self._lock, connect(self.url) as conn:
            area = _area(conn, self.county)
            a, i = _new_alert(conn, area, random.Random(), at=datetime.now().astimezone(),
                              source_id=f"urgent-{time.time_ns()}", severity="urgent")
            conn.commit()
            return a, i, time.time()
