"""The enforcement measures (KPIs), defined once: the definitions as data, the filter, and pure helpers.

The SQL that counts numerators and denominators lives in ``geo_data/sql/measure_*.sql`` and is run by
``geo_data.measures``; this module turns those counts into ``Measure`` values and carries the exact wording
(zh + en) shown in the UI, the CLI, exports and ``docs/measures.md``.

Rules fixed here (see docs/measures.md for the prose):

* Period ``[date_from, date_to]``: calendar dates in Asia/Shanghai, both ends inclusive. Time stamps are
  compared against ``[date_from 00:00, date_to + 1 day 00:00)`` in Asia/Shanghai.
* Only on-site visits that took place count as visits: ``visits.status = 'done'``.
* Repeat inspection (重复检查): visit *v* is a repeat when an earlier done visit *w* to the same enterprise
  (earlier = an earlier ``visit_date``, or the same date and a smaller id) happened at most
  ``REPEAT_WINDOW_DAYS`` days before it (``0 <= v.visit_date - w.visit_date <= 30``) and *v* brought a
  department that *w* did not cover (``NOT v.departments <@ w.departments``). *w* may lie before the period.
  A same-department re-check is therefore not a repeat; a joint visit is one visit, counted once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from enforcement.grades import RISK_GRADES, RISK_NAMES_ZH
from enforcement.local_time import SHANGHAI
from geo_data.errors import InvalidInput

REPEAT_WINDOW_DAYS = 30
ROUTINE_REASONS: tuple[str, ...] = ("annual", "random")
#: Expected on-site visits per enterprise per year by risk grade (quota-matrix idea: 管住风险、无事不扰).
EXPECTED_VISITS_PER_YEAR: dict[str, float] = {"high": 4.0, "elevated": 2.0, "general": 1.0, "low": 0.5}
OVER_INSPECTED_RATIO = 2.0
UNDER_INSPECTED_RATIO = 0.5
GROUPS = ("none", "township", "r7", "r8", "r9", "month")

Unit = Literal["ratio", "count", "minutes", "rating"]


@dataclass(frozen=True)
class MeasureDef:
    """One measure's definition: names, unit and the exact wording of numerator and denominator."""

    key: str
    name_zh: str
    name_en: str
    unit: Unit
    definition_zh: str
    definition_en: str
    higher_is_better: bool = True
    target: float | None = None


def _d(key: str, zh: str, en: str, unit: Unit, dzh: str, den: str, **kw: Any) -> MeasureDef:
    return MeasureDef(key, zh, en, unit, dzh, den, **kw)


_COVERAGE_DEFS = tuple(
    _d(f"coverage_{g}", f"覆盖率（{RISK_NAMES_ZH[g]}）", f"Coverage ({g} risk)", "ratio",
       f"期内被现场检查（已完成）或被非现场监管（关联告警/事件，或所在H3九级网格有无人机/摄像头覆盖）的{RISK_NAMES_ZH[g]}"
       f"企业数 ÷ 筛选范围内{RISK_NAMES_ZH[g]}企业数",
       f"{g}-risk enterprises in the filter that had a done visit in the period or were remotely monitored "
       "(an alert or incident linked to them in the period, or their H3 res-9 cell covered by a drone track or "
       f"camera field of view valid in the period) ÷ {g}-risk enterprises in the filter")
    for g in RISK_GRADES
)

