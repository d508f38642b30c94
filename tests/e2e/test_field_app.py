"""The field app (/field) on a phone (headless Chromium 390×844, position set through the DevTools protocol)
against the served app: an inspector accepts a dispatch a township dispatcher made, goes on the way and on site,
adds a photo, resolves — the dispatcher's open page shows each step without a reload, the timeline carries the
photo and the positions, the response measure reads the field's on-site time. Offline: 3 steps, 1 photo and
10 fixes wait on the phone and, back online, are each stored once, in order, with the phone's times."""

from __future__ import annotations

import io
import secrets
import time
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
from selenium.webdriver.support.ui import Select, WebDriverWait

from geo_data.db import connect
from geo_data.users import create_user
from tests.conftest import TEST_PASSWORD
from tests.db.dispatch_scenario import token
from tests.map_scenario import console_errors, headless_chromium

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def crew(demo_db_url: str, demo_county: str) -> dict[str, Any]:
    """A free township team of the demo county, an inspector of it, and a source token to raise incidents."""
    with connect(demo_db_url) as c:
        team = c.execute(
            "SELECT tm.id, tm.name, tm.township_code, ST_X(tw.label_point) AS lng, ST_Y(tw.label_point) AS lat"
            " FROM teams tm JOIN townships tw ON tw.code = tm.township_code JOIN counties co ON co.code = tm.county_code"
            " WHERE tm.county_code = %s AND tm.active AND ST_Contains(tw.geom, ST_Buffer(tw.label_point, 0.02)) AND tm.kind = 'township' AND tm.status = 'idle'"
            "  AND 'comprehensive' = ANY(tm.qualifications) AND NOT EXISTS (SELECT 1 FROM dispatches d"
            "  WHERE d.team_id = tm.id AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site'))"
            " ORDER BY tw.code LIMIT 1", (demo_county,)).fetchone()
        assert team, "the demo county has no free comprehensive township team"
        name = f"insp_{secrets.token_hex(3)}"
        create_user(c, username=name, password=TEST_PASSWORD, role="inspector", county_code=demo_county,
                    team_id=team["id"], display_name="张三")
        c.commit()
    return {"team": team, "inspector": name, "db_url": demo_db_url,
            "token": token(demo_db_url, source=f"field-{secrets.token_hex(3)}", county=demo_county)}


