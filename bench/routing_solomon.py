"""Routing quality on the 56 Solomon VRPTW instances: cost vs best known distance, per instance and class.

    python bench/routing_solomon.py [--instances DIR] [--time-limit S] [--only C101,R201] [--seed N]

Each solution is checked in double precision (fleet, capacity, time windows, each customer exactly once).
The objective is total distance with the given fleet, so the gap is taken against the distance-minimising
best known solutions (``<name>_distance`` in ``BKS.json``; see ``docs/routing.md``). The last line is
``RESULT solomon_avg_gap_pct=<mean gap over the instances run> %``; the exit status is 1 if any solution
is infeasible.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(ROOT))

from enforcement.routing import check_solomon_solution, read_solomon, solve_solomon  # noqa: E402

DEFAULT_INSTANCES = ROOT.parent / "shared/data/solomon"
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")


def instance_class(name: str) -> str:
    """``RC105`` -> ``RC1``."""
    match = re.match(r"^(RC|R|C)(\d)", name.upper())
    if match is None:
        raise ValueError(f"not a Solomon instance name: {name}")
    return match.group(1) + match.group(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--instances", type=Path, default=DEFAULT_INSTANCES, help="folder of *.txt and BKS.json"
    )
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds per instance (whole solve)")
    parser.add_argument("--only", default="", help="comma-separated instance names, e.g. C101,R201")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    bks = json.loads((args.instances / "BKS.json").read_text(encoding="utf-8"))
    paths = sorted(args.instances.glob("*.txt"), key=lambda p: (instance_class(p.stem), p.stem))
    if args.only:
        wanted = {name.strip().upper() for name in args.only.split(",") if name.strip()}
        paths = [p for p in paths if p.stem.upper() in wanted]
        unknown = wanted - {p.stem.upper() for p in paths}
        if unknown:
            parser.error(f"no such instance(s): {', '.join(sorted(unknown))}")

    print(f"# {len(paths)} instances, {args.time_limit:g} s each, seed {args.seed}")
    print(
        f"{'instance':<8} {'cost':>9} {'BKS':>9} {'gap %':>7} {'veh':>4} {'BKSveh':>6} {'time s':>6}  check"
    )
    gaps: dict[str, list[float]] = {c: [] for c in CLASSES}
    infeasible = 0
    for path in paths:
        instance = read_solomon(path)
        best = bks[f"{path.stem}_distance"]
        started = time.perf_counter()
        routes, cost = solve_solomon(instance, args.time_limit, seed=args.seed)
        elapsed = time.perf_counter() - started
        problems = check_solomon_solution(instance, routes)
        infeasible += bool(problems)
        gap = 100.0 * (cost - best["best_known_cost"]) / best["best_known_cost"]
        gaps[instance_class(path.stem)].append(gap)
        verdict = "ok" if not problems else "INFEASIBLE: " + "; ".join(problems[:3])
        print(
            f"{path.stem:<8} {cost:>9.2f} {best['best_known_cost']:>9.2f} {gap:>7.2f} {len(routes):>4} "
            f"{best.get('solved_with_vehicles', '?'):>6} {elapsed:>6.2f}  {verdict}",
            flush=True,
        )

    print("# per class: mean gap %")
    for cls in CLASSES:
        if gaps[cls]:
            print(f"{cls:<4} n={len(gaps[cls]):>2} avg_gap={sum(gaps[cls]) / len(gaps[cls]):.3f} %")
    every = [g for values in gaps.values() for g in values]
    if infeasible:
        print(f"# {infeasible} infeasible solution(s)")
    average = sum(every) / len(every) if every else float("nan")
    print(f"RESULT solomon_avg_gap_pct={average:.3f} %")
    return 1 if infeasible else 0


if __name__ == "__main__":
    raise SystemExit(main())
