"""双随机 draws: reproducible from the seed, stratum proportions as configured, recusal honoured."""

from collections import Counter

import pytest

from enforcement.draws import (
    DrawParams,
    Inspector,
    RegisterEntry,
    draw_inspectors,
    draw_targets,
    register_digest,
    rng_for,
    stratum_counts,
)

RISKS = ("high", "elevated", "general", "low")
CREDITS = ("A", "B", "C", "D")


def register(n: int = 8000) -> list[RegisterEntry]:
    return [RegisterEntry(i, RISKS[i % 4], CREDITS[(i // 4) % 4], "food" if i % 3 else "chem", f"t{i % 2}")
            for i in range(1, n + 1)]


def test_same_seed_same_register_same_result_even_if_register_order_differs() -> None:
    reg = register(2000)
    params = DrawParams(base_rate=0.1)
    a = draw_targets(reg, params, rng_for(42))
    b = draw_targets(list(reversed(reg)), params, rng_for(42))
    c = draw_targets(reg, params, rng_for(43))
    assert a == b and len(a) > 0
    assert {t.enterprise_id for t in a} != {t.enterprise_id for t in c}
    assert register_digest(reg) == register_digest(list(reversed(reg)))


def test_stratum_proportions_within_sampling_error() -> None:
    reg = register(16000)
    params = DrawParams(base_rate=0.05)
    targets = draw_targets(reg, params, rng_for(7))
    sizes = Counter(f"{e.risk}|{e.credit}" for e in reg)
    drawn = Counter("|".join(t.stratum.split("|")[:2]) for t in targets)
    for key, size in sizes.items():
        risk, credit = key.split("|")
        expected = size * params.rate(risk, credit)
        # per fine stratum the count is floor(N r) or +1, so per grade pair the error is at most #strata
        assert abs(drawn[key] - expected) <= 4, (key, drawn[key], expected)
    assert drawn["high|D"] > drawn["low|A"] * 10      # poor credit, high risk drawn far more often
    assert len(stratum_counts(targets)) <= 64


def test_inspectors_two_per_visit_qualified_different_teams_and_recused() -> None:
    reg = register(400)
    targets = draw_targets(reg, DrawParams(base_rate=0.3), rng_for(5))
    pool = [Inspector(i, "market" if i <= 6 else "fire", frozenset({"market"}) if i == 9 else frozenset(),
                      team_id=i % 3) for i in range(1, 11)]
    first = targets[0].enterprise_id
    conflicts = [(1, first), (2, first)]
    last = {first: [3]}
    slots = draw_inspectors(targets, "market", pool, rng_for(5), conflicts=conflicts, last_inspectors=last)
    assert len(slots) == 2 * len(targets)
    by_target: dict[int, list[int | None]] = {}
    for s in slots:
        by_target.setdefault(s.enterprise_id, []).append(s.inspector_id)
    allowed = {1, 2, 3, 4, 5, 6, 9}
    team = {i.id: i.team_id for i in pool}
    for ids in by_target.values():
        assert None not in ids and len(set(ids)) == 2 and set(ids) <= allowed
        assert team[ids[0]] != team[ids[1]]
    assert not set(by_target[first]) & {1, 2, 3}
    again = draw_inspectors(targets, "market", pool, rng_for(5), conflicts=conflicts, last_inspectors=last)
    assert again == slots


def test_empty_slot_is_noted_when_recusal_leaves_nobody() -> None:
    targets = draw_targets(register(10), DrawParams(base_rate=1.0), rng_for(1))
    pool = [Inspector(1, "market")]
    slots = draw_inspectors(targets[:1], "market", pool, rng_for(1))
    assert slots[0].inspector_id == 1 and slots[1].inspector_id is None and "no qualified" in slots[1].note


def test_bad_params_are_refused() -> None:
    with pytest.raises(ValueError):
        DrawParams(base_rate=1.5)
    with pytest.raises(ValueError):
        rng_for(-1)
