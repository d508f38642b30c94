"""End to end: a planner uploads tasks on /planner, builds a plan, sees the joint visit and the saving, and
exports the plan; a township dispatcher is refused the page (403)."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from pages.planner import _next_month

pytestmark = pytest.mark.e2e


def _tasks_csv(db_url: str, county: str, tmp_path: Path) -> tuple[Path, str, str]:
    """Two departments' overlapping tasks on one enterprise (one joint visit) in the page's default period."""
    start, _end = _next_month(date.today())
    lo, hi = start + timedelta(days=2), start + timedelta(days=13)
    with connect(db_url) as c:
        ent = c.execute("SELECT e.uscc, e.name FROM enterprises e WHERE e.county_code = %s AND e.risk = 'high'"
                        " AND NOT e.no_visit ORDER BY e.id LIMIT 1", (county,)).fetchone()
        items = c.execute("SELECT d.name AS dept, min(i.name) AS item FROM departments d"
                          " JOIN inspection_items i ON i.department_code = d.code"
                          " WHERE d.code IN ('market', 'fire') GROUP BY d.name ORDER BY d.name").fetchall()
    lines = ["部门,统一社会信用代码,检查事项,任务来源,最早日期,最晚日期"]
    lines += [f"{r['dept']},{ent['uscc']},{r['item']},年度计划,{lo},{hi}" for r in items]
    path = tmp_path / "tasks.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, ent["name"], f"{lo}–{hi}"


def test_dispatcher_gets_403(make_user: Any, http_login: Any, live_url: str, demo_county: str, db_url: str) -> None:
    with connect(db_url) as c:
        town = c.execute("SELECT code FROM townships WHERE county_code = %s ORDER BY code LIMIT 1",
                         (demo_county,)).fetchone()["code"]
    s = http_login(make_user("township_dispatcher", township=town))
    assert s.get(f"{live_url}/planner", timeout=10).status_code == 403
    assert s.get(f"{live_url}/planner/export/plan-1.csv", timeout=10).status_code == 403


def test_planner_uploads_builds_and_exports(make_user: Any, browser_login: Any, http_login: Any, live_url: str,
                                            demo_county: str, db_url: str, tmp_path: Path) -> None:
    path, name, window = _tasks_csv(db_url, demo_county, tmp_path)
    user = make_user("planner")
    browser = browser_login(user, "/planner")
    wait = WebDriverWait(browser, 20)
    wait.until(ec.presence_of_element_located((By.ID, "planner-upload")))
    assert browser.find_element(By.ID, "quota-high-D").text == "6"      # the default matrix is shown
    assert browser.find_element(By.ID, "quota-low-A").text == "0"
    browser.find_element(By.CSS_SELECTOR, "#planner-upload input[type=file]").send_keys(str(path))
    try:
        wait.until(ec.text_to_be_present_in_element((By.ID, "planner-msg"), "已导入 2 条任务"))
    except Exception:
        raise AssertionError(browser.find_element(By.TAG_NAME, "body").text[:2000]) from None

    browser.find_element(By.ID, "planner-build").click()
    try:
        wait.until(ec.text_to_be_present_in_element((By.ID, "planner-msg"), "减少 1 户次"))
    except Exception:
        raise AssertionError(browser.find_element(By.TAG_NAME, "body").text[:1500]) from None
    wait.until(ec.text_to_be_present_in_element((By.ID, "planner-visits"), name))
    table = browser.find_element(By.ID, "planner-visits").text
    assert window in table

    plan_id = re.search(r"#(\d+)", browser.find_element(By.ID, "planner-msg").text).group(1)  # type: ignore[union-attr]
    s = http_login(user)
    r = s.get(f"{live_url}/planner/export/plan-{plan_id}.csv", timeout=10)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["企业名称"] == name and rows[0]["任务数"] == "2"   # the page's language
    r = s.get(f"{live_url}/planner/export/plan-{plan_id}.csv?lang=en", timeout=10)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0]["Enterprise"] == name and rows[0]["Tasks"] == "2" and "企业名称" not in rows[0]


ACT_OUT = ["planner-msg.children", "planner-problems.children", "planner-refresh.data"]
def _act(s: Any, live_url: str, trigger: str, value: Any, **state: Any) -> Any:
    """Fire the planner action whose callback listens to ``trigger`` (one callback per action, found in the
    served app's ``/_dash-dependencies``), its states named like ``period_start_date`` for
    ``planner-period.start_date``; the answer's outputs are ``ACT_OUT``."""
    from tests.dash_calls import callback_body

    deps = s.get(f"{live_url}/_dash-dependencies", timeout=30).json()

    def spec(items: list[dict[str, Any]]) -> list[str]:
        return [f"{i['id']}.{i['property']}" for i in items]

    (dep,) = [d for d in deps if trigger in spec(d["inputs"])
              and [o.split("@")[0] for o in d["output"].strip(".").split("...")] == ACT_OUT]
    inputs = [(k, value if k == trigger else None) for k in spec(dep["inputs"])]
    st = [(k, state.get(k.split(".")[0].replace("planner-", "").replace("-", "_") + "_" + k.split(".")[1], None))
          for k in spec(dep.get("state", []))]
    body = {**callback_body(ACT_OUT, inputs, st, trigger), "output": dep["output"]}
    r = s.post(f"{live_url}/_dash-update-component", json=body, headers={"Origin": live_url}, timeout=30)
    assert r.status_code == 200, r.text[:500]
    return r.json()["response"]


def test_week_plan_routes_in_background_and_draw_through_callbacks(make_user: Any, http_login: Any, live_url: str,
                                                                  demo_county: str, db_url: str) -> None:
    import base64

    from tests.dash_calls import call_callback

    with connect(db_url) as c:
        ents = c.execute("SELECT e.uscc FROM enterprises e WHERE e.county_code = %s AND e.risk IN ('high', 'elevated')"
                         " AND NOT e.no_visit ORDER BY e.id LIMIT 6 OFFSET 5", (demo_county,)).fetchall()
    lines = ["department,uscc,items,reason,earliest,latest"]
    with connect(db_url) as c:
        item = c.execute("SELECT code FROM inspection_items WHERE department_code = 'market' ORDER BY code LIMIT 1"
                         ).fetchone()["code"]
    lines += [f"market,{e['uscc']},{item},annual,2031-04-07,2031-04-11" for e in ents]
    content = "data:text/csv;base64," + base64.b64encode("\n".join(lines).encode()).decode()
    s = http_login(make_user("planner"))
    out = _act(s, live_url, "planner-upload.contents", content, upload_filename="week.csv")
    assert "已导入 6 条任务" in out["planner-msg"]["children"]  # the page's language: zh by default
    out = _act(s, live_url, "planner-build.n_clicks", 1, period_start_date="2031-04-07",
               period_end_date="2031-04-11")
    plan_id = out["planner-refresh"]["data"]["plan"]
    assert "6 项任务 → 6 次入企" in out["planner-msg"]["children"]
    out = _act(s, live_url, "planner-approve.n_clicks", 1, plan_value=plan_id)
    assert "计划已批准" in out["planner-msg"]["children"]

    job_out = ["planner-job.children", "planner-progress.value", "planner-poll.disabled", "planner-job-state.data"]
    job_in = [("planner-route.n_clicks", 1), ("planner-poll.n_intervals", None), ("planner-plan.value", plan_id)]
    r = call_callback(s, live_url, outputs=job_out, inputs=job_in)
    assert r.status_code == 200, r.text[:300]
    for _ in range(60):
        r = call_callback(s, live_url, outputs=job_out, inputs=[("planner-poll.n_intervals", 1),
                                                               ("planner-route.n_clicks", 1),
                                                               ("planner-plan.value", plan_id)])
        text = r.json()["response"]["planner-job"]["children"]
        if "已完成" in text or "失败" in text:
            break
        time.sleep(0.5)
    assert "排线已完成" in text and "visits routed" in text

    r = call_callback(s, live_url, outputs=["planner-day.options", "planner-day.value"],
                      inputs=[("planner-plan.value", plan_id), ("planner-job-state.data", "x")],
                      state=[("planner-day.value", None)])
    day = r.json()["response"]["planner-day"]["value"]
    assert day.startswith("2031-04-")
    r = call_callback(s, live_url, outputs=["planner-routes.children", "planner-day-teams.children",
                                            "planner-map.viewport"],
                      inputs=[("planner-day.value", day)], state=[("planner-plan.value", plan_id)])
    layers = r.json()["response"]["planner-routes"]["children"]
    assert any(x["type"] == "Polyline" for x in layers) and any(x["type"] == "CircleMarker" for x in layers)
    # the map opens fitted to the day's routes: every stop inside the bounds
    (south, west), (north, east) = r.json()["response"]["planner-map"]["viewport"]["bounds"]
    stops = [x["props"]["center"] for x in layers if x["type"] == "CircleMarker"]
    assert all(south <= lat <= north and west <= lng <= east for lat, lng in stops)
    assert north - south < 1 and east - west < 1  # a county's day, not the world

    form = [("draw-department.value", "market"), ("draw-items.value", [item]), ("draw-rate.value", 0.01),
            ("draw-seed.value", 12345), ("planner-period.start_date", "2031-05-01"),
            ("planner-period.end_date", "2031-05-31")]
    draw_outputs = ["draw-preview-box.children", "draw-pending.data", "draw-create.disabled"]
    r = call_callback(s, live_url, outputs=draw_outputs, inputs=[("draw-preview.n_clicks", 1), *form],
                      changed=["draw-preview.n_clicks"])
    resp = r.json()["response"]
    pending = resp["draw-pending"]["data"]
    assert pending["seed"] == "12345" and pending["token"] and resp["draw-create"]["disabled"] is False
    assert "预览（未记录）" in str(resp["draw-preview-box"]["children"])
    # the form changed after the preview: the preview is withdrawn, nothing can be committed
    r = call_callback(s, live_url, outputs=draw_outputs, inputs=[("draw-preview.n_clicks", 1), *form[:3],
                                                                ("draw-seed.value", 7), *form[4:]],
                      changed=["draw-seed.value"])
    assert r.json()["response"]["draw-pending"]["data"] is None
    assert r.json()["response"]["draw-create"]["disabled"] is True
    commit = {"outputs": ["draw-msg.children", "planner-draws.rowData"],
              "inputs": [("draw-create.n_clicks", 1), ("planner-refresh.data", {"n": 1})],
              "state": [("draw-pending.data", pending)], "changed": ["draw-create.n_clicks"]}
    r = call_callback(s, live_url, **commit)
    resp = r.json()["response"]
    assert "种子 12345" in resp["draw-msg"]["children"]
    # committed twice (a double click): one draw, said so
    again = call_callback(s, live_url, **commit).json()["response"]
    assert "未重复抽取" in again["draw-msg"]["children"]
    assert [d["id"] for d in again["planner-draws"]["rowData"]] == [d["id"] for d in resp["planner-draws"]["rowData"]]
    # the list refreshed by another step (planner-refresh) commits nothing
    refreshed = call_callback(s, live_url, **{**commit, "changed": ["planner-refresh.data"]}).json()["response"]
    assert len(refreshed["planner-draws"]["rowData"]) == len(resp["planner-draws"]["rowData"])
    draw_row = resp["planner-draws"]["rowData"][0]
    assert draw_row["seed"] == "12345" and "/planner/export/draw-" in draw_row["export"]
    csv_text = s.get(f"{live_url}/planner/export/draw-{draw_row['id']}.csv", timeout=10).content.decode("utf-8-sig")
    assert "随机种子" in csv_text.splitlines()[0] and "Seed" not in csv_text.splitlines()[0]
