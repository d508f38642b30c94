"""无事不扰: per-enterprise quotas of on-site visits per calendar year, and the no-visit list.

The quota matrix maps (risk grade, credit grade) to the most on-site visits per enterprise per year; it is
stored in ``quota_matrix`` (defaults below, a county may override cells). Enterprises on the no-visit list
(``enterprises.no_visit``: low risk, good credit) get remote supervision only.

A proposed visit breaks the quota when the enterprise's visits already made this year, plus those already
planned (other approved plans), plus the earlier visits of this plan, reach the maximum. Such a visit is
*held* with the reason and an alternative:

* ``merge``  — another visit to the same enterprise is in the plan: move this task's window to join it;
* ``remote`` — check remotely (非现场检查: documents, video, sensors) instead of on site;
* ``later``  — wait for the next quota year (from 1 January).

A visit triggered by a complaint or an alert (投诉/告警) may exceed the quota or the no-visit list: it stays in
the plan and is recorded as ``exceeded_allowed``. A joint visit counts once: that is the point of merging.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

URGENT_REASONS = frozenset({"complaint", "alert"})

DEFAULT_MATRIX: dict[tuple[str, str], int] = {
    ("high", "A"): 2, ("high", "B"): 3, ("high", "C"): 4, ("high", "D"): 6,
    ("elevated", "A"): 1, ("elevated", "B"): 2, ("elevated", "C"): 3, ("elevated", "D"): 4,
    ("general", "A"): 1, ("general", "B"): 1, ("general", "C"): 2, ("general", "D"): 3,
    ("low", "A"): 0, ("low", "B"): 1, ("low", "C"): 1, ("low", "D"): 2,
}
"""Default visits per year (mirrors migration 300); high risk × poor credit most, low × A none."""


@dataclass(frozen=True)
class EnterpriseStanding:
    """What the quota depends on: grades, no-visit list, visits already made/planned this year."""

    risk: str
    credit: str
    no_visit: bool = False
    visits_this_year: int = 0


@dataclass(frozen=True)
class QuotaVisit:
    """A proposed visit as the quota check sees it (``key`` identifies it in the caller's list)."""

    key: int
    enterprise_id: int
    earliest: date
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class QuotaFlag:
    key: int
    held: bool
    """True: not routed unless the planner accepts it; False with ``exceeded_allowed``: kept, recorded."""
    reason: str
    alternative: str
    alternative_text: str
    exceeded_allowed: bool = False


def quota_reason(standing: EnterpriseStanding, limit: int, used: int) -> str:
    grade = f"{standing.risk}×{standing.credit}"
    return f"配额已满 quota reached: {used}/{limit} on-site visits this year ({grade})"


def check_quotas(
    visits: Sequence[QuotaVisit],
    standings: Mapping[int, EnterpriseStanding],
    matrix: Mapping[tuple[str, str], int] = DEFAULT_MATRIX,
) -> dict[int, QuotaFlag]:
    """Flags for the visits that break a quota or the no-visit list (visits not flagged are fine).

    Visits of one enterprise are taken in window order, each one counting against the quota whether held
    or not only if kept (held visits do not use the quota).
    """
    by_enterprise: dict[int, list[QuotaVisit]] = defaultdict(list)
    for visit in visits:
        by_enterprise[visit.enterprise_id].append(visit)
    flags: dict[int, QuotaFlag] = {}
    for enterprise_id, own in by_enterprise.items():
        standing = standings[enterprise_id]
        limit = int(matrix.get((standing.risk, standing.credit), 0))
        used = standing.visits_this_year
        own = sorted(own, key=lambda v: (v.earliest, v.key))
        kept_keys: list[int] = []
        for visit in own:
            urgent = bool(URGENT_REASONS & set(visit.reasons))
            if standing.no_visit:
                reason = "无事不扰名单 no-visit list: remote supervision only"
            elif used >= limit:
                reason = quota_reason(standing, limit, used)
            else:
                used += 1
                kept_keys.append(visit.key)
                continue
            if urgent:
                used += 1
                kept_keys.append(visit.key)
                flags[visit.key] = QuotaFlag(
                    visit.key, False, f"{reason}; 投诉/告警触发可超配额 complaint/alert may exceed it",
                    "", "", exceeded_allowed=True)
                continue
            flags[visit.key] = _held(visit, reason, standing, limit, kept_keys)
    return flags


def _held(visit: QuotaVisit, reason: str, standing: EnterpriseStanding, limit: int,
          kept_keys: list[int]) -> QuotaFlag:
    if kept_keys and not standing.no_visit:
        return QuotaFlag(visit.key, True, reason, "merge",
                         f"并入同企业的检查 merge into the enterprise's visit #{kept_keys[-1]} (move the window)")
    if standing.no_visit or limit == 0:
        return QuotaFlag(visit.key, True, reason, "remote", "非现场检查 remote check instead of a visit")
    next_year = date(visit.earliest.year + 1, 1, 1)
    return QuotaFlag(visit.key, True, reason, "later",
                     f"非现场检查或顺延 remote check, or a later window from {next_year.isoformat()}")
