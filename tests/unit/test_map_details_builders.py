"""The map's details builders (layers/details.py): an incident's SLA state in words — a closed one has no clock
(never "剩余 119 分钟") —, evidence links only for http(s), the place in words, a track in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from layers import details

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)   # 17:00 in Asia/Shanghai


def _incident(**over: Any) -> dict[str, Any]:
    return {"status": "dispatched", "sla_due_at": NOW + timedelta(minutes=119, seconds=30), "on_site_at": None,
            "closed_at": None, "escalated": False, **over}


@pytest.mark.parametrize(("row", "zh", "en"), [
    (_incident(), "剩余 119 分钟", "119 min left"),
    (_incident(sla_due_at=NOW - timedelta(minutes=7, seconds=10), escalated=True), "超时 8 分钟 · 已上报县级",
     "8 min overdue · escalated to the county"),
    (_incident(status="closed", closed_at=NOW - timedelta(minutes=5)), "已办结（2026年12月3日 16:55），不再计时",
     "Closed 2026-12-03 16:55: no clock"),
    (_incident(status="remote_closed", closed_at=NOW), "已办结（2026年12月3日 17:00），不再计时",
     "Closed 2026-12-03 17:00: no clock"),
    (_incident(status="resolved"), "已处置，待办结", "Resolved, awaiting closure"),
    (_incident(on_site_at=NOW - timedelta(minutes=3)), "2026年12月3日 16:57 到场，未超时", "On site 2026-12-03 16:57, in time"),
    (_incident(sla_due_at=NOW - timedelta(minutes=20), on_site_at=NOW - timedelta(minutes=8)),
     "2026年12月3日 16:52 到场，超时 12 分钟", "On site 2026-12-03 16:52, 12 min late"),
])
def test_sla_state_in_words(row: dict[str, Any], zh: str, en: str) -> None:
    assert details.sla_text(row, NOW, "zh") == zh
    assert details.sla_text(row, NOW, "en") == en


def test_a_closed_incident_has_no_minutes_left() -> None:
    state, minutes = details.sla_state(_incident(status="closed", closed_at=NOW), NOW)
    assert (state, minutes) == ("closed", None)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.example/x", "", None,
                                 "ftp://files.example/x"])
def test_evidence_links_only_for_http(url: str | None) -> None:
    assert details.safe_link(url, "证据") is None


def test_evidence_link_opens_apart() -> None:
    link = details.safe_link("https://evidence.example.cn/a.jpg", "查看证据")
    assert link is not None and link.href == "https://evidence.example.cn/a.jpg"
    assert link.target == "_blank" and link.rel == "noopener noreferrer"


def test_place_names_the_enterprise_or_the_nearest_one() -> None:
    base = {"township_name": "西城街道", "lng": 119.6312, "lat": 29.0912, "enterprise_address": "西城路 8 号"}
    near = details.place({**base, "enterprise_name": "五金店", "enterprise_named": False,
                          "enterprise_distance_m": 96}, "zh")
    assert near == "西城街道 · 五金店（约 96 米） · 西城路 8 号 · 29.09120, 119.63120"
    named = details.place({**base, "enterprise_name": "五金店", "enterprise_named": True,
                           "enterprise_distance_m": 0}, "en")
    assert named == "西城街道 · 五金店 · 西城路 8 号 · 29.09120, 119.63120"
    assert details.place({**base, "enterprise_name": None}, "zh") == "西城街道 · 29.09120, 119.63120"


def test_track_in_words_leaves_flagged_fixes_out() -> None:
    pts = [{"lng": 119.62, "lat": 29.08, "at": NOW, "flag": ""},
           {"lng": 119.63, "lat": 29.08, "at": NOW + timedelta(minutes=4), "flag": "speed"},
           {"lng": 119.621, "lat": 29.081, "at": NOW + timedelta(minutes=9), "flag": ""}]
    assert details.track_summary(pts, 0.14, "zh") == "2 个定位点 · 约 0.1 公里 · 17:00–17:09；另有 1 个异常点未计入"
    assert details.track_summary(pts, 0.14, "en") == "2 fixes · about 0.1 km · 17:00–17:09; 1 flagged fixes left out"
    assert details.track_summary([], 0.0, "en") == "No track that day"
    assert len(details.track_line(pts)) == 3 and details.track_line(pts[1:2]) == []