DEFINITIONS: tuple[MeasureDef, ...] = (
    _d("repeat_rate", "重复检查率", "Repeat-inspection rate", "ratio",
       "期内已完成的现场检查中，属于“重复检查”的次数 ÷ 期内已完成现场检查次数。重复检查：同一企业在本次检查前0–30天内"
       "（含第30天；同日以登记先后为序）已有一次已完成检查，且本次检查带来了那次检查未涵盖的部门。联合检查按一次计。",
       "Done on-site visits in the period that are repeats ÷ done on-site visits in the period. A visit is a "
       "repeat when the same enterprise had an earlier done visit 0–30 days before it (day 30 included; same day: "
       "the one recorded first is earlier) and this visit brought a department that earlier visit did not cover. "
       "A joint visit counts once.", higher_is_better=False),
    _d("joint_rate", "联合检查率", "Joint-inspection rate", "ratio",
       "涵盖两个及以上部门检查事项的已完成现场检查次数 ÷ 已完成现场检查次数",
       "Done visits covering items of two or more departments ÷ done visits"),
    _d("visits_spared", "减少干扰户次", "Visits spared", "count",
       "已完成检查执行的部门任务数之和（每次检查取 max(任务数, 部门数)）− 已完成检查次数",
       "Sum over done visits of the department tasks carried out (max(task_count, number of departments)) "
       "− number of done visits"),
    _d("planned_share", "计划检查率", "Planned share", "ratio",
       "列入已报备计划的已完成检查次数 ÷ 已完成检查次数（省定要求 ≥ 75%）",
       "Done visits that were in a filed plan ÷ done visits (province bar: 75 %)", target=0.75),
    _d("random_draw_share", "双随机占比", "Random-draw share", "ratio",
       "来自双随机抽取的日常检查次数 ÷ 日常检查次数（日常检查 = 检查事由为年度计划或双随机的已完成检查）",
       "Routine done visits that came from a random draw (from_draw) ÷ routine done visits "
       "(routine = reason annual or random)"),
    _d("code_shown_rate", "亮码检查率", "Code-shown rate", "ratio",
       "行政行为码在现场被扫码的已完成检查次数 ÷ 已完成检查次数",
       "Done visits whose inspection code was scanned on site ÷ done visits"),
    _d("remote_closure_rate", "非现场处置率", "Remote-closure rate", "ratio",
       "期内关闭的事件中非现场处置（remote_closed）的件数 ÷ 期内关闭的事件数（状态为已关闭或非现场处置，关闭时间在期内）",
       "Incidents closed in the period with status remote_closed ÷ incidents closed in the period "
       "(status closed or remote_closed, closed_at in the period)"),
    _d("response_median_min", "响应时长中位数", "Response time, median", "minutes",
       "期内创建且已到场的事件，从事件创建到队伍到场（on_site_at，缺失时取首个到场记录）的分钟数中位数",
       "Median minutes from incident creation to team on site (on_site_at, else the first 'on_site' dispatch "
       "event) over incidents created in the period that were reached on site", higher_is_better=False),
    _d("response_p90_min", "响应时长P90", "Response time, 90th percentile", "minutes",
       "同上，第90百分位（连续插值）", "As above, 90th percentile (continuous interpolation)",
       higher_is_better=False),
    _d("sla_compliance", "按时到场率", "SLA compliance", "ratio",
       "在SLA时限（sla_due_at）内到场的事件数 ÷ 期内创建且（已到场，或未经非现场处置且时限已过）的事件数",
       "Incidents reached on site by their SLA deadline (sla_due_at) ÷ incidents created in the period that "
       "were reached on site, or were not closed remotely and are past their deadline"),
    *_COVERAGE_DEFS,
    _d("coverage_all", "覆盖率（全部）", "Coverage (all grades)", "ratio",
       "期内被现场检查或非现场监管的企业数 ÷ 筛选范围内企业数（口径同分级覆盖率）",
       "Enterprises visited or remotely monitored in the period ÷ enterprises in the filter (as per grade)"),
    _d("satisfaction", "企业满意度", "Satisfaction", "rating",
       "已评价的已完成检查的评分（1–5）平均值：评分之和 ÷ 已评价检查次数",
       "Mean enterprise rating (1–5) of rated done visits: sum of ratings ÷ rated visits"),
)
BY_KEY: dict[str, MeasureDef] = {d.key: d for d in DEFINITIONS}
MEASURE_KEYS: tuple[str, ...] = tuple(d.key for d in DEFINITIONS)


