"""The callbacks the command-centre load test fires (``tests/page_callbacks.py``) are the pages' own: the same
outputs, inputs and state as the served app's ``/_dash-dependencies``, and each page's first calls, with the
values its rendered layout sets, answer without an error for the role that uses the page."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.page_callbacks import FIRST, PAGE_CALLBACKS, ROUTER, check_callbacks, layout_values

pytestmark = pytest.mark.e2e

PAGE_ROLES = {"/wall": ("viewer", None), "/": ("township_dispatcher", "330702001"),
              "/dispatch": ("township_dispatcher", "330702001"), "/planner": ("planner", None)}


def _post(s: requests.Session, base: str, body: dict[str, Any]) -> requests.Response:
    return s.post(f"{base}/_dash-update-component", json=body, headers={"Origin": base}, timeout=60)


def test_the_load_tests_callback_shapes_are_the_apps(live_url: str, make_user: Any, http_login: Any) -> None:
    s = http_login(make_user("planner"))
    dependencies = s.get(f"{live_url}/_dash-dependencies", timeout=30).json()
    assert check_callbacks(dependencies) == []
    # the check does find a difference
    changed = [dict(d, inputs=d["inputs"][:-1]) if d["output"] == "..wall-alerts-base.data...wall-incidents-base.data"
               "...wall-teams-base.data.." else d for d in dependencies]
    assert [p.split(":")[0] for p in check_callbacks(changed)] == ["wall_live"]


@pytest.mark.parametrize("page", list(FIRST))
def test_a_pages_first_callbacks_answer_with_the_layouts_values(page: str, live_url: str, make_user: Any,
                                                                http_login: Any) -> None:
    role, township = PAGE_ROLES[page]
    s = http_login(make_user(role, township))
    assert s.get(f"{live_url}{page}", timeout=30).status_code == 200
    r = _post(s, live_url, ROUTER.body({"_pages_location.pathname": page, "_pages_location.search": ""},
                                       ["_pages_location.pathname"]))
    assert r.status_code == 200, r.text[:300]
    tree = r.json()["response"]["_pages_content"]["children"]
    values = layout_values(tree, PAGE_CALLBACKS[page].values())
    for cb in FIRST[page]:
        r = _post(s, live_url, cb.body(values, []))
        assert r.status_code in (200, 204), f"{cb.name}: {r.status_code} {r.text[:300]}"
        if r.status_code == 200:
            answered = r.json()["response"]
            assert set(answered) <= {o.rsplit(".", 1)[0] for o in cb.outputs}
            assert "gc-error" not in r.text, f"{cb.name} showed an error: {r.text[:300]}"

