"""Password rules (issue 16): long enough, not a well-known password, not built from the username.

The list of common passwords ships with the package (``geo_data/reference/common_passwords.txt``): the most
frequent passwords of public leak studies, Chinese ones included (pinyin, keyboard walks, lucky numbers).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from geo_data.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
_LIST = Path(__file__).resolve().parent / "reference" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased (read once: the file is part of the package and never changes at run time)."""
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def problem(password: str, *, username: str) -> str | None:
    """Why ``password`` is refused for ``username`` (a sentence naming the rule), or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters · 至少 {MIN_LENGTH} 个字符"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    folded = password.lower()
    name = username.strip().lower()
    if name and (name in folded or folded in name):
        return "must not contain the username · 不得包含用户名"
    if len(set(folded)) < 4:
        return "too few different characters · 字符种类过少"
    if folded in common_passwords() or folded.rstrip("0123456789!@#.") in common_passwords():
        return "a well-known password · 属于常见弱口令"
    return None


def check(password: str, *, username: str) -> None:
    """Raise ``InvalidInput`` naming the field and the rule unless ``password`` is acceptable."""
    reason = problem(password, username=username)
    if reason is not None:
        raise InvalidInput(f"password: {reason}")
