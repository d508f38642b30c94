"""Enterprise points of a view (one statement: cell estimate, all points, or high/elevated risk ones) on PostGIS."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from callbacks.map_view import viewport_payload
from geo_data.scope import Role, Scope
from geo_data.settings import MapSettings
from tests import map_scenario as ms

COUNTY = Scope("op", Role.COUNTY_OPERATOR, ms.COUNTY)
WHOLE = (ms.WEST, ms.SOUTH, ms.EAST, ms.NORTH)


@pytest.fixture
def scn(conn: Any) -> dict[str, Any]:
    return ms.load(conn)


def _points(conn: Any, bbox: Any, max_points: int = 1500) -> dict[str, Any]:
    today = date.today()
    return viewport_payload(conn, scope=COUNTY, map_settings=MapSettings(max_points=max_points), bbox=bbox, zoom=15,
                            measure="enterprises", date_from=today - timedelta(days=30), date_to=today)


def test_points_fall_back_to_high_risk_when_cell_counts_lag_behind(conn: Any, scn: Any) -> None:
    # the res-9 cell counts say "empty" (as when the pre-aggregate has not caught up with writes): the statement
    # still finds the view overflowing the cap and sends only high/elevated risk enterprises
    conn.execute("UPDATE h3_cells SET ent_total = 0 WHERE county_code = %s", (ms.COUNTY,))
    p = _points(conn, WHOLE, max_points=50)
    assert p["capped"] and p["total"] == 51 and p["shown"] == len(p["enterprises"]["features"]) == 50
    assert {f["properties"]["risk"] for f in p["enterprises"]["features"]} <= {"high", "elevated"}


def test_points_of_an_empty_view_and_of_a_full_one(conn: Any, scn: Any) -> None:
    empty = _points(conn, (100.0, 10.0, 100.01, 10.01))
    assert not empty["capped"] and empty["total"] == 0 and not empty["enterprises"]["features"]
    full = _points(conn, WHOLE)
    ids = [f["id"] for f in full["enterprises"]["features"]]
    assert not full["capped"] and full["total"] == len(ids) == len(set(ids)) == ms.N_ENTERPRISES


def test_point_features_match_the_generic_builder(conn: Any, scn: Any) -> None:
    # the tuple fast path sends exactly what the generic lean point builder would (ids, rounded coordinates,
    # name and risk only), in WGS-84 and shifted to GCJ-02
    from geo_data.map_queries import enterprises_in_view
    from layers import geojson

    pts = enterprises_in_view(conn, scope=COUNTY, bbox=WHOLE, limit=1500).rows
    dicts = [{"id": p[0], "name": p[1], "risk": p[2], "lng": p[3], "lat": p[4]} for p in pts]
    for datum in ("wgs84", "gcj02"):
        assert geojson.enterprise_features(pts, datum=datum) == geojson.point_features(
            dicts, kind="enterprise", props=geojson.ENTERPRISE_PROPS, datum=datum, lean=True)
