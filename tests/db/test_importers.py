"""Importers against the real PostGIS: every format loads, bad rows are named and nothing half-loaded.

Uses the test county of ``test_cells`` (云和县 331125, two townships) and the real reference data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from click.testing import CliRunner
from psycopg import sql

from cli import main
from geo_data.coords import from_wgs84
from geo_data.importers import import_enterprises, import_townships
from geo_data.visits_import import import_visits

sys.path.insert(0, str(Path(__file__).parent))  # the shared test-county scenario lives in test_cells
from test_cells import EAST, TEST_COUNTY, WEST, build_test_county, random_points, random_usccs  # noqa: E402

CN_COLUMNS = {"uscc": "统一社会信用代码", "name": "企业名称", "industry": "行业", "lng": "经度", "lat": "纬度",
              "address": "地址", "risk": "风险等级", "credit": "信用等级"}


@pytest.fixture(scope="module")
def county(db_url: str) -> str:
    return build_test_county(db_url)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    return np.random.default_rng(abs(hash(request.node.name)) % 2**32)


def count(conn: psycopg.Connection, sql: str = "SELECT count(*) AS n FROM enterprises WHERE county_code = %s",
          *args: Any) -> int:
    return int(conn.execute(sql, args or (TEST_COUNTY,)).fetchone()["n"])


def rows_frame(conn: psycopg.Connection, rng: np.random.Generator, n: int, seed: int,
               datum: str = "wgs84") -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``n`` good rows with Chinese headers; returns the frame and the true WGS-84 points."""
    lng, lat = random_points(conn, n, seed)
    src_lng, src_lat = from_wgs84(lng, lat, datum)
    def cycle(values: list[str]) -> list[str]:
        return (values * (n // len(values) + 1))[:n]

    frame = pd.DataFrame({
        "统一社会信用代码": random_usccs(n, rng), "企业名称": [f"云和测试{seed}号店{i:02d}" for i in range(n)],
        "行业": cycle(["餐饮", "catering", "Food retail", "餐饮", "hairdressing"]),
        "经度": src_lng, "纬度": src_lat, "地址": "云和县城关",
        "风险等级": cycle(["高", "较高风险", "一般", "low", "Elevated"]),
        "信用等级": cycle(["A", "良", "c", "D级", "优"]),
    })
    return frame, lng, lat


def write(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write rows in one of the supported formats (geometry formats carry points, not lng/lat columns)."""
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "csv-bom":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "csv-gbk":
        frame.to_csv(path, index=False, encoding="gbk")
    elif fmt == "xlsx":
        frame.to_excel(path, index=False, engine="openpyxl")
    else:
        attrs = frame.drop(columns=["经度", "纬度"])
        if fmt == "shp":  # dBase field names hold 10 bytes: shapefiles use English names
            attrs = attrs.rename(columns={v: k for k, v in CN_COLUMNS.items()})
        gdf = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(frame["经度"], frame["纬度"]), crs=4326)
        gdf.to_file(path, driver={"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile"}[fmt],
                    engine="pyogrio")
    return path


FORMATS = {"csv": ".csv", "csv-bom": ".csv", "csv-gbk": ".csv", "xlsx": ".xlsx", "geojson": ".geojson",
           "gpkg": ".gpkg", "shp": ".shp"}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_good_file_of_every_format_loads(conn: psycopg.Connection, county: str, tmp_path: Path, fmt: str,
                                         rng: np.random.Generator) -> None:
    frame, lng, lat = rows_frame(conn, rng, 5, seed=len(fmt) * 7 + list(FORMATS).index(fmt))
    path = write(frame, tmp_path / f"ents{FORMATS[fmt]}", fmt)
    before = count(conn)
    with conn.transaction():
        report = import_enterprises(conn, path=path, county_code=county)
    assert (report.rows_read, report.rows_loaded, report.problems) == (5, 5, [])
    assert count(conn) == before + 5
    stored = conn.execute(
        "SELECT uscc, name, industry_code, risk, credit, township_code, ST_X(geom) AS lng, ST_Y(geom) AS lat"
        " FROM enterprises WHERE uscc = ANY (%s) ORDER BY name", (list(frame["统一社会信用代码"]),)).fetchall()
    assert [r["risk"] for r in stored] == ["high", "elevated", "general", "low", "elevated"]
    assert [r["credit"] for r in stored] == ["A", "B", "C", "D", "A"]
    assert [r["industry_code"] for r in stored] == ["catering", "catering", "food_retail", "catering",
                                                    "hairdressing"]
    assert all(r["township_code"] in (WEST, EAST) for r in stored)
    assert np.allclose([r["lng"] for r in stored], lng, atol=1e-7)
    assert np.allclose([r["lat"] for r in stored], lat, atol=1e-7)
    audit = conn.execute("SELECT actor, actor_kind, detail FROM audit_log WHERE action = 'import.enterprises'"
                         " ORDER BY seq DESC LIMIT 1").fetchone()
    assert audit["actor"] == "cli" and audit["detail"]["loaded"] == 5


def bad_file(conn: psycopg.Connection, rng: np.random.Generator, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    frame, _, _ = rows_frame(conn, rng, 9, seed=101)
    frame = frame.astype(object)
    good = frame.iloc[0]["统一社会信用代码"]
    frame.iloc[1, 0] = good[:17] + ("0" if good[17] != "0" else "1")   # row 2: wrong check character
    frame.iloc[3, 3] = 121.0                                           # row 4: far east of the county
    frame.iloc[4, 4] = ""                                              # row 5: latitude missing
    frame.iloc[5, 6] = "A"                                             # row 6: risk given as a letter
    frame.iloc[6, 0] = good                                            # row 7: duplicate of row 1
    frame.iloc[7, 2] = "造飞船"                                        # row 8: unknown industry
    frame.iloc[8, 3] = "东经119度"                                     # row 9: not a number, credit bad too
    frame.iloc[8, 7] = "E"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path, frame


def test_bad_rows_are_each_reported_and_nothing_is_loaded(conn: psycopg.Connection, county: str, db_url: str,
                                                          tmp_path: Path, rng: np.random.Generator) -> None:
    path, _ = bad_file(conn, rng, tmp_path)
    before, audits = count(conn), count(conn, "SELECT count(*) AS n FROM audit_log WHERE action = %s",
                                         "import.enterprises")
    result = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county],
                                env={"DATABASE_URL": db_url})
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("row ")]
    # unknown values are said once each (below); the other problems row by row
    assert [ln.split(":")[0] for ln in lines] == ["row 2", "row 4", "row 5", "row 7", "row 9"]
    assert lines[0].startswith("row 2: uscc: wrong check character")
    assert lines[1].startswith("row 4: lng/lat: (121.000000,") and "outside county 331125" in lines[1]
    assert lines[2] == "row 5: lat: missing"
    assert lines[3] == "row 7: uscc: duplicate of row 1 in this file"
    assert lines[4] == "row 9: lng: not a number: '东经119度'"
    unknown = [ln.strip() for ln in result.stderr.splitlines() if ln.startswith("  ")]
    assert unknown[0] == ("industry: unknown value '造飞船' in 1 row (8); neither in the industries list nor a"
                          " GB/T 4754-2017 code or name; map it with --map-values 'industry:造飞船=VALUE'")
    assert unknown[1].startswith("risk: unknown value 'A' in 1 row (6); A-D under '风险等级' would be read as"
                                 " credit grades; if the column holds the 企业信用风险分类")
    assert "--map '风险等级'=risk_class" in unknown[1]
    assert unknown[2] == ("credit: unknown value 'E' in 1 row (9); use A/B/C/D or 优/良/中/差;"
                          " map it with --map-values credit:E=VALUE")
    assert len(unknown) == 3
    assert "nothing was loaded" in result.stderr
    assert count(conn) == before
    assert count(conn, "SELECT count(*) AS n FROM audit_log WHERE action = %s", "import.enterprises") == audits


def test_skip_bad_loads_good_rows_and_writes_rejects(conn: psycopg.Connection, county: str, db_url: str,
                                                     tmp_path: Path, rng: np.random.Generator) -> None:
    path, frame = bad_file(conn, rng, tmp_path)
    rejects = tmp_path / "out" / "rejects.csv"
    before = count(conn)
    result = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county, "--skip-bad",
                                       "--rejects", str(rejects)], env={"DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert "loaded 2 of 9 enterprises rows" in result.stdout
    assert count(conn) == before + 2
    got = pd.read_csv(rejects, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(got["row"]) == ["2", "4", "5", "6", "7", "8", "9"]
    assert list(got.columns) == ["row", *frame.columns, "reason"]
    assert got.loc[got["row"] == "9", "reason"].item() == \
        "credit: unknown credit grade 'E' (use A/B/C/D or 优/良/中/差); lng: not a number: '东经119度'"
    assert got.loc[got["row"] == "8", "行业"].item() == "造飞船"


def test_gcj02_and_bd09_input_land_at_the_wgs84_place(conn: psycopg.Connection, county: str, tmp_path: Path,
                                                      rng: np.random.Generator) -> None:
    for i, datum in enumerate(("gcj02", "bd09")):
        frame, lng, lat = rows_frame(conn, rng, 4, seed=300 + i, datum=datum)
        # the datum offset is hundreds of metres: read as WGS-84 the points would be misplaced
        assert np.hypot(frame["经度"] - lng, frame["纬度"] - lat).min() > 0.003
        path = write(frame, tmp_path / f"{datum}.csv", "csv")
        with conn.transaction():
            import_enterprises(conn, path=path, county_code=county, datum=datum)
        far = conn.execute(
            "SELECT max(ST_Distance(e.geom::geography, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326)::geography)) AS m"
            " FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS p(uscc, lng, lat)"
            " JOIN enterprises e ON e.uscc = p.uscc AND e.county_code = %s",
            (list(frame["统一社会信用代码"]), list(lng), list(lat), county)).fetchone()["m"]
        assert far < 0.5, f"{datum}: stored point {far:.3f} m from the true place"


def test_projected_geopackage_is_reprojected(conn: psycopg.Connection, county: str, tmp_path: Path,
                                             rng: np.random.Generator) -> None:
    frame, lng, lat = rows_frame(conn, rng, 3, seed=400)
    gdf = gpd.GeoDataFrame(frame.drop(columns=["经度", "纬度"]), geometry=gpd.points_from_xy(lng, lat), crs=4326)
    path = tmp_path / "gk.gpkg"
    gdf.to_crs(4549).to_file(path, driver="GPKG", engine="pyogrio")  # CGCS2000 / 3-degree GK CM 120E (metres)
    with conn.transaction():
        report = import_enterprises(conn, path=path, county_code=county)
    assert report.rows_loaded == 3 and any("reprojected" in n for n in report.notes)
    got = conn.execute("SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM enterprises WHERE uscc = ANY (%s)"
                       " ORDER BY name", (list(frame["统一社会信用代码"]),)).fetchall()
    assert np.allclose([g["lng"] for g in got], lng, atol=1e-6)
    assert np.allclose([g["lat"] for g in got], lat, atol=1e-6)


def test_duplicate_of_a_registered_uscc_is_refused(conn: psycopg.Connection, county: str, tmp_path: Path,
                                                   rng: np.random.Generator) -> None:
    frame, _, _ = rows_frame(conn, rng, 3, seed=500)
    path = write(frame, tmp_path / "first.csv", "csv")
    with conn.transaction():
        import_enterprises(conn, path=path, county_code=county)
    again, _, _ = rows_frame(conn, rng, 3, seed=501)
    again.iloc[2, 0] = frame.iloc[0, 0]
    before = count(conn)
    from geo_data.errors import InvalidInput

    with pytest.raises(InvalidInput) as info, conn.transaction():
        import_enterprises(conn, path=write(again, tmp_path / "again.csv", "csv"), county_code=county)
    assert [str(p) for p in info.value.problems] == ["row 3: uscc: already registered in county 331125"]
    assert count(conn) == before


def test_counts_in_cells_equal_direct_counts_after_import(conn: psycopg.Connection, county: str, tmp_path: Path,
                                                          rng: np.random.Generator) -> None:
    frame, _, _ = rows_frame(conn, rng, 60, seed=600)
    with conn.transaction():
        import_enterprises(conn, path=write(frame, tmp_path / "many.xlsx", "xlsx"), county_code=county)
    for res in (7, 8, 9):
        query = sql.SQL(
            "SELECT count(*) AS n FROM h3_cells c FULL JOIN (SELECT {col} AS cell, count(*) AS n,"
            " count(*) FILTER (WHERE risk = 'high') AS high FROM enterprises WHERE county_code = %(c)s"
            " GROUP BY 1) d USING (cell) WHERE (c.county_code = %(c)s AND c.res = %(res)s OR c.cell IS NULL)"
            " AND (coalesce(c.ent_total, -1) <> coalesce(d.n, 0) OR coalesce(c.ent_high, -1) <> coalesce(d.high, 0))"
        ).format(col=sql.Identifier(f"h3_r{res}"))
        diff = conn.execute(query, {"c": county, "res": res}).fetchone()["n"]
        assert diff == 0, f"res {res}: cells whose count differs from a direct count"


def test_townships_import_replaces_generated_and_replaces_enterprises(conn: psycopg.Connection, county: str,
                                                                      tmp_path: Path, rng: np.random.Generator) -> None:
    frame, _, _ = rows_frame(conn, rng, 6, seed=1500)  # enterprises to re-place, whatever ran before
    with conn.transaction():
        import_enterprises(conn, path=write(frame, tmp_path / "before_towns.csv", "csv"), county_code=county)
    # real polygons: the county split north/south instead of west/east
    outline = conn.execute("SELECT ST_AsBinary(geom) AS g FROM counties WHERE code = %s", (county,)).fetchone()["g"]
    geom = shapely.from_wkb(bytes(outline))
    minx, miny, maxx, maxy = geom.bounds
    mid = (miny + maxy) / 2
    north = geom.intersection(shapely.box(minx - 1, mid, maxx + 1, maxy + 1))
    south = geom.intersection(shapely.box(minx - 1, miny - 1, maxx + 1, mid))
    path = tmp_path / "towns.geojson"
    gpd.GeoDataFrame({"乡镇代码": [WEST, EAST], "乡镇名称": ["北镇", "南镇"]}, geometry=[north, south],
                     crs=4326).to_file(path, driver="GeoJSON", engine="pyogrio")
    assert count(conn) > 0
    with conn.transaction():
        report = import_townships(conn, path=path, county_code=county)
        assert report.rows_loaded == 2
        towns = conn.execute("SELECT code, name, generated FROM townships WHERE county_code = %s ORDER BY code",
                             (county,)).fetchall()
        assert [(t["name"], t["generated"]) for t in towns] == [("北镇", False), ("南镇", False)]
        wrong = conn.execute(
            "SELECT count(*) AS n FROM enterprises e JOIN townships t ON ST_Contains(t.geom, e.geom)"
            " WHERE e.county_code = %(c)s AND t.county_code = %(c)s AND e.township_code <> t.code"
            " UNION ALL SELECT count(*) FROM h3_cells c JOIN townships t ON ST_Contains(t.geom, ST_Centroid(c.geom))"
            " WHERE c.county_code = %(c)s AND t.county_code = %(c)s AND c.township_code <> t.code",
            {"c": county}).fetchall()
        assert [w["n"] for w in wrong] == [0, 0]
        assert count(conn, "SELECT count(*) AS n FROM audit_log WHERE action = %s", "import.townships") >= 1
        raise psycopg.Rollback()  # the other tests keep the west/east townships


def test_bad_townships_file_is_refused_with_rows(conn: psycopg.Connection, county: str, tmp_path: Path) -> None:
    path = tmp_path / "bad_towns.geojson"
    gpd.GeoDataFrame({"code": ["330702001", WEST], "name": ["别县镇", "西镇"]},
                     geometry=[shapely.box(119.6, 28.1, 119.61, 28.11), shapely.Point(1, 1)],
                     crs=4326).to_file(path, driver="GeoJSON", engine="pyogrio")
    from geo_data.errors import InvalidInput

    with pytest.raises(InvalidInput) as info, conn.transaction():
        import_townships(conn, path=path, county_code=county)
    assert [str(p) for p in info.value.problems] == [
        "row 1: code: 330702001 is not in county 331125", "row 2: geometry: expected a polygon, got Point"]


def test_visits_import_checks_rows_and_sets_cells_from_the_enterprise(conn: psycopg.Connection, county: str,
                                                                       tmp_path: Path, rng: np.random.Generator) -> None:
    frame, _, _ = rows_frame(conn, rng, 3, seed=700)
    with conn.transaction():
        import_enterprises(conn, path=write(frame, tmp_path / "e.csv", "csv"), county_code=county)
    codes = list(frame["统一社会信用代码"])
    good = pd.DataFrame({
        "统一社会信用代码": codes, "检查部门": ["市场监管", "fire", "market"],
        "参与部门": ["消防救援", "", ""], "检查日期": ["2026-03-02", "2026/04/10", "20260501"],
        "检查事项": ["market_food_licence", "", "食品经营过程控制检查"], "联合检查": ["是", "否", ""],
        "亮码": ["是", "否", "是"], "评价": ["5", "", "4"], "行政行为码": [f"T{codes[0]}", "", f"T{codes[2]}"],
    })
    bad = good.copy()
    bad.loc[0, "检查部门"] = "天文台"
    bad.loc[1, "检查日期"] = "2099-01-01"
    bad.loc[2, "评价"] = "7"
    from geo_data.errors import InvalidInput

    before = count(conn, "SELECT count(*) AS n FROM visits WHERE county_code = %s")
    with pytest.raises(InvalidInput) as info, conn.transaction():
        import_visits(conn, path=write(bad, tmp_path / "bad_visits.csv", "csv"), county_code=county)
    assert [str(p) for p in info.value.problems] == [
        "row 1: department: unknown department '天文台'", "row 2: date: in the future",
        "row 3: rating: must be a whole number 1-5, got '7'"]
    assert count(conn, "SELECT count(*) AS n FROM visits WHERE county_code = %s") == before

    with conn.transaction():
        report = import_visits(conn, path=write(good, tmp_path / "visits.xlsx", "xlsx"), county_code=county)
    assert report.rows_loaded == 3
    got = conn.execute(
        "SELECT v.departments, v.items, v.code_scanned, v.rating, v.task_count, v.h3_r9 = e.h3_r9 AS same_cell,"
        " ST_Equals(v.geom, e.geom) AS same_place, c.visits AS cell_visits FROM visits v"
        " JOIN enterprises e ON e.id = v.enterprise_id JOIN h3_cells c ON c.cell = v.h3_r9"
        " WHERE e.uscc = ANY (%s) ORDER BY v.visit_date", (codes,)).fetchall()
    assert [g["departments"] for g in got] == [["fire", "market"], ["fire"], ["market"]]
    assert [g["items"] for g in got] == [["market_food_licence"], [], ["market_food_hygiene"]]
    assert [g["rating"] for g in got] == [5, None, 4] and [g["task_count"] for g in got] == [2, 1, 1]
    assert all(g["same_cell"] and g["same_place"] and g["cell_visits"] >= 1 for g in got)


def test_cli_runs_as_a_real_command(county: str, db_url: str, tmp_path: Path, conn: psycopg.Connection,
                                    rng: np.random.Generator) -> None:
    frame, _, _ = rows_frame(conn, rng, 2, seed=800)
    frame = frame.rename(columns={"企业名称": "单位全称"})
    path = write(frame, tmp_path / "mapped.csv", "csv-gbk")
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "cli", "import", "enterprises", str(path), "--county", county,
                           "--map", "单位全称=name"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "loaded 2 of 2 enterprises rows into county 331125" in done.stdout
    missing = subprocess.run([sys.executable, "-m", "cli", "import", "enterprises", str(path), "--county", county],
                             capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 2
    assert "missing columns: name" in missing.stderr and "--map" in missing.stderr
    assert json.loads(json.dumps(missing.stdout)) == ""


def test_enterprise_look_ups_by_uscc_and_text_respect_scope(conn: psycopg.Connection, county: str,
                                                           tmp_path: Path, rng: np.random.Generator) -> None:
    from geo_data.enterprises import enterprise_by_uscc, search_enterprises
    from geo_data.scope import Role, Scope

    frame, _, _ = rows_frame(conn, rng, 4, seed=900)
    frame["企业名称"] = ["婺州100%纯净水厂", "纯净_水站", "老王纯净水", "别的店"]
    with conn.transaction():
        import_enterprises(conn, path=write(frame, tmp_path / "s.csv", "csv"), county_code=county)
    code = frame.iloc[0, 0]
    one = enterprise_by_uscc(conn, county_code=county, uscc=f" {code.lower()} ")
    assert one is not None and one["name"] == "婺州100%纯净水厂" and one["industry_name"] == "餐饮"
    assert enterprise_by_uscc(conn, county_code=county, uscc=fullwidth(code[:9]) + "-" + code[9:]) == one
    assert enterprise_by_uscc(conn, county_code="330702", uscc=code) is None
    whole = Scope(actor="t", role=Role.COUNTY_OPERATOR, county_code=county)
    names = [r["name"] for r in search_enterprises(conn, whole, text="纯净", limit=10)]
    assert names == ["纯净_水站", "老王纯净水", "婺州100%纯净水厂"]  # prefix first, then shortest
    assert [r["name"] for r in search_enterprises(conn, whole, text="100%", limit=10)] == ["婺州100%纯净水厂"]
    assert [r["name"] for r in search_enterprises(conn, whole, text="纯净_", limit=10)] == ["纯净_水站"]
    assert [r["uscc"] for r in search_enterprises(conn, whole, text=code[:16], limit=10)][:1] == [code]
    town = one["township_code"]
    mine = Scope(actor="t", role=Role.TOWNSHIP_DISPATCHER, county_code=county, township_code=town)
    assert all(r["township_code"] == town for r in search_enterprises(conn, mine, text="纯净", limit=10))
    assert search_enterprises(conn, whole, text="  ", limit=10) == []


def test_non_finite_and_lower_case_values(conn: psycopg.Connection, county: str, tmp_path: Path,
                                         rng: np.random.Generator) -> None:
    from geo_data.importers import check_enterprises, read_source

    frame, _, _ = rows_frame(conn, rng, 3, seed=950)
    frame = frame.astype(object)
    frame.iloc[0, 4] = "inf"
    frame.iloc[1, 0] = " " + frame.iloc[1, 0].lower() + " "   # pasted in lower case with blanks: accepted
    frame.iloc[2, 3] = "nan"
    checked = check_enterprises(conn, county_code=county, source=read_source(write(frame, tmp_path / "f.csv", "csv")))
    assert [str(p) for p in checked.problems] == ["row 1: lat: not a number: 'inf'",
                                                  "row 3: lng: not a number: 'nan'"]
    assert checked.clean["uscc"].iloc[1] == frame.iloc[1, 0].strip().upper()


@pytest.mark.parametrize("code", ["9133112500000001x", "91331125000000010I", "9133112500000001", "9133112500000001000",
                                  "91331125000000010Ｘ", "91331125 0000001X"])
def test_database_refuses_a_malformed_uscc_itself(conn: psycopg.Connection, county: str, code: str) -> None:
    """The CHECK (migration 002: length + alphabet) holds for any writer, not only for checked imports."""
    with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
        conn.execute("INSERT INTO enterprises (county_code, uscc, name, risk, credit, geom, h3_r7, h3_r8, h3_r9)"
                     " VALUES (%s, %s, 'x', 'low', 'A', ST_SetSRID(ST_MakePoint(119.5, 28.1), 4326), 1, 2, 3)",
                     (county, code))


def test_copy_error_reaches_the_caller_and_loads_nothing(conn: psycopg.Connection, county: str,
                                                         rng: np.random.Generator) -> None:
    """COPY data goes through a sending thread; a row the server refuses still raises its own error here."""
    from geo_data.enterprises import copy_enterprises

    lng, lat = random_points(conn, 3, 970)
    frame = pd.DataFrame({"uscc": random_usccs(3, rng), "name": ["甲", "乙", "丙"], "address": "",
                          "industry_code": None, "risk": "low", "credit": "A", "lng": lng, "lat": lat})
    with conn.transaction():
        copy_enterprises(conn, county_code=county, frame=frame.iloc[:1])
    before = count(conn)
    with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
        copy_enterprises(conn, county_code=county, frame=frame)  # row 1 is registered already
    frame.loc[2, "uscc"] = "913311250000000IOS"
    with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
        copy_enterprises(conn, county_code=county, frame=frame.iloc[1:])
    assert count(conn) == before


# ------------------------------------------------------------------ the files counties already have (issue 17)

def fullwidth(text: str) -> str:
    """ASCII digits and letters as typed with a Chinese input method in full-width mode."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def national_frame(conn: psycopg.Connection, rng: np.random.Generator, seed: int) -> tuple[pd.DataFrame, list[str]]:
    """8 rows as a market-regulation register exports them: full-width/spaced/hyphenated USCCs, GB/T 4754
    codes and names for the industry, the 企业信用风险分类 letters beside the credit grades."""
    frame, _, _ = rows_frame(conn, rng, 8, seed=seed)
    codes = list(frame["统一社会信用代码"])
    frame["统一社会信用代码"] = [
        fullwidth(codes[0]), f"{codes[1][:4]} {codes[1][4:10]} {codes[1][10:]}", f"{codes[2][:8]}-{codes[2][8:]}",
        fullwidth(codes[3][:9]) + "－" + codes[3][9:].lower(), codes[4], "\u3000" + codes[5],
        codes[6][:6] + "–" + codes[6][6:], fullwidth(codes[7]).replace("Ｘ", "X")]
    frame["行业"] = ["H6210", "6220", "正餐服务", "餐饮业", "F5212", "5265", "理发及美容服务", "C2921"]
    frame = frame.drop(columns=["风险等级"])
    frame["信用风险分类"] = ["A", "B", "C", "D", "a类", "Ｂ", "C类", "D"]
    frame["信用等级"] = ["A", "B", "C", "D", "D", "C", "B", "A"]
    return frame, codes


@pytest.mark.parametrize("fmt", ["csv-bom", "xlsx"])
def test_national_vocabularies_load_from_csv_and_excel(conn: psycopg.Connection, county: str, tmp_path: Path,
                                                       fmt: str, rng: np.random.Generator) -> None:
    frame, codes = national_frame(conn, rng, seed=1000 + len(fmt))
    path = write(frame, tmp_path / f"register{FORMATS[fmt]}", fmt)
    with conn.transaction():
        report = import_enterprises(conn, path=path, county_code=county)
    assert (report.rows_loaded, report.problems, report.unknown) == (8, [], [])
    got = conn.execute("SELECT uscc, industry_code, risk, credit FROM enterprises WHERE uscc = ANY (%s)"
                       " ORDER BY name", (codes,)).fetchall()
    assert [g["uscc"] for g in got] == codes  # stored in the plain ASCII form
    assert [g["industry_code"] for g in got] == ["catering"] * 4 + ["food_retail", "gas_station", "hairdressing",
                                                                     "plastics"]
    # A 低, B 一般, C 较高, D 高: the risk class, independent of the credit grade (A best) beside it
    assert [g["risk"] for g in got] == ["low", "general", "elevated", "high"] * 2
    assert [g["credit"] for g in got] == ["A", "B", "C", "D", "D", "C", "B", "A"]


def test_risk_letters_under_a_plain_risk_header_are_refused_until_mapped_as_risk_class(
        conn: psycopg.Connection, county: str, db_url: str, tmp_path: Path, rng: np.random.Generator) -> None:
    frame, _, _ = rows_frame(conn, rng, 4, seed=1100)
    frame["风险等级"] = ["A", "D", "D", "高"]
    path = write(frame, tmp_path / "letters.csv", "csv")
    env = {"DATABASE_URL": db_url}
    refused = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county], env=env)
    assert refused.exit_code == 2
    summary = [ln.strip() for ln in refused.stderr.splitlines() if ln.startswith("  risk: ")]
    assert [s.split(";")[0] for s in summary] == ["risk: unknown value 'A' in 1 row (1)",
                                                  "risk: unknown value 'D' in 2 rows (2, 3)"]
    assert not [ln for ln in refused.stderr.splitlines() if ln.startswith("row ")]
    done = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county,
                                     "--map", "风险等级=risk_class"], env=env)
    assert done.exit_code == 0, done.output
    got = conn.execute("SELECT risk FROM enterprises WHERE uscc = ANY (%s) ORDER BY name",
                       (list(frame["统一社会信用代码"]),)).fetchall()
    assert [g["risk"] for g in got] == ["low", "high", "high", "high"]


