"""Track points are pruned by age, in batches; newer ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from geo_data.positions import prune_tracks
from tests.db import dispatch_scenario as ds


def test_prune_deletes_only_points_older_than_the_kept_days(conn: Any) -> None:
    ds.build(conn)
    team_id = ds.add_team(conn, name="轨迹测试组", township="339901001", lng=120.02, lat=30.02, qualifications=[])
    now = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)
    ages = [200, 120, 91, 89, 10, 0]
    for days in ages:
        conn.execute("INSERT INTO team_positions (county_code, team_id, at, geom, h3_r7, h3_r8, h3_r9, status)"
                     " SELECT county_code, id, %s, base, 0, 0, 0, 'idle' FROM teams WHERE id = %s",
                     (now - timedelta(days=days), team_id))
    before = conn.execute("SELECT count(*) AS n FROM team_positions WHERE team_id = %s", (team_id,)).fetchone()["n"]
    assert prune_tracks(conn, older_than_days=90, batch=2, now=now) == 3
    left = [r["at"] for r in conn.execute("SELECT at FROM team_positions WHERE team_id = %s ORDER BY at",
                                          (team_id,)).fetchall()]
    assert left == [now - timedelta(days=d) for d in (89, 10, 0)]
    assert before == len(ages)
