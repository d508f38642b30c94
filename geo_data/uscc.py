"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015) validation.

Layout of the 18 characters:

====  ==========================================================================
1     registration authority (登记管理部门码): 1-9, A, N or Y
2     organisation type (机构类别码) within that authority: a digit 1-9
3-8   administrative division of the registering office (登记管理机关行政区划码)
9-17  organisation code (主体标识码, GB 11714), whose 9th character is its own
      check character (weights 3,7,9,10,5,8,4,2 mod 11; 10 -> X, 11 -> 0)
18    check character over 1-17 (weights 3^(i-1) mod 31, i.e. 1,3,9,...,28)
====  ==========================================================================

The alphabet is the 31 characters 0-9 and A-Y without I, O, S, V, Z, valued 0..30 in that order.
Codes are normalised before checking the way python-stdnum's ``cn.uscc.compact`` does, and a little more:
Unicode NFKC (full-width digits and letters, as typed with a Chinese input method, become ASCII), every blank and
hyphen or dash (``-``, ``－``, ``–``, ``—`` …) removed, letters upper-cased. Anything else (a letter O for a zero, a
Chinese character) is left and refused with its reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = tuple(
    pow(3, i, 31) for i in range(17)
)  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
_AUTHORITIES = frozenset("123456789ANY")

# GB 11714 organisation code: body characters are valued 0-9, A=10 .. Z=35.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


# blanks and the hyphens/dashes python-stdnum folds to "-" (after NFKC, which maps U+FF0D and U+3000 itself)
SEPARATORS = re.compile(r"[\s\-\u058a\u05be\u2010-\u2015\u2212\ufe63]+")


def normalise_uscc(code: str) -> str:
    """The code in NFKC with blanks and hyphens/dashes removed and letters upper-cased (nothing else changed)."""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", code)).upper()


def _check_character(prefix17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(prefix17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _org_code_check_character(body8: str) -> str:
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _prefix_problem(prefix: str) -> str | None:
    """Why the first 17 characters (already normalised) cannot start a valid code, or None."""
    if len(prefix) != 17:
        return f"must be 17 characters before the check character, got {len(prefix)}"
    bad = sorted({ch for ch in prefix if ch not in _VALUE})
    if bad:
        return f"characters not allowed: {''.join(bad)} (I, O, S, V, Z and symbols never occur)"
    if prefix[0] not in _AUTHORITIES:
        return f"unknown registration authority {prefix[0]!r} at position 1"
    if prefix[1] not in "123456789":
        return f"organisation type must be a digit 1-9 at position 2, got {prefix[1]!r}"
    if not prefix[2:8].isdigit():
        return f"positions 3-8 must be an administrative division code of 6 digits, got {prefix[2:8]!r}"
    expected = _org_code_check_character(prefix[8:16])
    if prefix[16] != expected:
        return f"wrong organisation code check character at position 17: expected {expected}"
    return None


def uscc_problem(code: str) -> str | None:
    """None if ``code`` is a valid 统一社会信用代码 after normalisation, else a short English reason."""
    normal = normalise_uscc(code)
    if len(normal) != 18:
        return f"must be 18 characters, got {len(normal)}"
    problem = _prefix_problem(normal[:17])
    if problem is not None:
        return problem
    if normal[17] not in _VALUE:
        return f"character not allowed at position 18: {normal[17]}"
    expected = _check_character(normal[:17])
    if normal[17] != expected:
        return f"wrong check character: expected {expected}"
    return None


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a valid 统一社会信用代码 (after ``normalise_uscc``)."""
    return uscc_problem(code) is None


def make_uscc(prefix17: str) -> str:
    """The full 18-character code: the normalised 17-character ``prefix17`` plus its check character.

    Raises ValueError if the prefix itself is malformed (including a wrong organisation code check).
    """
    prefix = normalise_uscc(prefix17)
    problem = _prefix_problem(prefix)
    if problem is not None:
        raise ValueError(f"cannot complete USCC {prefix17!r}: {problem}")
    return prefix + _check_character(prefix)


def validate_many(codes: Iterable[str]) -> list[str | None]:
    """``uscc_problem`` for each code, in order (None where the code is valid)."""
    return [uscc_problem(code) for code in codes]
