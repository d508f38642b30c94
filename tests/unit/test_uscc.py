"""统一社会信用代码 validation (GB 32100-2015) in geo_data.uscc."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo_data.uscc import ALPHABET, is_valid_uscc, make_uscc, normalise_uscc, uscc_problem, validate_many

# Real codes of well-known enterprises, as printed on their business licences and shown by the
# 国家企业信用信息公示系统 (National Enterprise Credit Information Publicity System); each passes both the
# GB 11714 check (position 17) and the GB 32100 check (position 18), which a mistyped code almost never does.
PUBLISHED_VALID = {
    "91350100M000100Y43": "the example code used in most USCC validator write-ups",
    "914403001922038216": "华为技术有限公司 (Huawei Technologies Co., Ltd.)",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司 (Tencent)",
    "91110108551385082Q": "北京小米科技有限责任公司 (Xiaomi)",
    "91110000802100433B": "北京百度网讯科技有限公司 (Baidu)",
    "91440300192317458F": "比亚迪股份有限公司 (BYD)",
}


@pytest.mark.parametrize("code", sorted(PUBLISHED_VALID))
def test_published_codes_are_valid(code: str) -> None:
    assert uscc_problem(code) is None
    assert is_valid_uscc(code)


def test_codes_are_normalised_before_checking() -> None:
    assert is_valid_uscc("  91350100m000100y43\n")


@pytest.mark.parametrize("typed", [
    "９１３５０１００Ｍ０００１００Ｙ４３",        # full-width digits and letters (a Chinese input method)
    "９１３５０１００m０００１００y４３",          # full-width digits, half-width lower-case letters
    "9135 0100 M000 100Y 43",                   # grouped with blanks
    "913501-00M000-100Y43",                     # hyphens
    "9135\u30000100\uff0dM000\u2013100Y43",     # ideographic space, full-width hyphen, en dash
])
def test_full_width_blanks_and_hyphens_are_normalised_like_python_stdnum(typed: str) -> None:
    from stdnum.cn import uscc as stdnum_uscc

    assert normalise_uscc(typed) == "91350100M000100Y43"
    assert uscc_problem(typed) is None
    # python-stdnum accepts the same spellings once its compact() has seen NFKC text (it folds full-width
    # digits and dashes itself, but not full-width letters)
    assert stdnum_uscc.compact(unicodedata.normalize("NFKC", typed)) == normalise_uscc(typed)
    assert stdnum_uscc.is_valid(unicodedata.normalize("NFKC", typed))


def test_normalising_does_not_repair_real_errors() -> None:
    assert uscc_problem("９１３５０１００Ｍ０００１００Ｙ４４") == "wrong check character: expected 3"
    assert uscc_problem("9135-0100-M000-100Y4") == "must be 18 characters, got 17"
    assert uscc_problem("91350100M000100Y4３3") == "must be 18 characters, got 19"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "must be 18 characters, got 0"),
        ("91350100M000100Y4", "must be 18 characters, got 17"),
        ("91350100M000100Y433", "must be 18 characters, got 19"),
        ("91350100M000100Y44", "wrong check character: expected 3"),
        ("91350100M000100I43", "characters not allowed: I"),
        ("9135010OM000100Y43", "characters not allowed: O"),
        ("91350100M000100Y4Z", "character not allowed at position 18: Z"),
        ("91350100_00100Y43X", "characters not allowed: _"),
        ("91350100M000100Y4３X", "must be 18 characters, got 19"),  # a full-width digit counts as a digit
        ("91350100M000100中43", "characters not allowed: 中"),
        ("B1350100M000100Y43", "unknown registration authority 'B' at position 1"),
        ("90350100M000100Y43", "organisation type must be a digit 1-9 at position 2"),
        ("9135A100M000100Y43", "positions 3-8 must be an administrative division code"),
        # Often quoted as an example, but its organisation code 10000303-6 fails GB 11714 (expected 0).
        ("91110000100003036Q", "wrong organisation code check character at position 17: expected 0"),
    ],
)
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and problem.startswith(reason)
    assert not is_valid_uscc(code)


def test_make_uscc_appends_the_check_character() -> None:
    for code in PUBLISHED_VALID:
        assert make_uscc(code[:17]) == code
    assert make_uscc("91350100m000100y4") == "91350100M000100Y43"


def test_make_uscc_refuses_a_malformed_prefix() -> None:
    with pytest.raises(ValueError, match="organisation code check"):
        make_uscc("91110000100003036")
    with pytest.raises(ValueError, match="17 characters"):
        make_uscc("9111")


def test_validate_many_keeps_order() -> None:
    assert validate_many(["914403001922038216", "x", "91440300708461136T"]) == [
        None,
        "must be 18 characters, got 1",
        None,
    ]


# GB 11714 organisation codes: 8 body characters from the USCC alphabet, then their check character.
org_bodies = st.text(alphabet=ALPHABET, min_size=8, max_size=8)
prefixes = st.builds(
    lambda authority, kind, region, body: authority + kind + region + body,
    st.sampled_from("1589ANY"),
    st.sampled_from("1239"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    org_bodies,
)


def _with_org_check(prefix16: str) -> str:
    for check in "0123456789X":
        candidate = prefix16 + check
        try:
            make_uscc(candidate)
        except ValueError:
            continue
        return candidate
    raise AssertionError("no GB 11714 check character fits")  # pragma: no cover


@given(prefixes)
def test_made_codes_are_valid_and_every_single_substitution_is_caught(prefix16: str) -> None:
    code = make_uscc(_with_org_check(prefix16))
    assert is_valid_uscc(code)
    for position in range(18):
        for replacement in ALPHABET:
            if replacement != code[position]:
                assert not is_valid_uscc(code[:position] + replacement + code[position + 1 :])


@given(prefixes)
def test_adjacent_transpositions_are_caught(prefix16: str) -> None:
    code = make_uscc(_with_org_check(prefix16))
    for position in range(17):
        a, b = code[position], code[position + 1]
        if a != b:
            assert not is_valid_uscc(code[:position] + b + a + code[position + 2 :])


def test_the_alert_api_keeps_the_code_in_the_form_it_checked() -> None:
    """An alert's enterprise_uscc typed full-width is stored (and looked up) in ASCII, not as typed."""
    from api.schemas import _uscc

    assert _uscc("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="wrong check character"):
        _uscc("９１３５０１００Ｍ０００１００Ｙ４４")
