"""The H3 grid of a county and its pre-aggregated counts, against the real PostGIS.

The scenario is a county of its own (the real outline of 云和县 331125 with two townships splitting it
west/east), so it never clashes with the session's demo county 330702 in the same database: a cell
belongs to one county.
"""

from __future__ import annotations

import itertools
import json
import secrets
from pathlib import Path
from typing import Any

import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import psycopg
import pytest

from geo_data.cells import ensure_cells, refresh_cell_counts, res9_cells
from geo_data.db import connect
from geo_data.enterprises import copy_enterprises
from geo_data.reference import load_reference
from geo_data.uscc import make_uscc

ROOT = Path(__file__).resolve().parents[2]
COUNTIES = ROOT.parent / "shared" / "data" / "boundaries" / "counties_wgs84.geojson"
TEST_COUNTY = "331125"
WEST, EAST = "331125001", "331125002"


def county_outline(code: str = TEST_COUNTY) -> dict[str, Any]:
    """The real outline (GeoJSON geometry, WGS-84) of a county from the shared boundaries file."""
    data = json.loads(COUNTIES.read_text(encoding="utf-8"))
    for f in data["features"]:
        if str(f["properties"]["district_adcode"]) == code:
            return dict(f["geometry"])
    raise KeyError(code)


def build_test_county(db_url: str) -> str:
    """Load the test county, two townships splitting it at its middle longitude, reference data, cells."""
    with connect(db_url) as c:
        c.execute("SELECT pg_advisory_xact_lock(331125)")
        if c.execute("SELECT 1 FROM counties WHERE code = %s", (TEST_COUNTY,)).fetchone() is None:
            c.execute("INSERT INTO counties (code, name, city_name, geom, source) VALUES"
                      " (%s, '云和县', '丽水市', ST_Multi(ST_GeomFromGeoJSON(%s)), 'test')",
                      (TEST_COUNTY, json.dumps(county_outline())))
            c.execute(
                "WITH b AS (SELECT geom, (ST_XMin(geom) + ST_XMax(geom)) / 2 AS mid FROM counties WHERE code = %(c)s)"
                " INSERT INTO townships (code, county_code, name, geom, generated, source)"
                " SELECT %(w)s, %(c)s, '西镇', ST_Multi(ST_CollectionExtract(ST_Intersection(geom,"
                "   ST_MakeEnvelope(ST_XMin(geom) - 1, ST_YMin(geom) - 1, mid, ST_YMax(geom) + 1, 4326)), 3)), true, 'test'"
                " FROM b UNION ALL"
                " SELECT %(e)s, %(c)s, '东镇', ST_Multi(ST_CollectionExtract(ST_Intersection(geom,"
                "   ST_MakeEnvelope(mid, ST_YMin(geom) - 1, ST_XMax(geom) + 1, ST_YMax(geom) + 1, 4326)), 3)), true, 'test'"
                " FROM b", {"c": TEST_COUNTY, "w": WEST, "e": EAST})
            load_reference(c)
            ensure_cells(c, county_code=TEST_COUNTY)
        c.commit()
    return TEST_COUNTY


@pytest.fixture(scope="module")
def county(db_url: str) -> str:
    return build_test_county(db_url)


# organisation codes from a counter starting at a random place: runs and modules never repeat a code
_serial = itertools.count(secrets.randbelow(10**8 - 10**6))


