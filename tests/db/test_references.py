"""The references of alerts, incidents and dispatch events, checked per statement (migration 254), hold exactly
as the foreign keys they replaced: missing targets refused, referenced rows kept, incident deletes followed, and a
delete racing an insert never leaves an alert pointing nowhere (real PostGIS, two connections)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from itertools import count
from typing import Any

import psycopg
import pytest

from geo_data.db import connect
from tests.db.dispatch_scenario import COUNTY, build

_ids = count(1)
TOWN = "339901001"


@pytest.fixture(scope="module", autouse=True)
def county(db_url: str) -> None:
    with connect(db_url) as c:
        build(c, cells=False)
        c.commit()


def _alert(conn: Any, *, county: str = COUNTY, township: str | None = TOWN, type_code: str = "gt_vending",
           incident: int | None = None) -> int:
    return int(conn.execute(
        "INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code, observed_at,"
        " severity, incident_id, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, %s, 'refs', %s, 'sensor', %s, now(), 'low',"
        " %s, ST_SetSRID(ST_MakePoint(120.01, 30.01), 4326), 1, 2, 3) RETURNING id",
        (county, township, f"r-{next(_ids)}", type_code, incident)).fetchone()["id"])


def _incident(conn: Any, *, county: str = COUNTY, township: str | None = TOWN, type_code: str = "gt_vending") -> int:
    return int(conn.execute(
        "INSERT INTO incidents (county_code, township_code, type_code, severity, status, first_seen, last_seen,"
        " geom, h3_r7, h3_r8, h3_r9, sla_due_at) VALUES (%s, %s, %s, 'low', 'open', now(), now(),"
        " ST_SetSRID(ST_MakePoint(120.01, 30.01), 4326), 1, 2, 3, now()) RETURNING id", (county, township, type_code)
    ).fetchone()["id"])


def _township(conn: Any, code: str) -> None:
    conn.execute("INSERT INTO townships (code, county_code, name, geom) VALUES (%s, %s, %s,"
                 " ST_Multi(ST_GeomFromText('POLYGON((120 30,120.01 30,120.01 30.01,120 30))', 4326)))",
                 (code, COUNTY, f"临时镇{code[-3:]}"))


@pytest.mark.parametrize(("kwargs", "constraint"), [
    ({"county": "999999"}, "alerts_county_code_fkey"),
    ({"township": "339901999"}, "alerts_township_code_fkey"),
    ({"type_code": "no_such_type"}, "alerts_type_code_fkey"),
    ({"incident": 987654321}, "alerts_incident_id_fkey"),
])
def test_an_alert_pointing_nowhere_is_refused_and_not_stored(conn: Any, kwargs: dict[str, Any],
                                                             constraint: str) -> None:
    before = conn.execute("SELECT count(*) AS n FROM alerts").fetchone()["n"]
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
        with conn.transaction():
            _alert(conn)  # a good one in the same statement's transaction goes too
            _alert(conn, **kwargs)
    assert err.value.diag.constraint_name == constraint
    assert str(next(iter(kwargs.values()))) in (err.value.diag.message_detail or "")
    assert conn.execute("SELECT count(*) AS n FROM alerts").fetchone()["n"] == before


@pytest.mark.parametrize(("kwargs", "constraint"), [
    ({"county": "999999"}, "incidents_county_code_fkey"),
    ({"township": "339901999"}, "incidents_township_code_fkey"),
    ({"type_code": "no_such_type"}, "incidents_type_code_fkey"),
])
def test_an_incident_pointing_nowhere_is_refused(conn: Any, kwargs: dict[str, Any], constraint: str) -> None:
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
        _incident(conn, **kwargs)
    assert err.value.diag.constraint_name == constraint


def test_a_type_referenced_by_an_incident_only_cannot_go(conn: Any) -> None:
    conn.execute("INSERT INTO alert_types (code, name, name_en, remote_closable, window_minutes, ring, departments)"
                 " VALUES ('refs_inc', '引用测试二', 'refs2', true, 30, 0, '{}')")
    _incident(conn, type_code="refs_inc")
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
        conn.execute("DELETE FROM alert_types WHERE code = 'refs_inc'")
    assert err.value.diag.constraint_name == "incidents_type_code_fkey"


def test_no_township_and_no_incident_are_allowed(conn: Any) -> None:
    assert _alert(conn, township=None, incident=None) > 0


def test_a_timeline_event_of_a_missing_incident_is_refused(conn: Any) -> None:
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
        conn.execute("INSERT INTO dispatch_events (county_code, incident_id, actor, event) VALUES (%s, 987654321,"
                     " 't', 'created')", (COUNTY,))
    assert err.value.diag.constraint_name == "dispatch_events_incident_id_fkey"


def test_referenced_township_type_and_county_cannot_go_or_change(conn: Any) -> None:
    _township(conn, "339901501")
    conn.execute("INSERT INTO alert_types (code, name, name_en, remote_closable, window_minutes, ring, departments)"
                 " VALUES ('refs_only', '引用测试', 'refs', true, 30, 0, '{}')")
    _alert(conn, township="339901501", type_code="refs_only")
    for statement in ("DELETE FROM townships WHERE code = '339901501'",
                      "UPDATE townships SET code = '339901502' WHERE code = '339901501'",
                      "DELETE FROM alert_types WHERE code = 'refs_only'",
                      "UPDATE alert_types SET code = 'refs_other' WHERE code = 'refs_only'"):
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
            conn.execute(statement)
        assert err.value.diag.constraint_name in {"alerts_township_code_fkey", "alerts_type_code_fkey"}, statement
    # renaming nothing is no change; an unreferenced township can go
    conn.execute("UPDATE townships SET name = '改名镇' WHERE code = '339901501'")
    _township(conn, "339901503")
    conn.execute("DELETE FROM townships WHERE code = '339901503'")


def test_deleting_an_incident_unlinks_its_alerts_and_drops_its_timeline(conn: Any) -> None:
    inc = _incident(conn)
    alerts = [_alert(conn, incident=inc) for _ in range(3)]
    conn.execute("INSERT INTO dispatch_events (county_code, incident_id, actor, event) VALUES (%s, %s, 't', 'created')",
                 (COUNTY, inc))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("UPDATE incidents SET id = %s WHERE id = %s", (inc + 100000, inc))
    conn.execute("DELETE FROM incidents WHERE id = %s", (inc,))
    rows = conn.execute("SELECT incident_id FROM alerts WHERE id = ANY(%s)", (alerts,)).fetchall()
    assert [r["incident_id"] for r in rows] == [None, None, None]
    assert conn.execute("SELECT count(*) AS n FROM dispatch_events WHERE incident_id = %s", (inc,)).fetchone()["n"] == 0


@pytest.fixture
def two(db_url: str) -> Iterator[tuple[Any, Any]]:
    with connect(db_url) as a, connect(db_url) as b:
        for c in (a, b):
            c.execute("SET lock_timeout = '10s'")
            c.commit()
        yield a, b


def _blocked_until(observer: Any, waiter: Any, statement: Any, *, release: Any) -> BaseException | None:
    """Run ``statement`` on ``waiter`` in a thread, check that it waits for a lock, ``release`` the other
    transaction, and return what the statement raised (None if nothing)."""
    out: list[BaseException | None] = []

    def run() -> None:
        try:
            statement()
            out.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out.append(exc)

    def blocked() -> bool:
        row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                               (waiter.info.backend_pid,)).fetchone()
        return row is not None and row["wait_event_type"] == "Lock"

    t = threading.Thread(target=run)
    t.start()
    for _ in range(100):
        if blocked():
            break
        threading.Event().wait(0.05)
    assert blocked(), "the statement must wait for the other transaction"
    release()
    t.join(15)
    return out[0]


def test_a_township_deleted_while_an_alert_is_stored_waits_and_is_refused(conn: Any, two: tuple[Any, Any]) -> None:
    writer, deleter = two
    _township(conn, "339901601")
    _alert(writer, township="339901601")  # not committed yet: its reference holds the township
    out = _blocked_until(conn, deleter, lambda: deleter.execute("DELETE FROM townships WHERE code = '339901601'"),
                         release=writer.commit)
    assert isinstance(out, psycopg.errors.ForeignKeyViolation)
    deleter.rollback()


def test_an_alert_stored_while_its_township_is_deleted_waits_and_is_refused(conn: Any, two: tuple[Any, Any]) -> None:
    writer, deleter = two
    _township(conn, "339901602")
    deleter.execute("DELETE FROM townships WHERE code = '339901602'")  # not committed yet
    out = _blocked_until(conn, writer, lambda: _alert(writer, township="339901602"), release=deleter.commit)
    assert isinstance(out, psycopg.errors.ForeignKeyViolation)
    writer.rollback()
    assert conn.execute("SELECT count(*) AS n FROM alerts WHERE township_code = '339901602'").fetchone()["n"] == 0
