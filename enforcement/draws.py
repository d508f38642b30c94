"""双随机、一公开: draw inspection targets from the register and inspectors for each target, reproducibly.

Reproducibility: every random number comes from ``numpy.random.Generator(PCG64(seed))``, consumed in a fixed
order. The caller hands the register in canonical order (``ORDER BY id``) and this module sorts it again by
id and the strata by key, so the same seed and the same register always give the same targets and
inspectors; a different seed gives a different draw. ``register_digest`` fingerprints the register so a
published draw can be re-checked against the data it was drawn from.

Targets: the register is stratified by risk × credit × industry × township. Each stratum's proportion is
``base_rate × risk_factor[risk] × credit_factor[credit]`` (capped at ``max_rate``): higher for high risk and
poor credit. From a stratum of ``N`` enterprises at rate ``r`` the draw takes ``floor(N·r)`` plus one more
with probability ``frac(N·r)`` (so the expected count is exactly ``N·r``), chosen without replacement.

Inspectors: for each target, in drawing order, ``per_visit`` (default two) inspectors are drawn from the
pool qualified for the department (own department or the department among their qualifications), leaving out
recusals: the conflict list (``inspector_conflicts``) and the inspectors of the enterprise's last inspection.
The second and later inspectors come from a team other than the first one's when the pool allows it, and
among the eligible the least-loaded in this draw are preferred so work spreads evenly. A slot that cannot
be filled stays empty with a note.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from numpy.random import PCG64, Generator

ALGORITHM = "gridcommand-draw-v1"

DEFAULT_RISK_FACTOR = {"high": 3.0, "elevated": 2.0, "general": 1.0, "low": 0.5}
DEFAULT_CREDIT_FACTOR = {"A": 0.5, "B": 1.0, "C": 1.5, "D": 2.5}
STRATA_FIELDS = ("risk", "credit", "industry", "township")


@dataclass(frozen=True)
class RegisterEntry:
    enterprise_id: int
    risk: str
    credit: str
    industry: str
    township: str


@dataclass(frozen=True)
class DrawParams:
    """How many to draw per stratum. ``base_rate`` is the share drawn from a general-risk, B-credit stratum."""

    base_rate: float = 0.05
    risk_factor: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_RISK_FACTOR))
    credit_factor: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_CREDIT_FACTOR))
    max_rate: float = 1.0
    per_visit: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.base_rate <= 1.0:
            raise ValueError("base_rate must be within 0..1")
        if not 0.0 < self.max_rate <= 1.0:
            raise ValueError("max_rate must be within (0, 1]")
        if not 1 <= self.per_visit <= 4:
            raise ValueError("per_visit must be 1..4")
        if any(v < 0 for v in [*self.risk_factor.values(), *self.credit_factor.values()]):
            raise ValueError("factors must not be negative")

    def rate(self, risk: str, credit: str) -> float:
        """The proportion drawn from a stratum with these grades."""
        r = self.base_rate * self.risk_factor.get(risk, 1.0) * self.credit_factor.get(credit, 1.0)
        return min(self.max_rate, r)

    def as_dict(self) -> dict[str, object]:
        return {"algorithm": ALGORITHM, "base_rate": self.base_rate, "risk_factor": dict(self.risk_factor),
                "credit_factor": dict(self.credit_factor), "max_rate": self.max_rate,
                "per_visit": self.per_visit, "strata": list(STRATA_FIELDS)}


@dataclass(frozen=True)
class DrawnTarget:
    enterprise_id: int
    stratum: str
    position: int


@dataclass(frozen=True)
class Inspector:
    id: int
    department: str
    qualifications: frozenset[str] = frozenset()
    team_id: int | None = None

    def qualified_for(self, department: str) -> bool:
        return self.department == department or department in self.qualifications


@dataclass(frozen=True)
class InspectorSlot:
    enterprise_id: int
    slot: int
    inspector_id: int | None
    note: str = ""


def stratum_key(entry: RegisterEntry) -> str:
    return f"{entry.risk}|{entry.credit}|{entry.industry}|{entry.township}"


def register_digest(register: Iterable[RegisterEntry]) -> str:
    """SHA-256 over the canonical register (id order, with each entry's stratum)."""
    h = hashlib.sha256()
    for entry in sorted(register, key=lambda e: e.enterprise_id):
        h.update(f"{entry.enterprise_id}:{stratum_key(entry)}\n".encode())
    return h.hexdigest()


def rng_for(seed: int) -> Generator:
    if seed < 0:
        raise ValueError("seed must be non-negative")
    return Generator(PCG64(seed))


def draw_targets(register: Sequence[RegisterEntry], params: DrawParams, rng: Generator) -> list[DrawnTarget]:
    """Stratified draw without replacement; targets in drawing order (strata by key, then draw order)."""
    strata: dict[str, list[RegisterEntry]] = defaultdict(list)
    for entry in sorted(register, key=lambda e: e.enterprise_id):
        strata[stratum_key(entry)].append(entry)
    targets: list[DrawnTarget] = []
    for key in sorted(strata):
        members = strata[key]
        expected = len(members) * params.rate(members[0].risk, members[0].credit)
        count = math.floor(expected)
        if rng.random() < expected - count:
            count += 1
        count = min(count, len(members))
        if count == 0:
            continue
        chosen = rng.choice(len(members), size=count, replace=False)
        for i in chosen:
            targets.append(DrawnTarget(members[int(i)].enterprise_id, key, len(targets) + 1))
    return targets


def draw_inspectors(
    targets: Sequence[DrawnTarget],
    department: str,
    pool: Sequence[Inspector],
    rng: Generator,
    *,
    per_visit: int = 2,
    conflicts: Iterable[tuple[int, int]] = (),
    last_inspectors: Mapping[int, Iterable[int]] | None = None,
) -> list[InspectorSlot]:
    """``per_visit`` inspectors per target (see module doc); ``conflicts`` are (inspector_id, enterprise_id)."""
    qualified = sorted((i for i in pool if i.qualified_for(department)), key=lambda i: i.id)
    barred: dict[int, set[int]] = defaultdict(set)
    for inspector_id, enterprise_id in conflicts:
        barred[enterprise_id].add(inspector_id)
    for enterprise_id, ids in (last_inspectors or {}).items():
        barred[enterprise_id].update(ids)
    load: dict[int, int] = defaultdict(int)
    slots: list[InspectorSlot] = []
    for target in targets:
        eligible = [i for i in qualified if i.id not in barred[target.enterprise_id]]
        picked: list[Inspector] = []
        for slot in range(1, per_visit + 1):
            options = [i for i in eligible if i not in picked]
            if picked:
                other_team = [i for i in options if i.team_id is None or i.team_id != picked[0].team_id]
                options = other_team or options
            if not options:
                note = "无可回避后的合格执法人员 no qualified inspector left after recusal"
                slots.append(InspectorSlot(target.enterprise_id, slot, None, note))
                continue
            least = min(load[i.id] for i in options)
            options = [i for i in options if load[i.id] == least]
            choice = options[int(rng.integers(len(options)))]
            picked.append(choice)
            load[choice.id] += 1
            slots.append(InspectorSlot(target.enterprise_id, slot, choice.id))
    return slots


def stratum_counts(targets: Sequence[DrawnTarget]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for t in targets:
        counts[t.stratum] += 1
    return dict(counts)