def _visits_today(db_url: str, team: dict[str, Any], county: str) -> list[dict[str, Any]]:
    """Two of today's visits of the team, with codes (as issuing makes them), routed in reverse id order."""
    from geo_data.visit_codes import new_code

    today = datetime.now(SH).date()
    out = []
    with connect(db_url) as c:
        items = c.execute("SELECT code, name FROM inspection_items ORDER BY code LIMIT 2").fetchall()
        ents = c.execute("SELECT id, name FROM enterprises WHERE township_code = %s ORDER BY id OFFSET %s LIMIT 2",
                         (team["township_code"], secrets.randbelow(40))).fetchall()
        dept = c.execute("SELECT department_code FROM inspection_items WHERE code = %s",
                         (items[0]["code"],)).fetchone()["department_code"]
        for seq, ent in zip((2, 1), ents, strict=True):
            code = new_code(county, today)
            v = c.execute(
                "INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,"
                " departments, items, status, code, geom, h3_r7, h3_r8, h3_r9) SELECT county_code, township_code, id,"
                " %s, %s, %s, %s, %s, 'planned', %s, geom, h3_r7, h3_r8, h3_r9 FROM enterprises WHERE id = %s"
                " RETURNING id", (team["id"], today, dept, [dept], [i["code"] for i in items], code, ent["id"])).fetchone()
            c.execute("INSERT INTO visit_codes (code, county_code, visit_id, enterprise_id, team_id, visit_date, items)"
                      " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                      (code, county, v["id"], ent["id"], team["id"], today, [i["code"] for i in items]))
            out.append({"id": v["id"], "code": code, "name": ent["name"], "route_seq": seq})
        plan = c.execute("INSERT INTO visit_plans (county_code, period_start, period_end, created_by)"
                         " VALUES (%s, %s, %s, 'test') RETURNING id", (county, today, today)).fetchone()
        for v, ent in zip(out, ents, strict=True):
            c.execute("INSERT INTO plan_visits (plan_id, county_code, enterprise_id, lead_department, departments,"
                      " items, earliest, latest, team_id, visit_date, route_seq, visit_id) VALUES (%s, %s, %s, %s, %s,"
                      " %s, %s, %s, %s, %s, %s, %s)", (plan["id"], county, ent["id"], dept, [dept],
                                                        [i["code"] for i in items], today, today, team["id"], today,
                                                        v["route_seq"], v["id"]))
        c.commit()
    return sorted(out, key=lambda v: v["route_seq"])


def _dispatched(live_url: str, crew: dict[str, Any], dispatcher: requests.Session, dx: float) -> int:
    """An incident near the team's township centre, assigned to the team by the township dispatcher (API)."""
    t = crew["team"]
    body = {"source_id": f"field-{secrets.token_hex(6)}", "source_kind": "ai_camera", "type": "street_vending",
            "observed_at": datetime.now(SH).isoformat(timespec="seconds"), "severity": "urgent",
            "location": {"lng": t["lng"] + dx, "lat": t["lat"]}, "description": "占道经营"}
    r = requests.post(f"{live_url}/api/v1/alerts", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {crew['token']}"})
    assert r.status_code == 201, r.text
    incident = int(r.json()["incident_id"])
    r = dispatcher.post(f"{live_url}/api/v1/incidents/{incident}/assign", json={"team_id": t["id"]},
                        headers={"Origin": live_url}, timeout=10)
    if r.status_code != 200:
        with connect(crew["db_url"]) as c:
            busy = c.execute("SELECT d.*, i.created_at AS inc_created FROM dispatches d JOIN incidents i ON i.id = d.incident_id"
                             " WHERE d.team_id = %s ORDER BY d.id DESC LIMIT 3", (t["id"],)).fetchall()
        raise AssertionError(f"{r.text} incident={incident} {busy}")
    return incident


@pytest.fixture
def phone(live_url: str, demo_db_url: str, crew: dict[str, Any]) -> Iterator[Any]:
    """A second browser: the inspector's phone, logged in to /field."""
    driver = headless_chromium("--window-size=390,844")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_url, "permissions": ["geolocation"]})
    driver.get(f"{live_url}/login?next=/field")
    driver.find_element(By.NAME, "username").send_keys(crew["inspector"])
    driver.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 15).until(lambda b: b.current_url.endswith("/field"))
    yield driver
    driver.quit()


