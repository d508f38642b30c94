"""The admin page on the served app: the audit trail searched by actor, action and days (LIKE wildcards in a name
match themselves); a field device revoked from the page (audited, the county's own devices only); and in the
browser, a user picked in the grid and deactivated, with the page and its message in English."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from geo_data.devices import add_device
from tests.dash_calls import call_callback
from tests.map_scenario import console_errors

pytestmark = pytest.mark.e2e

AUDIT = {"outputs": ["admin-audit.rowData"]}


def _audit(s: Any, base: str, *, actor: str | None = None, action: str | None = None, since: str | None = None,
           until: str | None = None) -> list[dict[str, Any]]:
    r = call_callback(s, base, outputs=AUDIT["outputs"],
                      inputs=[("admin-audit-apply.n_clicks", 1), ("admin-refresh.n_intervals", None),
                              ("admin-user-msg.children", None)],
                      state=[("admin-audit-actor.value", actor), ("admin-audit-action.value", action),
                             ("admin-audit-period.start_date", since), ("admin-audit-period.end_date", until)])
    assert r.status_code == 200, r.text[:300]
    rows: list[dict[str, Any]] = r.json()["response"]["admin-audit"]["rowData"]
    return rows


def _create_user(s: Any, base: str, name: str) -> None:
    r = call_callback(s, base, outputs=["admin-user-msg.children"],
                      inputs=[("admin-create.n_clicks", 1), ("admin-deactivate.n_clicks", None),
                              ("admin-activate.n_clicks", None), ("admin-unlock.n_clicks", None),
                              ("admin-reset-totp.n_clicks", None)],
                      state=[("admin-new-name.value", name), ("admin-new-role.value", "viewer"),
                             ("admin-new-township.value", ""), ("admin-new-team.value", None),
                             ("admin-new-password.value", "a-first-pass-2026"), ("admin-users.selectedRows", [])])
    assert r.status_code == 200 and name in r.text, r.text[:300]


def test_the_audit_trail_is_searched_by_actor_action_and_days(live_url: str, make_user: Any,
                                                              http_login: Any) -> None:
    admin = make_user("admin")
    s = http_login(admin)
    newcomer = f"aud_{admin[-6:]}"
    _create_user(s, live_url, newcomer)
    mine = _audit(s, live_url, actor=admin[3:])  # a part of the name, any case
    assert mine and {r["actor"] for r in mine} == {admin}
    created = _audit(s, live_url, actor=admin, action="user.")
    assert [r["action"] for r in created] == ["user.create"] and newcomer in created[0]["detail"]
    assert _audit(s, live_url, actor=admin, action="user.create")[0]["seq"] == created[0]["seq"]
    assert _audit(s, live_url, actor=admin, action="token.") == []
    assert _audit(s, live_url, actor="%") == []  # a wildcard is a character to find, not "any name"
    assert _audit(s, live_url, actor="_") == [] or all("_" in r["actor"] for r in _audit(s, live_url, actor="_"))
    today = date.today()
    assert _audit(s, live_url, actor=admin, since=(today + timedelta(days=2)).isoformat()) == []
    assert _audit(s, live_url, actor=admin, since=(today - timedelta(days=1)).isoformat(),
                  until=(today + timedelta(days=1)).isoformat())
    r = call_callback(s, live_url, outputs=AUDIT["outputs"],
                      inputs=[("admin-audit-apply.n_clicks", 1), ("admin-refresh.n_intervals", None),
                              ("admin-user-msg.children", None)],
                      state=[("admin-audit-actor.value", None), ("admin-audit-action.value", None),
                             ("admin-audit-period.start_date", "yesterday"), ("admin-audit-period.end_date", None)])
    assert r.status_code == 200 and "period" in r.text  # a bad day is named in the notice, not a 500
    planner = http_login(make_user("planner"))
    assert call_callback(planner, live_url, outputs=AUDIT["outputs"],
                         inputs=[("admin-audit-apply.n_clicks", 1), ("admin-refresh.n_intervals", None),
                                 ("admin-user-msg.children", None)],
                         state=[("admin-audit-actor.value", None), ("admin-audit-action.value", None),
                                ("admin-audit-period.start_date", None),
                                ("admin-audit-period.end_date", None)]).status_code == 403


def _revoke(s: Any, base: str, device: dict[str, Any]) -> Any:
    return call_callback(s, base, outputs=["admin-device-msg.children"],
                         inputs=[("admin-revoke-device.n_clicks", 1)], state=[("admin-devices.selectedRows", [device])])


def test_a_device_is_revoked_from_the_admin_page_of_its_county_only(live_url: str, make_user: Any,
                                                                   http_login: Any, demo_db_url: str,
                                                                   demo_county: str) -> None:
    with connect(demo_db_url) as c:
        team = c.execute("SELECT id FROM teams WHERE county_code = %s AND active ORDER BY id LIMIT 1",
                         (demo_county,)).fetchone()["id"]
        _token, device = add_device(c, team_id=team, kind="tracker", label="admin page test")
        c.commit()
    admin = make_user("admin")
    s = http_login(admin)
    r = _revoke(s, live_url, {"id": device.id, "identifier": device.identifier})
    assert r.status_code == 200 and device.identifier in r.text, r.text[:300]
    with connect(demo_db_url) as c:
        assert c.execute("SELECT revoked_at FROM devices WHERE id = %s", (device.id,)).fetchone()["revoked_at"]
        row = c.execute("SELECT actor FROM audit_log WHERE action = 'device.revoke' AND object_id = %s",
                        (str(device.id),)).fetchone()
    assert row is not None and row["actor"] == admin
    # already revoked, or another county's admin: not found (the notice names it), nothing changes
    again = _revoke(s, live_url, {"id": device.id, "identifier": device.identifier})
    assert again.status_code == 200 and "not found" in again.text.lower()
    with connect(demo_db_url) as c:  # a neighbouring county's admin (the county row made for this test)
        c.execute("INSERT INTO counties (code, name, geom) SELECT '330799', '测试县', geom FROM counties"
                  " WHERE code = %s ON CONFLICT DO NOTHING", (demo_county,))
        c.commit()
    other = http_login(make_user("admin", county="330799"))
    assert "not found" in _revoke(other, live_url, {"id": device.id, "identifier": ""}).text.lower()


def test_a_user_picked_in_the_grid_is_deactivated_in_english(browser_login: Any, make_user: Any, live_url: str,
                                                             demo_db_url: str) -> None:
    admin = make_user("admin")
    target = make_user("viewer")
    browser = browser_login(admin, "/admin")
    browser.get(live_url + "/admin?lang=en")
    wait = WebDriverWait(browser, 30)
    # the county has as many users as earlier tests made: the admin filters the grid for the name, as a person
    # would (the row may be on any page of the grid otherwise)
    wait.until(lambda b: b.execute_script(
        "try { dash_ag_grid.getApi('admin-users').setGridOption('quickFilterText', arguments[0]); return true; }"
        " catch (err) { return false; }", target))   # false: the grid is not drawn yet
    # read and tick in one script each: the grid redraws its rows (an element held across calls goes stale)
    text = wait.until(lambda b: b.execute_script(
        "var name = arguments[0], r = Array.from(document.querySelectorAll('#admin-users .ag-row'))"
        ".find(function (e) { return e.innerText.indexOf(name) >= 0; }); return r ? r.innerText : null;", target))
    assert "Viewer" in text and "✓" in text  # role in English, active as ✓
    assert wait.until(lambda b: b.execute_script(
        "var name = arguments[0], r = Array.from(document.querySelectorAll('#admin-users .ag-row'))"
        ".find(function (e) { return e.innerText.indexOf(name) >= 0; });"
        "var box = r && r.querySelector('.ag-selection-checkbox input, input[type=checkbox]');"
        "if (!box) { return false; } box.click(); return true;", target))
    browser.find_element(By.ID, "admin-deactivate").click()
    wait.until(lambda b: f"Updated {target}" in b.find_element(By.ID, "admin-user-msg").text)
    assert console_errors(browser) == []
    with connect(demo_db_url) as c:
        assert c.execute("SELECT active FROM users WHERE username = %s", (target,)).fetchone()["active"] is False
