"""The measures against real PostGIS, on hand-built scenarios whose figures are worked out by hand here."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from enforcement.measures import MeasureFilter, VisitFact, repeat_visit_ids
from geo_data.errors import Forbidden
from geo_data.measures import by_group, panel
from geo_data.scope import Role, Scope, system_scope
from tests.db.measure_scenarios import AS_OF, Scenario, sh

M, F, E = "tm_market", "tm_fire", "tm_ecology"
MAR_APR = MeasureFilter(date(2026, 3, 1), date(2026, 4, 30))


@pytest.fixture
def three_enterprises(conn: psycopg.Connection[Any]) -> tuple[Scenario, dict[str, int]]:
    """3 enterprises, 7 done visits by 3 departments over March-April 2026 (plus one cancelled visit).

    e1: v1 03-02 {M}; v2 03-10 {F} (8 days after v1, F new -> repeat); v3 04-01 {M,F} joint, 2 tasks
        (22 days after v2, M not on v2 -> repeat).
    e2: v4 03-05 {E}; v5 04-04 {M} (exactly 30 days after v4 -> repeat).
    e3: v6 03-20 {M,E} joint, 2 tasks; v7 03-25 {M} (M was on v6: same-department re-check, not a repeat).
    Repeats 3/7, joint 2/7, tasks 9 -> spared 2.
    """
    s = Scenario(conn)
    e1 = s.enterprise(risk="high", industry="tm_chem")
    e2 = s.enterprise(risk="general", dx=0.03)
    e3 = s.enterprise(risk="low", town=1)
    ids = {
        "v1": s.visit(e1, date(2026, 3, 2), [M], rating=5),
        "v2": s.visit(e1, date(2026, 3, 10), [F], rating=3, planned=False, reason="complaint"),
        "v3": s.visit(e1, date(2026, 4, 1), [M, F], task_count=2, from_draw=True, reason="random"),
        "v4": s.visit(e2, date(2026, 3, 5), [E], code_scanned=False, rating=4),
        "v5": s.visit(e2, date(2026, 4, 4), [M], from_draw=True),
        "v6": s.visit(e3, date(2026, 3, 20), [M, E], task_count=2),
        "v7": s.visit(e3, date(2026, 3, 25), [M], reason="special"),
    }
    s.visit(e3, date(2026, 3, 26), [F], status="cancelled")  # never happened: not a visit, not an "earlier"
    return s, {"e1": e1, "e2": e2, "e3": e3, **ids}


def _panel(conn: psycopg.Connection[Any], s: Scenario, filt: MeasureFilter = MAR_APR) -> dict[str, Any]:
    return panel(conn, system_scope(s.county), filt, as_of=AS_OF)


def test_three_enterprises_seven_visits_by_hand(conn, three_enterprises) -> None:
    s, _ = three_enterprises
    p = _panel(conn, s)
    assert (p["repeat_rate"].numerator, p["repeat_rate"].denominator) == (3, 7)
    assert p["repeat_rate"].value == pytest.approx(3 / 7)
    assert (p["joint_rate"].numerator, p["joint_rate"].denominator) == (2, 7)
    assert p["visits_spared"].value == 2 and p["visits_spared"].numerator == 9
    assert (p["planned_share"].numerator, p["planned_share"].denominator) == (6, 7)
    # routine = annual/random: v1, v3, v4, v5, v6 (v2 complaint, v7 special); drawn: v3, v5
    assert (p["random_draw_share"].numerator, p["random_draw_share"].denominator) == (2, 5)
    assert (p["code_shown_rate"].numerator, p["code_shown_rate"].denominator) == (6, 7)
    assert p["satisfaction"].value == pytest.approx(4.0) and p["satisfaction"].denominator == 3


def test_period_split_earlier_visit_before_the_period_still_makes_a_repeat(conn, three_enterprises) -> None:
    s, _ = three_enterprises
    march = _panel(conn, s, MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)))
    april = _panel(conn, s, MeasureFilter(date(2026, 4, 1), date(2026, 4, 30)))
    assert (march["repeat_rate"].numerator, march["repeat_rate"].denominator) == (1, 5)  # v2
    assert (april["repeat_rate"].numerator, april["repeat_rate"].denominator) == (2, 2)  # v3, v5 (look back)
    trend = by_group(conn, system_scope(s.county), MAR_APR, "month", as_of=AS_OF)
    assert trend["2026-03"]["repeat_rate"].numerator == 1 and trend["2026-04"]["repeat_rate"].numerator == 2


def test_filters_department_township_risk_industry_cell(conn, three_enterprises) -> None:
    s, ids = three_enterprises
    scope = system_scope(s.county)
    dept = panel(conn, scope, MeasureFilter(MAR_APR.date_from, MAR_APR.date_to, department=M), as_of=AS_OF)
    assert (dept["repeat_rate"].numerator, dept["repeat_rate"].denominator) == (2, 5)  # v1 v3 v5 v6 v7
    town1 = panel(conn, scope, MeasureFilter(MAR_APR.date_from, MAR_APR.date_to, township_code=s.towns[1]))
    assert (town1["joint_rate"].numerator, town1["joint_rate"].denominator) == (1, 2)
    high = panel(conn, scope, MeasureFilter(MAR_APR.date_from, MAR_APR.date_to, risk="high"))
    assert high["repeat_rate"].denominator == 3 and high["coverage_high"].denominator == 1
    chem = panel(conn, scope, MeasureFilter(MAR_APR.date_from, MAR_APR.date_to, industry="tm_chem"))
    assert chem["joint_rate"].denominator == 3
    assert (chem["coverage_high"].numerator, chem["coverage_high"].denominator) == (1, 1)  # register path
    assert chem["coverage_general"].denominator == 0
    cell9 = conn.execute("SELECT h3_r9 FROM enterprises WHERE id = %s", (ids["e2"],)).fetchone()["h3_r9"]
    one_cell = panel(conn, scope, MeasureFilter(MAR_APR.date_from, MAR_APR.date_to, cell=cell9))
    assert one_cell["repeat_rate"].denominator == 2 and one_cell["repeat_rate"].numerator == 1
    per_town = by_group(conn, scope, MAR_APR, "township")
    assert per_town[s.towns[0]]["repeat_rate"].denominator == 5


def test_township_dispatcher_sees_only_their_township(conn, three_enterprises) -> None:
    s, _ = three_enterprises
    dispatcher = Scope(actor="d", role=Role.TOWNSHIP_DISPATCHER, county_code=s.county, township_code=s.towns[1])
    p = panel(conn, dispatcher, MAR_APR)
    assert p["joint_rate"].denominator == 2
    with pytest.raises(Forbidden):
        panel(conn, dispatcher, MeasureFilter(MAR_APR.date_from, MAR_APR.date_to, township_code=s.towns[0]))


def test_no_visits_gives_undefined_rates_not_errors(conn) -> None:
    s = Scenario(conn)
    p = _panel(conn, s)
    for key in ("repeat_rate", "joint_rate", "planned_share", "random_draw_share", "code_shown_rate",
                "remote_closure_rate", "sla_compliance", "satisfaction", "coverage_high", "response_median_min"):
        assert p[key].value is None, key
    assert p["visits_spared"].value == 0 and p["repeat_rate"].denominator == 0


def test_thirtieth_day_is_a_repeat_thirty_first_is_not(conn) -> None:
    s = Scenario(conn)
    a, b = s.enterprise(), s.enterprise(dx=0.02)
    s.visit(a, date(2026, 1, 31), [M])
    s.visit(a, date(2026, 3, 2), [F])        # 30 days later (2026 is not a leap year)
    s.visit(b, date(2026, 1, 31), [M])
    s.visit(b, date(2026, 3, 3), [F])        # 31 days later
    p = _panel(conn, s, MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert (p["repeat_rate"].numerator, p["repeat_rate"].denominator) == (1, 2)


def test_joint_visit_counts_once_and_same_day_order(conn) -> None:
    s = Scenario(conn)
    a = s.enterprise()
    s.visit(a, date(2026, 3, 3), [M, F, E], task_count=3)   # one joint visit of three departments
    p = _panel(conn, s, MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert p["repeat_rate"].denominator == 1 and p["repeat_rate"].numerator == 0
    assert p["joint_rate"].numerator == 1 and p["visits_spared"].value == 2
    s.visit(a, date(2026, 3, 3), [E])  # same day, recorded later, department already covered: no repeat
    p = _panel(conn, s, MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert (p["repeat_rate"].numerator, p["repeat_rate"].denominator) == (0, 2)
    # M and F were on the joint visit, but the separate E visit of 03-03 lacked them: a repeat of that one
    s.visit(a, date(2026, 3, 4), [M, F])
    p = _panel(conn, s, MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert (p["repeat_rate"].numerator, p["repeat_rate"].denominator) == (1, 3)


def test_sql_repeat_rule_matches_the_reference_rule(conn) -> None:
    s = Scenario(conn)
    rng = random.Random(11)
    ents = [s.enterprise(dx=0.001 * i) for i in range(6)]
    facts = []
    for _ in range(60):
        e = rng.choice(ents)
        day = date(2026, 2, 1) + timedelta(days=rng.randrange(0, 90))
        deps = sorted(rng.sample([M, F, E], rng.randint(1, 2)))
        vid = s.visit(e, day, deps)
        facts.append(VisitFact(vid, e, day, frozenset(deps)))
    filt = MeasureFilter(date(2026, 3, 1), date(2026, 4, 30))
    in_period = {f.id for f in facts if filt.date_from <= f.visit_date <= filt.date_to}
    expected = len(repeat_visit_ids(facts) & in_period)
    p = _panel(conn, s, filt)
    assert p["repeat_rate"].denominator == len(in_period)
    assert p["repeat_rate"].numerator == expected


def test_response_time_median_p90_sla_and_remote_closure(conn) -> None:
    s = Scenario(conn)
    # created in March; SLA 60 min. Response minutes: 10, 20, 30, 50 (on_site_at), 90 (only a dispatch event).
    for minutes in (10, 20, 30, 50):
        t0 = sh(2026, 3, 5, 9)
        s.incident(created=t0, on_site=t0 + timedelta(minutes=minutes), status="closed",
                   closed=t0 + timedelta(hours=3))
    t0 = sh(2026, 3, 6, 9)
    s.incident(created=t0, on_site_event=t0 + timedelta(minutes=90), status="closed", closed=t0 + timedelta(hours=4))
    s.incident(created=sh(2026, 3, 7, 9), status="open")                 # overdue, never reached: SLA breach
    s.incident(created=sh(2026, 3, 8, 9), status="remote_closed", closed=sh(2026, 3, 8, 10))  # not due
    s.incident(created=sh(2026, 2, 27, 9), status="remote_closed", closed=sh(2026, 3, 1, 0, 30))  # closed in March
    s.incident(created=sh(2026, 3, 31, 23, 50), status="remote_closed", closed=sh(2026, 4, 1, 0, 10))  # April
    p = _panel(conn, s, MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)))
    # reached: 10 20 30 50 90 -> median 30, p90 = 50 + 0.6*(90-50) = 74
    assert p["response_median_min"].value == pytest.approx(30)
    assert p["response_p90_min"].value == pytest.approx(74)
    assert p["response_median_min"].denominator == 5
    # SLA due: 5 reached + 1 overdue open (+ March-31 incident is remote closed) = 6; met: 10 20 30 50 = 4
    assert (p["sla_compliance"].numerator, p["sla_compliance"].denominator) == (4, 6)
    # closed in March (Shanghai time): 5 closed + 2 remote (03-08, 03-01 00:30) = 7; 04-01 00:10 is April
    assert (p["remote_closure_rate"].numerator, p["remote_closure_rate"].denominator) == (2, 7)


def test_coverage_by_risk_grade_visit_alert_and_monitored_cell(conn) -> None:
    s = Scenario(conn)
    visited = s.enterprise(risk="high")
    alerted = s.enterprise(risk="high", dx=0.02)
    monitored = s.enterprise(risk="high", dx=0.04)
    blind = s.enterprise(risk="high", dx=0.06)
    s.enterprise(risk="low", dx=0.08)
    s.visit(visited, date(2026, 3, 10), [M])
    s.visit(blind, date(2026, 2, 27), [M])                   # before the period: does not cover March
    s.alert(enterprise_id=alerted, observed=sh(2026, 3, 31, 23, 59))
    cell = conn.execute("SELECT h3_r9 FROM enterprises WHERE id = %s", (monitored,)).fetchone()["h3_r9"]
    s.monitor(cell, valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 1))   # overlaps March by one day
    s.monitor(int(cell), kind="camera_fov", valid_from=date(2026, 4, 2), valid_to=None)  # after: ignored
    p = _panel(conn, s, MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)))
    assert (p["coverage_high"].numerator, p["coverage_high"].denominator) == (3, 4)
    assert (p["coverage_low"].numerator, p["coverage_low"].denominator) == (0, 1)
    assert (p["coverage_all"].numerator, p["coverage_all"].denominator) == (3, 5)
    assert p["coverage_elevated"].value is None


def test_repeat_flags_and_enterprise_counts_follow_updates_and_deletes(conn) -> None:
    s = Scenario(conn)
    a = s.enterprise(risk="general")
    first = s.visit(a, date(2026, 3, 1), [M])
    second = s.visit(a, date(2026, 3, 20), [F])
    march = MeasureFilter(date(2026, 3, 1), date(2026, 3, 31))
    assert _panel(conn, s, march)["repeat_rate"].numerator == 1
    conn.execute("UPDATE visits SET status = 'cancelled' WHERE id = %s", (first,))   # never happened after all
    assert _panel(conn, s, march)["repeat_rate"].numerator == 0
    conn.execute("UPDATE visits SET status = 'done' WHERE id = %s", (first,))
    conn.execute("UPDATE visits SET visit_date = '2026-02-10' WHERE id = %s", (first,))  # 38 days earlier
    p = _panel(conn, s, march)
    assert (p["repeat_rate"].numerator, p["repeat_rate"].denominator) == (0, 1)
    s.visit(a, date(2026, 3, 15), [E])       # a backdated record makes the 03-20 visit a repeat again
    assert _panel(conn, s, march)["repeat_rate"].numerator == 1
    conn.execute("DELETE FROM visits WHERE enterprise_id = %s AND visit_date = '2026-03-15'", (a,))
    assert _panel(conn, s, march)["repeat_rate"].numerator == 0
    assert second
    assert _panel(conn, s, march)["coverage_general"].denominator == 1
    conn.execute("UPDATE enterprises SET risk = 'high' WHERE id = %s", (a,))
    p = _panel(conn, s, march)
    assert p["coverage_general"].denominator == 0 and p["coverage_high"].denominator == 1
    assert p["coverage_high"].numerator == 1


def test_monthly_coverage_preaggregate_equals_the_live_count(conn) -> None:
    """coverage_touch (whole months) and the live query agree, across sources, departments and updates."""
    s = Scenario(conn)
    rng = random.Random(5)
    ents = [s.enterprise(risk=rng.choice(["high", "elevated", "general", "low"]), town=i % 2,
                         industry=rng.choice(["tm_food", "tm_chem"]), dx=0.003 * i) for i in range(12)]
    for _ in range(30):
        s.visit(rng.choice(ents), date(2026, 2, 1) + timedelta(days=rng.randrange(0, 80)),
                rng.sample([M, F, E], rng.randint(1, 2)), status=rng.choice(["done", "done", "planned"]))
    for _ in range(6):
        s.alert(enterprise_id=rng.choice(ents), observed=sh(2026, 3, rng.randint(1, 31), rng.randint(0, 23)))
    s.alert(enterprise_id=ents[0], observed=sh(2026, 4, 1, 0, 5))            # April in Shanghai, March in UTC
    s.incident(created=sh(2026, 3, 31, 23, 30), enterprise_id=ents[1])
    cell = conn.execute("SELECT h3_r9 FROM enterprises WHERE id = %s", (ents[2],)).fetchone()["h3_r9"]
    s.monitor(cell, valid_from=date(2026, 3, 10), valid_to=None)
    conn.execute("UPDATE enterprises SET risk = 'high' WHERE id = %s", (ents[3],))
    conn.execute("UPDATE visits SET status = 'cancelled' WHERE id = (SELECT min(id) FROM visits WHERE enterprise_id"
                 " = %s AND status = 'done')", (ents[4],))
    scope = system_scope(s.county)
    for filt in (MeasureFilter(date(2026, 3, 1), date(2026, 3, 31)),
                 MeasureFilter(date(2026, 2, 1), date(2026, 4, 30)),
                 MeasureFilter(date(2026, 3, 1), date(2026, 3, 31), department=F),
                 MeasureFilter(date(2026, 3, 1), date(2026, 3, 31), township_code=s.towns[1], industry="tm_chem"),
                 MeasureFilter(date(2026, 4, 1), date(2026, 4, 30), risk="high")):
        fast, live = panel(conn, scope, filt), panel(conn, scope, filt, live=True)
        for g in ("high", "elevated", "general", "low"):
            k = f"coverage_{g}"
            assert (fast[k].numerator, fast[k].denominator) == (live[k].numerator, live[k].denominator), (filt, k)
        assert by_group(conn, scope, filt, "r8") .keys() == by_group(conn, scope, filt, "r8", live=True).keys()


def test_coverage_preaggregate_follows_remote_inserts_moves_and_deletes(conn) -> None:
    """Alert/incident inserts flag months remote (departments kept); updates that move an incident to another
    enterprise or month recompute both places; updates that move neither change nothing; deletes recompute."""
    s = Scenario(conn)
    a, b = s.enterprise(risk="high"), s.enterprise(risk="high", dx=0.004)
    s.visit(a, date(2026, 3, 2), [M])
    s.alert(enterprise_id=a, observed=sh(2026, 3, 5, 9))
    inc = s.incident(created=sh(2026, 3, 6, 9), enterprise_id=b)

    def touch() -> dict[tuple[int, date], tuple[bool, list[str]]]:
        return {(r["enterprise_id"], r["month"]): (r["remote"], sorted(r["departments"])) for r in conn.execute(
            "SELECT enterprise_id, month, remote, departments FROM coverage_touch WHERE enterprise_id = ANY(%s)",
            ([a, b],))}

    assert touch() == {(a, date(2026, 3, 1)): (True, [M]), (b, date(2026, 3, 1)): (True, [])}
    conn.execute("UPDATE incidents SET alert_count = alert_count + 1, status = 'dispatched' WHERE id = %s", (inc,))
    assert touch() == {(a, date(2026, 3, 1)): (True, [M]), (b, date(2026, 3, 1)): (True, [])}
    conn.execute("UPDATE incidents SET first_seen = %s WHERE id = %s", (sh(2026, 2, 27, 9), inc))  # to February
    assert touch() == {(a, date(2026, 3, 1)): (True, [M]), (b, date(2026, 2, 1)): (True, [])}
    conn.execute("UPDATE incidents SET enterprise_id = %s WHERE id = %s", (a, inc))                 # to enterprise a
    assert touch() == {(a, date(2026, 3, 1)): (True, [M]), (a, date(2026, 2, 1)): (True, [])}
    conn.execute("DELETE FROM alerts WHERE enterprise_id = %s", (a,))
    assert touch() == {(a, date(2026, 3, 1)): (False, [M]), (a, date(2026, 2, 1)): (True, [])}
    march = MeasureFilter(date(2026, 2, 1), date(2026, 3, 31))
    fast, live = _panel(conn, s, march), panel(conn, system_scope(s.county), march, live=True, as_of=AS_OF)
    assert (fast["coverage_high"].numerator, fast["coverage_high"].denominator) == \
        (live["coverage_high"].numerator, live["coverage_high"].denominator)
    # An alert moved to another month moves its remote flag; a deleted incident takes its own away.
    s.alert(enterprise_id=b, observed=sh(2026, 4, 2, 9))
    conn.execute("UPDATE alerts SET observed_at = %s WHERE enterprise_id = %s", (sh(2026, 5, 4, 9), b))
    assert touch()[(b, date(2026, 5, 1))] == (True, []) and (b, date(2026, 4, 1)) not in touch()
    conn.execute("DELETE FROM incidents WHERE id = %s", (inc,))
    assert (a, date(2026, 2, 1)) not in touch()


def test_deferred_bulk_load_then_rebuild(conn) -> None:
    from geo_data.measures import defer_preaggregates, rebuild_preaggregates

    s = Scenario(conn)
    march = MeasureFilter(date(2026, 3, 1), date(2026, 3, 31))
    with conn.transaction():
        defer_preaggregates(conn)
        a = s.enterprise(risk="high")
        s.visit(a, date(2026, 3, 1), [M])
        s.visit(a, date(2026, 3, 9), [F])
        stale = _panel(conn, s, march)
        assert stale["repeat_rate"].numerator == 0 and stale["coverage_high"].denominator == 0  # deferred
        rebuild_preaggregates(conn, s.county)
        p = _panel(conn, s, march)
        assert (p["repeat_rate"].numerator, p["repeat_rate"].denominator) == (1, 2)
        assert (p["coverage_high"].numerator, p["coverage_high"].denominator) == (1, 1)
    s.visit(a, date(2026, 3, 20), [E])  # triggers are on again after the load's transaction
    assert _panel(conn, s, march)["repeat_rate"].numerator == 2


def test_a_panel_of_some_sources_equals_the_full_panel_for_them(conn) -> None:
    s = Scenario(conn)
    e = s.enterprise(risk="high")
    s.visit(e, date(2026, 3, 10), [M])
    s.visit(e, date(2026, 3, 20), [M])
    t0 = sh(2026, 3, 5, 9)
    s.incident(created=t0, on_site=t0 + timedelta(minutes=25), status="closed", closed=t0 + timedelta(hours=2))
    filt = MeasureFilter(date(2026, 3, 1), date(2026, 3, 31))
    full = _panel(conn, s, filt)
    part = panel(conn, system_scope(s.county), filt, as_of=AS_OF, sources=("visits", "incidents"))  # the wall
    for key in ("repeat_rate", "joint_rate", "code_shown_rate", "response_median_min", "remote_closure_rate"):
        assert part[key] == full[key], key
    assert full["coverage_high"].value == 1.0 and part["coverage_high"].value is None   # coverage not counted
