"""How tables look (dash-ag-grid): column definitions in the page's language, AG Grid's own texts in Chinese,
and cell values as a person reads them (✓/— for booleans, Asia/Shanghai minutes for times, '' for None)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from enforcement.local_time import SHANGHAI
from layers.i18n import t

# AG Grid's built-in texts (filter menus, pagination, overlays) for the Chinese pages; English is its default.
AG_GRID_ZH: dict[str, str] = {
    "page": "第", "of": "/", "to": "至", "more": "更多", "next": "下一页", "last": "末页", "first": "首页",
    "previous": "上一页", "pageSizeSelectorLabel": "每页", "pageLastRowUnknown": "?",
    "noRowsToShow": "暂无数据", "loadingOoo": "加载中…", "filterOoo": "筛选…", "searchOoo": "搜索…",
    "selectAll": "全选", "blanks": "（空）", "applyFilter": "应用", "resetFilter": "重置", "clearFilter": "清除",
    "cancelFilter": "取消", "equals": "等于", "notEqual": "不等于", "contains": "包含", "notContains": "不包含",
    "startsWith": "开头是", "endsWith": "结尾是", "blank": "为空", "notBlank": "不为空", "lessThan": "小于",
    "greaterThan": "大于", "lessThanOrEqual": "小于等于", "greaterThanOrEqual": "大于等于", "inRange": "介于",
    "inRangeStart": "从", "inRangeEnd": "到", "before": "早于", "after": "晚于", "andCondition": "且",
    "orCondition": "或", "dateFormatOoo": "yyyy-mm-dd", "columns": "列", "filters": "筛选",
    "ariaChecked": "已选", "ariaUnchecked": "未选", "ariaRowSelect": "按空格选择此行",
    "ariaRowDeselect": "按空格取消选择", "ariaFilterInput": "筛选输入", "ariaColumn": "列",
    "ariaFilterValue": "筛选值", "firstPage": "首页", "previousPage": "上一页", "nextPage": "下一页",
    "lastPage": "末页", "ariaPageSizeSelectorLabel": "每页行数",
}


def column_defs(columns: Sequence[tuple[str, str]], lang: str, *,
                markdown: Sequence[str] = ()) -> list[dict[str, Any]]:
    """AG Grid columns for ``(field, i18n key)`` pairs: sortable, filterable, resizable, headed in ``lang``;
    the ``markdown`` fields render their links (dash-ag-grid's markdown renderer: no raw HTML)."""
    return [{"field": field, "headerName": t(key, lang), "sortable": True, "filter": True, "resizable": True,
             **({"cellRenderer": "markdown"} if field in markdown else {})}
            for field, key in columns]


def grid_options(lang: str, *, page_size: int = 15, select: bool = False) -> dict[str, Any]:
    """Grid options every table shares: pagination, single-row selection when asked, texts in ``lang``."""
    options: dict[str, Any] = {"pagination": True, "paginationPageSize": page_size,
                               "paginationPageSizeSelector": [15, 50, 200], "animateRows": False,
                               "enableCellTextSelection": True}
    if select:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True, "checkboxes": True}
    if lang != "en":
        options["localeText"] = AG_GRID_ZH
    return options


def cell(value: Any) -> Any:
    """A value as a table cell shows it: ✓/— for booleans, 'YYYY-MM-DD HH:MM' (Asia/Shanghai) for times, None as
    an empty cell."""
    if isinstance(value, bool):
        return "✓" if value else "—"
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M")
    return value  # None stays null: an empty cell (a number column would call "" an invalid number)


def rows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows for a grid: every value through ``cell``."""
    return [{k: cell(v) for k, v in r.items()} for r in records]


def coverage_columns(fields: Sequence[str], lang: str) -> list[dict[str, Any]]:
    """Grid columns for the coverage table's export fields (``CellRow.export_dict``), headed by their names."""
    from enforcement.measures import BY_KEY

    def header(field: str) -> str:
        if field.startswith("enterprises_"):
            return t("cov.col.enterprises", lang, risk=t(f"risk.{field.removeprefix('enterprises_')}", lang))
        base, _, part = field.rpartition("_")
        if part in ("num", "den") and base in BY_KEY:
            name = BY_KEY[base].name_en if lang == "en" else BY_KEY[base].name_zh
            return t(f"cov.col.{part}", lang, name=name)
        if field in BY_KEY:
            return BY_KEY[field].name_en if lang == "en" else BY_KEY[field].name_zh
        return t(f"cov.col.{field}", lang)

    return [{"field": f, "headerName": header(f), "sortable": True, "filter": True, "resizable": True}
            for f in fields]


@dataclass(frozen=True)
class DepartmentNames:
    """Department and inspection-item names for their codes (a code without a name shows as itself)."""

    departments: dict[str, str]
    items: dict[str, str]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], lang: str) -> DepartmentNames:
        """From ``task_departments`` rows: departments in ``lang`` (English where named), items in Chinese (the
        catalogue names them in Chinese only)."""
        return cls(departments={r["code"]: (r["name_en"] if lang == "en" and r["name_en"] else r["name"])
                                for r in rows},
                   items={c: n for r in rows for c, n in zip(r["item_codes"], r["item_names"], strict=True)})

    def department(self, code: str) -> str:
        return self.departments.get(code, code)

    def item(self, code: str) -> str:
        return self.items.get(code, code)


def _joined(values: Any, lang: str) -> str:
    return ("; " if lang == "en" else "、").join(str(v) for v in values or ())


def export_frame(frame: Any, kind: str, lang: str, names: DepartmentNames) -> Any:
    """A plan or draw table (``geo_data.plans.plan_table`` / ``geo_data.draws.result_table``) as a person reads
    it in ``lang``: headers in that language only (``export.<kind>.<field>``), departments, items and statuses
    by name, lists joined."""
    out = frame.copy()
    if kind == "plan":
        out["lead_department"] = [names.department(c) if c else "" for c in out["lead_department"]]
        out["departments"] = [_joined([names.department(c) for c in v], lang) for v in out["departments"]]
        out["items"] = [_joined([names.item(c) for c in v], lang) for v in out["items"]]
        out["reasons"] = [_joined([t(f"task.reason.{r}", lang) for r in v], lang) for v in out["reasons"]]
        out["status"] = [t(f"plan.status.{s}", lang) for s in out["status"]]
    else:
        out["department_code"] = [names.department(c) for c in out["department_code"]]
    return out.rename(columns={c: t(f"export.{kind}.{c}", lang) for c in out.columns})