def _at(phone: Any, lat: float, lng: float) -> None:
    phone.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lng, "accuracy": 8})


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _shot(phone: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    png = phone.get_screenshot_as_png()
    img = Image.open(io.BytesIO(png)).convert("RGB").resize((390, 844))
    img.quantize(colors=128).save(SHOTS / name, optimize=True)
    assert (SHOTS / name).stat().st_size <= 200_000


def _status(phone: Any) -> str:
    # read in one script: the app redraws the element on every step, and an element found first and asked
    # afterwards may be gone in between (StaleElementReferenceException)
    return str(phone.execute_script(
        "var e = document.getElementById('gc-f-dstatus'); return e ? (e.getAttribute('data-status') || '') : '';"))


def _waiting(phone: Any) -> int:
    return int(phone.execute_async_script(
        "var done = arguments[arguments.length - 1]; window.gcField.waiting().then(done);"))


def _tap(phone: Any, element: Any) -> None:
    """A tap on an element scrolled to the middle of the screen (the sticky header covers the top)."""
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _timeline(desk: Any) -> str:
    """The open incident's timeline as the dispatcher sees it (read in one go: Dash re-renders it under pushes)."""
    return str(desk.execute_script("var t = document.getElementById('dsp-timeline'); return t ? t.innerText : '';"))


def _open_incident(browser: Any, incident: int) -> None:
    wait = WebDriverWait(browser, 20)
    button = wait.until(lambda b: [e for e in b.find_elements(By.CSS_SELECTOR, "button.dsp-inc")
                                   if e.text.startswith(f"#{incident} ")])
    button[0].click()
    wait.until(lambda b: b.find_element(By.ID, "dsp-timeline"))


def test_inspector_works_a_dispatch_and_the_dispatcher_sees_each_step(
        live_url: str, demo_db_url: str, crew: dict[str, Any], phone: Any, browser_login: Any, make_user: Any,
        http_login: Any, tmp_path: Path) -> None:
    t = crew["team"]
    dispatcher_name = make_user("township_dispatcher", township=t["township_code"])
    incident = _dispatched(live_url, crew, http_login(dispatcher_name), 0.012)
    visits = _visits_today(demo_db_url, t, "330702")
    desk = browser_login(dispatcher_name, "/dispatch")
    _open_incident(desk, incident)

    _at(phone, t["lat"] + 0.01, t["lng"] - 0.01)
    phone.get(f"{live_url}/field")
    wait = WebDriverWait(phone, 20)
    wait.until(lambda b: _status(b) == "assigned")
    assert phone.execute_script("return window.innerWidth") == 390
    assert "占道经营" in phone.find_element(By.ID, "gc-f-dispatch").text
    amap = phone.find_element(By.CSS_SELECTOR, "#gc-f-dnav a[data-app=amap]").get_attribute("href")
    baidu = phone.find_element(By.CSS_SELECTOR, "#gc-f-dnav a[data-app=baidu]").get_attribute("href")
    assert amap.startswith("https://uri.amap.com/marker?position=") and "coord_type=bd09ll" in baidu
    wait.until(lambda b: b.execute_script("return !!(window.L && document.querySelector('.gc-f-me'))"))
    _shot(phone, "field_app_dispatch.png")

    # today's visits in route order (the demo's plan of today gave the team visits of its own: ours keep their
    # order among them); 亮码: the code full-screen as a QR of the enterprise page's URL
    ours = {str(v["id"]): v["name"] for v in visits}
    shown = [(li.get_attribute("data-visit-id"), li.find_element(By.CSS_SELECTOR, ".gc-f-v-head b").text)
             for li in phone.find_elements(By.CSS_SELECTOR, "#gc-f-visits li[data-visit-id]")]
    assert [(i, name) for i, name in shown if i in ours] == [(str(v["id"]), v["name"]) for v in visits]
    first = phone.find_element(By.CSS_SELECTOR, f"#gc-f-visits li[data-visit-id='{visits[0]['id']}']")
    _tap(phone, first.find_element(By.CSS_SELECTOR, "button.gc-f-showcode"))
    wait.until(lambda b: b.find_element(By.ID, "gc-f-qr").is_displayed())
    assert phone.find_element(By.ID, "gc-f-qr-code").text == visits[0]["code"]
    shot = phone.get_screenshot_as_png()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [f.text for f in found] == [f"{live_url}/v/{visits[0]['code']}"]
    _shot(phone, "field_app_code.png")
    phone.find_element(By.ID, "gc-f-qr-close").click()
    first = phone.find_element(By.CSS_SELECTOR, f"#gc-f-visits li[data-visit-id='{visits[0]['id']}']")
    _tap(phone, first.find_element(By.CSS_SELECTOR, "input[name=problem][value='1']"))
    Select(first.find_element(By.CSS_SELECTOR, "select[name=follow_up]")).select_by_value("rectify")
    _tap(phone, first.find_element(By.CSS_SELECTOR, "form.gc-f-result button[type=submit]"))
    wait.until(lambda b: _waiting(b) == 0)

    def stored_result() -> Any:  # the tap queues the result first: "nothing waiting" can come before it is sent
        with connect(demo_db_url) as c:
            return c.execute("SELECT r.problem_found, r.follow_up, r.items_checked, v.status FROM visit_results r"
                             " JOIN visits v ON v.id = r.visit_id WHERE r.visit_id = %s",
                             (visits[0]["id"],)).fetchone()

    result = WebDriverWait(phone, 15, poll_frequency=0.2).until(lambda _b: stored_result())
    assert result["problem_found"] and result["follow_up"] == "rectify" and result["status"] == "done"
    assert len(result["items_checked"]) == 2

    desk_wait = WebDriverWait(desk, 10, poll_frequency=0.05)
    seen_after: list[float] = []
    route = [("accepted", "gc-f-accepted", "已接单", 0.008), ("en_route", "gc-f-enroute", "在途", 0.004),
             ("on_site", "gc-f-onsite", "到达现场", 0.0)]
    for status, button, label, off in route:
        _at(phone, t["lat"] + off, t["lng"] + 0.012 - off)
        # the first step without a position (permission withdrawn): it is pushed all the same
        phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_url, "permissions": [] if
                                                           status == "accepted" else ["geolocation"]})
        _tap(phone, phone.find_element(By.ID, button))
        tapped = time.monotonic()
        wait.until(lambda b, s=status: _status(b) == s)
        # the dispatcher's open page shows the step without a reload (live push → dsp-push → timeline)
        desk_wait.until(lambda b, lab=label: lab in _timeline(b))
        seen_after.append(time.monotonic() - tapped)
        wait.until(lambda b: _waiting(b) == 0)
    print(f"field step tap -> dispatcher's timeline: {', '.join(f'{s:.2f}' for s in seen_after)} s")
    # "within a second" is the goal on a quiet machine; 2.5 s leaves room for a loaded CI machine and
    # still catches a step that waits behind a team change's 5 s throttle (it took ~4.9 s when it did)
    assert max(seen_after) < 2.5, seen_after

    photo = tmp_path / "scene.jpg"
    photo.write_bytes(_jpeg())
    assert "现场照片" not in _timeline(desk)
    attached = time.monotonic()
    phone.find_element(By.ID, "gc-f-photo").send_keys(str(photo))
    # a photo alone (no status step) reaches the dispatcher's open page by the push like a step: the live
    # incident carries its photo count, so the change is sent and the page reads its timeline again
    desk_wait.until(lambda b: "现场照片" in _timeline(b))
    print(f"field photo alone -> dispatcher's timeline: {time.monotonic() - attached:.2f} s")
    wait.until(lambda b: _waiting(b) == 0)
    phone.find_element(By.ID, "gc-f-note").send_keys("已劝离，现场恢复")
    _tap(phone, phone.find_element(By.ID, "gc-f-resolved"))
    wait.until(lambda b: _waiting(b) == 0)
    desk_wait.until(lambda b: "已处置" in _timeline(b))
    assert "已劝离" in _timeline(desk)
    assert not [e for e in console_errors(phone) if "favicon" not in e]

    with connect(demo_db_url) as c:
        events = c.execute("SELECT event, at, actor, detail FROM dispatch_events WHERE incident_id = %s"
                           " ORDER BY at, id", (incident,)).fetchall()
        inc = c.execute("SELECT status, on_site_at FROM incidents WHERE id = %s", (incident,)).fetchone()
        fixes = c.execute("SELECT count(*) AS n FROM team_positions WHERE team_id = %s AND source = 'field'"
                          " AND at >= (SELECT min(at) FROM dispatch_events WHERE incident_id = %s)",
                          (t["id"], incident)).fetchone()
        audit = c.execute("SELECT count(*) AS n FROM audit_log WHERE actor = %s AND action LIKE 'dispatch.%%'",
                          (crew["inspector"],)).fetchone()
    kinds = [e["event"] for e in events]
    assert kinds[kinds.index("assigned"):] == ["assigned", "accepted", "en_route", "on_site", "evidence", "resolved"]
    by_kind = {e["event"]: e for e in events}
    for step in ("accepted", "en_route", "on_site", "resolved"):
        assert by_kind[step]["actor"] == crew["inspector"] and by_kind[step]["detail"]["source"] == "field"
        assert ("position" in by_kind[step]["detail"]) == (step != "accepted"), step
    on_site = by_kind["on_site"]["detail"]["position"]
    assert abs(on_site["lat"] - t["lat"]) < 1e-6 and abs(on_site["lng"] - (t["lng"] + 0.012)) < 1e-6
    assert by_kind["evidence"]["detail"]["thumb_url"].startswith("/api/v1/evidence/")
    assert inc["status"] == "resolved" and inc["on_site_at"] == by_kind["on_site"]["at"]
    assert fixes["n"] >= 3 and audit["n"] >= 4


