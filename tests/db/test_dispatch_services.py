"""The dispatch use cases (``services.dispatch``) that the API and the dispatch screen both call: the two paths
that used to disagree now behave one way — reading never changes anything, and only the SLA job escalates."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from geo_data.alerts import AlertInput, ingest
from geo_data.dispatch import escalate_overdue
from geo_data.scope import Role, Scope
from geo_data.settings import DispatchSettings
from geo_data.travel import estimator_for
from services import dispatch
from tests.db.dispatch_scenario import COUNTY, add_team, build

SH = ZoneInfo("Asia/Shanghai")
DESK = Scope(actor="desk1", role=Role.COUNTY_OPERATOR, county_code=COUNTY)
SETTINGS = DispatchSettings(escalate_every_s=0)


@pytest.fixture(scope="module", autouse=True)
def county(db_url: str) -> None:
    from geo_data.db import connect

    with connect(db_url) as c:
        build(c)
        c.commit()


def _incident(conn: Any, type_code: str, lng: float, lat: float) -> int:
    alert = AlertInput(source_id=f"svc-{secrets.token_hex(6)}", source_kind="sensor", type_code=type_code,
                       observed_at=datetime.now(SH), lng=lng, lat=lat, severity="high")
    with conn.transaction():
        (stored,) = ingest(conn, source="svc-src", county_code=COUNTY, alerts=[alert])
    assert stored.incident_id is not None
    return int(stored.incident_id)


def _writes(conn: Any, incident: int) -> tuple[int, int, bool]:
    """(timeline events, audit records, escalated) of an incident."""
    events = conn.execute("SELECT count(*) AS n FROM dispatch_events WHERE incident_id = %s",
                          (incident,)).fetchone()["n"]
    audited = conn.execute("SELECT count(*) AS n FROM audit_log WHERE object_type = 'incident' AND object_id = %s",
                           (str(incident),)).fetchone()["n"]
    escalated = conn.execute("SELECT escalated FROM incidents WHERE id = %s", (incident,)).fetchone()["escalated"]
    return int(events), int(audited), bool(escalated)


def test_viewing_an_incident_no_team_can_take_escalates_nothing(conn: Any) -> None:
    # discharge needs the gt_env qualification, and no team of the county has it
    incident = _incident(conn, "gt_discharge", 120.0311, 30.0822)
    add_team(conn, name=f"无资质{secrets.token_hex(2)}", township="339901003", lng=120.031, lat=30.082,
             qualifications=["gt_city"])
    before = _writes(conn, incident)
    with conn.transaction():
        seen = dispatch.view(conn, DESK, incident, settings=SETTINGS, estimator=estimator_for(SETTINGS),
                             now=datetime.now(UTC))
    assert seen.incident["id"] == incident and seen.recommendations == []
    assert [e["event"] for e in seen.timeline] == ["created"]
    assert _writes(conn, incident) == before and before[2] is False  # no "上报县级 … no_team"


def test_a_status_step_does_not_escalate_an_overdue_incident_the_sla_job_does(conn: Any) -> None:
    incident = _incident(conn, "gt_vending", 120.0811, 30.0822)
    team = add_team(conn, name=f"超时{secrets.token_hex(2)}", township="339901004", lng=120.081, lat=30.082,
                    qualifications=["gt_city"])
    conn.execute("UPDATE incidents SET sla_due_at = now() - interval '1 minute' WHERE id = %s", (incident,))
    with conn.transaction():
        dispatch.assign(conn, DESK, incident, team)
        dispatch.change_status(conn, DESK, incident, "accepted")
    assert _writes(conn, incident)[2] is False
    with conn.transaction():
        assert incident in escalate_overdue(conn, datetime.now(UTC))
    events = [r["event"] for r in conn.execute(
        "SELECT event FROM dispatch_events WHERE incident_id = %s ORDER BY id", (incident,)).fetchall()]
    assert events == ["created", "assigned", "accepted", "escalated"]


def test_one_assign_button_reassigns_exactly_when_the_incident_holds_a_dispatch(conn: Any) -> None:
    incident = _incident(conn, "gt_vending", 120.0611, 30.0622)
    first, second = (add_team(conn, name=f"{n}{secrets.token_hex(2)}", township="339901004", lng=120.061,
                              lat=30.062, qualifications=["gt_city"]) for n in ("一队", "二队"))
    with conn.transaction():
        assert dispatch.assign(conn, DESK, incident, first)["team_id"] == first
        assert dispatch.assign(conn, DESK, incident, second)["team_id"] == second
    states = {r["id"]: r["status"] for r in conn.execute(
        "SELECT id, status FROM teams WHERE id IN (%s, %s)", (first, second)).fetchall()}
    assert states == {first: "idle", second: "out"}