@dataclass(frozen=True)
class Measure:
    """One figure with what it was computed from, so it can be checked: value = numerator / denominator."""

    key: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: Unit
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "numerator": self.numerator,
                "denominator": self.denominator, "unit": self.unit, "name_zh": self.name_zh,
                "name_en": self.name_en}

    def display(self, lang: str = "zh") -> str:
        """The value as people read it: ``38.5 %``, ``1,176``, ``42 min``, ``4.6``; ``—`` when undefined."""
        return format_value(self.value, self.unit)

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value * 100:.1f} %"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "minutes":
        return f"{value:.0f} min"
    return f"{value:.2f}"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``; None (undefined, shown as —) when the denominator is 0 or missing."""
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def make(key: str, value: float | None, numerator: float | None, denominator: float | None) -> Measure:
    d = BY_KEY[key]
    return Measure(key, value, numerator, denominator, d.unit, d.name_zh, d.name_en, d.definition_zh,
                   d.definition_en)


def _num(row: Mapping[str, Any], name: str) -> float:
    v = row.get(name)
    return float(v) if v is not None else 0.0


def measures_from_counts(visits: Mapping[str, Any], incidents: Mapping[str, Any],
                         coverage: Mapping[str, Any]) -> dict[str, Measure]:
    """Every measure from the three count rows (``measure_visits``, ``measure_incidents``, ``measure_coverage``).

    Missing groups (no rows at all) count as zero; rates with a zero denominator are None.
    """
    out: dict[str, Measure] = {}
    n = _num(visits, "visits")
    for key, col in (("repeat_rate", "repeats"), ("joint_rate", "joint"), ("planned_share", "planned"),
                     ("code_shown_rate", "code_scanned")):
        out[key] = make(key, ratio(_num(visits, col), n), _num(visits, col), n)
    tasks = _num(visits, "tasks")
    out["visits_spared"] = make("visits_spared", tasks - n, tasks, n)
    routine = _num(visits, "routine")
    drawn = _num(visits, "routine_drawn")
    out["random_draw_share"] = make("random_draw_share", ratio(drawn, routine), drawn, routine)
    rated, rating_sum = _num(visits, "rated"), _num(visits, "rating_sum")
    out["satisfaction"] = make("satisfaction", ratio(rating_sum, rated), rating_sum, rated)

    closed, remote = _num(incidents, "closed"), _num(incidents, "remote_closed")
    out["remote_closure_rate"] = make("remote_closure_rate", ratio(remote, closed), remote, closed)
    reached = _num(incidents, "reached")
    med, p90 = incidents.get("response_median_min"), incidents.get("response_p90_min")
    out["response_median_min"] = make("response_median_min", None if med is None else float(med), None, reached)
    out["response_p90_min"] = make("response_p90_min", None if p90 is None else float(p90), None, reached)
    due, in_time = _num(incidents, "sla_due"), _num(incidents, "sla_met")
    out["sla_compliance"] = make("sla_compliance", ratio(in_time, due), in_time, due)

    total_all = covered_all = 0.0
    for g in RISK_GRADES:
        total, covered = _num(coverage, f"ent_{g}"), _num(coverage, f"covered_{g}")
        total_all += total
        covered_all += covered
        out[f"coverage_{g}"] = make(f"coverage_{g}", ratio(covered, total), covered, total)
    out["coverage_all"] = make("coverage_all", ratio(covered_all, total_all), covered_all, total_all)
    return {k: out[k] for k in MEASURE_KEYS}


# -- the filter ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MeasureFilter:
    """What the figures are about. County comes from the caller's ``Scope``; everything else narrows it.

    ``cell`` is an H3 cell (int) of resolution 7, 8 or 9. Dates are Asia/Shanghai calendar dates, inclusive.
    """

    date_from: date
    date_to: date
    township_code: str | None = None
    cell: int | None = None
    department: str | None = None
    industry: str | None = None
    risk: str | None = None

    def __post_init__(self) -> None:
        if self.date_from > self.date_to:
            raise InvalidInput(f"period: from {self.date_from} is after to {self.date_to}")
        if (self.date_to - self.date_from).days > 3 * 366:
            raise InvalidInput("period: at most three years")
        if self.risk is not None and self.risk not in RISK_GRADES:
            raise InvalidInput(f"risk: {self.risk!r} is not one of {', '.join(RISK_GRADES)}")
        if self.township_code is not None and not (len(self.township_code) == 9 and self.township_code.isdigit()):
            raise InvalidInput(f"township: {self.township_code!r} is not a 9-digit township code")
        if self.cell is not None and cell_resolution(self.cell) not in (7, 8, 9):
            raise InvalidInput("cell: only H3 resolutions 7, 8 and 9 are kept")

    @property
    def ts_from(self) -> datetime:
        """Start of ``date_from`` in Asia/Shanghai (inclusive)."""
        return datetime.combine(self.date_from, time(0), SHANGHAI)

    @property
    def ts_to(self) -> datetime:
        """Start of the day after ``date_to`` in Asia/Shanghai (exclusive)."""
        return datetime.combine(self.date_to + timedelta(days=1), time(0), SHANGHAI)

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def narrowed_to(self, township_code: str | None) -> MeasureFilter:
        """This filter limited to a township scope: a township user can only ever see their own township."""
        if township_code is None:
            return self
        if self.township_code not in (None, township_code):
            from geo_data.errors import Forbidden

            raise Forbidden("outside your township")
        return replace(self, township_code=township_code)

    def sql_params(self, county_code: str, *, group_by: str = "none") -> dict[str, Any]:
        """Bound parameters every ``measure_*.sql`` file takes."""
        if group_by not in GROUPS:
            raise InvalidInput(f"group_by: {group_by!r} is not one of {', '.join(GROUPS)}")
        res = cell_resolution(self.cell) if self.cell is not None else None
        return {
            "county_code": county_code, "township_code": self.township_code,
            "date_from": self.date_from, "date_to": self.date_to,
            "ts_from": self.ts_from, "ts_to": self.ts_to,
            "cell_r7": self.cell if res == 7 else None, "cell_r8": self.cell if res == 8 else None,
            "cell_r9": self.cell if res == 9 else None,
            "department": self.department, "industry": self.industry, "risk": self.risk,
            "repeat_days": REPEAT_WINDOW_DAYS, "group_by": group_by,
        }

    def describe(self) -> dict[str, Any]:
        """The filter as plain JSON values (for audit rows, exports and report headers)."""
        return {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
                "township": self.township_code, "cell": None if self.cell is None else format(self.cell, "x"),
                "department": self.department, "industry": self.industry, "risk": self.risk}


def cell_resolution(cell: int) -> int:
    """The H3 resolution of an int cell (bits 52–55 of the index)."""
    return (int(cell) >> 52) & 0xF


def parse_date(value: str | date, field_name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(f"{field_name}: {value!r} is not a date (YYYY-MM-DD)") from exc


def month_period(month: str) -> tuple[date, date]:
    """``'2026-03'`` -> (2026-03-01, 2026-03-31). Raises InvalidInput for anything else."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = date(year, mon, 1)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"month: {month!r} is not YYYY-MM") from exc
    nxt = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def months_back(month_end: date, count: int) -> tuple[date, date]:
    """The ``count`` whole calendar months ending with the month of ``month_end``: (first day, last day)."""
    y, m = month_end.year, month_end.month - (count - 1)
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1), month_period(f"{month_end.year}-{month_end.month:02d}")[1]