def test_offline_steps_photo_and_fixes_are_stored_once_in_order_with_their_times(
        live_url: str, demo_db_url: str, crew: dict[str, Any], phone: Any, make_user: Any, http_login: Any,
        tmp_path: Path) -> None:
    t = crew["team"]
    dispatcher = http_login(make_user("township_dispatcher", township=t["township_code"]))
    incident = _dispatched(live_url, crew, dispatcher, -0.012)
    _at(phone, t["lat"] + 0.02, t["lng"])
    phone.get(f"{live_url}/field")
    wait = WebDriverWait(phone, 20)
    wait.until(lambda b: _status(b) == "assigned")
    wait.until(lambda b: _waiting(b) == 0)
    # installed: the service worker controls /field and holds the app shell
    wait.until(lambda b: b.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"))
    cached = phone.execute_async_script(
        "var done = arguments[arguments.length - 1]; Promise.all(['/field', '/field/app/field.js',"
        " '/field/app/leaflet/leaflet.js'].map(function (u) { return caches.match(u); }))"
        ".then(function (r) { done(r.map(function (x) { return !!x; })); });")
    assert cached == [True, True, True]
    manifest = requests.get(f"{live_url}/field/manifest.webmanifest", timeout=10)
    assert manifest.json()["start_url"] == "/field" and manifest.json()["display"] == "standalone"

    phone.execute_cdp_cmd("Network.enable", {})
    phone.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        wait.until(lambda b: "离线" in b.find_element(By.ID, "gc-f-net").text)
        # (the app's own on-duty report may add a fix meanwhile: each tap is counted from what waited before it)
        for i, button in enumerate(("gc-f-accepted", "gc-f-enroute", "gc-f-onsite")):
            _at(phone, t["lat"] + 0.01 - 0.005 * i, t["lng"] - 0.012)
            before = _waiting(phone)
            _tap(phone, phone.find_element(By.ID, button))
            wait.until(lambda b, n=before: _waiting(b) > n)
        photo = tmp_path / "offline.jpg"
        photo.write_bytes(_jpeg())
        before = _waiting(phone)
        phone.find_element(By.ID, "gc-f-photo").send_keys(str(photo))
        wait.until(lambda b, n=before: _waiting(b) > n)
        for i in range(10):
            _at(phone, t["lat"] - 0.0001 * i, t["lng"] - 0.012 + 0.0001 * i)
            before = _waiting(phone)
            _tap(phone, phone.find_element(By.ID, "gc-f-locate"))
            wait.until(lambda b, n=before: _waiting(b) > n)
        queued = phone.execute_async_script(
            "var done = arguments[arguments.length - 1]; window.gcField.queue().then(function (q) {"
            " done(q.map(function (i) { return {kind: i.kind, at: i.at, client_id: i.client_id}; })); });")
        kinds = [q["kind"] for q in queued]
        assert kinds.count("step") == 3 and kinds.count("photo") == 1 and kinds.count("fix") >= 10, kinds
        assert f"待发送 {len(queued)}" in phone.find_element(By.ID, "gc-f-waiting").text
        assert len(phone.find_elements(By.CSS_SELECTOR, "#gc-f-queue li.gc-f-q-item")) == len(queued)
        _shot(phone, "field_app_offline.png")
        with connect(demo_db_url) as c:
            n = c.execute("SELECT count(*) AS n FROM dispatch_events WHERE incident_id = %s AND event <> 'assigned'"
                          " AND event <> 'created'", (incident,)).fetchone()["n"]
        assert n == 0, "nothing reached the server while the phone was offline"
        phone.refresh()  # reopened while offline: the app and its waiting queue come back
        wait.until(lambda b: f"待发送 {len(queued)}" in b.find_element(By.ID, "gc-f-waiting").text)
        wait.until(lambda b: _status(b) == "on_site")
    finally:
        phone.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                                    "downloadThroughput": -1, "uploadThroughput": -1})
    WebDriverWait(phone, 40).until(lambda b: _waiting(b) == 0)
    wait.until(lambda b: _status(b) == "on_site")

    steps = [q for q in queued if q["kind"] == "step"]
    fix_times = sorted(datetime.fromisoformat(q["at"].replace("Z", "+00:00")) for q in queued if q["kind"] == "fix")
    photo_q = next(q for q in queued if q["kind"] == "photo")
    with connect(demo_db_url) as c:
        events = c.execute("SELECT event, at, detail FROM dispatch_events WHERE incident_id = %s"
                           " AND event IN ('accepted', 'en_route', 'on_site', 'evidence') ORDER BY at, id",
                           (incident,)).fetchall()
        stored = c.execute("SELECT step, at FROM field_steps WHERE incident_id = %s ORDER BY at", (incident,)).fetchall()
        track = c.execute("SELECT at FROM team_positions WHERE team_id = %s AND source = 'field' AND at = ANY(%s)"
                          " ORDER BY at", (t["id"], fix_times)).fetchall()
        ev = c.execute("SELECT count(*) AS n FROM evidence_files WHERE client_id = %s",
                       (photo_q["client_id"],)).fetchone()
    assert [e["event"] for e in events] == ["accepted", "en_route", "on_site", "evidence"]
    for e, q in zip(events, [*steps, photo_q], strict=True):
        assert e["at"] == datetime.fromisoformat(q["at"].replace("Z", "+00:00")), e["event"]
    assert [s["step"] for s in stored] == ["accepted", "en_route", "on_site"]
    assert [r["at"] for r in track] == fix_times and ev["n"] == 1

    # the phone sends its queue again (a lost answer): each is answered as a duplicate, nothing new stored
    again = phone.execute_async_script(
        "var done = arguments[arguments.length - 1], s = arguments[0];"
        "fetch('/api/v1/field/steps', {method: 'POST', credentials: 'same-origin',"
        " headers: {'Content-Type': 'application/json'}, body: JSON.stringify(s)})"
        ".then(function (r) { return r.json(); }).then(done);",
        {"client_id": steps[0]["client_id"], "incident_id": incident, "dispatch_id": 1, "step": "accepted",
         "at": steps[0]["at"]})
    assert again["duplicate"] is True
    with connect(demo_db_url) as c:
        n = c.execute("SELECT count(*) AS n FROM dispatch_events WHERE incident_id = %s AND event = 'accepted'",
                      (incident,)).fetchone()["n"]
    assert n == 1


