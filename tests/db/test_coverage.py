"""Coverage review against real PostGIS: import of drone tracks / camera FOVs, blind spots, inspection classes,
team reach, and the ``gridcommand kpi`` / ``import coverage`` commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import h3.api.basic_int as h3_int
import pytest
from click.testing import CliRunner

from enforcement.measures import MeasureFilter
from geo_data.coverage import area_rows, import_coverage
from geo_data.errors import InvalidInput
from geo_data.measures import panel
from geo_data.scope import system_scope
from geo_data.settings import DispatchSettings
from tests.db.measure_scenarios import Scenario

MARCH = MeasureFilter(date(2026, 3, 1), date(2026, 3, 31))


def _write(tmp_path: Path, name: str, features: list[dict[str, Any]]) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return p


def test_drone_track_is_buffered_into_res9_cells_and_covers_enterprises(conn, tmp_path) -> None:
    s = Scenario(conn)
    ent = s.enterprise(risk="high")
    lng, lat = conn.execute("SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM enterprises WHERE id = %s",
                            (ent,)).fetchone().values()
    # a track passing 100 m north of the enterprise (0.0009 deg lat ~ 100 m): the 150 m strip covers it
    track = {"type": "Feature", "properties": {"name": "UAV-1", "valid_from": "2026-03-01"},
             "geometry": {"type": "LineString", "coordinates": [[lng - 0.01, lat + 0.0009], [lng + 0.01, lat + 0.0009]]}}
    path = _write(tmp_path, "tracks.geojson", [track])
    scope = system_scope(s.county)
    before = panel(conn, scope, MARCH)["coverage_high"]
    assert before.numerator == 0
    with conn.transaction():
        res = import_coverage(conn, scope, path, kind="drone_track", buffer_m=150)
    assert res.cells > 5 and res.inserted == res.cells
    cell = conn.execute("SELECT h3_r9 FROM enterprises WHERE id = %s", (ent,)).fetchone()["h3_r9"]
    rows = conn.execute("SELECT cell, source, valid_from FROM monitoring_coverage WHERE county_code = %s",
                        (s.county,)).fetchall()
    assert cell in {r["cell"] for r in rows} and all(h3_int.get_resolution(r["cell"]) == 9 for r in rows)
    assert rows[0]["source"] == "tracks.geojson#UAV-1" and rows[0]["valid_from"] == date(2026, 3, 1)
    assert panel(conn, scope, MARCH)["coverage_high"].numerator == 1
    with conn.transaction():  # idempotent re-import
        assert import_coverage(conn, scope, path, kind="drone_track", buffer_m=150).inserted == 0
    audit = conn.execute("SELECT count(*) AS n FROM audit_log WHERE action = 'import.coverage'").fetchone()["n"]
    assert audit >= 2


def test_bad_features_are_reported_and_nothing_is_imported(conn, tmp_path) -> None:
    s = Scenario(conn)
    good = {"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[119.6, 29.01], [119.61, 29.01], [119.61, 29.02],
                                                             [119.6, 29.01]]]}}
    line = {"type": "Feature", "properties": {"valid_from": "2026-13-01"},
            "geometry": {"type": "LineString", "coordinates": [[119.6, 29.0], [119.61, 29.0]]}}
    path = _write(tmp_path, "fov.geojson", [good, line])
    with pytest.raises(InvalidInput) as err:
        import_coverage(conn, system_scope(s.county), path, kind="camera_fov")
    problems = {(p.row, p.field) for p in err.value.problems}
    assert (2, "geometry") in problems and (2, "valid_from") in problems
    assert conn.execute("SELECT count(*) AS n FROM monitoring_coverage WHERE county_code = %s",
                        (s.county,)).fetchone()["n"] == 0


def test_blind_spots_over_and_under_inspected_cells_and_reach(conn) -> None:
    s = Scenario(conn)
    blind_ent = s.enterprise(risk="high")                       # high risk, nothing in March: blind spot
    busy = s.enterprise(risk="low", dx=0.05, dy=0.05)            # low risk, visited 3 times: over-inspected
    for d in (3, 10, 20):
        s.visit(busy, date(2026, 3, d), ["tm_market"])
    watched = s.enterprise(risk="high", dx=0.05)                 # high risk, visited once: not blind
    s.visit(watched, date(2026, 3, 5), ["tm_fire"])
    scope = system_scope(s.county)
    rows = {r.key: r for r in area_rows(conn, scope, MARCH, level="r9")}
    cell = {e: str(conn.execute("SELECT h3_r9 FROM enterprises WHERE id = %s", (e,)).fetchone()["h3_r9"])
            for e in (blind_ent, busy, watched)}
    assert rows[cell[blind_ent]].blind and rows[cell[blind_ent]].inspection == "under"
    assert not rows[cell[watched]].blind
    # low risk warrants 0.5/year -> 31 days: 0.0425 expected visits; 3 visits -> ratio ~70 > 2
    assert rows[cell[busy]].inspection == "over" and rows[cell[busy]].inspection_ratio == pytest.approx(
        3 / (0.5 * 31 / 365))
    # a team based at the blind enterprise reaches its cell at once, the far one later
    lng, lat = conn.execute("SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM enterprises WHERE id = %s",
                            (blind_ent,)).fetchone().values()
    conn.execute("INSERT INTO teams (county_code, township_code, name, kind, base, base_h3_r9) VALUES"
                 " (%s, %s, 'T1', 'township', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)",
                 (s.county, s.towns[0], lng, lat, int(cell[blind_ent])))
    rows = {r.key: r for r in area_rows(conn, scope, MARCH, level="r9", reach_minutes=5,
                                        dispatch_settings=DispatchSettings())}
    assert rows[cell[blind_ent]].in_reach and rows[cell[blind_ent]].reach_min < 1
    assert rows[cell[busy]].in_reach is False  # ~7 km straight line: beyond 5 minutes
    towns = area_rows(conn, scope, MARCH, level="township")
    assert {r.key for r in towns} == {s.towns[0]} and towns[0].name.startswith("测试镇")


def test_cli_kpi_prints_table_and_json(db_url, conn) -> None:
    from cli import main

    s = Scenario(conn)
    e = s.enterprise()
    s.visit(e, date(2026, 3, 2), ["tm_market", "tm_fire"], task_count=2)
    env = {"DATABASE_URL": db_url}  # the command reads its settings from the environment
    runner = CliRunner()
    out = runner.invoke(main, ["kpi", "--county", s.county, "--from", "2026-03-01", "--to", "2026-03-31",
                               "--format", "json"], env=env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["measures"]["joint_rate"]["value"] == 1.0 and data["measures"]["visits_spared"]["value"] == 1
    out = runner.invoke(main, ["kpi", "--county", s.county, "--from", "2026-03-01", "--to", "2026-03-31"],
                        env=env)
    assert out.exit_code == 0 and "联合检查率" in out.output and "100.0 %" in out.output
    bad = runner.invoke(main, ["kpi", "--county", s.county, "--from", "2026-04-01", "--to", "2026-03-01"],
                        env=env)
    assert bad.exit_code == 2 and "after" in bad.output
