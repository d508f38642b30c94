"""The visit's own inspectors: drawn ones, else one qualified member per department, at least two."""

from __future__ import annotations

from enforcement.visit_inspectors import Member, visit_inspectors

TEAM = [Member(11, 1, "market"), Member(12, 1, "market"), Member(13, 1, "city", ("market",)),
        Member(14, 1, "env"), Member(15, 1, "city")]
CREW = [Member(21, 2, "fire"), Member(22, 2, "fire")]


def test_drawn_inspectors_win() -> None:
    assert visit_inspectors(lead_department="market", departments=["market"], team_id=1, members=TEAM,
                            drawn=[14, 12, 14]) == [12, 14]


def test_single_department_visit_names_two_not_the_whole_team() -> None:
    assert visit_inspectors(lead_department="market", departments=["market"], team_id=1, members=TEAM) == [11, 12]


def test_joint_visit_one_per_department_lead_first_crew_after_team() -> None:
    got = visit_inspectors(lead_department="env", departments=["market", "env", "fire"], team_id=1,
                           members=CREW + TEAM)
    assert got == [14, 11, 21]


def test_qualification_counts_and_top_up_from_the_team() -> None:
    only = [Member(13, 1, "city", ("market",)), Member(15, 1, "city")]
    assert visit_inspectors(lead_department="market", departments=["market"], team_id=1, members=only) == [13, 15]
    assert visit_inspectors(lead_department="market", departments=["market"], team_id=1, members=[]) == []
