"""The product's one time zone: every local day, shift, period and time shown is Asia/Shanghai.

Time stamps are stored as ``timestamptz``; a calendar date (a visit day, a measure period, a shift) means that
day in Shanghai. SQL spells the zone where the server must (``SET TIME ZONE 'Asia/Shanghai'``), the browser
where it formats (``timeZone: "Asia/Shanghai"``).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