def test_a_step_on_a_dispatch_reassigned_meanwhile_comes_back_as_a_clear_message(
        live_url: str, demo_db_url: str, crew: dict[str, Any], phone: Any, make_user: Any, http_login: Any) -> None:
    t = crew["team"]
    dispatcher = http_login(make_user("township_dispatcher", township=t["township_code"]))
    incident = _dispatched(live_url, crew, dispatcher, 0.006)
    with connect(demo_db_url) as c:
        squad = c.execute(
            "SELECT id FROM teams tm WHERE county_code = '330702' AND kind = 'squad' AND active AND status = 'idle'"
            " AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.team_id = tm.id"
            "  AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site')) ORDER BY id LIMIT 1").fetchone()
    assert squad, "the demo county has no free county squad"
    _at(phone, t["lat"], t["lng"] + 0.006)
    phone.get(f"{live_url}/field")
    wait = WebDriverWait(phone, 20)
    wait.until(lambda b: _status(b) == "assigned")
    phone.execute_cdp_cmd("Network.enable", {})
    phone.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        _tap(phone, phone.find_element(By.ID, "gc-f-accepted"))
        wait.until(lambda b: _waiting(b) == 1)
        r = dispatcher.post(f"{live_url}/api/v1/incidents/{incident}/assign", timeout=10,
                            json={"team_id": squad["id"], "reassign": True}, headers={"Origin": live_url})
        assert r.status_code == 200, r.text
    finally:
        phone.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                                    "downloadThroughput": -1, "uploadThroughput": -1})
    WebDriverWait(phone, 40).until(lambda b: _waiting(b) == 0)
    wait.until(lambda b: "已被改派或撤销" in b.find_element(By.ID, "gc-f-msg").text)
    wait.until(lambda b: not b.find_elements(By.ID, "gc-f-dstatus"))  # the team has no dispatch any more
    with connect(demo_db_url) as c:
        n = c.execute("SELECT count(*) AS n FROM dispatch_events WHERE incident_id = %s AND event = 'accepted'",
                      (incident,)).fetchone()["n"]
        steps = c.execute("SELECT count(*) AS n FROM field_steps WHERE incident_id = %s", (incident,)).fetchone()["n"]
    assert n == 0 and steps == 0


