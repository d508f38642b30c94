"""Joint-visit merging: overlapping windows merge, disjoint ones stay apart with the reason, saving counts."""

from datetime import date

import pytest

from enforcement.merging import REASON_NOT_OVERLAPPING, Task, lead_department, merge_tasks

P0, P1 = date(2026, 3, 1), date(2026, 3, 31)


def task(i: int, ent: int, dept: str, items: tuple[str, ...], lo: int, hi: int, reason: str = "annual") -> Task:
    return Task(i, ent, dept, items, reason, date(2026, 3, lo), date(2026, 3, hi))


def test_overlapping_windows_of_two_departments_become_one_joint_visit() -> None:
    result = merge_tasks([task(1, 7, "market", ("m1", "m2"), 1, 15), task(2, 7, "fire", ("f1",), 10, 20)],
                         period_start=P0, period_end=P1)
    assert len(result.visits) == 1
    v = result.visits[0]
    assert v.task_ids == (1, 2) and v.is_joint
    assert v.lead_department == "market"            # most items
    assert set(v.items) == {"m1", "m2", "f1"}
    assert (v.earliest, v.latest) == (date(2026, 3, 10), date(2026, 3, 15))  # the intersection
    assert result.saving == 1


def test_non_overlapping_windows_stay_apart_with_the_reason() -> None:
    result = merge_tasks([task(1, 7, "market", ("m1",), 1, 5), task(2, 7, "fire", ("f1",), 20, 25)],
                         period_start=P0, period_end=P1)
    assert len(result.visits) == 2 and result.saving == 0
    assert all(v.apart_reason == REASON_NOT_OVERLAPPING for v in result.visits)
    assert result.visits[0].apart_from == (2,) and result.visits[1].apart_from == (1,)


def test_same_department_twice_merges_into_one_visit_with_items_union() -> None:
    result = merge_tasks([task(1, 3, "ecology", ("e1",), 1, 31), task(2, 3, "ecology", ("e1", "e2"), 5, 6)],
                         period_start=P0, period_end=P1)
    assert len(result.visits) == 1
    assert result.visits[0].items == ("e1", "e2") and result.visits[0].departments == ("ecology",)
    assert result.task_count == 2 and result.saving == 1


def test_pairwise_overlaps_give_the_fewest_visits_each_with_a_common_day() -> None:
    # A∩B and B∩C are non-empty but A∩C is empty: two visits are needed and enough.
    tasks = [task(1, 1, "a", ("a1",), 1, 10), task(2, 1, "b", ("b1",), 8, 20), task(3, 1, "c", ("c1",), 15, 25)]
    result = merge_tasks(tasks, period_start=P0, period_end=P1)
    assert len(result.visits) == 2
    assert sorted(len(v.task_ids) for v in result.visits) == [1, 2]
    for v in result.visits:
        assert v.earliest <= v.latest


def test_different_enterprises_never_merge_and_period_clips_windows() -> None:
    result = merge_tasks([task(1, 1, "a", ("a1",), 1, 10), task(2, 2, "b", ("b1",), 1, 10),
                          Task(3, 1, "b", ("b2",), "annual", date(2026, 2, 1), date(2026, 2, 20)),
                          Task(4, 1, "c", ("c1",), "annual", date(2026, 2, 25), date(2026, 3, 2))],
                         period_start=P0, period_end=P1)
    assert result.outside_period == [3]
    assert [v.enterprise_id for v in result.visits] == [1, 2]
    assert result.visits[0].task_ids == (1, 4) and result.visits[0].latest == date(2026, 3, 2)


def test_lead_department_ties_follow_the_fixed_order() -> None:
    assert lead_department({"fire": 2, "market": 2}, ("market", "fire")) == "market"
    assert lead_department({"fire": 2, "market": 2}, ("fire", "market")) == "fire"
    assert lead_department({"zz": 1, "aa": 1}) == "aa"


def test_bad_period_is_refused() -> None:
    with pytest.raises(ValueError):
        merge_tasks([], period_start=P1, period_end=P0)
