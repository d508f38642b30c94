"""End to end: a planner filters the coverage page to a township and period, exports CSV and GeoJSON through
the real buttons (Chromium downloads), and the files hold exactly the filtered areas (checked by direct SQL)."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect


def _busiest_township(db_url: str, county: str) -> tuple[str, str, date, date]:
    with connect(db_url) as c:
        last = c.execute("SELECT max(visit_date) AS d FROM visits WHERE county_code = %s AND status = 'done'",
                         (county,)).fetchone()["d"]
        start = last - timedelta(days=45)
        row = c.execute(
            "SELECT v.township_code, t.name, count(*) AS n FROM visits v JOIN townships t ON t.code = v.township_code"
            " WHERE v.county_code = %s AND v.status = 'done' AND v.visit_date BETWEEN %s AND %s"
            " GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 1", (county, start, last)).fetchone()
    return row["township_code"], row["name"], start, last


def _expected_cells(db_url: str, town: str, start: date, end: date) -> tuple[set[str], dict[str, int]]:
    """Every res-9 cell of the township with enterprises, done visits or incidents in the period (hex ids), and
    the done visits per cell — computed here independently of the product's SQL."""
    with connect(db_url) as c:
        c.execute("SET TIME ZONE 'Asia/Shanghai'")
        cells = {format(r["cell"], "x") for r in c.execute(
            "SELECT h3_r9 AS cell FROM enterprises WHERE township_code = %(t)s"
            " UNION SELECT h3_r9 FROM visits WHERE township_code = %(t)s AND status = 'done'"
            "   AND visit_date BETWEEN %(a)s AND %(b)s"
            " UNION SELECT h3_r9 FROM incidents WHERE township_code = %(t)s"
            "   AND ((created_at >= %(a)s::date AND created_at < %(b)s::date + 1)"
            "        OR (closed_at >= %(a)s::date AND closed_at < %(b)s::date + 1))",
            {"t": town, "a": start, "b": end})}
        visits = {format(r["cell"], "x"): int(r["n"]) for r in c.execute(
            "SELECT h3_r9 AS cell, count(*) AS n FROM visits WHERE township_code = %s AND status = 'done'"
            " AND visit_date BETWEEN %s AND %s GROUP BY 1", (town, start, end))}
    return cells, visits


def _wait_file(folder: Path, suffix: str, timeout: float = 20) -> Path:
    end = time.time() + timeout
    while time.time() < end:
        done = [p for p in folder.glob(f"*{suffix}")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} download in {folder}: {list(folder.iterdir())}")


@pytest.mark.timeout(60)
def test_planner_exports_exactly_the_filtered_cells(live_url: str, browser: Any, browser_login: Any,
                                                     make_user: Any, db_url: str, demo_county: str,
                                                     tmp_path: Path) -> None:
    town, town_name, start, end = _busiest_township(db_url, demo_county)
    cells, visits = _expected_cells(db_url, town, start, end)
    assert visits, "the demo should have visits in the busiest township"
    planner = make_user("planner")
    browser_login(planner, "/coverage")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    # period and map level come with the link; the township is chosen in the dropdown like a person would
    browser.get(f"{live_url}/coverage?from={start}&to={end}&level=r9")
    wait = WebDriverWait(browser, 20)
    wait.until(ec.presence_of_element_located((By.ID, "kpi-repeat_rate")))
    wait.until(ec.element_to_be_clickable((By.ID, "cov-township"))).click()
    option = wait.until(ec.element_to_be_clickable(
        (By.XPATH, f"//*[@role='option'][normalize-space(.)='{town_name}']")))
    option.click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "cov-count"), f"{len(cells)} 个区域"))
    browser.save_screenshot(str(tmp_path / "coverage_page.png"))  # kept by pytest for a look after the run
    browser.execute_script("document.getElementById('cov-map').scrollIntoView()")
    browser.save_screenshot(str(tmp_path / "coverage_map.png"))
    browser.find_element(By.ID, "cov-export-csv").click()
    csv_path = _wait_file(tmp_path, ".csv")
    browser.find_element(By.ID, "cov-export-geojson").click()
    gj_path = _wait_file(tmp_path, ".geojson")

    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert {r["id"] for r in rows} == cells
    assert {r["id"]: int(r["visits"]) for r in rows if int(r["visits"])} == visits
    assert town in csv_path.name or str(start) in csv_path.name
    fc = json.loads(gj_path.read_text(encoding="utf-8"))
    assert {f["properties"]["id"] for f in fc["features"]} == cells
    assert all(f["geometry"]["type"] == "Polygon" for f in fc["features"])
    with connect(db_url) as c:
        audit = c.execute("SELECT action, detail FROM audit_log WHERE actor = %s AND action LIKE 'export.%%'"
                          " ORDER BY seq", (planner,)).fetchall()
    assert [a["action"] for a in audit] == ["export.csv", "export.geojson"]
    assert audit[0]["detail"]["filter"]["township"] == town and audit[0]["detail"]["rows"] == len(cells)


