"""End to end: a planner uploads tasks on /planner, builds a plan, sees the joint visit and the saving, and
exports the plan; a township dispatcher is refused the page (403)."""

from __future__ import annotations

import csv
import io
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
    browser.find_element(By.CSS_SELECTOR, "#planner-upload input[type=file]").send_keys(str(path))
    try:
        wait.until(ec.text_to_be_present_in_element((By.ID, "planner-msg"), "imported 2 tasks"))
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

    plan_id = browser.find_element(By.ID, "planner-msg").text.split("#")[1].split(":")[0]
    s = http_login(user)
    r = s.get(f"{live_url}/planner/export/plan-{plan_id}.csv", timeout=10)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["企业名称 Enterprise"] == name and rows[0]["任务数 Tasks"] == "2"
