"""Sessions, login throttling and audit retention in the database (issue 16): what ends a session, what a
throttle counts, and that pruning the trail keeps it verifiable and never goes below 180 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest

from geo_data import audit, login_throttle, sessions
from geo_data.login_throttle import ThrottlePolicy
from geo_data.sessions import SessionPolicy
from geo_data.users import authenticate, create_display_token, create_user, user_for_display_token

COUNTY = "339901"
POLICY = SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=12), display_lifetime=timedelta(days=30))
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module", autouse=True)
def county(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("INSERT INTO counties (code, name, geom) VALUES (%s, '测试县',"
                  " ST_Multi(ST_GeomFromText('POLYGON((120 30,120.1 30,120.1 30.1,120 30.1,120 30))', 4326)))"
                  " ON CONFLICT DO NOTHING", (COUNTY,))


def _user(conn: Any, name: str, role: str = "planner") -> Any:
    return create_user(conn, username=name, password=PASSWORD, role=role, county_code=COUNTY)


def test_user_changes_end_their_sessions_at_once(conn: Any) -> None:
    users = {what: _user(conn, f"sess_{what}") for what in ("deactivated", "password", "role", "kept")}
    sids = {what: sessions.start(conn, user=u, kind="password", policy=POLICY, remote_addr="10.0.0.1")[0]
            for what, u in users.items()}
    conn.execute("UPDATE users SET active = false WHERE id = %s", (users["deactivated"].id,))
    conn.execute("UPDATE users SET password_hash = 'x' WHERE id = %s", (users["password"].id,))
    conn.execute("UPDATE users SET role = 'viewer' WHERE id = %s", (users["role"].id,))
    conn.execute("UPDATE users SET display_name = 'renamed' WHERE id = %s", (users["kept"].id,))
    assert {what: sessions.live(conn, sid, policy=POLICY) is not None for what, sid in sids.items()} == {
        "deactivated": False, "password": False, "role": False, "kept": True}
    reasons = {r["username"]: r["end_reason"] for r in conn.execute(
        "SELECT u.username, s.end_reason FROM user_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE u.username = ANY(%s)", ([u.username for u in users.values()],))}
    assert reasons == {"sess_deactivated": "deactivated", "sess_password": "password changed",
                       "sess_role": "role changed", "sess_kept": None}


def test_idle_and_lifetime_end_sessions_but_display_sessions_have_no_idle_timeout(conn: Any) -> None:
    viewer = _user(conn, "sess_wall", role="viewer")
    token = create_display_token(conn, username=viewer.username)
    found = user_for_display_token(conn, token)
    assert found is not None
    idle_sid, idle_id = sessions.start(conn, user=viewer, kind="password", policy=POLICY, remote_addr="")
    old_sid, old_id = sessions.start(conn, user=viewer, kind="password", policy=POLICY, remote_addr="")
    wall_sid, wall_id = sessions.start(conn, user=viewer, kind="display", policy=POLICY, remote_addr="",
                                       display_token_id=found[1])
    conn.execute("UPDATE user_sessions SET last_seen_at = now() - interval '31 minutes' WHERE id IN (%s, %s)",
                 (idle_id, wall_id))
    conn.execute("UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE id = %s", (old_id,))
    assert sessions.live(conn, idle_sid, policy=POLICY) is None
    assert sessions.live(conn, old_sid, policy=POLICY) is None
    assert sessions.live(conn, wall_sid, policy=POLICY) is not None
    ended = {r["id"]: r["end_reason"] for r in conn.execute(
        "SELECT id, end_reason FROM user_sessions WHERE id IN (%s, %s)", (idle_id, old_id))}
    assert ended == {idle_id: "idle", old_id: "expired"}
    conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s", (found[1],))
    assert sessions.live(conn, wall_sid, policy=POLICY) is None


def test_throttle_counts_per_name_and_address_the_same_for_unknown_names(conn: Any) -> None:
    _user(conn, "throttled_one")
    policy = ThrottlePolicy(free_failures=2, delay=timedelta(seconds=30), max_delay=timedelta(minutes=5),
                            address_failures=100)

    def attempts(name: str, addr: str, password: str = "wrong-password!") -> list[str]:
        out = []
        for _ in range(4):
            with conn.transaction():
                out.append(authenticate(conn, username=name, password=password, remote_addr=addr,
                                        policy=policy).reason)
        return out

    known = attempts("throttled_one", "203.0.113.1")
    unknown = attempts("nobody_here", "203.0.113.1")
    assert known == unknown == ["bad_credentials", "bad_credentials", "throttled", "throttled"]
    # the right password from the attacker's address waits; from the command centre it works
    assert authenticate(conn, username="throttled_one", password=PASSWORD, remote_addr="203.0.113.1",
                        policy=policy).reason == "throttled"
    assert authenticate(conn, username="throttled_one", password=PASSWORD, remote_addr="198.51.100.2",
                        policy=policy).reason == "ok"
    login_throttle.unlock(conn, username="throttled_one", actor="test")
    assert authenticate(conn, username="throttled_one", password=PASSWORD, remote_addr="203.0.113.1",
                        policy=policy).reason == "ok"
    actions = [r["action"] for r in conn.execute(
        "SELECT action FROM audit_log WHERE actor = 'throttled_one' ORDER BY seq")]
    assert actions.count("login.failed") == 3 and "login.locked" in actions and "login.blocked" in actions


def test_address_limit_across_names(conn: Any) -> None:
    _user(conn, "address_victim")
    policy = ThrottlePolicy(free_failures=10, address_failures=5, address_window=timedelta(minutes=15))
    for i in range(5):
        authenticate(conn, username=f"guess_{i}", password="wrong-password!", remote_addr="203.0.113.50",
                     policy=policy)
    assert authenticate(conn, username="address_victim", password=PASSWORD, remote_addr="203.0.113.50",
                        policy=policy).reason == "throttled"
    assert authenticate(conn, username="address_victim", password=PASSWORD, remote_addr="203.0.113.51",
                        policy=policy).reason == "ok"


def test_audit_prune_keeps_the_chain_verifiable_and_180_days(conn: Any) -> None:
    for i in range(6):
        audit.record(conn, actor="prune-test", action="test.event", detail={"i": i})
    with pytest.raises(psycopg.errors.RaiseException, match="at least 180 days"):
        audit.prune(conn, keep_days=179)
    # the rows are young: a 180-day retention removes nothing
    assert audit.prune(conn, keep_days=180) == 0
    # make the first three look 200 days old (the trigger refuses UPDATE: set-up only, the rows then go anyway)
    with conn.transaction():
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET at = at - interval '200 days' WHERE seq <= 3")
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
        first = conn.execute("SELECT min(seq) AS s FROM audit_log").fetchone()["s"]
    assert first == 1
    assert audit.prune(conn, keep_days=180) == 3
    result = audit.verify(conn)
    assert result.ok, result.problems
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")


def test_audit_retention_runs_nightly_on_the_job_queue(db_url: str) -> None:
    from geo_data.jobs import PRUNE_AUDIT, queue_app
    from geo_data.settings import DatabaseSettings, Settings

    queue = queue_app(Settings(db=DatabaseSettings(url=db_url)), db_url)
    crons = {name: task.cron for (name, _), task in queue.periodic_registry.periodic_tasks.items()}
    assert crons[PRUNE_AUDIT] == "37 3 * * *"
