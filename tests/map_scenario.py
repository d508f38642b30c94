"""A small, meaningful county for the map/wall tests: county 330799 (not the demo's), two townships, H3 cells,
enterprises (one with an HTML-injection name), teams, visits, alerts and incidents.

Used by tests/callbacks/test_map_callbacks.py and tests/e2e/test_map_page.py / test_wall.py until (and
independently of) the shared demo county.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import h3.api.basic_int as h3
import psycopg

from geo_data.coords import cell_boundary_lnglat

COUNTY = "330799"
TOWN_W, TOWN_E = "330799001", "330799002"
WEST, SOUTH, EAST, NORTH = 119.60, 29.05, 119.70, 29.12
MID = (WEST + EAST) / 2
EVIL = "<img src=x onerror=alert(1)>"
N_ENTERPRISES = 400


def _uscc_safe(i: int) -> str:
    """An 18-character code in the USCC alphabet (the table checks the alphabet; the check digit is not needed)."""
    return f"91330799MA{i:07d}X"


def _poly(w: float, s: float, e: float, n: float) -> str:
    return f"MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"


def ring_wkt(cell: int) -> str:
    return "POLYGON((" + ",".join(f"{x} {y}" for x, y in cell_boundary_lnglat(cell)) + "))"


def load(conn: psycopg.Connection[Any], *, seed: int = 11) -> dict[str, Any]:
    """Insert the scenario (idempotent: does nothing when the county exists); returns handy ids."""
    if conn.execute("SELECT 1 FROM counties WHERE code = %s", (COUNTY,)).fetchone():
        return _handles(conn)
    rnd = random.Random(seed)
    conn.execute("INSERT INTO counties (code, name, city_name, geom) VALUES (%s, '测试县', '测试市', "
                 "ST_GeomFromText(%s, 4326))", (COUNTY, _poly(WEST, SOUTH, EAST, NORTH)))
    for code, name, w, e in ((TOWN_W, "西城街道", WEST, MID), (TOWN_E, "东湖镇", MID, EAST)):
        conn.execute("INSERT INTO townships (code, county_code, name, geom, generated) VALUES "
                     "(%s, %s, %s, ST_GeomFromText(%s, 4326), true)", (code, COUNTY, name, _poly(w, SOUTH, e, NORTH)))
    conn.execute("INSERT INTO departments (code, name, name_en) VALUES ('market', '市场监管', 'Market'),"
                 " ('fire', '消防救援', 'Fire') ON CONFLICT DO NOTHING")
    conn.execute("INSERT INTO industries (code, name, name_en) VALUES ('food', '餐饮', 'Catering') "
                 "ON CONFLICT DO NOTHING")
    conn.execute("INSERT INTO alert_types (code, name, name_en) VALUES ('road', '占道经营', 'Street vending'),"
                 " ('smoke', '消防通道堵塞', 'Blocked fire lane') ON CONFLICT DO NOTHING")
    # cells: every res 7/8/9 cell whose centre is inside the county
    cells: dict[int, int] = {}
    lat = SOUTH
    while lat <= NORTH:
        lng = WEST
        while lng <= EAST:
            for res in (7, 8, 9):
                c = h3.latlng_to_cell(lat, lng, res)
                clat, clng = h3.cell_to_latlng(c)
                if WEST <= clng <= EAST and SOUTH <= clat <= NORTH:
                    cells[c] = res
            lng += 0.0012
        lat += 0.0012
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO h3_cells (cell, res, county_code, township_code, geom) VALUES "
            "(%s, %s, %s, %s, ST_GeomFromText(%s, 4326))",
            [(c, r, COUNTY, TOWN_W if h3.cell_to_latlng(c)[1] < MID else TOWN_E, ring_wkt(c)) for c, r in cells.items()])
        rows = []
        for i in range(N_ENTERPRISES):
            clat = rnd.uniform(SOUTH + 0.003, NORTH - 0.003)
            clng = rnd.uniform(WEST + 0.003, EAST - 0.003)
            name = EVIL if i == 0 else f"测试企业{i:03d}"
            risk = rnd.choice(["high", "elevated", "general", "low"])
            rows.append((COUNTY, TOWN_W if clng < MID else TOWN_E, _uscc_safe(i), name, "food", risk,
                         rnd.choice("ABCD"), clng, clat, h3.latlng_to_cell(clat, clng, 7),
                         h3.latlng_to_cell(clat, clng, 8), h3.latlng_to_cell(clat, clng, 9)))
        # the evil enterprise sits at a known spot in the west township
        rows[0] = (COUNTY, TOWN_W, *rows[0][2:7], 119.62, 29.08, h3.latlng_to_cell(29.08, 119.62, 7),
                   h3.latlng_to_cell(29.08, 119.62, 8), h3.latlng_to_cell(29.08, 119.62, 9))
        cur.executemany(
            "INSERT INTO enterprises (county_code, township_code, uscc, name, industry_code, risk, credit, geom,"
            " h3_r7, h3_r8, h3_r9) VALUES (%s, %s, %s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326),"
            " %s, %s, %s)", rows)
    conn.execute(
        "INSERT INTO teams (county_code, township_code, name, kind, base, base_h3_r9, status, position) VALUES"
        " (%(c)s, %(w)s, '西城综合执法队', 'township', ST_SetSRID(ST_MakePoint(119.62, 29.07), 4326), 0, 'idle',"
        "  ST_SetSRID(ST_MakePoint(119.621, 29.071), 4326)),"
        " (%(c)s, %(e)s, '东湖综合执法队', 'township', ST_SetSRID(ST_MakePoint(119.68, 29.09), 4326), 0, 'on_site',"
        "  NULL)", {"c": COUNTY, "w": TOWN_W, "e": TOWN_E})
    today = datetime.now().astimezone()
    ents = conn.execute("SELECT id, township_code, h3_r7, h3_r8, h3_r9, ST_X(geom) AS lng, ST_Y(geom) AS lat "
                        "FROM enterprises WHERE county_code = %s ORDER BY id", (COUNTY,)).fetchall()
    with conn.cursor() as cur:
        visits = []
        for k, e in enumerate(ents[:120]):
            for j, dept in enumerate(("market", "fire")[: 1 + (k % 3 == 0)]):
                day = (today - timedelta(days=2 + k % 20 + j * 3)).date()
                visits.append((COUNTY, e["township_code"], e["id"], day, dept, [dept] if k % 4 else ["market", "fire"]
                               if dept == "market" else [dept], k % 5 != 0, e["lng"], e["lat"], e["h3_r7"], e["h3_r8"],
                               e["h3_r9"]))
        cur.executemany(
            "INSERT INTO visits (county_code, township_code, enterprise_id, visit_date, lead_department, departments,"
            " code_scanned, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)", visits)
    for n, (e, sev, kind) in enumerate(((ents[1], "high", "drone"), (ents[2], "medium", "ai_camera"),
                                        (ents[3], "urgent", "complaint"))):
        add_alert(conn, lng=e["lng"], lat=e["lat"], township=e["township_code"], severity=sev, source_kind=kind,
                  source_id=f"seed-{n}", at=today - timedelta(hours=n + 1))
    refresh_counts(conn)
    return _handles(conn)


def add_alert(conn: psycopg.Connection[Any], *, lng: float, lat: float, township: str, severity: str = "high",
              source_kind: str = "drone", source_id: str, at: datetime | None = None,
              with_incident: bool = True) -> int:
    """One alert (and its incident) inserted straight through SQL, as another tool would."""
    at = at or datetime.now().astimezone()
    cells = [h3.latlng_to_cell(lat, lng, r) for r in (7, 8, 9)]
    incident_id = None
    if with_incident:
        incident_id = conn.execute(
            "INSERT INTO incidents (county_code, township_code, type_code, severity, first_seen, last_seen, sources,"
            " geom, h3_r7, h3_r8, h3_r9, sla_due_at) VALUES (%s, %s, 'road', %s, %s, %s, %s,"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s, %s) RETURNING id",
            (COUNTY, township, severity, at, at, [source_kind], lng, lat, *cells, at + timedelta(hours=2)),
        ).fetchone()["id"]
    return int(conn.execute(
        "INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code, observed_at,"
        " severity, incident_id, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, %s, 'test', %s, %s, 'road', %s, %s, %s,"
        " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s) RETURNING id",
        (COUNTY, township, source_id, source_kind, at, severity, incident_id, lng, lat, *cells),
    ).fetchone()["id"])


def refresh_counts(conn: psycopg.Connection[Any]) -> None:
    for res in (7, 8, 9):
        col = f"h3_r{res}"
        conn.execute(
            f"UPDATE h3_cells c SET ent_total = s.total, ent_high = s.high FROM ("  # noqa: S608 - fixed names
            f" SELECT {col} AS cell, count(*) AS total, count(*) FILTER (WHERE risk = 'high') AS high"
            f" FROM enterprises WHERE county_code = %s GROUP BY 1) s WHERE c.cell = s.cell", (COUNTY,))
        conn.execute(
            f"UPDATE h3_cells c SET visits = s.n FROM (SELECT {col} AS cell, count(*) AS n FROM visits"  # noqa: S608
            f" WHERE county_code = %s GROUP BY 1) s WHERE c.cell = s.cell", (COUNTY,))
        conn.execute(
            f"UPDATE h3_cells c SET alerts = s.n, alerts_open = s.n FROM (SELECT {col} AS cell, count(*) AS n"  # noqa: S608
            f" FROM alerts WHERE county_code = %s GROUP BY 1) s WHERE c.cell = s.cell", (COUNTY,))


def _handles(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    evil = conn.execute("SELECT id FROM enterprises WHERE county_code = %s AND name = %s", (COUNTY, EVIL)).fetchone()
    return {"county": COUNTY, "town_w": TOWN_W, "town_e": TOWN_E, "evil_id": evil["id"] if evil else None}


# -- a live server on the scenario (started once per test run) -------------------------------------------------

PASSWORD = "correct-horse-battery"


@contextmanager
def live_server(settings: Any, db_url: str) -> Iterator[str]:
    """The product as ``make run`` serves it (``tests.served``) with the scenario loaded in ``db_url``; its base
    URL while the block runs."""
    from geo_data.db import connect
    from tests.served import served

    with connect(db_url) as c:
        load(c)
        c.commit()
    with served(db_url, Path(settings.db.data_dir) / f"scenario-{database_name(db_url)}") as instance:
        yield instance.base_url


def database_name(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url)["dbname"])


def user(db_url: str, role: str, township: str | None = None) -> str:
    """A new user of the scenario county with PASSWORD."""
    import secrets

    from geo_data.db import connect
    from geo_data.users import create_user
    from tests.auth_steps import TWO_FACTOR_ROLES, enrol_for_tests

    name = f"map_{role[:6]}_{secrets.token_hex(3)}"
    with connect(db_url) as c:
        create_user(c, username=name, password=PASSWORD, role=role, county_code=COUNTY, township_code=township)
        if role in TWO_FACTOR_ROLES:  # these roles log in with two factors (issue 16)
            enrol_for_tests(c, name)
        c.commit()
    return name


WINDOW = (1600, 1000)   # the shared browser's window; every test starts at it (tests/conftest.py ``browser``)


def headless_chromium(*extra_flags: str) -> Any:
    """Headless Debian Chromium through Debian's chromedriver (selenium), 1600×1000, zh-CN; the tests' browser
    and the browser benchmarks use this one setup."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages: driver.get_log("browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={WINDOW[0]},{WINDOW[1]}", "--lang=zh-CN", *extra_flags):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(30)
    return driver


def console_errors(driver: Any) -> list[str]:
    """Console errors (and uncaught exceptions) the page logged since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def browser_login(browser: Any, base: str, username: str, path: str = "/", db_url: str | None = None) -> Any:
    """Log in through the real form (and the code step when the role has two factors); returns once the browser
    has left the login pages, so the session cookie is set before the caller's next request."""
    from urllib.parse import urlsplit

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def at(b: Any) -> str:
        return urlsplit(b.current_url).path

    browser.delete_all_cookies()
    browser.get(f"{base}/login?next={path}")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    # not url_contains("/"): every URL, the login page's own included, contains it
    WebDriverWait(browser, 15).until(lambda b: at(b) == "/login/totp" or not at(b).startswith("/login"))
    if at(browser) == "/login/totp":
        from tests.auth_steps import browser_second_step

        assert db_url, f"{username} logs in with two factors: pass db_url= to browser_login"
        browser_second_step(browser, db_url, username)
        WebDriverWait(browser, 15).until(lambda b: not at(b).startswith("/login"))
    assert at(browser).startswith(path.split("?")[0]), f"{username} landed on {browser.current_url}, not {path}"
    return browser