def test_field_endpoints_refuse_what_they_should(live_url: str, demo_db_url: str, crew: dict[str, Any],
                                                 make_user: Any, http_login: Any) -> None:
    anonymous = requests.get(f"{live_url}/api/v1/field/today", timeout=10)
    assert anonymous.status_code == 401
    planner = http_login(make_user("planner"))
    assert planner.get(f"{live_url}/field", timeout=10).status_code == 403
    assert planner.get(f"{live_url}/api/v1/field/today", timeout=10).status_code == 403
    assert planner.get(f"{live_url}/api/v1/field/members", timeout=10).status_code == 403
    s = http_login(crew["inspector"])
    zh, en = s.get(f"{live_url}/field", timeout=10), s.get(f"{live_url}/field?lang=en", timeout=10)
    assert 'lang="zh-CN"' in zh.text and "接单" in zh.text and "<script>" not in zh.text
    assert 'lang="en"' in en.text and "Accept" in en.text and "On the way" in en.text
    home = s.get(f"{live_url}/dispatch", timeout=10, allow_redirects=False)
    assert home.status_code == 302 and home.headers["Location"].endswith("/field")
    h = {"Origin": live_url}
    base = {"client_id": "7d3f7a52-3c1b-4c59-a1f1-7b0d5a1c2e3f", "incident_id": 1, "dispatch_id": 1,
            "step": "accepted", "at": datetime.now(SH).isoformat()}
    cases = [({**base, "client_id": "not-a-uuid"}, 422, "client_id"), ({**base, "step": "closed"}, 422, "step"),
             ({**base, "at": "2026-01-01T10:00:00"}, 422, "at"), ({**base, "lat": 91, "lng": 120}, 422, "lat"),
             ({**base, "lat": 29.1}, 422, "lat")]
    for body, status, loc in cases:
        r = s.post(f"{live_url}/api/v1/field/steps", json=body, headers=h, timeout=10)
        assert r.status_code == status and loc in r.text, (body, r.status_code, r.text)
    r = s.post(f"{live_url}/api/v1/field/steps", json=base, headers={"Origin": "https://evil.example"}, timeout=10)
    assert r.status_code == 403
    r = s.post(f"{live_url}/api/v1/field/positions", json={"fixes": [{"lat": 29.1, "lng": 190,
                                                                       "at": datetime.now(SH).isoformat()}]},
               headers=h, timeout=10)
    assert r.status_code == 422 and "fixes.0.lng" in r.text
    r = s.post(f"{live_url}/api/v1/field/positions", json={"fixes": []}, headers=h, timeout=10)
    assert r.status_code == 422
    t = crew["team"]
    alert = {"source_id": f"field-{secrets.token_hex(6)}", "source_kind": "ai_camera", "type": "street_vending",
             "observed_at": datetime.now(SH).isoformat(timespec="seconds"), "severity": "high",
             "location": {"lng": t["lng"] - 0.006, "lat": t["lat"]}}
    r = requests.post(f"{live_url}/api/v1/alerts", json=alert, timeout=10,
                      headers={"Authorization": f"Bearer {crew['token']}"})
    assert r.status_code == 201, r.text
    other = {"id": int(r.json()["incident_id"])}  # not dispatched to the inspector's team
    with connect(demo_db_url) as c:
        visit = c.execute(
            "INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,"
            " departments, status, geom, h3_r7, h3_r8, h3_r9) SELECT e.county_code, e.township_code, e.id, tm.id,"
            " current_date, 'market', '{market}', 'planned', e.geom, e.h3_r7, e.h3_r8, e.h3_r9 FROM enterprises e,"
            " teams tm WHERE tm.id <> %s AND tm.county_code = e.county_code ORDER BY e.id, tm.id LIMIT 1"
            " RETURNING id", (t["id"],)).fetchone()
        c.commit()
    assert visit
    r = s.post(f"{live_url}/api/v1/incidents/{other['id']}/evidence", files={"photo": ("a.jpg", _jpeg(), "image/jpeg")},
               headers=h, timeout=10)
    assert r.status_code == 403 and "not dispatched to your team" in r.text
    r = s.post(f"{live_url}/api/v1/incidents/{other['id']}/status", json={"status": "accepted"}, headers=h, timeout=10)
    assert r.status_code == 403
    r = s.post(f"{live_url}/api/v1/field/visits/{visit['id']}/result", headers=h, timeout=10,
               json={"client_id": base["client_id"], "at": base["at"], "problem_found": False})
    assert r.status_code == 404


