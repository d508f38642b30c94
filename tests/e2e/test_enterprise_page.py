"""The enterprise's page of an inspection code (亮码 + 查后评价) on a phone (headless Chromium, 390×844, position
set through the DevTools protocol): the QR of the visit sheet, decoded by a real decoder (zxing-cpp), gives the
page's URL; opened without an account it shows who inspects; the scan-in is confirmed once with the phone's
position; one rating, a thank-you; a second rating refused; wrong codes 404 and, past the limit, 429."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from enforcement.visit_inspectors import Member, visit_inspectors
from geo_data.db import connect
from geo_data.visit_codes import new_code
from tests.served import served

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
COUNTY = "330702"
M_PER_DEG_LAT = 111_320.0
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


@pytest.fixture
def coded_visit(demo_db_url: str, demo_county: str) -> dict[str, Any]:
    """Today's planned visit of a demo enterprise by a township team of 3+ inspectors, with its code and its own
    inspectors chosen as issuing does (``enforcement.visit_inspectors``)."""
    with connect(demo_db_url) as c:
        team = c.execute(
            "SELECT t.id, t.name, t.township_code, t.qualifications, array_agg(i.id ORDER BY i.id) AS members"
            " FROM teams t JOIN inspectors i ON i.team_id = t.id AND i.active"
            " WHERE t.county_code = %s AND t.kind = 'township' AND t.active GROUP BY t.id"
            " HAVING count(*) >= 3 ORDER BY t.id LIMIT 1", (demo_county,)).fetchone()
        assert team is not None, "the demo county has no township team of three inspectors"
        members = c.execute("SELECT id, team_id, department_code, qualifications, name FROM inspectors"
                            " WHERE team_id = %s AND active ORDER BY id", (team["id"],)).fetchall()
        lead = members[0]["department_code"]
        items = c.execute("SELECT code, name, legal_basis FROM inspection_items WHERE department_code = %s"
                          " ORDER BY code LIMIT 2", (lead,)).fetchall()
        ent = c.execute("SELECT id, name, address, township_code, ST_X(geom) AS lng, ST_Y(geom) AS lat FROM enterprises"
                        " WHERE county_code = %s AND township_code = %s ORDER BY id OFFSET %s LIMIT 1",
                        (demo_county, team["township_code"], secrets.randbelow(50))).fetchone()
        assert ent is not None and items
        chosen = visit_inspectors(lead_department=lead, departments=[lead], team_id=team["id"], members=[
            Member(m["id"], m["team_id"], m["department_code"], tuple(m["qualifications"])) for m in members])
        today = datetime.now(SH).date()
        code = new_code(demo_county, today)
        visit = c.execute(
            "INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,"
            " departments, items, status, code, geom, h3_r7, h3_r8, h3_r9) SELECT county_code, township_code, id, %s,"
            " %s, %s, %s, %s, 'planned', %s, geom, h3_r7, h3_r8, h3_r9 FROM enterprises WHERE id = %s RETURNING id",
            (team["id"], today, lead, [lead], [i["code"] for i in items], code, ent["id"])).fetchone()
        assert visit is not None
        c.execute("INSERT INTO visit_codes (code, county_code, visit_id, enterprise_id, team_id, visit_date,"
                  " inspector_ids, items) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                  (code, demo_county, visit["id"], ent["id"], team["id"], today, chosen, [i["code"] for i in items]))
        c.commit()
    by_id = {m["id"]: m for m in members}
    return {"code": code, "enterprise": ent, "team": team, "items": items,
            "inspectors": [by_id[i]["name"] for i in chosen],
            "others": [m["name"] for m in members if m["id"] not in chosen]}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """The shared browser as a phone without an account; its desktop self again afterwards."""
    browser.delete_all_cookies()
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_cdp_cmd("Emulation.clearGeolocationOverride", {})
    browser.execute_cdp_cmd("Browser.resetPermissions", {})


def decoded_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def test_sheet_qr_opens_the_page_confirm_once_rate_once(live_url: str, demo_db_url: str, coded_visit: dict[str, Any],
                                                       make_user: Any, http_login: Any, phone: Any,
                                                       tmp_path: Path) -> None:
    code = coded_visit["code"]
    planner = http_login(make_user("planner"))
    png = planner.get(f"{live_url}/visits/{code}/qr.png", timeout=10)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    url = decoded_qr(png.content)
    assert url == f"{live_url}/v/{code}"
    sheet = planner.get(f"{live_url}/visits/{code}/sheet", timeout=10).text
    assert all(name in sheet for name in coded_visit["inspectors"])
    assert not any(name in sheet for name in coded_visit["others"])   # the visit's own, not the whole team
    assert url in sheet and "onclick" not in sheet

    ent = coded_visit["enterprise"]
    phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_url, "permissions": ["geolocation"]})
    phone.execute_cdp_cmd("Emulation.setGeolocationOverride",
                          {"latitude": ent["lat"] + 25 / M_PER_DEG_LAT, "longitude": ent["lng"], "accuracy": 15})
    phone.get(url)
    wait = WebDriverWait(phone, 15)
    wait.until(ec.element_to_be_clickable((By.ID, "gc-v-scan")))
    assert phone.execute_script("return window.innerWidth") == 390
    people = phone.find_element(By.ID, "gc-v-inspectors").text
    assert all(name in people for name in coded_visit["inspectors"]) and "执法证号" in people
    items = phone.find_element(By.ID, "gc-v-items").text
    assert all(i["name"] in items for i in coded_visit["items"])
    assert coded_visit["items"][0]["legal_basis"][:10] in items
    assert phone.find_element(By.ID, "gc-v-date").text == f"{datetime.now(SH).date():%Y}年" \
        f"{datetime.now(SH).month}月{datetime.now(SH).day}日"
    source = phone.page_source
    for private in (ent["name"], ent["address"], coded_visit["team"]["name"]):   # nothing else of enterprise/team
        assert private not in source
    phone.save_screenshot(str(tmp_path / "enterprise_page.png"))

    phone.find_element(By.ID, "gc-v-scan").click()
    wait.until(ec.presence_of_element_located((By.ID, "gc-v-scanned")))
    with connect(demo_db_url) as c:
        row = c.execute("SELECT scanned_at, scan_distance_m, rating FROM visit_codes WHERE code = %s",
                        (code,)).fetchone()
    assert row is not None and row["scanned_at"] is not None and 15 < row["scan_distance_m"] < 35
    assert not phone.find_elements(By.ID, "gc-v-scan")              # confirmed once: the button is gone
    again = requests.post(f"{live_url}/api/v1/visits/{code}/scan", json={"lng": ent["lng"], "lat": ent["lat"]},
                          timeout=10)
    assert again.status_code == 409

    form = wait.until(ec.presence_of_element_located((By.ID, "gc-v-rate")))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()      # no stars chosen yet
    wait.until(ec.text_to_be_present_in_element((By.ID, "gc-v-msg"), "请先选择评分"))
    form.find_element(By.CSS_SELECTOR, "label.gc-v-star:nth-of-type(4)").click()
    form.find_element(By.NAME, "comment").send_keys("检查规范，态度很好")
    phone.save_screenshot(str(tmp_path / "enterprise_page_rating.png"))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    thanks = wait.until(ec.presence_of_element_located((By.ID, "gc-v-thanks")))
    assert "感谢您的评价" in thanks.text and "★★★★☆" in thanks.text
    phone.save_screenshot(str(tmp_path / "enterprise_page_thanks.png"))
    with connect(demo_db_url) as c:
        row = c.execute("SELECT rating, rating_comment FROM visit_codes WHERE code = %s", (code,)).fetchone()
    assert row == {"rating": 4, "rating_comment": "检查规范，态度很好"}
    second = requests.post(f"{live_url}/api/v1/visits/{code}/rating", json={"rating": 1}, timeout=10)
    assert second.status_code == 409
    phone.get(url + "?lang=en")
    wait.until(ec.presence_of_element_located((By.ID, "gc-v-thanks")))
    assert "Thank you for your rating" in phone.find_element(By.ID, "gc-v-thanks").text
    assert not phone.find_elements(By.ID, "gc-v-rate")
    assert "Badge No." in phone.find_element(By.ID, "gc-v-inspectors").text
    phone.save_screenshot(str(tmp_path / "enterprise_page_en.png"))


def test_position_refused_says_so_and_records_nothing(live_url: str, demo_db_url: str, coded_visit: dict[str, Any],
                                                      phone: Any) -> None:
    code = coded_visit["code"]
    phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_url, "permissions": []})
    phone.get(f"{live_url}/v/{code}")
    wait = WebDriverWait(phone, 15)
    wait.until(ec.element_to_be_clickable((By.ID, "gc-v-scan"))).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "gc-v-msg"), "未获得位置权限"))
    # far away (2 km): the server refuses with its reason, shown on the page
    ent = coded_visit["enterprise"]
    phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_url, "permissions": ["geolocation"]})
    phone.execute_cdp_cmd("Emulation.setGeolocationOverride",
                          {"latitude": ent["lat"] + 2000 / M_PER_DEG_LAT, "longitude": ent["lng"], "accuracy": 15})
    phone.find_element(By.ID, "gc-v-scan").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "gc-v-msg"), "距离企业过远"))
    with connect(demo_db_url) as c:
        row = c.execute("SELECT scanned_at FROM visit_codes WHERE code = %s", (code,)).fetchone()
    assert row == {"scanned_at": None}


@pytest.fixture(scope="module")
def behind_proxy(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served instance that believes X-Forwarded-For from 127.0.0.1 (as behind the county's TLS proxy) with a low
    guessing limit: each test client gets an address of its own, so no other test's 127.0.0.1 is ever limited."""
    with served(demo_db_url, tmp_path_factory.mktemp("proxied"), workers=1, threads=8,
                env={"GRIDCOMMAND_TRUSTED_PROXIES": '["127.0.0.1"]',
                     "GRIDCOMMAND_PLAN_CODE_MISSES_PER_10MIN": "3"}) as instance:
        yield instance.base_url


