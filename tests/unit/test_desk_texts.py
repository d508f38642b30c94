"""The desk pages' texts and table cells (layers/i18n, layers/tables): every shell, admin, planner and coverage
label exists in both languages, the English one has no Chinese and the Chinese one no English words; cells read
as a person reads them; grid columns are headed in the page's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from layers.i18n import TEXT, t
from layers.tables import AG_GRID_ZH, cell, column_defs, coverage_columns, grid_options, rows

CJK = re.compile(r"[\u3400-\u9fff]")
DESK_PREFIXES = ("nav.", "role.", "forbidden.", "table.", "admin.", "col.", "plan.", "cov.", "date.")
DESK_KEYS = sorted(k for k in TEXT if k.startswith(DESK_PREFIXES))
# English words allowed in a Chinese label: names of formats, commands and column codes a user types or reads
ZH_MAY_CONTAIN = re.compile(r"CSV|Excel|GeoJSON|H3|YYYY-MM-DD|gridcommand devices add|gridcommand import|user\.|"
                            r"dispatch\.assign|department, uscc, items, reason, earliest, latest|\{[a-z_]+\}")


def test_there_are_desk_texts() -> None:
    assert len(DESK_KEYS) > 150


@pytest.mark.parametrize("key", DESK_KEYS)
def test_a_desk_label_is_in_each_language_only(key: str) -> None:
    zh, en = TEXT[key]
    assert zh and en, key
    assert not CJK.search(en), f"{key}: Chinese in the English text {en!r}"
    assert not re.search(r"[A-Za-z]{2,}", ZH_MAY_CONTAIN.sub("", zh)), f"{key}: English in the Chinese text {zh!r}"
    assert set(re.findall(r"\{[a-z_]+\}", zh)) == set(re.findall(r"\{[a-z_]+\}", en)), f"{key}: placeholders differ"


def test_cells_read_as_a_person_reads_them() -> None:
    assert cell(True) == "✓" and cell(False) == "—" and cell(None) is None
    assert cell(datetime(2026, 12, 3, 4, 5, tzinfo=UTC)) == "2026-12-03 12:05"  # Asia/Shanghai
    assert cell(7) == 7 and cell("x") == "x"
    assert rows([{"a": True, "b": None}]) == [{"a": "✓", "b": None}]


def test_grid_columns_and_texts_follow_the_language() -> None:
    cols = [("username", "col.username"), ("active", "col.active")]
    assert [c["headerName"] for c in column_defs(cols, "zh")] == ["用户名", "启用"]
    assert [c["headerName"] for c in column_defs(cols, "en")] == ["Username", "Active"]
    assert all(c["sortable"] and c["filter"] for c in column_defs(cols, "en"))
    assert column_defs([("export", "plan.col.publish")], "zh", markdown=("export",))[0]["cellRenderer"] == "markdown"
    assert grid_options("zh")["localeText"] is AG_GRID_ZH and "localeText" not in grid_options("en")
    assert grid_options("en", select=True)["rowSelection"]["mode"] == "singleRow"
    assert "rowSelection" not in grid_options("en")


def test_coverage_columns_are_named_not_codes() -> None:
    fields = ["id", "name", "value", "enterprises_high", "coverage_high", "coverage_high_num", "blind_spot"]
    zh = [c["headerName"] for c in coverage_columns(fields, "zh")]
    en = [c["headerName"] for c in coverage_columns(fields, "en")]
    assert zh == ["编号", "名称", "数值", "高风险企业", "覆盖率（高风险）", "覆盖率（高风险）（分子）", "盲区"]
    assert en[3] == "High enterprises" and en[4] == "Coverage (high risk)" and not any(CJK.search(h) for h in en)
    assert t("cov.col.value", "en") == "Value"
