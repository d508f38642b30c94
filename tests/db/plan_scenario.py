"""A small planning scenario of its own (county 339901) so planning tests do not depend on the demo data.

Two townships, three departments with items, a restaurant industry with busy hours, enterprises placed
around the township centres, a township team qualified for market + fire, a fire squad, inspectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from geo_data.coords import cells_all_res
from geo_data.uscc import _org_code_check_character, make_uscc

COUNTY = "339901"
T1, T2 = "339901001", "339901002"
CENTRE = {T1: (119.60, 29.10), T2: (119.70, 29.10)}
MARKET, FIRE, ECO = "plan_market", "plan_fire", "plan_eco"


@dataclass
class Scenario:
    county: str = COUNTY
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    teams: dict[str, int] = field(default_factory=dict)
    inspectors: list[int] = field(default_factory=list)

    def by_name(self, name: str) -> dict[str, Any]:
        return next(e for e in self.enterprises if e["name"] == name)


def uscc_for(n: int) -> str:
    body = f"{n:08d}"
    org = body + _org_code_check_character(body)
    return make_uscc("91" + COUNTY + org)


def _square(lng: float, lat: float, d: float) -> str:
    return (f"SRID=4326;MULTIPOLYGON((({lng - d} {lat - d},{lng + d} {lat - d},{lng + d} {lat + d},"
            f"{lng - d} {lat + d},{lng - d} {lat - d})))")


def _insert_enterprise(conn: psycopg.Connection[Any], n: int, name: str, township: str, lng: float, lat: float,
                       risk: str, credit: str, industry: str, no_visit: bool = False) -> dict[str, Any]:
    cells = cells_all_res([lat], [lng])
    row = conn.execute(
        "INSERT INTO enterprises (county_code, township_code, uscc, name, address, industry_code, risk, credit,"
        " no_visit, geom, h3_r7, h3_r8, h3_r9) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,"
        " ST_SetSRID(ST_MakePoint(%s,%s),4326),%s,%s,%s) RETURNING id",
        (COUNTY, township, uscc_for(n), name, f"{name}路{n}号", industry, risk, credit, no_visit, lng, lat,
         int(cells[7][0]), int(cells[8][0]), int(cells[9][0]))).fetchone()
    assert row is not None
    return {"id": int(row["id"]), "name": name, "uscc": uscc_for(n), "lng": lng, "lat": lat, "risk": risk,
            "credit": credit, "township": township}


def build(conn: psycopg.Connection[Any]) -> Scenario:
    """Create the scenario (idempotent per database: returns the existing one if already built)."""
    sc = Scenario()
    exists = conn.execute("SELECT 1 FROM counties WHERE code = %s", (COUNTY,)).fetchone()
    if not exists:
        conn.execute("INSERT INTO counties (code, name, geom) VALUES (%s, '规划测试县', %s::geometry)",
                     (COUNTY, _square(119.65, 29.10, 0.2)))
        for code, (lng, lat) in CENTRE.items():
            conn.execute("INSERT INTO townships (code, county_code, name, geom) VALUES (%s,%s,%s,%s::geometry)",
                         (code, COUNTY, f"测试镇{code[-1]}", _square(lng, lat, 0.05)))
        for code, name, en in ((MARKET, "市场监管（规划测）", "Market (plan test)"),
                               (FIRE, "消防救援（规划测）", "Fire (plan test)"),
                               (ECO, "生态环境（规划测）", "Ecology (plan test)")):
            conn.execute("INSERT INTO departments (code, name, name_en) VALUES (%s,%s,%s)", (code, name, en))
        for code, dept, name, minutes in (("PM01", MARKET, "食品经营许可检查（测）", 20),
                                          ("PM02", MARKET, "价格行为检查（测）", 15),
                                          ("PF01", FIRE, "消防通道检查（测）", 30),
                                          ("PE01", ECO, "排污许可检查（测）", 25)):
            conn.execute("INSERT INTO inspection_items (code, department_code, name, legal_basis, service_minutes)"
                         " VALUES (%s,%s,%s,%s,%s)", (code, dept, name, f"《{name}办法》第{minutes}条", minutes))
        conn.execute("INSERT INTO industries (code, name, name_en, busy_windows) VALUES"
                     " ('p_food', '餐饮（规划测）', 'Restaurants (plan test)', '[[\"11:00\",\"13:30\"],[\"17:00\",\"19:30\"]]'),"
                     " ('p_shop', '零售（规划测）', 'Retail (plan test)', '[]')")
    rows = conn.execute("SELECT id, name, uscc, ST_X(geom) AS lng, ST_Y(geom) AS lat, risk, credit, township_code"
                        " FROM enterprises WHERE county_code = %s ORDER BY id", (COUNTY,)).fetchall()
    if not rows:
        grades = [("high", "D"), ("elevated", "C"), ("general", "B"), ("low", "A")]
        for n in range(1, 41):
            township = T1 if n % 2 else T2
            lng0, lat0 = CENTRE[township]
            risk, credit = grades[n % 4]
            _insert_enterprise(conn, n, f"测试企业{n:02d}", township, lng0 + 0.002 * (n % 7) - 0.006,
                               lat0 + 0.002 * (n % 5) - 0.004, risk, credit, "p_food" if n % 3 == 0 else "p_shop",
                               no_visit=(n == 39))
        rows = conn.execute("SELECT id, name, uscc, ST_X(geom) AS lng, ST_Y(geom) AS lat, risk, credit,"
                            " township_code FROM enterprises WHERE county_code = %s ORDER BY id", (COUNTY,)).fetchall()
        for name, township, kind, dept, quals in (("测试综合队", T1, "township", None, [MARKET, FIRE]),
                                                  ("测试消防中队", None, "squad", FIRE, [FIRE])):
            lng, lat = CENTRE[township or T2]
            cell = cells_all_res([lat], [lng])[9][0]
            conn.execute("INSERT INTO teams (county_code, township_code, name, kind, department_code, qualifications,"
                         " base, base_h3_r9) VALUES (%s,%s,%s,%s,%s,%s, ST_SetSRID(ST_MakePoint(%s,%s),4326), %s)",
                         (COUNTY, township, name, kind, dept, quals, lng, lat, int(cell)))
        teams = {r["name"]: int(r["id"]) for r in conn.execute("SELECT id, name FROM teams WHERE county_code = %s",
                                                                (COUNTY,)).fetchall()}
        for i in range(1, 9):
            dept = MARKET if i <= 6 else FIRE
            team = teams["测试综合队"] if i % 2 else teams["测试消防中队"]
            conn.execute("INSERT INTO inspectors (county_code, team_id, name, badge_no, department_code,"
                         " qualifications) VALUES (%s,%s,%s,%s,%s,%s)",
                         (COUNTY, team, f"执法员{i}", f"ZF339901{i:03d}", dept, [dept]))
    sc.enterprises = [{"id": int(r["id"]), "name": r["name"], "uscc": r["uscc"], "lng": float(r["lng"]),
                       "lat": float(r["lat"]), "risk": r["risk"], "credit": r["credit"],
                       "township": r["township_code"]} for r in rows]
    sc.teams = {r["name"]: int(r["id"]) for r in conn.execute("SELECT id, name FROM teams WHERE county_code = %s",
                                                              (COUNTY,)).fetchall()}
    sc.inspectors = [int(r["id"]) for r in conn.execute("SELECT id FROM inspectors WHERE county_code = %s ORDER BY id",
                                                        (COUNTY,)).fetchall()]
    return sc


__all__ = ["build", "Scenario", "uscc_for", "COUNTY", "MARKET", "FIRE", "ECO"]