def test_the_simulator_sends_steps_as_the_team_phone(live_url: str, demo_db_url: str, crew: dict[str, Any],
                                                     make_user: Any, http_login: Any, tmp_path: Path) -> None:
    from cli.simulate_field import FieldPhones

    t = crew["team"]
    incident = _dispatched(live_url, crew, http_login(make_user("township_dispatcher", township=t["township_code"])),
                           -0.006)
    phones = FieldPhones(api=live_url, db_url=demo_db_url, county="330702", data_dir=tmp_path)
    with connect(demo_db_url) as c:
        d = c.execute("SELECT id FROM dispatches WHERE incident_id = %s AND status = 'assigned'", (incident,)).fetchone()
    team = {"id": t["id"], "incident_id": incident, "dispatch_id": d["id"]}
    assert phones.step(team, "accepted", lng=t["lng"], lat=t["lat"]).status_code == 200
    with connect(demo_db_url) as c:  # the session ends (an admin, a timeout): the phone logs in again
        c.execute("UPDATE user_sessions SET ended_at = now(), end_reason = 'test' WHERE ended_at IS NULL AND"
                  " user_id = (SELECT id FROM users WHERE username = %s)", (f"sim_field_{t['id']}",))
        c.commit()
    assert phones.step(team, "en_route", lng=t["lng"], lat=t["lat"] + 0.001).status_code == 200
    kept = tmp_path / "simulator_field_330702.json"
    assert oct(kept.stat().st_mode & 0o777) == "0o600" and phones.steps == 2
    with connect(demo_db_url) as c:
        events = c.execute("SELECT event, actor, detail FROM dispatch_events WHERE incident_id = %s"
                           " AND event IN ('accepted', 'en_route') ORDER BY at", (incident,)).fetchall()
    assert [(e["event"], e["actor"], e["detail"]["source"]) for e in events] == [
        ("accepted", f"sim_field_{t['id']}", "field"), ("en_route", f"sim_field_{t['id']}", "field")]
