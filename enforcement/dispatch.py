"""The rules of dispatch (pure): the workflow's steps, who may direct which team, and team recommendation.

Workflow: assigned -> accepted -> en_route -> on_site -> resolved -> closed (``FLOW``), never backwards;
cancelled ends the active dispatch and reopens the incident. A field inspector sets only ``FIELD_STEPS``.

Recommendation: rank available, qualified teams and say why.

Order: first the incident's own township, then neighbouring townships, then the rest of the county (tiers);
within a tier by a score in minutes: travel time + a penalty per dispatch already given today (and per planned
visit today), minus a piggy-back bonus when the team has a planned visit nearby today, plus a small penalty
for a team already out on other work. Ties go to the smaller ETA, then the team id (stable).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ACTIVE = ("assigned", "accepted", "en_route", "on_site")
FLOW = ("assigned", "accepted", "en_route", "on_site", "resolved", "closed")
STATUS_CHANGES = ("accepted", "en_route", "on_site", "resolved", "closed", "cancelled")
FIELD_STEPS = ("accepted", "en_route", "on_site", "resolved")  # what a team member may set from the field
TEAM_STATUS_FOR = {"assigned": "out", "accepted": "out", "en_route": "en_route", "on_site": "on_site"}

TIERS = {"same": 0, "neighbour": 1, "county": 2}
_REL_ZH = {"same": "同乡镇", "neighbour": "邻近乡镇", "county": "县级统筹"}
_REL_EN = {"same": "same township", "neighbour": "neighbouring township", "county": "county-wide"}
_STATUS_ZH = {"idle": "空闲", "out": "出勤中"}
_STATUS_EN = {"idle": "idle", "out": "out on duty"}


def may_direct(dispatcher_township: str | None, team_township: str | None) -> bool:
    """A township dispatcher (``dispatcher_township``) directs own-township teams and county squads (no
    township); neighbours' teams are sent by the county centre. County-wide dispatchers (None) direct every team
    of the county, which is how spill-over happens."""
    return dispatcher_township is None or team_township in (None, dispatcher_township)


def step_refusal(status: str, *, field: bool) -> str | None:
    """Why ``status`` is not a change a caller may ask for (None when it is): unknown, or not a field step for an
    inspector (``field``) — the command centre closes and cancels."""
    if status not in STATUS_CHANGES:
        return f"status: must be one of {', '.join(STATUS_CHANGES)}"
    if field and status not in FIELD_STEPS:
        return f"an inspector may not set {status}: the command centre does"
    return None


def moves_forward(current: str, wanted: str) -> bool:
    """Whether a dispatch at ``current`` may step to ``wanted`` (both in ``FLOW``): only forward."""
    return FLOW.index(wanted) > FLOW.index(current)


@dataclass(frozen=True)
class Candidate:
    """A team that could go: where it stands relative to the incident and how busy it is today."""

    team_id: int
    name: str
    relation: str              # same | neighbour | county
    status: str                # idle | out
    eta_minutes: float
    distance_m: float
    dispatches_today: int = 0
    planned_today: int = 0
    nearest_planned_m: float | None = None
    township_code: str | None = None
    township_name: str | None = None


@dataclass(frozen=True)
class RankWeights:
    per_dispatch_today_min: float = 10.0
    per_planned_visit_min: float = 3.0
    piggyback_bonus_min: float = 15.0
    piggyback_km: float = 2.0
    out_penalty_min: float = 5.0


@dataclass(frozen=True)
class Recommendation:
    rank: int
    team_id: int
    name: str
    relation: str
    status: str
    eta_minutes: float
    distance_m: float
    score: float
    piggyback: bool
    dispatches_today: int
    reasons_zh: str
    reasons_en: str
    township_code: str | None = None
    township_name: str | None = None


def _reasons(c: Candidate, piggyback: bool) -> tuple[str, str]:
    eta = max(1, round(c.eta_minutes))
    zh = [_REL_ZH[c.relation], _STATUS_ZH.get(c.status, c.status), f"约 {eta} 分钟",
          f"今日已派 {c.dispatches_today} 单"]
    en = [_REL_EN[c.relation], _STATUS_EN.get(c.status, c.status), f"~{eta} min",
          f"{c.dispatches_today} dispatched today"]
    if piggyback and c.nearest_planned_m is not None:
        km = c.nearest_planned_m / 1000.0
        zh.append(f"今日计划检查距此 {km:.1f} km，可顺路")
        en.append(f"planned visit {km:.1f} km away today (piggy-back)")
    return " · ".join(zh), " · ".join(en)


def rank_teams(candidates: Iterable[Candidate], weights: RankWeights = RankWeights(),
               limit: int = 10) -> list[Recommendation]:
    """The best ``limit`` teams in recommendation order, each with reasons in Chinese and English."""
    scored = []
    for c in candidates:
        piggyback = c.nearest_planned_m is not None and c.nearest_planned_m <= weights.piggyback_km * 1000.0
        score = (c.eta_minutes + weights.per_dispatch_today_min * c.dispatches_today
                 + weights.per_planned_visit_min * c.planned_today
                 + (weights.out_penalty_min if c.status == "out" else 0.0)
                 - (weights.piggyback_bonus_min if piggyback else 0.0))
        scored.append((TIERS.get(c.relation, 3), score, c.eta_minutes, c.team_id, c, piggyback))
    scored.sort(key=lambda t: t[:4])
    out = []
    for i, (_tier, score, _eta, _id, c, piggyback) in enumerate(scored[:limit], start=1):
        zh, en = _reasons(c, piggyback)
        out.append(Recommendation(rank=i, team_id=c.team_id, name=c.name, relation=c.relation, status=c.status,
                                  eta_minutes=round(c.eta_minutes, 1), distance_m=round(c.distance_m),
                                  score=round(score, 2), piggyback=piggyback,
                                  dispatches_today=c.dispatches_today, reasons_zh=zh, reasons_en=en,
                                  township_code=c.township_code, township_name=c.township_name))
    return out
