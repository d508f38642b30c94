"""The vectorised row checks of the importers agree with the one-at-a-time definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_data.enterprises import bulk_load_order, copy_text_lines, point_ewkb_hex
from geo_data.errors import InvalidInput
from geo_data.importers import (
    CREDIT_VALUES,
    ENTERPRISE_FIELDS,
    RISK_VALUES,
    Problems,
    _lookup,
    normalise_usccs,
    parse_mapping,
    resolve_columns,
    uscc_valid_mask,
)
from geo_data.uscc import ALPHABET, is_valid_uscc, make_uscc

KNOWN_VALID = ["91350100M000100Y43", "914403001922038216", "91440300708461136T", "91110108551385082Q"]


def _random_codes(n: int, seed: int) -> list[str]:
    """Valid codes and their one-character corruptions, lower-case and padded variants, junk."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for _ in range(n):
        body = "".join(rng.choice(list("0123456789ABCDEFGHJKLMNPQRTUWXY"), 8))
        for check in "0123456789X":
            try:
                code = make_uscc(f"9{rng.integers(1, 10)}330702{body}{check}")
                break
            except ValueError:
                continue
        else:
            continue
        out.append(code)
        pos = int(rng.integers(0, 18))
        out.append(code[:pos] + str(rng.choice(list(ALPHABET + "IOZ?a中"))) + code[pos + 1:])
        out.append(code[:17])
        out.append(" " + code.lower() + " ")
    return out + ["", "X" * 18, "中" * 18, "9" * 18]


def test_vectorised_uscc_check_agrees_with_the_definition() -> None:
    codes = _random_codes(400, 3) + KNOWN_VALID
    series = pd.Series(codes, dtype=object)
    normal, valid = normalise_usccs(series)
    expected = np.array([is_valid_uscc(c) for c in codes])
    assert (valid == expected).all()
    assert expected.sum() > 400  # the sample holds plenty of both
    assert list(normal[valid]) == [c.strip().upper() for c, ok in zip(codes, expected, strict=True) if ok]
    assert uscc_valid_mask(pd.Series(KNOWN_VALID + ["91350100M000100Y44", "91350100M000100I43"])).tolist() == \
        [True] * 4 + [False, False]


def test_grades_map_from_chinese_and_english_and_refuse_letters_for_risk() -> None:
    risk = _lookup(pd.Series(["高", "较高风险", " 一般 ", "LOW", "Elevated", "A", ""]), RISK_VALUES)
    assert risk.tolist()[:5] == ["high", "elevated", "general", "low", "elevated"]
    assert pd.isna(risk.iloc[5]) and pd.isna(risk.iloc[6])
    credit = _lookup(pd.Series(["a", "B级", "优", "良", "中", "差", "E"]), CREDIT_VALUES)
    assert credit.tolist()[:6] == ["A", "B", "A", "B", "C", "D"] and pd.isna(credit.iloc[6])


def test_columns_resolve_from_chinese_english_and_map() -> None:
    cols = resolve_columns(["统一社会信用代码", "单位全称", "行业", "经度", "纬度", "Risk", "credit_grade"],
                           ENTERPRISE_FIELDS, required=("uscc", "name", "industry", "risk", "credit"),
                           mapping=parse_mapping(["单位全称=name"]))
    assert cols == {"uscc": "统一社会信用代码", "name": "单位全称", "industry": "行业", "lng": "经度",
                    "lat": "纬度", "risk": "Risk", "credit": "credit_grade"}
    with pytest.raises(InvalidInput, match=r"missing columns: name .*Use --map"):
        resolve_columns(["uscc", "industry", "risk", "credit"], ENTERPRISE_FIELDS,
                        required=("uscc", "name", "industry", "risk", "credit"))
    with pytest.raises(InvalidInput, match="expects SOURCE_COLUMN=FIELD"):
        parse_mapping(["oops"])


def test_problems_are_listed_by_row_then_check_order_one_per_field() -> None:
    p = Problems(4)
    p.add(np.array([False, True, False, True]), "uscc", "bad")
    p.add(np.array([True, False, False, True]), "lat", lambda i: f"reason {i}")
    p.add(np.array([False, True, False, False]), "uscc", "second reason, same field: dropped")
    assert [str(x) for x in p.rows()] == ["row 1: lat: reason 0", "row 2: uscc: bad", "row 4: uscc: bad",
                                          "row 4: lat: reason 3"]
    assert p.bad.tolist() == [True, True, False, True]


def test_copy_text_escapes_and_nulls_and_ewkb_is_exact() -> None:
    text = copy_text_lines([np.array(["a\tb", "c\\d"], dtype=object), np.array([None, "x"], dtype=object),
                            np.array([1, 2])])
    assert text == "a\\tb\t\\N\t1\nc\\\\d\tx\t2\n"
    import shapely

    lng, lat = np.array([119.5, 120.123456789]), np.array([29.1, -28.0])
    expected = shapely.to_wkb(shapely.set_srid(shapely.points(lng, lat), 4326), hex=True, include_srid=True)
    assert list(point_ewkb_hex(lng, lat)) == list(expected)


def test_bulk_load_order_is_risk_then_uscc_and_keeps_every_row() -> None:
    rng = np.random.default_rng(5)
    codes = np.array(KNOWN_VALID * 50, dtype=object)[rng.permutation(200)]
    risk = np.array(["low", "high", "general", "elevated"], dtype=object)[rng.integers(0, 4, 200)]
    order = bulk_load_order(risk, codes)
    assert sorted(order.tolist()) == list(range(200))
    pairs = list(zip(risk[order], codes[order], order, strict=True))
    assert pairs == sorted(pairs)  # by risk, USCC, then file order
    odd = codes.copy()
    odd[3] = "短"  # not 18 ASCII characters: by risk only, file order within a grade
    by_risk = bulk_load_order(risk, odd)
    assert list(zip(risk[by_risk], by_risk, strict=True)) == sorted(zip(risk, range(200), strict=True))