def unknown_values_file(conn: psycopg.Connection, rng: np.random.Generator, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    frame, _, _ = rows_frame(conn, rng, 7, seed=1200)
    frame["行业"] = ["快餐店", "catering", "快餐店", "渔业", "快餐店", "造飞船", "hairdressing"]
    frame["信用等级"] = ["A", "A", "A", "A", "AAA", "A", "A"]
    path = tmp_path / "unknown.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path, frame


def test_unknown_values_are_reported_once_with_count_and_suggestion(conn: psycopg.Connection, county: str,
                                                                   db_url: str, tmp_path: Path,
                                                                   rng: np.random.Generator) -> None:
    path, _ = unknown_values_file(conn, rng, tmp_path)
    before = count(conn)
    result = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county],
                                env={"DATABASE_URL": db_url})
    assert result.exit_code == 2
    summary = [ln.strip() for ln in result.stderr.splitlines() if ln.startswith("  ")]
    assert summary == [
        "industry: unknown value '快餐店' in 3 rows (1, 3, 5); neither in the industries list nor a GB/T 4754-2017"
        " code or name; suggested: --map-values 'industry:快餐店=catering'",
        "industry: unknown value '渔业' in 1 row (4); GB/T 4754 大类 04 渔业 has no product industry;"
        " map it with --map-values 'industry:渔业=VALUE'",
        "industry: unknown value '造飞船' in 1 row (6); neither in the industries list nor a GB/T 4754-2017 code"
        " or name; map it with --map-values 'industry:造飞船=VALUE'",
        "credit: unknown value 'AAA' in 1 row (5); use A/B/C/D or 优/良/中/差; map it with --map-values"
        " credit:AAA=VALUE",
    ]
    assert result.stderr.count("unknown value '快餐店'") == 1  # said once, not on every row
    assert not [ln for ln in result.stderr.splitlines() if ln.startswith("row ")]
    assert count(conn) == before
    refusal = conn.execute("SELECT detail FROM audit_log WHERE action = 'import.enterprises.refused'"
                           " ORDER BY seq DESC LIMIT 1").fetchone()
    assert refusal["detail"]["problems"] == 6 and len(refusal["detail"]["unknown"]) == 4


