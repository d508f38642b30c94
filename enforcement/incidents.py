"""Incident de-duplication rules (pure): which alerts are the same thing.

An alert joins an open incident when it has the same type, its H3 res-9 cell lies within the type's ring
(grid distance) of the incident's cell, and its observation time lies within the type's window of the
incident's [first_seen, last_seen]. Among several candidates the nearest cell wins, then the latest seen.
Otherwise the alert opens a new incident anchored at its own cell; later alerts of the same batch may join it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SEVERITIES = ("low", "medium", "high", "urgent")
_SEV_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def max_severity(a: str, b: str) -> str:
    """The more severe of two severities (low < medium < high < urgent)."""
    return a if _SEV_RANK[a] >= _SEV_RANK[b] else b


def severity_rank(s: str) -> int:
    return _SEV_RANK[s]


@dataclass(frozen=True)
class TypeRule:
    """The de-duplication part of an alert type: res-9 ring (grid steps) and time window (minutes)."""

    code: str
    ring: int
    window_minutes: int


@dataclass(frozen=True)
class AlertFact:
    """A freshly stored alert, as the rule sees it; ``key`` is the caller's handle (e.g. the alert id)."""

    key: int
    type_code: str
    h3_r9: int
    observed_at: datetime
    severity: str
    source: str


@dataclass
class IncidentState:
    """An incident being matched: ``id`` is None for one opened by this run (``new_no`` numbers those)."""

    id: int | None
    type_code: str
    h3_r9: int
    first_seen: datetime
    last_seen: datetime
    severity: str
    alert_count: int
    sources: list[str]
    new_no: int | None = None
    anchor_key: int | None = None          # the alert that opened it (new incidents)
    joined: list[int] = field(default_factory=list)   # alert keys added by this run
    changed: bool = False


@dataclass
class MatchResult:
    """Incidents touched by a run: updated existing ones and newly opened ones (in opening order)."""

    updated: list[IncidentState]
    opened: list[IncidentState]
    incident_of: dict[int, IncidentState]  # alert key -> its incident


def match_alerts(alerts: Iterable[AlertFact], open_incidents: Iterable[IncidentState],
                 rules: dict[str, TypeRule], disk: Callable[[int, int], Sequence[int]]) -> MatchResult:
    """Assign each alert (taken in observation order) to an incident, opening new ones as needed.

    ``disk(cell, k)`` returns the res-9 cells within ``k`` grid steps of ``cell`` ordered by distance
    (itself first). Existing incidents are updated in place (count, sources, first/last seen, max severity).
    """
    by_cell: dict[str, dict[int, list[IncidentState]]] = {}  # type -> res-9 cell -> incidents there
    for inc in open_incidents:
        by_cell.setdefault(inc.type_code, {}).setdefault(inc.h3_r9, []).append(inc)
    opened: list[IncidentState] = []
    incident_of: dict[int, IncidentState] = {}
    windows = {code: timedelta(minutes=r.window_minutes) for code, r in rules.items()}
    # Sorted by epoch seconds: comparing aware datetimes asks both for their UTC offset every time.
    for a in sorted(alerts, key=lambda x: (x.observed_at.timestamp(), x.key)):
        cells = by_cell.setdefault(a.type_code, {})
        window = windows[a.type_code]
        best: IncidentState | None = None
        # The disk's cells that hold incidents of this type, nearest first (most disk cells hold none).
        for incs in [hit for cell in disk(a.h3_r9, rules[a.type_code].ring) if (hit := cells.get(cell))]:
            for inc in incs:
                if inc.first_seen - window <= a.observed_at <= inc.last_seen + window and (
                        best is None or inc.last_seen > best.last_seen):
                    best = inc
            if best is not None:
                break  # the nearest cell with a candidate wins
        if best is None:
            best = IncidentState(id=None, type_code=a.type_code, h3_r9=a.h3_r9, first_seen=a.observed_at,
                                 last_seen=a.observed_at, severity=a.severity, alert_count=1, sources=[a.source],
                                 new_no=len(opened), anchor_key=a.key, joined=[a.key], changed=True)
            opened.append(best)
            cells.setdefault(a.h3_r9, []).append(best)
        else:
            best.alert_count += 1
            best.first_seen = min(best.first_seen, a.observed_at)
            best.last_seen = max(best.last_seen, a.observed_at)
            best.severity = max_severity(best.severity, a.severity)
            if a.source not in best.sources:
                best.sources.append(a.source)
            best.joined.append(a.key)
            best.changed = True
        incident_of[a.key] = best
    updated = [inc for cells in by_cell.values() for incs in cells.values() for inc in incs
               if inc.id is not None and inc.changed]
    return MatchResult(updated=updated, opened=opened, incident_of=incident_of)


def sla_minutes(sla: dict[str, int], severity: str) -> int:
    """Minutes to on-site for ``severity`` from a type's SLA table (falls back to the strictest known)."""
    if severity in sla:
        return int(sla[severity])
    return int(min(sla.values())) if sla else 60
