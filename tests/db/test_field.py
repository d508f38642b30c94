"""The field app's rules on the real PostGIS: who is an inspector (one team of their county), a step stored once
by the phone's id at the phone's time, a reassigned dispatch is a conflict, another team's incident is refused,
positions go through the trackers' rule, a visit result once, and township dispatchers see their own teams'
members only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import h3.api.basic_int as h3_int
import psycopg
import pytest

from geo_data import dispatch, field, positions
from geo_data.errors import Conflict, Forbidden, InvalidInput
from geo_data.scope import Role, Scope, system_scope
from geo_data.users import create_user
from tests.db.dispatch_scenario import COUNTY, add_team, build

PASSWORD = "correct-horse-battery"
DESK = Scope(actor="desk", role=Role.COUNTY_OPERATOR, county_code=COUNTY)
LNG, LAT = 120.02, 30.02  # inside township 339901001


@pytest.fixture
def scene(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    build(conn, cells=False)
    tag = uuid.uuid4().hex[:6]
    a = add_team(conn, name=f"甲队{tag}", township="339901001", lng=LNG, lat=LAT, qualifications=["gt_city"])
    b = add_team(conn, name=f"乙队{tag}", township="339901001", lng=LNG, lat=LAT, qualifications=["gt_city"])
    c = add_team(conn, name=f"丙队{tag}", township="339901002", lng=LNG + 0.05, lat=LAT, qualifications=["gt_city"])
    users = {}
    for key, team in (("a", a), ("b", b), ("c", c)):
        u = create_user(conn, username=f"insp_{key}_{tag}", password=PASSWORD, role="inspector", county_code=COUNTY,
                        team_id=team)
        users[key] = (u.id, u.scope())
    conn.commit()
    return {"teams": {"a": a, "b": b, "c": c}, "users": users, "tag": tag}


def _incident(conn: psycopg.Connection[Any], lng: float = LNG, lat: float = LAT) -> int:
    cells = {r: h3_int.latlng_to_cell(lat, lng, r) for r in (7, 8, 9)}
    now = datetime.now(UTC)
    row = conn.execute(
        "INSERT INTO incidents (county_code, township_code, type_code, severity, status, first_seen, last_seen,"
        " geom, h3_r7, h3_r8, h3_r9, sla_due_at) VALUES (%s, '339901001', 'gt_vending', 'high', 'open', %s, %s,"
        " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s, %s) RETURNING id",
        (COUNTY, now, now, lng, lat, cells[7], cells[8], cells[9], now + timedelta(hours=2))).fetchone()
    assert row is not None
    return int(row["id"])


def _assigned(conn: psycopg.Connection[Any], team: int) -> tuple[int, int]:
    inc = _incident(conn)
    d = dispatch.assign(conn, DESK, inc, team)
    conn.commit()
    return inc, int(d["dispatch_id"])


def _step(inc: int, d: int, step: str, at: datetime, **kw: Any) -> field.Step:
    return field.Step(client_id=uuid.uuid4(), incident_id=inc, dispatch_id=d, step=step, at=at, **kw)


def test_an_inspector_needs_one_team_of_their_county(conn: psycopg.Connection[Any], scene: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="needs --team"):
        create_user(conn, username="insp_none", password=PASSWORD, role="inspector", county_code=COUNTY)
    with pytest.raises(InvalidInput, match="unknown team"):
        create_user(conn, username="insp_bad", password=PASSWORD, role="inspector", county_code=COUNTY,
                    team_id=10**9)
    with pytest.raises(InvalidInput, match="only an inspector"):
        create_user(conn, username="plan_team", password=PASSWORD, role="planner", county_code=COUNTY,
                    team_id=scene["teams"]["a"])
    with pytest.raises(psycopg.errors.CheckViolation):  # the database holds the rule too
        conn.execute("UPDATE users SET team_id = NULL WHERE id = %s", (scene["users"]["a"][0],))
    conn.rollback()
    _user_id, scope = scene["users"]["a"]
    assert scope.role == Role.INSPECTOR and scope.team_id == scene["teams"]["a"] and not scope.can("read")  # type: ignore[arg-type]


def test_a_step_is_stored_once_at_the_phone_time_with_its_position(conn: psycopg.Connection[Any],
                                                                   scene: dict[str, Any]) -> None:
    user_id, scope = scene["users"]["a"]
    inc, d = _assigned(conn, scene["teams"]["a"])
    at = datetime.now(UTC)  # after the assignment; later steps come later still (a queue sent afterwards)
    first = _step(inc, d, "accepted", at, lat=LAT + 0.001, lng=LNG, accuracy_m=6)
    answer = field.record_step(conn, scope, user_id=user_id, step=first, max_speed_kmh=200)
    conn.commit()
    again = field.record_step(conn, scope, user_id=user_id, step=first, max_speed_kmh=200)
    conn.commit()
    assert answer["duplicate"] is False and again["duplicate"] is True and again["status"] == "accepted"
    events = conn.execute("SELECT at, actor, detail FROM dispatch_events WHERE incident_id = %s AND event = 'accepted'",
                          (inc,)).fetchall()
    assert len(events) == 1 and events[0]["at"] == at and events[0]["actor"] == scope.actor
    assert events[0]["detail"]["position"]["lat"] == round(LAT + 0.001, 7)
    team = conn.execute("SELECT ST_Y(position) AS lat, position_at FROM teams WHERE id = %s",
                        (scene["teams"]["a"],)).fetchone()
    assert team["position_at"] == at and abs(team["lat"] - (LAT + 0.001)) < 1e-9
    on_site_at = at + timedelta(seconds=50)
    field.record_step(conn, scope, user_id=user_id, step=_step(inc, d, "en_route", on_site_at - timedelta(seconds=5)),
                      max_speed_kmh=200)
    field.record_step(conn, scope, user_id=user_id, step=_step(inc, d, "on_site", on_site_at), max_speed_kmh=200)
    conn.commit()
    row = conn.execute("SELECT on_site_at FROM incidents WHERE id = %s", (inc,)).fetchone()
    assert row["on_site_at"] == on_site_at  # what the response-time measure reads
    with pytest.raises(Conflict, match="cannot go back"):
        field.record_step(conn, scope, user_id=user_id, step=_step(inc, d, "en_route", on_site_at),
                          max_speed_kmh=200)
    conn.rollback()


def test_a_step_before_the_assignment_is_put_after_it(conn: psycopg.Connection[Any], scene: dict[str, Any]) -> None:
    user_id, scope = scene["users"]["a"]
    inc, d = _assigned(conn, scene["teams"]["a"])
    early = datetime.now(UTC) - timedelta(minutes=10)  # a phone clock ten minutes behind
    field.record_step(conn, scope, user_id=user_id, step=_step(inc, d, "accepted", early), max_speed_kmh=200)
    conn.commit()
    rows = conn.execute("SELECT event, at FROM dispatch_events WHERE incident_id = %s ORDER BY at, id",
                        (inc,)).fetchall()
    assert [r["event"] for r in rows][-2:] == ["assigned", "accepted"] and rows[-1]["at"] >= rows[-2]["at"]


def test_a_reassigned_dispatch_is_a_conflict_and_another_team_is_refused(conn: psycopg.Connection[Any],
                                                                         scene: dict[str, Any]) -> None:
    user_a, scope_a = scene["users"]["a"]
    user_b, scope_b = scene["users"]["b"]
    inc, d = _assigned(conn, scene["teams"]["a"])
    with pytest.raises(Forbidden, match="another team"):
        field.record_step(conn, scope_b, user_id=user_b, step=_step(inc, d, "accepted", datetime.now(UTC)),
                          max_speed_kmh=200)
    conn.rollback()
    dispatch.reassign(conn, DESK, inc, scene["teams"]["b"])
    conn.commit()
    with pytest.raises(Conflict, match="reassigned or cancelled meanwhile"):
        field.record_step(conn, scope_a, user_id=user_a, step=_step(inc, d, "accepted", datetime.now(UTC)),
                          max_speed_kmh=200)
    conn.rollback()
    with pytest.raises(Forbidden, match="not dispatched to your team"):
        field.may_add_evidence(conn, scope_b, _incident(conn))
    field.may_add_evidence(conn, scope_a, inc)  # it was the team's: its photos may still arrive
    with pytest.raises(Forbidden, match="may not set closed"):
        dispatch.change_status(conn, scope_b, inc, "closed")
    conn.rollback()


def test_phone_fixes_follow_the_trackers_rule(conn: psycopg.Connection[Any], scene: dict[str, Any]) -> None:
    user_id, scope = scene["users"]["c"]
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    fixes = [positions.Fix(lat=LAT, lng=LNG + 0.05 + 0.0005 * i, at=t0 + timedelta(seconds=30 * i))
             for i in range(4)]
    out = field.record_positions(conn, scope, user_id=user_id, fixes=[fixes[2], fixes[0], fixes[1], fixes[3]],
                                 max_speed_kmh=200)
    again = field.record_positions(conn, scope, user_id=user_id, fixes=fixes, max_speed_kmh=200)
    far = field.record_positions(conn, scope, user_id=user_id, max_speed_kmh=200,
                                 fixes=[positions.Fix(lat=LAT + 1, lng=LNG, at=t0 + timedelta(minutes=3))])
    conn.commit()
    assert [r.moved for r in out] == [True] * 4 and not any(r.stored for r in again)
    assert far[0].flag == "outside_county" and not far[0].moved
    rows = conn.execute("SELECT count(*) AS n, min(source) AS source FROM team_positions WHERE team_id = %s",
                        (scene["teams"]["c"],)).fetchone()
    assert rows["n"] == 5 and rows["source"] == "field"


def test_a_visit_result_once_and_members_by_township(conn: psycopg.Connection[Any], scene: dict[str, Any]) -> None:
    user_id, scope = scene["users"]["a"]
    ent = conn.execute(
        "INSERT INTO enterprises (county_code, township_code, uscc, name, risk, credit, geom, h3_r7, h3_r8, h3_r9)"
        " VALUES (%s, '339901001', %s, '测试企业', 'general', 'B', ST_SetSRID(ST_MakePoint(%s, %s), 4326), 1, 2, 3)"
        " RETURNING id", (COUNTY, "91339901" + scene["tag"].upper().ljust(10, "0"), LNG, LAT)).fetchone()
    conn.execute("INSERT INTO departments (code, name, name_en) VALUES ('gt_city', 'x', 'x') ON CONFLICT DO NOTHING")
    conn.execute("INSERT INTO inspection_items (code, department_code, name) VALUES (%s, 'gt_city', '检查项')"
                 " ON CONFLICT DO NOTHING", (f"it_{scene['tag']}",))
    visit = conn.execute(
        "INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,"
        " departments, items, status, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, '339901001', %s, %s, current_date,"
        " 'gt_city', '{gt_city}', %s, 'planned', ST_SetSRID(ST_MakePoint(%s, %s), 4326), 1, 2, 3) RETURNING id",
        (COUNTY, ent["id"], scene["teams"]["a"], [f"it_{scene['tag']}"], LNG, LAT)).fetchone()
    conn.commit()
    result = field.VisitResult(client_id=uuid.uuid4(), visit_id=visit["id"], at=datetime.now(UTC),
                               items_checked=(f"it_{scene['tag']}",), problem_found=True, follow_up="rectify")
    with pytest.raises(InvalidInput, match="not an item"):
        field.record_visit_result(conn, scope, user_id=user_id, result=field.VisitResult(
            client_id=uuid.uuid4(), visit_id=visit["id"], at=datetime.now(UTC), items_checked=("nope",),
            problem_found=False))
    conn.rollback()
    field.record_visit_result(conn, scope, user_id=user_id, result=result)
    assert field.record_visit_result(conn, scope, user_id=user_id, result=result)["duplicate"] is True
    with pytest.raises(Conflict, match="already has a result"):
        field.record_visit_result(conn, scope, user_id=user_id, result=field.VisitResult(
            client_id=uuid.uuid4(), visit_id=visit["id"], at=datetime.now(UTC), items_checked=(),
            problem_found=False))
    conn.rollback()
    v = conn.execute("SELECT status, result FROM visits WHERE id = %s", (visit["id"],)).fetchone()
    assert v["status"] == "done" and v["result"] == "problem"
    _other, scope_c = scene["users"]["c"]
    with pytest.raises(Exception, match="not one of your team"):
        field.record_visit_result(conn, scope_c, user_id=_other, result=result)
    conn.rollback()

    town1 = Scope(actor="d1", role=Role.TOWNSHIP_DISPATCHER, county_code=COUNTY, township_code="339901001")
    names = {r["username"] for r in field.members(conn, town1)}
    everyone = {r["username"] for r in field.members(conn, system_scope(COUNTY))}
    tag = scene["tag"]
    assert {f"insp_a_{tag}", f"insp_b_{tag}"} <= names and f"insp_c_{tag}" not in names
    assert f"insp_c_{tag}" in everyone
    with pytest.raises(Forbidden):
        field.members(conn, scope)
