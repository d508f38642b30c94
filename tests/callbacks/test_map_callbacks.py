"""Map and wall data functions called with a scope against real PostGIS (scenario county 330799)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from callbacks.map_common import bbox_from_bounds, time_window, view_bounds
from callbacks.map_details import details_for
from callbacks.map_live import live_bases
from callbacks.map_search import search_hits
from callbacks.map_time import day_layers, playback_payload
from callbacks.map_view import boundary_layers, viewport_payload
from callbacks.wall import kpi_values
from enforcement.local_time import SHANGHAI
from geo_data.errors import Forbidden, InvalidInput
from geo_data.push import PushHub
from geo_data.scope import Role, Scope
from geo_data.settings import MapSettings
from layers.geojson import live_feature, payload_bytes
from tests import map_scenario as ms

COUNTY = Scope("op", Role.COUNTY_OPERATOR, ms.COUNTY)
WEST = Scope("disp", Role.TOWNSHIP_DISPATCHER, ms.COUNTY, ms.TOWN_W)
WHOLE = (ms.WEST, ms.SOUTH, ms.EAST, ms.NORTH)
D0, D1 = date.today() - timedelta(days=60), date.today() + timedelta(days=1)


@pytest.fixture
def scn(conn: Any) -> dict[str, Any]:
    return ms.load(conn)


def _view(conn: Any, scope: Scope, bbox: Any, zoom: float, measure: str = "enterprises",
          settings: MapSettings | None = None, datum_name: str = "wgs84") -> dict[str, Any]:
    return viewport_payload(conn, scope=scope, map_settings=settings or MapSettings(), bbox=bbox, zoom=zoom,
                            measure=measure, date_from=D0, date_to=D1, datum_name=datum_name)


def _coords(fc: dict[str, Any]) -> list[list[float]]:
    return [f["geometry"]["coordinates"] for f in fc["features"]]


def test_low_zoom_gives_cells_high_zoom_gives_points_inside_the_view(conn: Any, scn: Any) -> None:
    low = _view(conn, COUNTY, WHOLE, 10)
    assert low["res"] == 7 and low["cells"]["features"] and not low["enterprises"]["features"]
    in_cells = conn.execute("SELECT count(*) AS n FROM enterprises e JOIN h3_cells c ON c.cell = e.h3_r7 "
                            "WHERE e.county_code = %s", (ms.COUNTY,)).fetchone()["n"]
    assert sum(f["properties"]["value"] for f in low["cells"]["features"]) == in_cells > 0
    box = (119.61, 29.06, 119.63, 29.08)
    high = _view(conn, COUNTY, box, 15)
    assert high["res"] is None and not high["cells"]["features"]
    pts = _coords(high["enterprises"])
    assert 0 < len(pts) < ms.N_ENTERPRISES
    assert all(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in pts)
    assert high["total"] == len(pts)


def test_points_are_capped_and_the_cap_is_reported(conn: Any, scn: Any) -> None:
    p = _view(conn, COUNTY, WHOLE, 15, settings=MapSettings(max_points=50))
    assert p["capped"] and len(p["enterprises"]["features"]) == 50 and p["total"] >= 300
    assert {f["properties"]["risk"] for f in p["enterprises"]["features"]} <= {"high", "elevated"}
    assert payload_bytes(p["enterprises"]) < 50 * 250
    uncapped = _view(conn, COUNTY, WHOLE, 15)
    assert not uncapped["capped"] and uncapped["total"] == ms.N_ENTERPRISES == uncapped["shown"]


def test_township_dispatcher_sees_only_own_township(conn: Any, scn: Any) -> None:
    pts = _coords(_view(conn, WEST, WHOLE, 15)["enterprises"])
    assert pts and all(x <= ms.MID for x, _ in pts)
    cells = _view(conn, WEST, WHOLE, 12)["cells"]["features"]
    assert cells and len(cells) < len(_view(conn, COUNTY, WHOLE, 12)["cells"]["features"])
    polygons, labels = boundary_layers(conn, scope=WEST)
    assert [f["properties"]["name"] for f in labels["features"]] == ["西城街道"]
    assert all(f["properties"]["kind"] == "township" for f in polygons["features"]), "no county outline"
    other = conn.execute("SELECT id FROM enterprises WHERE township_code = %s LIMIT 1", (ms.TOWN_E,)).fetchone()["id"]
    with pytest.raises(Forbidden):  # another township's enterprise: refused (403), not shown
        details_for(conn, scope=WEST, kind="enterprise", key=other, lang="zh", date_from=D0, date_to=D1)
    assert all(h["kind"] != "township" or h["key"] == ms.TOWN_W for h in search_hits(conn, scope=WEST, q="镇"))
    now = datetime.now(SHANGHAI)
    alerts, incidents, teams = live_bases(conn, scope=WEST, since=now - timedelta(days=2), until=now, live=True)
    assert alerts["features"] and all(x < ms.MID for x, _ in _coords(alerts))
    assert [f["properties"]["name"] for f in teams["features"]] == ["西城综合执法队"]
    county_alerts = live_bases(conn, scope=COUNTY, since=now - timedelta(days=2), until=now, live=True)[0]
    assert len(county_alerts["features"]) > len(alerts["features"])
    assert kpi_values(conn, scope=WEST, day=now.date(), lang="zh")["alerts_today"] != \
        kpi_values(conn, scope=COUNTY, day=now.date(), lang="zh")["alerts_today"] or len(alerts["features"]) == len(county_alerts["features"])


def test_rate_measures_are_shares_computed_from_visits(conn: Any, scn: Any) -> None:
    for measure in ("repeat_rate", "coverage"):
        p = _view(conn, COUNTY, WHOLE, 10, measure=measure)
        values = [f["properties"]["value"] for f in p["cells"]["features"] if f["properties"]["value"] is not None]
        assert values and all(0 <= v <= 1 for v in values) and max(values) > 0
    with pytest.raises(InvalidInput, match="measure"):
        _view(conn, COUNTY, WHOLE, 10, measure="nonsense")


def test_bad_view_input_is_a_clear_error(conn: Any, scn: Any) -> None:
    with pytest.raises(InvalidInput, match="bbox"):
        _view(conn, COUNTY, ("a", 1, 2, 3), 12)
    with pytest.raises(InvalidInput, match="min must not exceed max"):
        _view(conn, COUNTY, (120, 29, 119, 30), 12)
    with pytest.raises(InvalidInput, match="bounds"):
        bbox_from_bounds("nonsense")
    with pytest.raises(InvalidInput, match="start date is after"):
        time_window("custom", "2026-02-01", "2026-01-01")
    est = view_bounds(None, [29.08, 119.65], 12)
    assert est[0][0] < 29.08 < est[1][0] and est[0][1] < 119.65 < est[1][1]


def test_gcj02_basemap_shifts_overlays_and_the_view_shifts_back(conn: Any, scn: Any) -> None:
    box = (119.61, 29.06, 119.63, 29.08)
    wgs = {f["id"]: f["geometry"]["coordinates"] for f in _view(conn, COUNTY, box, 15)["enterprises"]["features"]}
    gcj = {f["id"]: f["geometry"]["coordinates"] for f in
           _view(conn, COUNTY, box, 15, datum_name="gcj02")["enterprises"]["features"]}
    assert wgs.keys() == gcj.keys()
    assert all(0.001 < abs(gcj[k][0] - wgs[k][0]) + abs(gcj[k][1] - wgs[k][1]) < 0.02 for k in wgs)
    back = bbox_from_bounds([[29.08, 119.65], [29.09, 119.66]], datum_name="gcj02")
    assert back[0] < 119.65 and back[1] > 29.08  # here GCJ-02 lies east and south of WGS-84


def test_cell_and_township_details_list_what_belongs_to_them(conn: Any, scn: Any) -> None:
    cell = conn.execute("SELECT cell FROM h3_cells WHERE county_code = %s AND res = 8 ORDER BY ent_total DESC "
                        "LIMIT 1", (ms.COUNTY,)).fetchone()["cell"]
    body = str(details_for(conn, scope=COUNTY, kind="cell", key=cell, lang="en", date_from=D0, date_to=D1))
    assert "Top enterprises" in body and "测试企业" in body
    town = str(details_for(conn, scope=COUNTY, kind="township", key=ms.TOWN_E, lang="zh", date_from=D0, date_to=D1))
    assert "东湖镇" in town
    ent = details_for(conn, scope=COUNTY, kind="enterprise", key=scn["evil_id"], lang="zh", date_from=D0, date_to=D1)
    assert ms.EVIL in str(ent) and "最近检查" in str(ent)


def test_day_routes_and_playback(conn: Any, scn: Any) -> None:
    day = conn.execute("SELECT visit_date FROM visits WHERE county_code = %s GROUP BY 1 ORDER BY count(*) DESC "
                       "LIMIT 1", (ms.COUNTY,)).fetchone()["visit_date"]
    visits, _routes = day_layers(conn, scope=COUNTY, day=day)
    assert visits["features"]
    now = datetime.now(SHANGHAI)
    data, meta = playback_payload(conn, scope=COUNTY, since=now - timedelta(days=30), until=now, steps=10)
    times = [f["properties"]["t"] for f in data["features"]]
    assert times == sorted(times) and meta["steps"] == 10 and meta["start"] <= times[0]


def _changes(sub: Any, n: int, timeout: float = 3.0) -> list[Any]:
    """The next ``n`` changes a subscriber receives (over as many batches as they come in)."""
    out: list[Any] = []
    end = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        batch = sub.take(timeout=max(0.0, end - time.monotonic()))
        if batch is not None:
            out += batch.changes
    assert len(out) == n, f"expected {n} changes, got {out}"
    return out


def test_push_hub_delivers_each_change_only_to_scopes_that_cover_it(db_url: str, conn: Any, scn: Any) -> None:
    hub = PushHub(db_url, lambda kind, row: live_feature(kind, row)).start()
    try:
        assert hub.connected.wait(5)
        county, west = hub.subscribe(ms.COUNTY, None), hub.subscribe(ms.COUNTY, ms.TOWN_W)
        ms.add_alert(conn, lng=119.69, lat=29.06, township=ms.TOWN_E, source_id=f"hub-e-{time.time()}")
        ms.add_alert(conn, lng=119.61, lat=29.06, township=ms.TOWN_W, source_id=f"hub-w-{time.time()}")
        got_county = _changes(county, 4)   # two incidents + two alerts
        got_west = _changes(west, 2)
        time.sleep(0.3)
        assert west.take() is None
        assert {c.township_code for c in got_county} == {ms.TOWN_E, ms.TOWN_W}
        assert {c.township_code for c in got_west} == {ms.TOWN_W}
        alert = next(c for c in got_west if c.kind == "alert")
        assert alert.op == "upsert" and alert.feature and alert.feature["id"] == f"alert:{alert.id}"
    finally:
        hub.stop()


def test_push_hub_understands_the_application_batch_notices(db_url: str, conn: Any, scn: Any) -> None:
    from geo_data.notify import notify

    hub = PushHub(db_url, lambda kind, row: live_feature(kind, row)).start()
    try:
        assert hub.connected.wait(5)
        west = hub.subscribe(ms.COUNTY, ms.TOWN_W)
        ids = [r["id"] for r in conn.execute("SELECT id FROM alerts WHERE township_code = %s ORDER BY id LIMIT 2",
                                             (ms.TOWN_W,))]
        notify(conn, kind="alerts", op="update", id=ids, county_code=ms.COUNTY)
        got = sorted(c.id for c in _changes(west, len(ids)))
        assert got == ids
        notify(conn, kind="alerts", op="update", id=list(range(1, 600)), county_code=ms.COUNTY)
        batch = west.take(timeout=3)
        assert batch is not None and batch.resync and not batch.changes
        notify(conn, kind="team", op="remove", id=1, county_code=ms.COUNTY, township_code=ms.TOWN_W)
        (removed,) = _changes(west, 1)
        assert (removed.kind, removed.op, removed.id) == ("team", "remove", 1)
    finally:
        hub.stop()


def test_wall_rotation_visits_each_township_then_the_whole_area(conn: Any, scn: Any) -> None:
    from callbacks.wall import rotation_step
    from geo_data import map_queries

    towns = map_queries.wall_townships(conn, scope=COUNTY)
    ext = map_queries.area_extent(conn, scope=COUNTY)
    names, i = [], -1
    for _ in range(4):
        box, name, i = rotation_step(towns, ext, i, "zh")
        assert box is not None and box[0] < box[2] and box[1] < box[3]
        names.append(name)
    assert names == ["西城街道", "东湖镇", "全县", "西城街道"]
    own = map_queries.wall_townships(conn, scope=WEST)
    assert [r["name"] for r in own] == ["西城街道"], "a dispatcher's wall rotates through the own township only"
