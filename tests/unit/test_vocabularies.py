"""National vocabularies: GB/T 4754-2017 classes, 企业信用风险分类 letters, suggestions, value maps, Excel dates."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest
from openpyxl.utils.datetime import from_excel

from geo_data.errors import InvalidInput
from geo_data.importers import CREDIT_VALUES, RISK_VALUES, _lookup
from geo_data.reference import REFERENCE_DIR, industries
from geo_data.vocabularies import (
    RISK_CLASS_LETTERS,
    UnknownValue,
    excel_serial_date,
    gbt4754_match,
    gbt4754_table,
    normal_key,
    parse_value_maps,
    resolve_value_map,
    suggest,
)


def test_mapping_table_covers_the_standard_and_targets_real_industries() -> None:
    with (REFERENCE_DIR / "gbt4754_map.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    levels = [r["level"] for r in rows]
    assert levels.count("门类") == 20 and levels.count("大类") == 97
    assert [r["code"] for r in rows if r["level"] == "门类"] == list("ABCDEFGHIJKLMNOPQRST")
    product = {i.code for i in industries()}
    assert {r["industry"] for r in rows} - {""} <= product
    assert len({r["code"] for r in rows}) == len(rows) and all(r["name"] for r in rows)
    table = gbt4754_table()
    # every 大类 lies in exactly one 门类, and every finer class under a 大类 of the table
    assert sorted(table.section_of) == [f"{d:02d}" for d in range(1, 98)]
    assert table.section_of["62"] == "H" and table.section_of["13"] == "C" and table.section_of["97"] == "T"
    for r in rows:
        if r["level"] in ("中类", "小类"):
            assert len(r["code"]) == {"中类": 3, "小类": 4}[r["level"]] and r["code"][:2] in table.section_of


@pytest.mark.parametrize(("value", "industry", "code"), [
    ("H6210", "catering", "621"),         # 门类 letter + 小类 (6210 is the only 小类 of 621 正餐服务)
    ("6210", "catering", "621"),
    ("62", "catering", "62"),
    ("H62", "catering", "62"),
    ("正餐服务", "catering", "621"),       # official names
    ("餐饮业", "catering", "62"),
    ("小吃服务", "catering", "6291"),
    ("Ｈ６２１０", "catering", "621"),      # full-width
    (" f 5265 ", "gas_station", "5265"),   # blanks, lower-case letter
    ("5281", "general_retail", "5281"),   # 五金零售: the longest listed prefix wins over 528
    ("5284", "building_materials", "528"),
    ("B", "mining", "B"),                 # a 门类 that maps as a whole
    ("1011", "mining", "101"),
    ("2921", "plastics", "292"),
    ("H", "", "H"),                       # 住宿和餐饮业 spans hotel and catering: no single industry
    ("0411", "", "04"),                   # 渔业: no product industry
    ("教育", "", "83"),                   # a name of both 门类 P and 大类 83 means the finer class
])
def test_gbt4754_codes_and_names_map_by_longest_prefix(value: str, industry: str, code: str) -> None:
    match = gbt4754_match(value)
    assert match is not None and match.industry == industry and match.cls.code == code and not match.problem


def test_gbt4754_refuses_a_letter_that_contradicts_the_division_and_ignores_non_codes() -> None:
    wrong = gbt4754_match("H1392")
    assert wrong is not None and wrong.industry == "" and "大类 13 belongs to 门类 C, not H" in wrong.problem
    for value in ("9899", "00", "造飞船", "catering", "6", "U62", "62100", ""):
        assert gbt4754_match(value) is None, value


def test_risk_class_letters_are_the_samr_scheme_and_not_credit_grades() -> None:
    table = {**RISK_VALUES, **RISK_CLASS_LETTERS}
    risk = _lookup(pd.Series(["A", "b", "C类", "Ｄ", "高", ""]), table)
    assert risk.tolist()[:5] == ["low", "general", "elevated", "high", "high"] and pd.isna(risk.iloc[5])
    # the same letters under the credit column keep meaning credit grades, A best
    assert _lookup(pd.Series(["A", "D"]), CREDIT_VALUES).tolist() == ["A", "D"]
    assert pd.isna(_lookup(pd.Series(["A"]), RISK_VALUES).iloc[0])


def test_lookup_applies_value_maps_first_and_asks_the_fallback_for_the_rest() -> None:
    asked: list[str] = []

    def fallback(key: str) -> str | None:
        asked.append(key)
        return "catering" if key == "h6210" else None

    got = _lookup(pd.Series(["中餐馆", "H6210", "H6210", "餐饮", "造飞船"]), {"餐饮": "catering"},
                  {"中餐馆": "catering"}, fallback)
    assert got.tolist()[:4] == ["catering"] * 4 and pd.isna(got.iloc[4])
    assert asked == ["h6210", "造飞船"]  # each distinct unknown once


def test_suggestions_prefer_a_contained_name_then_difflib() -> None:
    names = {"餐饮": "catering", "美容美发": "hairdressing", "Food retail": "food_retail", "快餐服务": "catering"}
    assert suggest("餐饮服务有限公司", names) == "catering"
    assert suggest("美容美发店", names) == "hairdressing"
    assert suggest("food retail shop", names) == "food_retail"
    assert suggest("快餐店", names) == "catering"            # difflib: 快餐服务
    assert suggest("造飞船", names) is None
    assert suggest("渔业", {"农业": "agri_produce", "畜牧业": "livestock"}) is None  # one shared character only
    assert suggest("消防大队", {"消防救援": "fire", "市场监管": "market"}) == "fire"
    assert suggest("日常检查", {"专项检查": "special", "年度计划": "annual"}) is None  # a generic ending only
    assert suggest("catring", {"catering": "catering"}) == "catering"
    assert suggest("", names) is None


def test_unknown_value_says_count_rows_and_the_option_to_use() -> None:
    u = UnknownValue("industry", "中 餐", tuple(range(1, 12)), "catering", "not in the list")
    assert u.count == 11
    assert str(u) == ("industry: unknown value '中 餐' in 11 rows (1, 2, 3, 4, 5, 6, 7, 8, …); not in the list;"
                      " suggested: --map-values 'industry:中 餐=catering'")
    assert UnknownValue("departments", "消防队", (3,), map_field="department").map_option("fire") == \
        "--map-values 'department:消防队=fire'"


def test_value_maps_parse_and_refuse_unknown_fields_and_targets() -> None:
    maps = parse_value_maps(["industry:中 餐馆=catering", "risk:A=low", "industry:x=y=z"], ["industry", "risk"])
    assert maps == {"industry": {"中餐馆": "catering", "x=y": "z"}, "risk": {"a": "low"}}
    with pytest.raises(InvalidInput, match="expects FIELD:SOURCE=TARGET"):
        parse_value_maps(["industry=catering"], ["industry"])
    with pytest.raises(InvalidInput, match="field 'name' takes no value mapping; fields are industry, risk"):
        parse_value_maps(["name:a=b"], ["industry", "risk"])
    assert resolve_value_map("risk", {"a": "低"}, RISK_VALUES, "use …") == {"a": "low"}
    with pytest.raises(InvalidInput, match=r"risk:a=lowest: 'lowest' is not a known risk \(use 高"):
        resolve_value_map("risk", {"a": "lowest"}, RISK_VALUES, "use 高/较高/一般/低")


@pytest.mark.parametrize("serial", [10000, 43831, 46083, 46083.75, 60000])
def test_excel_serial_dates_agree_with_openpyxl(serial: float) -> None:
    assert excel_serial_date(serial) == from_excel(serial).date()
    assert excel_serial_date(str(serial)) == from_excel(serial).date()
    assert excel_serial_date(46083) == date(2026, 3, 2)


def test_normal_key_folds_width_case_and_blanks() -> None:
    assert normal_key(" Ｃａｔｅｒｉｎｇ\u3000 ") == "catering"