def random_usccs(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct valid codes (``rng`` is kept for call compatibility; codes come from the counter)."""
    out = []
    for _ in range(n):
        body = f"{next(_serial):08d}"
        for check in "0123456789X":  # the organisation-code check character: the one make_uscc accepts
            try:
                out.append(make_uscc("91331125" + body + check))
                break
            except ValueError:
                continue
    return out


def random_points(conn: psycopg.Connection[Any], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random WGS-84 points inside the test county (PostGIS ST_GeneratePoints)."""
    rows = conn.execute("SELECT ST_X(p.geom) AS lng, ST_Y(p.geom) AS lat FROM counties,"
                        " ST_Dump(ST_GeneratePoints(geom, %s, %s)) AS p WHERE code = %s",
                        (n, seed, TEST_COUNTY)).fetchall()
    return np.array([r["lng"] for r in rows]), np.array([r["lat"] for r in rows])


def test_cells_cover_the_county_at_three_resolutions(conn: psycopg.Connection, county: str) -> None:
    rows = conn.execute("SELECT res, count(*) AS n, count(township_code) AS with_township FROM h3_cells"
                        " WHERE county_code = %s GROUP BY res ORDER BY res", (county,)).fetchall()
    assert [r["res"] for r in rows] == [7, 8, 9]
    assert all(r["n"] == r["with_township"] for r in rows), "every cell has a township"
    # 云和 is ~990 km²; a res-9 cell ~0.1 km²: several thousand cells, each a hexagon of the right res
    res9 = next(r["n"] for r in rows if r["res"] == 9)
    assert 8_000 < res9 < 14_000
    sample = conn.execute("SELECT cell, ST_NPoints(geom) AS np, ST_Area(geom::geography) AS m2 FROM h3_cells"
                          " WHERE county_code = %s AND res = 9 LIMIT 50", (county,)).fetchall()
    for r in sample:
        assert h3_int.get_resolution(r["cell"]) == 9
        assert r["np"] >= 7
        assert r["m2"] == pytest.approx(h3_int.cell_area(r["cell"], unit="m^2"), rel=0.01)
    # the union of the res-7 cells covers the county outline entirely
    uncovered = conn.execute(
        "SELECT ST_Area(ST_Difference(c.geom, (SELECT ST_Union(geom) FROM h3_cells WHERE county_code = %(c)s"
        " AND res = 7))::geography) AS m2 FROM counties c WHERE code = %(c)s", {"c": county}).fetchone()["m2"]
    assert uncovered < 1.0


def test_cell_township_is_the_one_holding_its_centre(conn: psycopg.Connection, county: str) -> None:
    wrong = conn.execute(
        "SELECT count(*) AS n FROM h3_cells c JOIN townships t ON ST_Contains(t.geom, ST_Centroid(c.geom))"
        " WHERE c.county_code = %s AND t.county_code = c.county_code AND c.township_code <> t.code",
        (county,)).fetchone()["n"]
    assert wrong == 0
    # a cell whose centre lies outside the county still belongs to a township it overlaps
    border = conn.execute(
        "SELECT c.cell, c.township_code, (SELECT array_agg(t.code) FROM townships t"
        "  WHERE ST_Intersects(t.geom, c.geom)) AS overlapping FROM h3_cells c JOIN counties k ON k.code = c.county_code"
        " WHERE c.county_code = %s AND NOT ST_Contains(k.geom, ST_Centroid(c.geom)) LIMIT 20", (county,)).fetchall()
    assert border
    for r in border:
        assert r["township_code"] in r["overlapping"]


def test_ensure_cells_is_idempotent_and_reassigns_townships(conn: psycopg.Connection, county: str) -> None:
    before = conn.execute("SELECT count(*) AS n FROM h3_cells WHERE county_code = %s", (county,)).fetchone()["n"]
    with conn.transaction():
        # the west township moves its border east by 0.05°: cells there must follow on the next run
        conn.execute("UPDATE townships SET geom = ST_Multi(ST_CollectionExtract(ST_Difference(k.geom, t2.geom), 3))"
                     " FROM counties k, (SELECT ST_Translate(geom, 0.05, 0) AS geom FROM townships WHERE code = %s) t2"
                     " WHERE townships.code = %s AND k.code = %s", (EAST, WEST, county))
        conn.execute("UPDATE townships SET geom = ST_Multi(ST_CollectionExtract(ST_Difference(k.geom, w.geom), 3))"
                     " FROM counties k, (SELECT geom FROM townships WHERE code = %s) w"
                     " WHERE townships.code = %s AND k.code = %s", (WEST, EAST, county))
        assert ensure_cells(conn, county_code=county) == before
        moved = conn.execute("SELECT count(*) AS n FROM h3_cells c JOIN townships t ON t.code = %s"
                             " WHERE c.county_code = %s AND ST_Contains(t.geom, ST_Centroid(c.geom))"
                             " AND c.township_code = %s", (WEST, county, WEST)).fetchone()["n"]
        west_total = conn.execute("SELECT count(*) AS n FROM h3_cells c JOIN townships t ON t.code = %s"
                                  " WHERE c.county_code = %s AND ST_Contains(t.geom, ST_Centroid(c.geom))",
                                  (WEST, county)).fetchone()["n"]
        assert moved == west_total > 0
        raise psycopg.Rollback()  # put the townships back as they were for the other tests


def _frame(usccs: list[str], lng: np.ndarray, lat: np.ndarray, risks: list[str]) -> pd.DataFrame:
    n = len(usccs)
    return pd.DataFrame({"uscc": usccs, "name": [f"测试企业{i}" for i in range(n)], "address": "云和县",
                         "industry_code": "catering", "risk": risks, "credit": "B", "lng": lng, "lat": lat})


def test_counts_equal_direct_counts_after_load_and_targeted_refresh(conn: psycopg.Connection, county: str) -> None:
    rng = np.random.default_rng(11)
    lng, lat = random_points(conn, 300, 11)
    risks = list(rng.choice(["high", "elevated", "general", "low"], size=300))
    with conn.transaction():
        assert copy_enterprises(conn, county_code=county, frame=_frame(random_usccs(300, rng), lng, lat, risks)) == 300
    mismatches = conn.execute(
        "WITH direct AS (SELECT r.cell, count(*) AS total, count(*) FILTER (WHERE e.risk = 'high') AS high"
        "  FROM enterprises e CROSS JOIN LATERAL (VALUES (e.h3_r7), (e.h3_r8), (e.h3_r9)) AS r(cell)"
        "  WHERE e.county_code = %(c)s GROUP BY r.cell)"
        " SELECT c.cell FROM h3_cells c LEFT JOIN direct d USING (cell) WHERE c.county_code = %(c)s"
        " AND (c.ent_total <> coalesce(d.total, 0) OR c.ent_high <> coalesce(d.high, 0))", {"c": county}).fetchall()
    assert mismatches == []
    total = conn.execute("SELECT sum(ent_total) AS s FROM h3_cells WHERE county_code = %s AND res = 8",
                         (county,)).fetchone()["s"]
    assert total == conn.execute("SELECT count(*) AS n FROM enterprises WHERE county_code = %s",
                                 (county,)).fetchone()["n"]

    # a visit written straight to the table shows up after a targeted refresh of its cells only
    e = conn.execute("SELECT id, township_code, geom, h3_r7, h3_r8, h3_r9 FROM enterprises"
                     " WHERE county_code = %s ORDER BY id LIMIT 1", (county,)).fetchone()
    conn.execute("INSERT INTO visits (county_code, township_code, enterprise_id, visit_date, lead_department,"
                 " departments, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, %s, %s, current_date, 'market',"
                 " '{market}', %s, %s, %s, %s)",
                 (county, e["township_code"], e["id"], e["geom"], e["h3_r7"], e["h3_r8"], e["h3_r9"]))
    refresh_cell_counts(conn, county_code=county, cells={9: [e["h3_r9"]]})
    got = {r["res"]: r["visits"] for r in conn.execute(
        "SELECT res, visits FROM h3_cells WHERE cell IN (%s, %s, %s)",
        (e["h3_r7"], e["h3_r8"], e["h3_r9"])).fetchall()}
    assert got[9] == 1 and got[7] == 0  # only res 9 was asked for
    refresh_cell_counts(conn, county_code=county)
    got = {r["res"]: r["visits"] for r in conn.execute(
        "SELECT res, visits FROM h3_cells WHERE cell IN (%s, %s, %s)",
        (e["h3_r7"], e["h3_r8"], e["h3_r9"])).fetchall()}
    assert got == {7: 1, 8: 1, 9: 1}


def test_every_enterprise_lies_inside_its_stored_cells(conn: psycopg.Connection, county: str) -> None:
    rng = np.random.default_rng(5)
    lng, lat = random_points(conn, 400, 5)
    with conn.transaction():
        copy_enterprises(conn, county_code=county, frame=_frame(random_usccs(400, rng), lng, lat, ["low"] * 400))
    outside = conn.execute(
        "SELECT e.uscc, r.res FROM enterprises e CROSS JOIN LATERAL (VALUES (7, e.h3_r7), (8, e.h3_r8),"
        " (9, e.h3_r9)) AS r(res, cell) LEFT JOIN h3_cells c ON c.cell = r.cell"
        " WHERE e.county_code = %s AND (c.cell IS NULL OR c.res <> r.res OR NOT ST_Intersects(c.geom, e.geom))",
        (county,)).fetchall()
    assert outside == []
    # and each enterprise got the township its point lies in
    wrong = conn.execute("SELECT count(*) AS n FROM enterprises e JOIN townships t ON ST_Contains(t.geom, e.geom)"
                         " WHERE e.county_code = %s AND e.township_code <> t.code", (county,)).fetchone()["n"]
    assert wrong == 0


def test_alert_counts_follow_incident_status(conn: psycopg.Connection, county: str) -> None:
    lng, lat = random_points(conn, 1, 21)
    cells = {r: int(h3_int.latlng_to_cell(float(lat[0]), float(lng[0]), r)) for r in (7, 8, 9)}
    with conn.transaction():
        for n, status in enumerate(("open", "dispatched", "closed")):
            inc = conn.execute(
                "INSERT INTO incidents (county_code, type_code, severity, status, first_seen, last_seen, geom,"
                " h3_r7, h3_r8, h3_r9, sla_due_at) VALUES (%s, 'street_vending', 'low', %s, now(), now(),"
                " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s, now()) RETURNING id",
                (county, status, lng[0], lat[0], cells[7], cells[8], cells[9])).fetchone()["id"]
            conn.execute(
                "INSERT INTO alerts (county_code, source, source_id, source_kind, type_code, observed_at, severity,"
                " incident_id, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, 'cells-test', %s, 'drone', 'street_vending',"
                " now(), 'low', %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)",
                (county, f"a{n}-{secrets.token_hex(4)}", inc, lng[0], lat[0], cells[7], cells[8], cells[9]))
        refresh_cell_counts(conn, county_code=county, cells={r: [c] for r, c in cells.items()})
        got = conn.execute("SELECT res, alerts, alerts_open FROM h3_cells WHERE cell = ANY (%s) ORDER BY res",
                           (list(cells.values()),)).fetchall()
        assert [(g["res"], g["alerts"], g["alerts_open"]) for g in got] == [(7, 3, 2), (8, 3, 2), (9, 3, 2)]
        raise psycopg.Rollback()


def test_a_coarse_cell_finds_its_alerts_through_their_res9_cells(conn: psycopg.Connection, county: str) -> None:
    """Alerts are indexed by res-9 cell only (migration 253): refreshing or opening a res-7 / res-8 cell alone
    still counts and lists exactly the alerts inside it."""
    from geo_data.map_queries import cell_details
    from geo_data.scope import Role, Scope

    lng, lat = random_points(conn, 1, 33)
    c7 = int(h3_int.latlng_to_cell(float(lat[0]), float(lng[0]), 7))
    inside = res9_cells([c7])
    assert len(inside) == 49 and {h3_int.cell_to_parent(c, 7) for c in inside} == {c7}
    assert res9_cells([h3_int.cell_to_parent(inside[0], 8)]) == sorted(h3_int.cell_to_children(
        h3_int.cell_to_parent(inside[0], 8), 9))
    outside = next(c for c in h3_int.grid_disk(inside[0], 12) if h3_int.cell_to_parent(c, 7) != c7)
    with conn.transaction():
        for n, cell in enumerate((inside[0], inside[-1], outside)):
            lat_c, lng_c = h3_int.cell_to_latlng(cell)
            conn.execute(
                "INSERT INTO alerts (county_code, source, source_id, source_kind, type_code, observed_at, severity,"
                " geom, h3_r7, h3_r8, h3_r9) VALUES (%s, 'cells-r9', %s, 'drone', 'street_vending', now(), 'low',"
                " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)",
                (county, f"r9-{n}-{secrets.token_hex(4)}", lng_c, lat_c, h3_int.cell_to_parent(cell, 7),
                 h3_int.cell_to_parent(cell, 8), cell))
        conn.execute("UPDATE h3_cells SET alerts = 0 WHERE cell = %s", (c7,))
        refresh_cell_counts(conn, county_code=county, cells={7: [c7]})
        assert conn.execute("SELECT alerts FROM h3_cells WHERE cell = %s", (c7,)).fetchone()["alerts"] == conn.execute(
            "SELECT count(*) AS n FROM alerts WHERE h3_r7 = %s", (c7,)).fetchone()["n"]
        scope = Scope(actor="t", role=Role.COUNTY_OPERATOR, county_code=county)
        for cell in (c7, h3_int.cell_to_parent(inside[0], 8), inside[0]):
            res = h3_int.get_resolution(cell)
            shown = {a["id"] for a in cell_details(conn, scope=scope, cell=cell, top=1000)["recent_alerts"]}
            expected = {r["id"] for r in conn.execute(psycopg.sql.SQL("SELECT id FROM alerts WHERE {} = %s").format(
                psycopg.sql.Identifier(f"h3_r{res}")), (cell,)).fetchall()}
            assert shown == expected and shown
        raise psycopg.Rollback()


def test_bulk_load_rebuilds_counts_indexes_and_triggers(conn: psycopg.Connection, county: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk path (indexes, keys and the measures' INSERT trigger off during the COPY, one rebuild after)
    leaves the same counts, indexes, constraints and live triggers as row-by-row maintenance."""
    import geo_data.enterprises as enterprises

    rng = np.random.default_rng(23)
    catalog = ("SELECT (SELECT count(*) FROM pg_index WHERE indrelid = 'enterprises'::regclass) AS ix,"
               " (SELECT count(*) FROM pg_constraint WHERE conrelid = 'enterprises'::regclass) AS con,"
               " (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'enterprises'::regclass AND tgenabled <> 'D') AS trg")
    before = conn.execute(catalog).fetchone()
    existing = conn.execute("SELECT count(*) AS n FROM enterprises WHERE county_code = %s",
                            (county,)).fetchone()["n"]
    total = max(350, existing + 120)  # the bulk path needs a load at least as large as the table
    lng, lat = random_points(conn, total, 23)
    risks = list(rng.choice(["high", "elevated", "general", "low"], size=total))
    usccs = random_usccs(total, rng)
    with conn.transaction():  # 50 rows the ordinary way (triggers keep enterprise_counts current) ...
        copy_enterprises(conn, county_code=county, frame=_frame(usccs[:50], lng[:50], lat[:50], risks[:50]))
    monkeypatch.setattr(enterprises, "BULK_REBUILD_MIN_ROWS", 100)
    timings: dict[str, float] = {}
    with conn.transaction():  # ... then the rest in bulk
        copy_enterprises(conn, county_code=county, frame=_frame(usccs[50:], lng[50:], lat[50:], risks[50:]),
                         timings=timings)
    assert "preaggregates" in timings  # the bulk path was taken
    assert conn.execute(catalog).fetchone() == before
    direct = ("SELECT township_code, h3_r9, risk, count(*) AS n FROM enterprises WHERE county_code = %(c)s"
              " GROUP BY 1, 2, 3")
    pre = ("SELECT township_code, h3_r9, risk, sum(n) AS n FROM enterprise_counts WHERE county_code = %(c)s"
           " AND n > 0 GROUP BY 1, 2, 3")
    assert sorted(map(tuple, (r.values() for r in conn.execute(pre, {"c": county}).fetchall()))) == \
        sorted(map(tuple, (r.values() for r in conn.execute(direct, {"c": county}).fetchall())))
    assert sum(r["n"] for r in conn.execute(pre, {"c": county}).fetchall()) == existing + total
    mismatches = conn.execute(
        "WITH direct AS (SELECT r.cell, count(*) AS total, count(*) FILTER (WHERE e.risk = 'high') AS high,"
        "  count(*) FILTER (WHERE e.risk = 'low') AS low"
        "  FROM enterprises e CROSS JOIN LATERAL (VALUES (e.h3_r7), (e.h3_r8), (e.h3_r9)) AS r(cell)"
        "  WHERE e.county_code = %(c)s GROUP BY r.cell)"
        " SELECT c.cell FROM h3_cells c LEFT JOIN direct d USING (cell) WHERE c.county_code = %(c)s"
        " AND (c.ent_total <> coalesce(d.total, 0) OR c.ent_high <> coalesce(d.high, 0)"
        "      OR c.ent_low <> coalesce(d.low, 0))", {"c": county}).fetchall()
    assert mismatches == []
    # the INSERT trigger is live again: a later small load keeps enterprise_counts current by itself
    more_lng, more_lat = random_points(conn, 5, 24)
    with conn.transaction():
        copy_enterprises(conn, county_code=county, frame=_frame(random_usccs(5, rng), more_lng, more_lat,
                                                                  ["high"] * 5))
    assert sorted(map(tuple, (r.values() for r in conn.execute(pre, {"c": county}).fetchall()))) == \
        sorted(map(tuple, (r.values() for r in conn.execute(direct, {"c": county}).fetchall())))