# -- pure reference rules (used by tests to check the SQL, and by the coverage view) --------------------------

@dataclass(frozen=True)
class VisitFact:
    """A done visit as the repeat rule sees it."""

    id: int
    enterprise_id: int
    visit_date: date
    departments: frozenset[str] = field(default_factory=frozenset)


def repeat_visit_ids(visits: Iterable[VisitFact], window_days: int = REPEAT_WINDOW_DAYS) -> set[int]:
    """Ids of the visits that are repeat inspections under the rule in the module docstring."""
    by_ent: dict[int, list[VisitFact]] = {}
    for v in visits:
        by_ent.setdefault(v.enterprise_id, []).append(v)
    out: set[int] = set()
    for group in by_ent.values():
        group.sort(key=lambda v: (v.visit_date, v.id))
        for i, v in enumerate(group):
            for w in group[:i]:
                if 0 <= (v.visit_date - w.visit_date).days <= window_days and not v.departments <= w.departments:
                    out.add(v.id)
                    break
    return out


def percentile(values: Sequence[float], q: float) -> float | None:
    """Continuous percentile (as PostgreSQL ``percentile_cont``); None for no values."""
    if not values:
        return None
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def expected_visits(enterprises_by_risk: Mapping[str, float], days: int) -> float:
    """Visits the risk grades warrant over ``days`` days (EXPECTED_VISITS_PER_YEAR pro rata)."""
    return sum(EXPECTED_VISITS_PER_YEAR[g] * float(enterprises_by_risk.get(g, 0) or 0) for g in RISK_GRADES) * days / 365.0


def inspection_class(visits: float, enterprises_by_risk: Mapping[str, float], days: int) -> tuple[float | None, str]:
    """(visits ÷ expected, class): ``over`` when the ratio > 2, ``under`` when < 0.5 with high-risk
    enterprises present, ``ok`` otherwise; ratio None (class ``none``) when nothing is expected."""
    exp = expected_visits(enterprises_by_risk, days)
    if exp <= 0:
        return None, "none"
    r = visits / exp
    if r > OVER_INSPECTED_RATIO:
        return r, "over"
    if r < UNDER_INSPECTED_RATIO and float(enterprises_by_risk.get("high", 0) or 0) > 0:
        return r, "under"
    return r, "ok"


def filter_to_dict(filt: MeasureFilter) -> dict[str, Any]:
    """The filter as JSON-able data (the page's store); ``filter_from_dict`` reads it back, validated."""
    return {"date_from": filt.date_from.isoformat(), "date_to": filt.date_to.isoformat(),
            "township_code": filt.township_code, "cell": filt.cell, "department": filt.department,
            "industry": filt.industry, "risk": filt.risk}


def filter_from_dict(data: Mapping[str, Any]) -> MeasureFilter:
    """A ``MeasureFilter`` from page/URL data; empty strings mean "no filter". Raises InvalidInput."""
    if not isinstance(data, Mapping):
        raise InvalidInput("filter: expected an object")

    def opt(name: str) -> str | None:
        v = data.get(name)
        return None if v in (None, "") else str(v)

    cell = data.get("cell")
    try:
        cell_int = None if cell in (None, "") else (int(cell) if isinstance(cell, int) else int(str(cell), 16))
    except ValueError as exc:
        raise InvalidInput(f"cell: {cell!r} is not an H3 cell") from exc
    return MeasureFilter(parse_date(str(data.get("date_from") or ""), "date_from"),
                         parse_date(str(data.get("date_to") or ""), "date_to"),
                         township_code=opt("township_code"), cell=cell_int, department=opt("department"),
                         industry=opt("industry"), risk=opt("risk"))


def replace_period(filt: MeasureFilter, date_from: date, date_to: date) -> MeasureFilter:
    """The same filter over another period."""
    return replace(filt, date_from=date_from, date_to=date_to)
