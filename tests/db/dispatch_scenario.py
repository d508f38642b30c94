"""A small, self-contained county for the intake/dispatch tests (issue 4), independent of the demo loader.

County 339901 "测试县" is a 0.10° × 0.10° square at lng 120.00–120.10, lat 30.00–30.10, cut into four
townships (2 × 2): 339901001 SW, 339901002 SE, 339901003 NW, 339901004 NE (each touches two others, and
diagonally a third at one corner). Test-only departments and alert types carry a ``gt_`` prefix so they never
clash with the reference data another loader writes into the same database.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h3.api.basic_int as h3_int
import psycopg
from flask import Flask
from psycopg_pool import ConnectionPool

from geo_data.db import connect
from geo_data.settings import DatabaseSettings, DispatchSettings, ServerSettings, Settings
from geo_data.tokens import create_token
from geo_data.uscc import make_uscc

COUNTY = "339901"
LNG0, LAT0, SIZE = 120.00, 30.00, 0.10
HALF = SIZE / 2
TOWNSHIPS = {  # code -> (min_lng, min_lat)
    "339901001": (LNG0, LAT0), "339901002": (LNG0 + HALF, LAT0),
    "339901003": (LNG0, LAT0 + HALF), "339901004": (LNG0 + HALF, LAT0 + HALF),
}
TYPES = [
    # code, name, remote_closable, window, ring, departments
    ("gt_vending", "测试占道经营", True, 60, 1, ["gt_city"]),
    ("gt_discharge", "测试违规排污", False, 120, 2, ["gt_env"]),
    ("gt_noise", "测试噪声", True, 30, 0, []),
]


def _square(x: float, y: float, size: float) -> str:
    return (f"MULTIPOLYGON((({x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y})))")


def build(conn: psycopg.Connection[Any], *, cells: bool = True) -> None:
    """Create the county (idempotent: a second call does nothing); ``cells``: also its H3 grid cells."""
    if conn.execute("SELECT 1 FROM counties WHERE code = %s", (COUNTY,)).fetchone():
        return
    conn.execute("INSERT INTO counties (code, name, geom) VALUES (%s, '测试县', ST_GeomFromText(%s, 4326))",
                 (COUNTY, _square(LNG0, LAT0, SIZE)))
    for code, (x, y) in TOWNSHIPS.items():
        conn.execute("INSERT INTO townships (code, county_code, name, geom, label_point) VALUES"
                     " (%s, %s, %s, ST_GeomFromText(%s, 4326), ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
                     (code, COUNTY, f"测试镇{code[-1]}", _square(x, y, HALF), x + HALF / 2, y + HALF / 2))
    for code, name in (("gt_city", "测试综合执法"), ("gt_env", "测试生态环境"), ("gt_market", "测试市场监管")):
        conn.execute("INSERT INTO departments (code, name, name_en) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                     (code, name, code))
    for code, name, remote, window, ring, deps in TYPES:
        conn.execute("INSERT INTO alert_types (code, name, name_en, remote_closable, window_minutes, ring,"
                     " departments) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                     (code, name, code, remote, window, ring, deps))
    if cells:
        _cells(conn)


def _cells(conn: psycopg.Connection[Any]) -> None:
    outer = [(LAT0, LNG0), (LAT0, LNG0 + SIZE), (LAT0 + SIZE, LNG0 + SIZE), (LAT0 + SIZE, LNG0)]
    poly = h3_int.LatLngPoly(outer)
    rows = []
    for res in (7, 8, 9):
        for cell in h3_int.polygon_to_cells_experimental(poly, res, contain="overlap") if hasattr(
                h3_int, "polygon_to_cells_experimental") else h3_int.polygon_to_cells(poly, res):
            lat, lng = h3_int.cell_to_latlng(cell)
            ring = [(x, y) for y, x in h3_int.cell_to_boundary(cell)]
            wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in [*ring, ring[0]]) + "))"
            township = township_of(lng, lat)
            rows.append((int(cell), res, COUNTY, township, wkt))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO h3_cells (cell, res, county_code, township_code, geom) VALUES"
                        " (%s, %s, %s, %s, ST_GeomFromText(%s, 4326)) ON CONFLICT DO NOTHING", rows)


def township_of(lng: float, lat: float) -> str | None:
    for code, (x, y) in TOWNSHIPS.items():
        if x <= lng < x + HALF and y <= lat < y + HALF:
            return code
    return None


def add_team(conn: psycopg.Connection[Any], *, name: str, township: str | None, lng: float, lat: float,
             qualifications: list[str], status: str = "idle") -> int:
    cell = h3_int.latlng_to_cell(lat, lng, 9)
    row = conn.execute(
        "INSERT INTO teams (county_code, township_code, name, kind, qualifications, base, base_h3_r9, status)"
        " VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s) RETURNING id",
        (COUNTY, township, name, "township" if township else "squad", qualifications, lng, lat, cell, status),
    ).fetchone()
    assert row is not None
    return int(row["id"] if isinstance(row, dict) else row[0])


def add_enterprise(conn: psycopg.Connection[Any], *, name: str, lng: float, lat: float) -> tuple[int, str]:
    from geo_data.uscc import _org_code_check_character

    body8 = "".join(secrets.choice("0123456789ABCDEFGH") for _ in range(8))
    uscc = make_uscc("91339901" + body8 + _org_code_check_character(body8))
    cells = {r: h3_int.latlng_to_cell(lat, lng, r) for r in (7, 8, 9)}
    row = conn.execute(
        "INSERT INTO enterprises (county_code, township_code, uscc, name, risk, credit, geom, h3_r7, h3_r8, h3_r9)"
        " VALUES (%s, %s, %s, %s, 'general', 'B', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)"
        " RETURNING id", (COUNTY, township_of(lng, lat), uscc, name, lng, lat, cells[7], cells[8], cells[9]),
    ).fetchone()
    assert row is not None
    return int(row["id"] if isinstance(row, dict) else row[0]), uscc


def token(db_url: str, *, source: str, scopes: tuple[str, ...] = ("alerts:write",),
          county: str = COUNTY) -> str:
    with connect(db_url) as c:
        text, _ = create_token(c, source=source, county_code=county, scopes=scopes, created_by="test")
        c.commit()
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_settings(db_url: str, data_dir: Any, **dispatch: Any) -> Settings:
    return Settings(db=DatabaseSettings(url=db_url, data_dir=data_dir, pool_max=24),
                    server=ServerSettings(port=free_port(), max_body_bytes=2 * 1024 * 1024),
                    dispatch=DispatchSettings(escalate_every_s=0, **dispatch))


@contextmanager
def api_server(db_url: str, settings: Settings, *, pool_timeout: float = 10.0) -> Iterator[str]:
    """The machine API alone (login + every API blueprint, no Dash) on a threaded local server."""
    from werkzeug.serving import make_server

    from api import auth_pages
    from app import mount_api
    from geo_data.jobs import queue_app
    from services.container import Services

    def configure(c: psycopg.Connection[Any]) -> None:
        c.execute("SET TIME ZONE 'Asia/Shanghai'")
        c.commit()

    pool = ConnectionPool(db_url, min_size=2, max_size=settings.db.pool_max, kwargs={"row_factory": _dict_row()},
                          configure=configure, open=True, timeout=pool_timeout, reconnect_timeout=60)
    server = Flask("gc_test_api")
    server.secret_key = secrets.token_hex(16)
    server.config["MAX_CONTENT_LENGTH"] = settings.server.max_body_bytes
    auth_pages.install(server, pool=pool, settings=settings.server)
    mount_api(server, Services(settings=settings, pool=pool, database_url=db_url,
                               jobs=queue_app(settings, db_url).open(pool)), live_push=False)
    srv = make_server("127.0.0.1", settings.server.port, server, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{settings.server.port}"
    finally:
        srv.shutdown()
        pool.close()


def _dict_row() -> Any:
    from psycopg.rows import dict_row

    return dict_row


def alert(source_id: str, *, type: str = "gt_vending", lng: float = 120.02, lat: float = 30.02,
          observed_at: str = "2026-11-21T10:00:00+08:00", kind: str = "ai_camera", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"source_id": source_id, "source_kind": kind, "type": type, "observed_at": observed_at,
                            "location": {"lng": lng, "lat": lat}, "confidence": 0.9, "severity": "medium"}
    body.update(extra)
    return body


def dumps(x: Any) -> str:
    return json.dumps(x, ensure_ascii=False)
