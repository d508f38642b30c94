"""services.container.RecentResults: kept per key for ttl_s, recomputed after it, bounded in size."""

from __future__ import annotations

import time

from services.container import RecentResults


def test_a_result_is_kept_for_its_key_until_its_time_is_up() -> None:
    recent, calls = RecentResults(), []

    def compute(value: str) -> str:
        calls.append(value)
        return value

    assert recent.get(("k", 1), 60.0, lambda: compute("a")) == "a"
    assert recent.get(("k", 1), 60.0, lambda: compute("b")) == "a"      # kept
    assert recent.get(("k", 2), 60.0, lambda: compute("c")) == "c"      # another key: its own
    assert recent.get(("k", 1), 0.0, lambda: compute("d")) == "d"       # too old for a caller asking 0 s
    time.sleep(0.02)
    assert recent.get(("k", 2), 0.01, lambda: compute("e")) == "e"      # its time is up
    assert calls == ["a", "c", "d", "e"]


def test_it_never_holds_more_than_its_bound() -> None:
    recent = RecentResults(max_entries=8)
    for i in range(100):
        recent.get(("k", i), 60.0, lambda i=i: i)
    assert len(recent._entries) <= 8
    assert recent.get(("k", 99), 60.0, lambda: -1) == 99   # the newest is kept
