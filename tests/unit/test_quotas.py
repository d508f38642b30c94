"""Quotas (无事不扰): visits beyond risk × credit quotas are held with a reason and an alternative."""

from datetime import date

from enforcement.quotas import DEFAULT_MATRIX, EnterpriseStanding, QuotaVisit, check_quotas

D = date(2026, 3, 2)


def v(key: int, ent: int, *reasons: str, day: int = 2) -> QuotaVisit:
    return QuotaVisit(key, ent, date(2026, 3, day), reasons or ("annual",))


def test_visit_within_quota_is_not_flagged() -> None:
    flags = check_quotas([v(1, 10)], {10: EnterpriseStanding("high", "D", visits_this_year=5)})
    assert flags == {}


def test_visit_beyond_quota_is_held_with_reason_and_remote_or_later_alternative() -> None:
    flags = check_quotas([v(1, 10)], {10: EnterpriseStanding("general", "B", visits_this_year=1)})
    assert flags[1].held and "1/1" in flags[1].reason and "general×B" in flags[1].reason
    assert flags[1].alternative == "later" and "2027-01-01" in flags[1].alternative_text


def test_second_visit_of_the_plan_is_held_and_offered_a_merge() -> None:
    flags = check_quotas([v(1, 10, day=2), v(2, 10, day=20)], {10: EnterpriseStanding("elevated", "A")})
    assert 1 not in flags
    assert flags[2].held and flags[2].alternative == "merge" and "#1" in flags[2].alternative_text


def test_no_visit_list_and_zero_quota_get_remote_checks() -> None:
    standings = {1: EnterpriseStanding("general", "A", no_visit=True), 2: EnterpriseStanding("low", "A")}
    flags = check_quotas([v(1, 1), v(2, 2)], standings)
    assert flags[1].held and "no-visit" in flags[1].reason and flags[1].alternative == "remote"
    assert flags[2].held and flags[2].alternative == "remote"
    assert DEFAULT_MATRIX[("low", "A")] == 0 and DEFAULT_MATRIX[("high", "D")] == 6


def test_complaint_and_alert_may_exceed_the_quota_but_are_recorded() -> None:
    standings = {1: EnterpriseStanding("low", "A", no_visit=True), 2: EnterpriseStanding("general", "B", visits_this_year=3)}
    flags = check_quotas([v(1, 1, "complaint"), v(2, 2, "annual", "alert")], standings)
    for key in (1, 2):
        assert not flags[key].held and flags[key].exceeded_allowed
        assert "complaint/alert may exceed" in flags[key].reason


def test_custom_matrix_is_honoured() -> None:
    matrix = {**DEFAULT_MATRIX, ("general", "B"): 3}
    assert check_quotas([v(1, 1)], {1: EnterpriseStanding("general", "B", visits_this_year=2)}, matrix) == {}
