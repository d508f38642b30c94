"""Live push of intake writes: the API announces what it stored right after its commit (one notice per township
and kind, not one per row), and rows written straight through SQL are still announced by the statement
triggers (migrations 250/252) — in the forms geo_data.push understands."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import pytest
import requests

from geo_data.db import connect
from tests.db.dispatch_scenario import COUNTY, alert, api_server, api_settings, build, token


@pytest.fixture(scope="module")
def api(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with connect(db_url) as c:
        build(c)
        c.commit()
    with api_server(db_url, api_settings(db_url, tmp_path_factory.mktemp("notify"))) as url:
        yield url


@pytest.fixture()
def listener(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as c:
        c.execute("LISTEN gridcommand")
        yield c


def _drain(listen: Any, want: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got += [json.loads(n.payload) for n in listen.notifies(timeout=0.2, stop_after=want - len(got))]
    return got


def _ids(notes: list[dict[str, Any]], kind: str) -> list[int]:
    out: list[int] = []
    for n in notes:
        if n["kind"].rstrip("s") == kind:
            out += n["id"] if isinstance(n["id"], list) else [n["id"]]
    return sorted(out)


def test_api_batch_is_announced_after_commit_grouped_by_township(api: str, db_url: str, listener: Any,
                                                                  conn: Any) -> None:
    tok = token(db_url, source=f"cam-{secrets.token_hex(3)}")
    # 6 alerts in township 001 (SW quarter) and 4 in 002 (SE quarter), far apart: 10 new incidents.
    items = [alert(f"n-{secrets.token_hex(5)}", lng=120.005 + 0.004 * i, lat=30.01 + 0.003 * i) for i in range(6)]
    items += [alert(f"n-{secrets.token_hex(5)}", lng=120.055 + 0.004 * i, lat=30.01 + 0.003 * i) for i in range(4)]
    r = requests.post(api + "/api/v1/alerts/batch", json={"items": items},
                      headers={"Authorization": f"Bearer {tok}"}, timeout=30)
    assert r.status_code == 200, r.text
    alert_ids = sorted(x["id"] for x in r.json()["results"])
    notes = _drain(listener, 4)
    assert len(notes) == 4, notes  # alerts × 2 townships + incidents × 2 townships, not 20 row notices
    assert _ids(notes, "alert") == alert_ids
    incident_ids = sorted({x["incident_id"] for x in r.json()["results"]})
    assert _ids(notes, "incident") == incident_ids
    towns = {(n["kind"], n["township_code"]): n for n in notes}
    assert towns[("alerts", "339901001")]["count"] == 6 and towns[("alerts", "339901002")]["count"] == 4
    assert all(n["county_code"] == COUNTY for n in notes)
    # the notice is sent after the commit: the rows it names are visible to the listener's own reads
    assert conn.execute("SELECT count(*) AS n FROM alerts WHERE id = ANY(%s)", (alert_ids,)).fetchone()["n"] == 10


def test_single_post_is_announced_with_its_township(api: str, db_url: str, listener: Any) -> None:
    tok = token(db_url, source=f"cam-{secrets.token_hex(3)}")
    r = requests.post(api + "/api/v1/alerts", json=alert(f"n-{secrets.token_hex(5)}", lng=120.081, lat=30.081),
                      headers={"Authorization": f"Bearer {tok}"}, timeout=30)
    assert r.status_code == 201, r.text
    notes = _drain(listener, 2)
    by_kind = {n["kind"]: n for n in notes}
    assert by_kind["alert"]["id"] == r.json()["id"] and by_kind["alert"]["township_code"] == "339901004"
    assert by_kind["incident"]["id"] == r.json()["incident_id"]
    assert not _drain(listener, 1, timeout=0.5), "no duplicate notices from the table triggers"


def test_rows_written_through_sql_are_still_announced_per_statement(db_url: str, listener: Any, api: str) -> None:
    with connect(db_url) as c:
        ids = [r["id"] for r in c.execute(
            "INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code, observed_at,"
            " severity, geom, h3_r7, h3_r8, h3_r9)"
            " SELECT %s, '339901003', 'sql', 'sql-' || g || %s, 'sensor', 'gt_vending', now(), 'low',"
            "        ST_SetSRID(ST_MakePoint(120.01, 30.06), 4326), 1, 2, 3 FROM generate_series(1, 3) g"
            " RETURNING id", (COUNTY, secrets.token_hex(3)))]
        c.commit()
    notes = _drain(listener, 1)
    assert len(notes) == 1 and notes[0]["kind"] == "alerts" and notes[0]["id"] == sorted(ids)
    assert notes[0]["township_code"] == "339901003"
    assert not _drain(listener, 1, timeout=0.5)