def test_monthly_report_is_printable_html_with_svg_map(live_url: str, make_user: Any, http_login: Any,
                                                       db_url: str, demo_county: str) -> None:
    town, town_name, _start, end = _busiest_township(db_url, demo_county)
    s = http_login(make_user("planner"))
    month = end.strftime("%Y-%m")
    r = s.get(f"{live_url}/reports/monthly", params={"county": demo_county, "township": town, "month": month},
              timeout=20)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert town_name in r.text and "<svg" in r.text and "重复检查率" in r.text and "<polyline" in r.text
    assert s.get(f"{live_url}/reports/monthly", params={"county": demo_county, "month": "2026-13"},
                 timeout=20).status_code == 400
    assert s.get(f"{live_url}/reports/monthly", params={"county": "110101", "month": month},
                 timeout=20).status_code == 403
    dispatcher = http_login(make_user("township_dispatcher", township=town))
    assert dispatcher.get(f"{live_url}/reports/monthly", params={"month": month}, timeout=20).status_code == 403


def test_township_dispatcher_sees_own_township_and_cannot_export(live_url: str, make_user: Any, http_login: Any,
                                                                 db_url: str, demo_county: str) -> None:
    from tests.dash_calls import call_callback

    town, _name, start, end = _busiest_township(db_url, demo_county)
    other = "330702999"
    s = http_login(make_user("township_dispatcher", township=town))
    page = s.get(f"{live_url}/coverage", timeout=20)
    assert page.status_code == 200
    r = call_callback(s, live_url, outputs=["cov-filter.data", "cov-report-link.href"],
                      inputs=[("cov-township.value", other), ("cov-period.start_date", str(start)),
                              ("cov-period.end_date", str(end)), ("cov-department.value", None),
                              ("cov-industry.value", None), ("cov-risk.value", None)])
    assert r.status_code == 403  # another township is refused, not silently shown
    r = call_callback(s, live_url, outputs=["cov-filter.data", "cov-report-link.href"],
                      inputs=[("cov-township.value", None), ("cov-period.start_date", str(start)),
                              ("cov-period.end_date", str(end)), ("cov-department.value", None),
                              ("cov-industry.value", None), ("cov-risk.value", None)])
    assert r.status_code == 200
    store = r.json()["response"]["cov-filter"]["data"]
    assert store["township_code"] == town  # narrowed to the dispatcher's own township
    r = call_callback(s, live_url, outputs=["cov-download.data"],
                      inputs=[("cov-export-csv.n_clicks", 1), ("cov-export-xlsx.n_clicks", None),
                              ("cov-export-geojson.n_clicks", None)],
                      state=[("cov-filter.data", store), ("cov-level.value", "r9"),
                             ("cov-measure.value", "coverage_high"), ("cov-view.value", "all")])
    assert r.status_code == 403