def test_map_values_applies_and_refuses_an_unknown_target(conn: psycopg.Connection, county: str, db_url: str,
                                                          tmp_path: Path, rng: np.random.Generator) -> None:
    path, frame = unknown_values_file(conn, rng, tmp_path)
    env = {"DATABASE_URL": db_url}
    wrong = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county,
                                      "--map-values", "industry:快餐店=飞船"], env=env)
    assert wrong.exit_code == 2
    assert "--map-values industry:快餐店=飞船: '飞船' is not a known industry" in wrong.stderr
    bad_field = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county,
                                          "--map-values", "name:a=b"], env=env)
    assert bad_field.exit_code == 2 and "field 'name' takes no value mapping" in bad_field.stderr
    done = CliRunner().invoke(main, [
        "import", "enterprises", str(path), "--county", county, "--map-values", "industry:快餐店=catering",
        "--map-values", "industry: 渔业 =畜禽养殖", "--map-values", "industry:造飞船=hardware_mfg",
        "--map-values", "credit:AAA=A"], env=env)
    assert done.exit_code == 0, done.output
    assert "loaded 7 of 7 enterprises rows" in done.stdout
    got = conn.execute("SELECT industry_code, credit FROM enterprises WHERE uscc = ANY (%s) ORDER BY name",
                       (list(frame["统一社会信用代码"]),)).fetchall()
    assert [g["industry_code"] for g in got] == ["catering", "catering", "catering", "livestock", "catering",
                                                 "hardware_mfg", "hairdressing"]
    assert {g["credit"] for g in got} == {"A"}
    audit = conn.execute("SELECT detail FROM audit_log WHERE action = 'import.enterprises'"
                         " ORDER BY seq DESC LIMIT 1").fetchone()
    assert audit["detail"]["value_maps"] == {"industry": {"快餐店": "catering", "渔业": "畜禽养殖",
                                                          "造飞船": "hardware_mfg"}, "credit": {"aaa": "A"}}


