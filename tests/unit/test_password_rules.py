"""Password rules and login delays (issue 16): pure functions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from geo_data.errors import InvalidInput
from geo_data.login_throttle import ThrottlePolicy
from geo_data.passwords import check, problem


@pytest.mark.parametrize("password", ["short-1", "password2026", "Qwertyuiop", "1qaz2wsx3edc", "woaini1314!",
                                      "aaaaaaaaaaaa", "zhangsan-2026-x"])
def test_refused_passwords_name_the_rule(password: str) -> None:
    with pytest.raises(InvalidInput, match="^password: "):
        check(password, username="zhangsan")


def test_acceptable_password_and_username_rule() -> None:
    assert problem("correct-horse-battery", username="zhangsan") is None
    assert "username" in (problem("Wang.Li-gets-in", username="wang.li") or "")


def test_delays_start_after_the_free_failures_and_double_up_to_the_cap() -> None:
    policy = ThrottlePolicy(free_failures=3, delay=timedelta(seconds=5), max_delay=timedelta(seconds=60))
    waits = [policy.delay_after(n) for n in range(1, 9)]
    assert waits[:3] == [None, None, None]
    assert [w.total_seconds() for w in waits[3:] if w] == [5, 10, 20, 40, 60]
