"""Plans: joint visits and saving, quota flags, planner edits, approval (audited), day-routes, draws."""

from __future__ import annotations

import io
import threading
import time
from datetime import date
from typing import Any

import pandas as pd
import pytest

from enforcement.draws import DrawParams
from enforcement.plan import DayRouteConfig
from enforcement.routing import REASON_NO_TEAM
from geo_data import draws, jobs, plans
from geo_data.db import connect as psycopg_connect
from geo_data.db import open_pool
from geo_data.errors import Conflict, InvalidInput
from geo_data.scope import Role, Scope
from geo_data.settings import DatabaseSettings, Settings
from layers.tables import DepartmentNames, export_frame
from services import planning
from tests.db import plan_scenario as ps

SCOPE = Scope(actor="planner1", role=Role.PLANNER, county_code=ps.COUNTY)
FAST = DayRouteConfig(time_limit_per_day_s=0.3)


@pytest.fixture
def sc(conn: Any) -> ps.Scenario:
    return ps.build(conn)


def add_task(conn: Any, ent: dict[str, Any], dept: str, items: list[str], lo: str, hi: str,
             reason: str = "annual") -> int:
    row = conn.execute("INSERT INTO inspection_tasks (county_code, department_code, enterprise_id, items, reason,"
                       " earliest, latest) VALUES (%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                       (ps.COUNTY, dept, ent["id"], items, reason, lo, hi)).fetchone()
    return int(row["id"])


def visits_of(conn: Any, plan_id: int) -> dict[int, list[plans.PlannedVisit]]:
    """enterprise id -> list of its plan visits."""
    out: dict[int, list[plans.PlannedVisit]] = {}
    for v in plans.plan_visits(conn, SCOPE, plan_id):
        out.setdefault(v.enterprise_id, []).append(v)
    return out


def test_joint_visits_saving_and_quota_flags(conn: Any, sc: ps.Scenario) -> None:
    e = {n: sc.by_name(f"测试企业{n:02d}") for n in (1, 2, 5, 3, 7)}
    # 01 elevated×C: market + fire overlapping -> one joint visit (tie on items -> department order: fire first)
    t1 = add_task(conn, e[1], ps.MARKET, ["PM01"], "2027-03-01", "2027-03-15")
    t2 = add_task(conn, e[1], ps.FIRE, ["PF01"], "2027-03-10", "2027-03-20")
    # 02 general×B (1 a year): two windows apart -> two visits, the second held by the quota (merge offered)
    t3 = add_task(conn, e[2], ps.MARKET, ["PM01"], "2027-03-01", "2027-03-05")
    t4 = add_task(conn, e[2], ps.ECO, ["PE01"], "2027-03-20", "2027-03-25")
    # 05 elevated×C: the same department twice -> one visit, items union
    add_task(conn, e[5], ps.MARKET, ["PM01"], "2027-03-01", "2027-03-31")
    add_task(conn, e[5], ps.MARKET, ["PM01", "PM02"], "2027-03-02", "2027-03-09")
    # 03 low×A (quota 0): annual held (remote); 07 low×A with 3 visits already: a complaint may exceed
    add_task(conn, e[3], ps.MARKET, ["PM01"], "2027-03-01", "2027-03-31")
    for day in ("2027-01-10", "2027-02-10", "2027-02-20"):
        conn.execute("INSERT INTO visits (county_code, township_code, enterprise_id, visit_date, lead_department,"
                     " departments, geom, h3_r7, h3_r8, h3_r9) SELECT county_code, township_code, id, %s, %s,"
                     " ARRAY[%s], geom, h3_r7, h3_r8, h3_r9 FROM enterprises WHERE id = %s",
                     (day, ps.MARKET, ps.MARKET, e[7]["id"]))
    add_task(conn, e[7], ps.FIRE, ["PF01"], "2027-03-01", "2027-03-31", reason="complaint")

    with conn.transaction():
        plan_id = plans.build_plan(conn, SCOPE, period_start=date(2027, 3, 1), period_end=date(2027, 3, 31))
    summary = plans.get_plan(conn, SCOPE, plan_id)
    assert (summary.tasks, summary.visits, summary.saving) == (8, 6, 2)
    v = visits_of(conn, plan_id)

    joint = v[e[1]["id"]][0]
    assert len(v[e[1]["id"]]) == 1 and joint.task_ids == [t1, t2]
    assert joint.lead_department == ps.FIRE and set(joint.departments) == {ps.FIRE, ps.MARKET}
    assert (joint.earliest, joint.latest) == (date(2027, 3, 10), date(2027, 3, 15))

    first, second = sorted(v[e[2]["id"]], key=lambda r: r.earliest)
    assert "窗口不重叠" in first.apart_reason and str(t4) in first.apart_reason
    assert first.status == "proposed" and second.status == "held"
    assert "quota reached: 1/1" in second.quota_flag and f"visit #{first.id}" in second.quota_alternative
    assert t3 in first.task_ids

    same = v[e[5]["id"]]
    assert len(same) == 1 and same[0].items == ["PM01", "PM02"] and len(same[0].task_ids) == 2

    low = v[e[3]["id"]][0]
    assert low.status == "held" and "remote" in low.quota_alternative

    complaint = v[e[7]["id"]][0]
    assert complaint.status == "proposed" and complaint.quota_exceeded_allowed
    assert "3/0" in complaint.quota_flag

    # the planner's edits: split the joint visit, move a window, accept a held visit
    with conn.transaction():
        plans.split_task(conn, SCOPE, plan_id, t2)
    v = visits_of(conn, plan_id)
    assert len(v[e[1]["id"]]) == 2
    assert any("split by the planner" in r.apart_reason for r in v[e[1]["id"]])
    with conn.transaction():
        plans.move_task_window(conn, SCOPE, plan_id, t4, earliest=date(2027, 3, 3), latest=date(2027, 3, 25))
    v = visits_of(conn, plan_id)
    assert len(v[e[2]["id"]]) == 1 and v[e[2]["id"]][0].status == "proposed"   # merged: quota respected
    with pytest.raises(InvalidInput):
        plans.move_task_window(conn, SCOPE, plan_id, t4, earliest=date(2027, 4, 3), latest=date(2027, 4, 5))
    with conn.transaction():
        plans.set_visit_status(conn, SCOPE, plan_id, low.id, "remote")

    with conn.transaction():
        approved = plans.approve_plan(conn, SCOPE, plan_id)
    assert approved.status == "approved"
    row = conn.execute("SELECT actor, detail FROM audit_log WHERE action = 'plan.approve' AND object_id = %s",
                       (str(plan_id),)).fetchone()
    assert row["actor"] == "planner1" and row["detail"]["visits"] == approved.visits
    by_status = {r["status"]: r["n"] for r in conn.execute(
        "SELECT t.status, count(*) AS n FROM inspection_tasks t WHERE t.plan_id = %s GROUP BY t.status",
        (plan_id,)).fetchall()}
    held_tasks = sum(len(r.task_ids) for r in plans.plan_visits(conn, SCOPE, plan_id) if r.status == "held")
    assert by_status.get("filed", 0) == held_tasks and by_status["planned"] == approved.tasks - held_tasks - 1
    remote = conn.execute("SELECT status FROM inspection_tasks WHERE enterprise_id = %s AND plan_id = %s",
                          (e[3]["id"], plan_id)).fetchone()
    assert remote["status"] == "remote"
    with pytest.raises(Conflict):
        plans.split_task(conn, SCOPE, plan_id, t1)


def test_dispatcher_may_not_plan(conn: Any, sc: ps.Scenario) -> None:
    from geo_data.errors import Forbidden

    dispatcher = Scope(actor="d", role=Role.TOWNSHIP_DISPATCHER, county_code=ps.COUNTY, township_code=ps.T1)
    with pytest.raises(Forbidden):
        plans.build_plan(conn, dispatcher, period_start=date(2027, 6, 1), period_end=date(2027, 6, 30))


def _routing_plan(conn: Any, sc: ps.Scenario, month: int) -> tuple[int, dict[str, int]]:
    """An approved plan for a week of 2028-<month> with market/fire visits and one nobody may do."""
    lo, hi = f"2028-{month:02d}-01", f"2028-{month:02d}-10"
    for n in range(1, 25):
        ent = sc.by_name(f"测试企业{n:02d}")
        if n == 39:
            continue
        add_task(conn, ent, ps.FIRE if n % 4 == 0 else ps.MARKET, ["PF01"] if n % 4 == 0 else ["PM01", "PM02"],
                 lo, hi, reason="special")
    eco = add_task(conn, sc.by_name("测试企业25"), ps.ECO, ["PE01"], lo, hi, reason="complaint")
    with conn.transaction():
        plan_id = plans.build_plan(conn, SCOPE, period_start=date(2028, month, 1), period_end=date(2028, month, 10))
        plans.approve_plan(conn, SCOPE, plan_id)
    return plan_id, {"eco": eco}


def test_day_routes_are_feasible_and_every_visit_is_routed_or_listed(conn: Any, sc: ps.Scenario) -> None:
    plan_id, tasks = _routing_plan(conn, sc, 3)
    with conn.transaction():
        routes = plans.route_plan(conn, SCOPE, plan_id, config=FAST)
    for day in routes.days:
        assert day.problems() == [], day.day
        assert day.day.weekday() < 5
    rows = plans.plan_visits(conn, SCOPE, plan_id)
    on_site = [r for r in rows if r.status == "proposed"]
    assert on_site
    for r in on_site:
        assert (r.visit_date is not None) != bool(r.unassigned_reason), r
        if r.visit_date is not None:
            assert r.team_id is not None and r.route_seq >= 1 and r.code.startswith(f"ZJ{ps.COUNTY}")
            assert 8 * 60 + 30 <= r.start_min <= 17 * 60 + 30
            if r.industry_code == "p_food":   # restaurants are not disturbed at lunch
                assert not (11 * 60 < r.start_min + 1e-6 < 13 * 60 + 30)
    eco = next(r for r in rows if tasks["eco"] in r.task_ids)
    assert eco.visit_date is None and eco.unassigned_reason.startswith(REASON_NO_TEAM.split("{")[0])
    assert sum(r.visit_date is not None for r in on_site) >= len(on_site) - 1
    # codes: a planned visit row with code for each routed visit
    n = conn.execute("SELECT count(*) AS n FROM visits WHERE plan_id = %s AND status = 'planned' AND code IS NOT NULL",
                     (plan_id,)).fetchone()["n"]
    assert n == sum(r.visit_date is not None for r in on_site)
    # export
    frame = plans.plan_table(conn, SCOPE, plan_id)
    assert len(frame) == len(rows) and list(frame.columns) == list(plans.PLAN_EXPORT_FIELDS)
    zh = export_frame(frame, "plan", "zh", DepartmentNames.from_rows(plans.department_rows(conn), "zh"))
    en = export_frame(frame, "plan", "en", DepartmentNames.from_rows(plans.department_rows(conn), "en"))
    assert "未排入原因" in zh.columns and "Unassigned" in en.columns and "Unassigned" not in zh.columns
    depts = {r["code"]: r for r in plans.department_rows(conn)}
    first = frame.iloc[0]
    assert zh.iloc[0]["部门"] == "、".join(depts[c]["name"] for c in first["departments"])   # names, not codes
    assert en.iloc[0]["Departments"] == "; ".join(depts[c]["name_en"] or depts[c]["name"] for c in first["departments"])


def test_background_route_job_reports_progress_until_done(conn: Any, sc: ps.Scenario, db_url: str) -> None:
    plan_id, _ = _routing_plan(conn, sc, 4)
    settings = Settings(db=DatabaseSettings(url=db_url, pool_max=4))
    pool = open_pool(db_url, settings.db)
    try:
        queue = jobs.queue_app(settings, db_url).open(pool)
        with pytest.raises(Conflict):
            draft = Scope(actor="p", role=Role.PLANNER, county_code=ps.COUNTY)
            with conn.transaction():
                other = plans.build_plan(conn, draft, period_start=date(2028, 5, 1), period_end=date(2028, 5, 2))
            planning.start_routing(pool, SCOPE, other, queue=queue, config=FAST)
        job_id = planning.start_routing(pool, SCOPE, plan_id, queue=queue, config=FAST)
        # the job worker, in this process, until the queue is empty (tests/db/test_jobs_routing.py: a process)
        worker = threading.Thread(target=jobs.run_worker, args=(settings, db_url),
                                  kwargs={"wait": False, "handle_signals": False})
        worker.start()
        deadline = time.monotonic() + 15
        seen = []
        while time.monotonic() < deadline:
            job = plans.route_job(conn, SCOPE, job_id=job_id)
            seen.append(job["progress"])
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        worker.join(15)
        assert job["status"] == "done", job["message"]
        assert job["progress"] == 1.0 and "visits routed" in job["message"]
        assert seen == sorted(seen)
        assert plans.get_plan(conn, SCOPE, plan_id).routed > 0
    finally:
        pool.close()


def test_draw_is_reproducible_honours_recusal_and_publishes(conn: Any, sc: ps.Scenario) -> None:
    conflicted = sc.inspectors[0]
    for ent in sc.enterprises:
        conn.execute("INSERT INTO inspector_conflicts (inspector_id, enterprise_id, county_code, reason)"
                     " VALUES (%s, %s, %s, '亲属') ON CONFLICT DO NOTHING", (conflicted, ent["id"], SCOPE.county_code))
    params = DrawParams(base_rate=0.4)
    with conn.transaction():
        a = draws.create_draw(conn, SCOPE, department=ps.MARKET, items=["PM01"], period_start=date(2029, 3, 1),
                              period_end=date(2029, 3, 31), params=params, seed=20260301)
    redo = draws.redo_draw(conn, SCOPE, a.draw_id)
    assert [t.enterprise_id for t in redo.targets] == [t.enterprise_id for t in a.targets]
    assert redo.register_digest == a.register_digest
    assert len(a.targets) > 5
    drawn_ids = {s.inspector_id for s in a.slots}
    assert conflicted not in drawn_ids
    fire_inspectors = set(sc.inspectors[6:])
    assert not drawn_ids & fire_inspectors          # only inspectors qualified for market
    no_visit = sc.by_name("测试企业39")["id"]
    assert no_visit not in {t.enterprise_id for t in a.targets}

    # a later draw with the same enterprises does not send the same inspectors again: the rotation follows the
    # enterprise's last inspection before the new period, whatever is already drawn for later periods
    with conn.transaction():
        draws.create_draw(conn, SCOPE, department=ps.MARKET, items=["PM01"], period_start=date(2029, 9, 1),
                          period_end=date(2029, 9, 30), params=DrawParams(base_rate=1.0), seed=5)
        b = draws.create_draw(conn, SCOPE, department=ps.MARKET, items=["PM01"], period_start=date(2029, 4, 1),
                              period_end=date(2029, 4, 30), params=params, seed=99)
    assert {t.enterprise_id for t in b.targets} != {t.enterprise_id for t in a.targets}
    last = {}
    for s in a.slots:
        last.setdefault(s.enterprise_id, set()).add(s.inspector_id)
    for s in b.slots:
        if s.enterprise_id in last and s.inspector_id is not None:
            assert s.inspector_id not in last[s.enterprise_id]

    tasks = conn.execute("SELECT count(*) AS n FROM inspection_tasks WHERE draw_id = %s AND reason = 'random'",
                         (a.draw_id,)).fetchone()["n"]
    assert tasks == len(a.targets)
    frame = draws.result_table(conn, SCOPE, a.draw_id)
    assert len(frame) == len(a.targets)
    assert set(frame["seed"]) == {"20260301"}
    assert frame["inspectors"].str.contains("ZF339901").all()
    zh = export_frame(frame, "draw", "zh", DepartmentNames.from_rows(plans.department_rows(conn), "zh"))
    assert list(zh.columns)[:3] == ["序号", "企业名称", "统一社会信用代码"] and set(zh["随机种子"]) == {"20260301"}
    back = pd.read_excel(io.BytesIO(draws.result_excel(zh)), dtype=str)
    assert list(back.columns) == list(zh.columns) and len(back) == len(zh)
    assert draws.result_csv(frame).startswith("\ufeff".encode())
    audit = conn.execute("SELECT detail FROM audit_log WHERE action = 'draw.create' AND object_id = %s",
                         (str(a.draw_id),)).fetchone()
    assert audit["detail"]["seed"] == 20260301
    with pytest.raises(InvalidInput):
        draws.create_draw(conn, SCOPE, department=ps.MARKET, items=["PF01"], period_start=date(2029, 3, 1),
                          period_end=date(2029, 3, 31))


def _draw_count(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) AS n FROM draws WHERE county_code = %s", (ps.COUNTY,)).fetchone()["n"])


def test_draw_preview_writes_nothing_and_the_commit_draws_what_it_showed(conn: Any, sc: ps.Scenario,
                                                                          db_url: str) -> None:
    params = DrawParams(base_rate=0.4)
    form = {"department": ps.MARKET, "items": ["PM01"], "period_start": date(2029, 5, 1),
            "period_end": date(2029, 5, 31), "params": params}
    before = _draw_count(conn)
    tasks_before = conn.execute("SELECT count(*) AS n FROM inspection_tasks").fetchone()["n"]
    p = draws.preview_draw(conn, SCOPE, **form, sample=5)
    assert _draw_count(conn) == before
    assert conn.execute("SELECT count(*) AS n FROM inspection_tasks").fetchone()["n"] == tasks_before
    assert len(p.targets) > 5 and len(p.sample) == 5
    assert [r["position"] for r in p.sample] == [t.position for t in p.targets[:5]]
    assert all(r["enterprise_name"].startswith("测试企业") and r["inspectors"] for r in p.sample)
    assert sum(r["drawn"] for r in p.by_township) == len(p.targets)
    assert sum(r["register"] for r in p.by_risk) == p.register_size
    # a random seed was chosen and shown; committing with it draws exactly the previewed targets and inspectors
    with conn.transaction():
        a = draws.create_draw(conn, SCOPE, **form, seed=p.seed, preview_token=p.token, expect_digest=p.register_digest)
    assert not a.already_recorded and a.seed == p.seed
    assert [(t.enterprise_id, t.position) for t in a.targets] == [(t.enterprise_id, t.position) for t in p.targets]
    assert a.slots == p.slots

    # the same preview committed again (a double click, a retried request) records nothing more
    with conn.transaction():
        again = draws.create_draw(conn, SCOPE, **form, seed=p.seed, preview_token=p.token,
                                  expect_digest=p.register_digest)
    assert again.already_recorded and again.draw_id == a.draw_id
    assert again.targets == a.targets and sorted(again.slots, key=str) == sorted(a.slots, key=str)
    assert _draw_count(conn) == before + 1

    # two requests committing one preview at the same moment: one draw (the unique token makes the second wait)
    q = draws.preview_draw(conn, SCOPE, **form)
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def commit() -> None:
        with psycopg_connect(db_url) as c, c.transaction():
            barrier.wait()
            outcomes.append(draws.create_draw(c, SCOPE, **form, seed=q.seed, preview_token=q.token,
                                              expect_digest=q.register_digest))

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert len(outcomes) == 2 and outcomes[0].draw_id == outcomes[1].draw_id
    assert sorted(o.already_recorded for o in outcomes) == [False, True]
    assert _draw_count(conn) == before + 2
    assert conn.execute("SELECT count(*) AS n FROM draw_targets WHERE draw_id = %s",
                        (outcomes[0].draw_id,)).fetchone()["n"] == len(q.targets)

    # the register changed between preview and commit: a Conflict, nothing recorded
    r = draws.preview_draw(conn, SCOPE, **form)
    conn.execute("UPDATE enterprises SET no_visit = true WHERE id = %s", (r.targets[0].enterprise_id,))
    with pytest.raises(Conflict, match="register changed since the preview"):
        with conn.transaction():
            draws.create_draw(conn, SCOPE, **form, seed=r.seed, preview_token=r.token, expect_digest=r.register_digest)
    assert _draw_count(conn) == before + 2


def test_cli_draw_create_and_export(conn: Any, sc: ps.Scenario, db_url: str, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from cli import main

    env = {"DATABASE_URL": db_url}
    runner = CliRunner()
    args = ["draw", "create", "--department", ps.MARKET, "--items", "PM01,PM02", "--from", "2029-06-01",
            "--to", "2029-06-30", "--rate", "0.3", "--seed", "7", "--county", ps.COUNTY]
    draws_before = _draw_count(conn)
    dry = runner.invoke(main, [*args, "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("preview (nothing recorded):") and "seed 7" in dry.output
    assert _draw_count(conn) == draws_before
    res = runner.invoke(main, args, env=env)
    assert res.exit_code == 0, res.output
    draw_id = int(res.output.split()[1].rstrip(":"))
    # the dry run showed what the same seed records
    assert dry.output.split(",")[0].split(": ")[1] == res.output.split(": ")[1].split(",")[0]
    out = tmp_path / "list.xlsx"
    res = runner.invoke(main, ["draw", "export", str(draw_id), "-o", str(out), "--county", ps.COUNTY], env=env)
    assert res.exit_code == 0 and out.stat().st_size > 0
    assert len(pd.read_excel(out)) == int(conn.execute("SELECT target_count FROM draws WHERE id = %s",
                                                       (draw_id,)).fetchone()["target_count"])
    bad = runner.invoke(main, [*args[:5], "PF01", *args[6:]], env=env)
    assert bad.exit_code == 2 and "items: must be items of department" in bad.output
    # an export folder that cannot be written: a clear error naming the file, no traceback
    locked = tmp_path / "locked"
    locked.mkdir()
    nowhere = locked / "missing" / "list.csv"
    res = runner.invoke(main, ["draw", "export", str(draw_id), "-o", str(nowhere), "--county", ps.COUNTY], env=env)
    assert res.exit_code == 2 and f"cannot use {nowhere}: No such file" in res.output, res.output


def test_county_quota_override_changes_the_flags(conn: Any, sc: ps.Scenario) -> None:
    ent = sc.by_name("测试企业02")   # general×B: 1 visit a year by default
    add_task(conn, ent, ps.MARKET, ["PM01"], "2032-03-01", "2032-03-05")
    add_task(conn, ent, ps.FIRE, ["PF01"], "2032-03-20", "2032-03-25")
    with conn.transaction():
        plans.set_quota(conn, SCOPE, risk="general", credit="B", max_visits=2)
        plan_id = plans.build_plan(conn, SCOPE, period_start=date(2032, 3, 1), period_end=date(2032, 3, 31))
    assert plans.quota_matrix(conn, county_code=ps.COUNTY)[("general", "B")] == 2
    assert plans.quota_matrix(conn, county_code="330702")[("general", "B")] == 1   # other counties: default
    rows = [r for r in plans.plan_visits(conn, SCOPE, plan_id) if r.enterprise_id == ent["id"]]
    assert len(rows) == 2 and all(r.status == "proposed" and not r.quota_flag for r in rows)
    with pytest.raises(InvalidInput):
        plans.set_quota(conn, SCOPE, risk="severe", credit="B", max_visits=1)
    with conn.transaction():
        plans.set_quota(conn, SCOPE, risk="general", credit="B", max_visits=1)   # restore for other tests


def test_a_plans_revision_moves_with_every_change_of_its_visits_and_only_its_own(conn: Any, sc: ps.Scenario) -> None:
    """The planner page keeps a plan's rows while its revision stands (callbacks/planner_plan.py): every change of
    the plan's visits or their tasks must move it, and a change of another plan must not."""
    e1, e2 = sc.by_name("测试企业01"), sc.by_name("测试企业02")
    t1 = add_task(conn, e1, ps.MARKET, ["PM01"], "2027-05-03", "2027-05-14")
    add_task(conn, e1, ps.FIRE, ["PF01"], "2027-05-03", "2027-05-14")
    with conn.transaction():
        plan_id = plans.build_plan(conn, SCOPE, period_start=date(2027, 5, 1), period_end=date(2027, 5, 31))
    add_task(conn, e2, ps.MARKET, ["PM01"], "2027-06-01", "2027-06-10")
    with conn.transaction():
        other = plans.build_plan(conn, SCOPE, period_start=date(2027, 6, 1), period_end=date(2027, 6, 30))
    seen = [plans.get_plan(conn, SCOPE, plan_id).revision]
    other_at = plans.get_plan(conn, SCOPE, other).revision
    assert seen[0] > 0, "building the plan wrote its visits"

    def moved() -> None:
        seen.append(plans.get_plan(conn, SCOPE, plan_id).revision)
        assert seen[-1] > seen[-2], seen

    with conn.transaction():
        new_visit = plans.split_task(conn, SCOPE, plan_id, t1)
    moved()
    with conn.transaction():
        plans.set_visit_status(conn, SCOPE, plan_id, new_visit, "remote")
    moved()
    with conn.transaction():
        plans.move_task_window(conn, SCOPE, plan_id, t1, earliest=date(2027, 5, 10), latest=date(2027, 5, 20))
    moved()
    with conn.transaction():
        plans.approve_plan(conn, SCOPE, plan_id)
        plans.route_plan(conn, SCOPE, plan_id, config=FAST)
    moved()
    assert plans.get_plan(conn, SCOPE, other).revision == other_at
