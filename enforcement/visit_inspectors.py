"""Who inspects a visit (the names on its sheet and on the enterprise's page): the visit's own inspectors.

Drawn inspectors (双随机) when the visit's tasks came from a draw; otherwise, from the active members of the
visit's team and of its joint crew, for each department the visit covers (lead department first) the first
member qualified for it — own department or a listed qualification, the visit's own team before the crew, then
by id — and at least two in all (administrative inspections are made by no fewer than two enforcement officers,
行政处罚法 第四十二条), topped up from the team in the same order. Never the whole team just because it is the team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_INSPECTORS = 2


@dataclass(frozen=True)
class Member:
    id: int
    team_id: int
    department: str
    qualifications: tuple[str, ...] = ()

    def qualified(self, department: str) -> bool:
        return self.department == department or department in self.qualifications


def visit_inspectors(*, lead_department: str, departments: Sequence[str], team_id: int | None,
                     members: Sequence[Member], drawn: Sequence[int] = ()) -> list[int]:
    """Inspector ids for one visit (see the module docstring), in the order they are named."""
    if drawn:
        return sorted(set(drawn))
    ordered = sorted(members, key=lambda m: (m.team_id != team_id, m.id))
    chosen: list[int] = []
    for dept in [lead_department, *(d for d in departments if d != lead_department)]:
        pick = next((m for m in ordered if m.id not in chosen and m.qualified(dept)), None)
        if pick is not None:
            chosen.append(pick.id)
    for m in ordered:
        if len(chosen) >= MIN_INSPECTORS:
            break
        if m.id not in chosen:
            chosen.append(m.id)
    return chosen