def test_wrong_codes_404_then_rate_limited(behind_proxy: str, coded_visit: dict[str, Any]) -> None:
    client = {"X-Forwarded-For": f"198.51.100.{secrets.randbelow(250) + 1}"}
    wrong = f"ZJ{COUNTY}{datetime.now(SH):%Y%m%d}AAAAAAAAAA"
    r = requests.get(f"{behind_proxy}/v/{wrong}", headers=client, timeout=10)
    assert r.status_code == 404 and "未找到该检查码" in r.text
    assert requests.get(f"{behind_proxy}/v/not-a-code?lang=en", headers=client, timeout=10).status_code == 404
    r = requests.post(f"{behind_proxy}/api/v1/visits/{wrong}/rating", json={"rating": 5}, headers=client, timeout=10)
    assert r.status_code == 404
    # three unknown codes in ten minutes: this address is refused now, even for a real code (no oracle)
    r = requests.get(f"{behind_proxy}/v/{coded_visit['code']}", headers=client, timeout=10)
    assert r.status_code == 429 and r.headers["Retry-After"] == "600" and "请求过于频繁" in r.text
    r = requests.post(f"{behind_proxy}/api/v1/visits/{coded_visit['code']}/rating", json={"rating": 5},
                      headers=client, timeout=10)
    assert r.status_code == 429
    # another address still gets the page
    other = {"X-Forwarded-For": f"203.0.113.{secrets.randbelow(250) + 1}"}
    r = requests.get(f"{behind_proxy}/v/{coded_visit['code']}", headers=other, timeout=10)
    assert r.status_code == 200 and coded_visit["inspectors"][0] in r.text
