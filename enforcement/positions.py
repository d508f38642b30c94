"""Whether a position fix may move its team: the rule, over plain numbers.

Every fix is kept as a track point; only a plausible, newest one moves the team on the map. The flags, in the
order they are decided:
    ``outside_county``  the point lies outside the county's outline (a tracker that left, or a bad fix);
    ``speed``           the speed it reports, or the speed implied by the distance from the device's previous
                        fix, is above the limit (GPS jumps, a wrong clock);
    ``late``            not newer than the team's current position (out of order, a resend, or another device of
                        the same team reported later) — a team never moves backwards in time;
    ``""``              follow it.
"""

from __future__ import annotations

from datetime import datetime

KNOT_KMH = 1.852
MIN_IMPLIED_SPAN_S = 1.0   # below this the implied speed is noise (two fixes of one second); judged at 1 s


def implied_speed_kmh(distance_m: float, seconds: float) -> float:
    """km/h covered between two fixes ``seconds`` apart (at least ``MIN_IMPLIED_SPAN_S``)."""
    return distance_m / max(abs(seconds), MIN_IMPLIED_SPAN_S) * 3.6


def fix_flag(*, inside_county: bool, at: datetime, team_position_at: datetime | None,
             reported_kmh: float | None, implied_kmh: float | None, max_speed_kmh: float) -> str:
    """The flag of a fix (see the module docstring); ``""`` when it moves the team."""
    if not inside_county:
        return "outside_county"
    if (reported_kmh is not None and reported_kmh > max_speed_kmh) or (
            implied_kmh is not None and implied_kmh > max_speed_kmh):
        return "speed"
    if team_position_at is not None and at <= team_position_at:
        return "late"
    return ""