def test_skip_bad_rejects_name_row_field_and_reason_and_unknowns_are_said_once(
        conn: psycopg.Connection, county: str, db_url: str, tmp_path: Path, rng: np.random.Generator) -> None:
    path, frame = unknown_values_file(conn, rng, tmp_path)
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(main, ["import", "enterprises", str(path), "--county", county, "--skip-bad",
                                       "--rejects", str(rejects)], env={"DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert "loaded 2 of 7 enterprises rows" in result.stdout
    assert result.stdout.count("'快餐店' in 3 rows (1, 3, 5)") == 1
    got = pd.read_csv(rejects, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(got["row"]) == ["1", "3", "4", "5", "6"]
    reasons = dict(zip(got["row"], got["reason"], strict=True))
    assert reasons["1"] == ("industry: unknown industry '快餐店' (neither in the industries list nor a GB/T"
                            " 4754-2017 code or name); suggested: catering")
    assert reasons["4"] == "industry: unknown industry '渔业' (GB/T 4754 大类 04 渔业 has no product industry)"
    assert reasons["5"].startswith("industry: unknown industry '快餐店'")
    assert reasons["5"].endswith("; credit: unknown credit grade 'AAA' (use A/B/C/D or 优/良/中/差)")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_visits_take_excel_dates_full_width_codes_and_mapped_departments(
        conn: psycopg.Connection, county: str, tmp_path: Path, fmt: str, rng: np.random.Generator) -> None:
    from datetime import date, datetime

    from geo_data.importers import ImportRefused

    frame, _, _ = rows_frame(conn, rng, 3, seed=1300 + len(fmt))
    with conn.transaction():
        import_enterprises(conn, path=write(frame, tmp_path / "e.csv", "csv"), county_code=county)
    codes = list(frame["统一社会信用代码"])
    if fmt == "xlsx":  # date cells, as openpyxl writes and reads them
        dates: list[Any] = [datetime(2026, 3, 2), date(2026, 3, 3), datetime(2026, 3, 4, 9, 30)]
    else:              # what Excel's CSV export writes for date cells left in the General format
        dates = ["46083", "46084", "46085.395833"]
    visits = pd.DataFrame({"统一社会信用代码": [fullwidth(codes[0]), f"{codes[1][:9]}-{codes[1][9:]}", codes[2]],
                           "检查部门": ["消防大队", "market", "消防大队"], "参与部门": ["", "消防大队", ""],
                           "检查日期": dates})
    path = tmp_path / f"visits.{fmt}"
    if fmt == "xlsx":
        visits.to_excel(path, index=False, engine="openpyxl")
    else:
        visits.to_csv(path, index=False, encoding="utf-8")
    with pytest.raises(ImportRefused) as info, conn.transaction():
        import_visits(conn, path=path, county_code=county)
    assert [(u.field, u.value, u.rows, u.suggestion) for u in info.value.unknown] == [
        ("department", "消防大队", (1, 3), "fire"), ("departments", "消防大队", (2,), "fire")]
    assert info.value.unknown[1].map_option("fire") == "--map-values 'department:消防大队=fire'"
    assert [str(p) for p in info.value.problems] == [
        "row 1: department: unknown department '消防大队'; suggested: fire",
        "row 2: departments: unknown department(s): 消防大队",
        "row 3: department: unknown department '消防大队'; suggested: fire"]
    with conn.transaction():
        report = import_visits(conn, path=path, county_code=county, value_maps={"department": {"消防大队": "fire"}})
    assert report.rows_loaded == 3
    got = conn.execute("SELECT e.uscc, v.visit_date, v.lead_department, v.departments FROM visits v"
                       " JOIN enterprises e ON e.id = v.enterprise_id WHERE e.uscc = ANY (%s) ORDER BY v.visit_date",
                       (codes,)).fetchall()
    assert [(g["uscc"], g["visit_date"], g["lead_department"], g["departments"]) for g in got] == [
        (codes[0], date(2026, 3, 2), "fire", ["fire"]), (codes[1], date(2026, 3, 3), "market", ["fire", "market"]),
        (codes[2], date(2026, 3, 4), "fire", ["fire"])]
