"""Task import: Chinese or English headers and names, every bad row named, all-or-nothing, CLI exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from geo_data.errors import InvalidInput
from geo_data.scope import system_scope
from geo_data.tasks import import_tasks, read_table
from tests.db import plan_scenario as ps


@pytest.fixture
def sc(conn: Any) -> ps.Scenario:
    return ps.build(conn)


def _csv(text: str) -> pd.DataFrame:
    return read_table(text.encode("utf-8"), filename="tasks.csv")


def _count(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) AS n FROM inspection_tasks WHERE county_code = %s",
                            (ps.COUNTY,)).fetchone()["n"])


def test_good_rows_with_chinese_headers_and_names_are_loaded(conn: Any, sc: ps.Scenario) -> None:
    e1, e2 = sc.enterprises[0], sc.enterprises[1]
    frame = _csv("部门,统一社会信用代码,检查事项,任务来源,最早日期,最晚日期\n"
                 f"市场监管（规划测）,{e1['uscc']},食品经营许可检查（测）；PM02,年度计划,2026-03-01,2026-03-20\n"
                 f"plan_fire,{e2['uscc'].lower()},PF01,complaint,2026/03/05,20260310\n")
    before = _count(conn)
    with conn.transaction():
        report = import_tasks(conn, system_scope(ps.COUNTY), frame, source="t.csv")
    assert report.inserted == 2 and report.problems == []
    rows = conn.execute("SELECT department_code, items, reason, earliest::text, latest::text FROM inspection_tasks"
                        " WHERE id = ANY(%s) ORDER BY id", (report.task_ids,)).fetchall()
    assert rows[0] == {"department_code": ps.MARKET, "items": ["PM01", "PM02"], "reason": "annual",
                       "earliest": "2026-03-01", "latest": "2026-03-20"}
    assert rows[1]["reason"] == "complaint" and rows[1]["latest"] == "2026-03-10"
    assert _count(conn) == before + 2
    audit = conn.execute("SELECT detail FROM audit_log WHERE action = 'tasks.import' ORDER BY seq DESC LIMIT 1").fetchone()
    assert audit["detail"]["inserted"] == 2


BAD = ("department,uscc,items,reason,earliest,latest\n"
       "{ok}\n"
       "无此部门,{u1},PM01,annual,2026-03-01,2026-03-02\n"
       "plan_market,{u1},PF01,annual,2026-03-01,2026-03-02\n"
       "plan_market,{other},PM01,annual,2026-03-01,2026-03-02\n"
       "plan_market,{u1},PM01,每天,2026-03-09,2026-03-02\n")


def _bad_text(sc: ps.Scenario) -> str:
    u1 = sc.enterprises[0]["uscc"]
    other = ps.uscc_for(9999)   # valid code, but no such enterprise in the county
    return BAD.format(ok=f"plan_market,{u1},PM01,annual,2026-03-01,2026-03-02", u1=u1, other=other)


def test_every_bad_row_is_named_and_nothing_is_loaded(conn: Any, sc: ps.Scenario) -> None:
    before = _count(conn)
    with pytest.raises(InvalidInput) as err:
        with conn.transaction():
            import_tasks(conn, system_scope(ps.COUNTY), _csv(_bad_text(sc)))
    text = [str(p) for p in err.value.problems]
    assert any(t.startswith("row 2: department: unknown department") for t in text)
    assert any(t.startswith("row 3: items: not items of department plan_market: PF01") for t in text)
    assert any(t.startswith("row 4: uscc: no enterprise") for t in text)
    assert any(t.startswith("row 5: reason: unknown reason") for t in text)
    assert any(t.startswith("row 5: latest:") for t in text)
    assert not any(t.startswith("row 1:") for t in text)
    assert _count(conn) == before


def test_skip_bad_loads_the_good_rows(conn: Any, sc: ps.Scenario) -> None:
    before = _count(conn)
    with conn.transaction():
        report = import_tasks(conn, system_scope(ps.COUNTY), _csv(_bad_text(sc)), skip_bad=True)
    assert report.inserted == 1 and {p.row for p in report.problems} == {2, 3, 4, 5}
    assert _count(conn) == before + 1


def test_enterprise_of_another_county_is_refused(conn: Any, sc: ps.Scenario) -> None:
    frame = _csv(f"department,uscc,items,reason,earliest,latest\nplan_market,{sc.enterprises[0]['uscc']},PM01,"
                 "annual,2026-03-01,2026-03-02\n")
    with pytest.raises(InvalidInput) as err:
        import_tasks(conn, system_scope("330702"), frame)
    assert "row 1: uscc: no enterprise" in str(err.value.problems[0])


def test_missing_columns_are_reported() -> None:
    with pytest.raises(InvalidInput, match="missing columns: items"):
        _csv("department,uscc,reason,earliest,latest\n")


def test_cli_excel_import_and_exit_status_2_with_rejects(db_url: str, conn: Any, sc: ps.Scenario,
                                                         tmp_path: Path) -> None:
    from cli import main

    good = pd.DataFrame([{"部门": "消防救援（规划测）", "统一社会信用代码": sc.enterprises[2]["uscc"],
                          "检查事项": "消防通道检查（测）", "任务来源": "专项", "最早日期": pd.Timestamp("2026-03-02"),
                          "最晚日期": pd.Timestamp("2026-03-06")}])
    xlsx = tmp_path / "tasks.xlsx"
    good.to_excel(xlsx, index=False)
    env = {"DATABASE_URL": db_url}
    runner = CliRunner()
    before = _count(conn)
    ok = runner.invoke(main, ["import", "tasks", str(xlsx), "--county", ps.COUNTY], env=env)
    assert ok.exit_code == 0, ok.output
    assert "imported 1 tasks" in ok.output and _count(conn) == before + 1

    bad = tmp_path / "bad.csv"
    bad.write_text(_bad_text(sc), encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    res = runner.invoke(main, ["import", "tasks", str(bad), "--county", ps.COUNTY, "--rejects", str(rejects)], env=env)
    assert res.exit_code == 2
    assert "row 3: items: not items of department plan_market: PF01" in res.output
    assert _count(conn) == before + 1
    assert list(pd.read_csv(rejects)["row"]) == [2, 3, 4, 5]


def test_excel_serial_dates_and_full_width_or_hyphenated_usccs(conn: Any, sc: ps.Scenario, tmp_path: Path) -> None:
    """What Excel writes: serial day numbers in a CSV export, date cells in a workbook; codes typed full-width."""
    e1, e2 = sc.enterprises[0]["uscc"], sc.enterprises[1]["uscc"]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in e1)
    frame = _csv("department,uscc,items,reason,earliest,latest\n"
                 f"plan_market,{wide},PM01,annual,46083,46090\n"
                 f"plan_market,{e2[:8]}-{e2[8:]},PM01,annual,46083.5,2026-03-09 00:00:00\n")
    with conn.transaction():
        report = import_tasks(conn, system_scope(ps.COUNTY), frame)
    assert report.problems == []
    rows = conn.execute("SELECT e.uscc, t.earliest::text, t.latest::text FROM inspection_tasks t"
                        " JOIN enterprises e ON e.id = t.enterprise_id WHERE t.id = ANY(%s) ORDER BY t.id",
                        (report.task_ids,)).fetchall()
    assert [tuple(r.values()) for r in rows] == [(e1, "2026-03-02", "2026-03-09"), (e2, "2026-03-02", "2026-03-09")]

    workbook = tmp_path / "tasks.xlsx"
    pd.DataFrame({"department": ["plan_market"], "uscc": [wide], "items": ["PM01"], "reason": ["双随机"],
                  "earliest": [pd.Timestamp("2026-04-01")], "latest": [46118]}).to_excel(workbook, index=False)
    with conn.transaction():
        report = import_tasks(conn, system_scope(ps.COUNTY), read_table(workbook))
    got = conn.execute("SELECT earliest::text, latest::text FROM inspection_tasks WHERE id = ANY(%s)",
                       (report.task_ids,)).fetchone()
    assert (got["earliest"], got["latest"]) == ("2026-04-01", "2026-04-06")


def test_unknown_departments_and_reasons_are_said_once_and_map_values_applies(db_url: str, conn: Any,
                                                                              sc: ps.Scenario, tmp_path: Path) -> None:
    from cli import main

    u = [e["uscc"] for e in sc.enterprises[:3]]
    path = tmp_path / "plan.csv"
    path.write_text("department,uscc,items,reason,earliest,latest\n"
                    f"市场监管局,{u[0]},PM01,日常检查,2026-03-01,2026-03-02\n"
                    f"市场监管局,{u[1]},PM01,annual,2026-03-01,2026-03-02\n"
                    f"plan_market,{u[2]},PM01,日常检查,2026-03-01,2026-03-02\n", encoding="utf-8")
    env = {"DATABASE_URL": db_url}
    before = _count(conn)
    refused = CliRunner().invoke(main, ["import", "tasks", str(path), "--county", ps.COUNTY], env=env)
    assert refused.exit_code == 2
    summary = [ln.strip() for ln in refused.stderr.splitlines() if ln.startswith("  ")]
    assert summary[0].startswith("department: unknown value '市场监管局' in 2 rows (1, 2); ")
    assert summary[1] == ("reason: unknown value '日常检查' in 2 rows (1, 3); use 年度计划, 双随机, 专项, 投诉, 告警;"
                          " map it with --map-values 'reason:日常检查=VALUE'")
    assert len(summary) == 2
    assert not [ln for ln in refused.stderr.splitlines() if ln.startswith(("row 1: department", "row 3: reason"))]
    assert _count(conn) == before
    done = CliRunner().invoke(main, ["import", "tasks", str(path), "--county", ps.COUNTY, "--map-values",
                                     f"department:市场监管局={ps.MARKET}", "--map-values", "reason:日常检查=年度计划"],
                              env=env)
    assert done.exit_code == 0, done.output
    assert "imported 3 tasks" in done.output and _count(conn) == before + 3
    wrong = CliRunner().invoke(main, ["import", "tasks", str(path), "--county", ps.COUNTY, "--map-values",
                                      "reason:日常检查=每天"], env=env)
    assert wrong.exit_code == 2 and "'每天' is not a known reason" in wrong.stderr
