"""The incident de-duplication rule (pure) against a brute-force statement of it, on random alerts and open
incidents around one real H3 cell."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3_int
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.incidents import AlertFact, IncidentState, TypeRule, match_alerts
from geo_data.alerts import _disk_by_distance

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=SH)
BASE = int(h3_int.latlng_to_cell(29.08, 119.65, 9))
CELLS = sorted(h3_int.grid_disk(BASE, 3))
RULES = {"a": TypeRule("a", 1, 30), "b": TypeRule("b", 2, 90), "c": TypeRule("c", 0, 10)}
SEVERITIES = ["low", "medium", "high", "urgent"]

incident_st = st.tuples(st.sampled_from(sorted(RULES)), st.sampled_from(CELLS), st.integers(0, 300),
                        st.integers(0, 60), st.sampled_from(SEVERITIES))
alert_st = st.tuples(st.sampled_from(sorted(RULES)), st.sampled_from(CELLS), st.integers(0, 400),
                     st.sampled_from(SEVERITIES), st.sampled_from(["s1", "s2"]))


def _incidents(spec: list[tuple[str, int, int, int, str]]) -> list[IncidentState]:
    return [IncidentState(id=100 + i, type_code=t, h3_r9=cell, first_seen=T0 + timedelta(minutes=m),
                          last_seen=T0 + timedelta(minutes=m + span), severity=sev, alert_count=1, sources=["s0"])
            for i, (t, cell, m, span, sev) in enumerate(spec)]


def _alerts(spec: list[tuple[str, int, int, str, str]]) -> list[AlertFact]:
    return [AlertFact(key=i, type_code=t, h3_r9=cell, observed_at=T0 + timedelta(minutes=m), severity=sev,
                      source=src) for i, (t, cell, m, sev, src) in enumerate(spec)]


def _brute_force(alerts: list[AlertFact], incidents: list[IncidentState]) -> dict[int, tuple[str, int]]:
    """Each alert in observation order: among the incidents of its type within its ring and window, the one in
    the cell nearest in disk order, then the latest seen (the first such on a tie); else a new incident at its
    cell. Returns alert key -> ("old", id) or ("new", number of the opened incident)."""
    pool = [(("old", inc.id), inc) for inc in incidents]
    out: dict[int, tuple[str, int]] = {}
    for a in sorted(alerts, key=lambda x: (x.observed_at, x.key)):
        rule = RULES[a.type_code]
        disk = list(_disk_by_distance(a.h3_r9, rule.ring))
        window = timedelta(minutes=rule.window_minutes)
        fits = [(disk.index(inc.h3_r9), -inc.last_seen.timestamp(), n, label, inc)
                for n, (label, inc) in enumerate(pool)
                if inc.type_code == a.type_code and inc.h3_r9 in disk
                and inc.first_seen - window <= a.observed_at <= inc.last_seen + window]
        if fits:
            *_, label, inc = min(fits, key=lambda f: f[:3])
            inc.first_seen, inc.last_seen = min(inc.first_seen, a.observed_at), max(inc.last_seen, a.observed_at)
        else:
            label = ("new", sum(1 for lb, _ in pool if lb[0] == "new"))
            pool.append((label, IncidentState(id=None, type_code=a.type_code, h3_r9=a.h3_r9,
                                              first_seen=a.observed_at, last_seen=a.observed_at,
                                              severity=a.severity, alert_count=1, sources=[a.source])))
        out[a.key] = label
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(incident_st, max_size=12), st.lists(alert_st, min_size=1, max_size=25))
def test_rule_matches_its_brute_force_statement(inc_spec: list, alert_spec: list) -> None:
    alerts = _alerts(alert_spec)
    result = match_alerts(alerts, _incidents(inc_spec), RULES, _disk_by_distance)
    got = {key: ("old", inc.id) if inc.id is not None else ("new", inc.new_no)
           for key, inc in result.incident_of.items()}
    assert got == _brute_force(alerts, _incidents(inc_spec))
    # Counts add up: every alert is in exactly one incident, opened ones count their own alerts.
    assert sum(inc.alert_count for inc in result.opened) + sum(
        inc.alert_count - 1 for inc in result.updated) == len(alerts)
    assert {inc.id for inc in result.updated} == {inc.id for inc in result.incident_of.values()
                                                 if inc.id is not None}
