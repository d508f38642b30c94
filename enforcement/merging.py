"""Joint visits (综合查一次 / 进一次门、查多项事): merge the tasks on one enterprise into as few visits as possible.

Algorithm (per enterprise, exact, O(n log n)):
    Each task's window ``[earliest, latest]`` (whole days, clipped to the planning period) is an interval. A set
    of tasks can share one visit exactly when their windows have a common day, i.e. when all of them contain
    one day ``p``. Finding the fewest visits is the interval *piercing* problem, solved optimally by the greedy
    sweep: sort by ``latest``; take ``p`` = the smallest ``latest`` not yet covered; every remaining task whose
    window contains ``p`` joins that visit; repeat. Windows that only overlap pairwise (A∩B, B∩C but not A∩C)
    are therefore split into the fewest visits, each with a non-empty common window (the intersection).

Same department twice on one enterprise: merged like any other pair (one visit, union of items, both tasks
counted as carried out); visiting the same enterprise twice for one department would be the kind of repeat
inspection this reform removes.

Lead department: the department with the most items in the visit; ties go to the department that comes first
in ``department_order`` (default: alphabetical department code), so the choice is deterministic.

Tasks that cannot share a day with another task on the same enterprise stay in a visit of their own, which
carries the reason (``窗口不重叠 windows do not overlap``) and the ids of the tasks it could not join.

Saving (减少干扰户次) = department tasks − enterprise visits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

REASONS = ("annual", "random", "special", "complaint", "alert")
REASON_NOT_OVERLAPPING = "窗口不重叠 windows do not overlap"


@dataclass(frozen=True)
class Task:
    """A department's filed inspection task on one enterprise; the window is inclusive whole days."""

    id: int
    enterprise_id: int
    department: str
    items: tuple[str, ...]
    reason: str
    earliest: date
    latest: date


@dataclass(frozen=True)
class ProposedVisit:
    """One enterprise visit proposed for the plan: the union of its tasks' items, their common window."""

    enterprise_id: int
    lead_department: str
    departments: tuple[str, ...]
    items: tuple[str, ...]
    task_ids: tuple[int, ...]
    reasons: tuple[str, ...]
    earliest: date
    latest: date
    apart_reason: str = ""
    apart_from: tuple[int, ...] = field(default=())

    @property
    def is_joint(self) -> bool:
        """Covers items of two or more departments (联合检查)."""
        return len(self.departments) >= 2


@dataclass(frozen=True)
class MergeResult:
    visits: list[ProposedVisit]
    outside_period: list[int]
    """Tasks whose window does not touch the planning period (left for another plan)."""

    @property
    def task_count(self) -> int:
        return sum(len(v.task_ids) for v in self.visits)

    @property
    def saving(self) -> int:
        """减少干扰户次: department tasks − enterprise visits."""
        return self.task_count - len(self.visits)


def lead_department(items_by_department: dict[str, int], department_order: Sequence[str] = ()) -> str:
    """The department with most items; ties by ``department_order`` (then alphabetical code)."""
    rank = {code: i for i, code in enumerate(department_order)}
    return min(items_by_department, key=lambda d: (-items_by_department[d], rank.get(d, len(rank)), d))


def _visit_of(tasks: Sequence[Task], department_order: Sequence[str]) -> ProposedVisit:
    items: dict[str, None] = {}
    per_department: dict[str, set[str]] = defaultdict(set)
    for task in sorted(tasks, key=lambda t: t.id):
        for item in task.items:
            items.setdefault(item, None)
            per_department[task.department].add(item)
    counts = {d: len(v) for d, v in per_department.items()}
    lead = lead_department(counts, department_order)
    rank = {code: i for i, code in enumerate(department_order)}
    departments = tuple(sorted(counts, key=lambda d: (d != lead, rank.get(d, len(rank)), d)))
    reasons = tuple(r for r in REASONS if any(t.reason == r for t in tasks))
    return ProposedVisit(
        enterprise_id=tasks[0].enterprise_id,
        lead_department=lead,
        departments=departments,
        items=tuple(items),
        task_ids=tuple(sorted(t.id for t in tasks)),
        reasons=reasons,
        earliest=max(t.earliest for t in tasks),
        latest=min(t.latest for t in tasks),
    )


def partition_enterprise(tasks: Sequence[Task], department_order: Sequence[str] = ()) -> list[ProposedVisit]:
    """The fewest visits covering one enterprise's tasks (greedy piercing, optimal); see the module doc."""
    remaining = sorted(tasks, key=lambda t: (t.latest, t.earliest, t.id))
    groups: list[list[Task]] = []
    while remaining:
        pierce = remaining[0].latest
        groups.append([t for t in remaining if t.earliest <= pierce])
        remaining = [t for t in remaining if t.earliest > pierce]
    visits = [_visit_of(g, department_order) for g in groups]
    if len(visits) > 1:
        visits = [
            _with_apart(v, tuple(sorted(i for o in visits if o is not v for i in o.task_ids))) for v in visits
        ]
    return visits


def _with_apart(visit: ProposedVisit, others: tuple[int, ...]) -> ProposedVisit:
    return ProposedVisit(**{**visit.__dict__, "apart_reason": REASON_NOT_OVERLAPPING, "apart_from": others})


def merge_tasks(
    tasks: Iterable[Task], *, period_start: date, period_end: date, department_order: Sequence[str] = ()
) -> MergeResult:
    """Merge the tasks of a planning period into enterprise visits.

    Windows are clipped to ``[period_start, period_end]``; tasks whose window misses the period are returned
    in ``outside_period``. Visits come out ordered by enterprise id, then window.
    """
    if period_end < period_start:
        raise ValueError("period ends before it starts")
    by_enterprise: dict[int, list[Task]] = defaultdict(list)
    outside: list[int] = []
    for task in tasks:
        if task.earliest > task.latest:
            raise ValueError(f"task {task.id}: earliest after latest")
        lo, hi = max(task.earliest, period_start), min(task.latest, period_end)
        if lo > hi:
            outside.append(task.id)
            continue
        clipped = task if (lo, hi) == (task.earliest, task.latest) else Task(
            task.id, task.enterprise_id, task.department, task.items, task.reason, lo, hi)
        by_enterprise[task.enterprise_id].append(clipped)
    visits: list[ProposedVisit] = []
    for enterprise_id in sorted(by_enterprise):
        visits.extend(partition_enterprise(by_enterprise[enterprise_id], department_order))
    return MergeResult(visits=visits, outside_period=sorted(outside))
