"""The enterprise_counts pre-aggregate equals direct counts at every H3 resolution, after loads and updates."""

from __future__ import annotations

from geo_data.db import connect
from geo_data.demo import load_demo

DIFF = """
SELECT count(*) AS n FROM (
    (SELECT {col} AS cell, risk, count(*) AS k FROM enterprises GROUP BY 1, 2
     EXCEPT SELECT {col}, risk, sum(n) FROM enterprise_counts GROUP BY 1, 2)
    UNION ALL
    (SELECT {col}, risk, sum(n) FROM enterprise_counts WHERE n > 0 GROUP BY 1, 2
     EXCEPT SELECT {col} AS cell, risk, count(*) FROM enterprises GROUP BY 1, 2)
) d
"""


def _mismatches(c: object) -> dict[str, int]:
    return {col: c.execute(DIFF.format(col=col)).fetchone()["n"]  # type: ignore[attr-defined]
            for col in ("h3_r7", "h3_r8", "h3_r9")}


def test_counts_match_at_res_7_8_9_after_load_and_update(db_url: str) -> None:
    with connect(db_url) as c:
        load_demo(c, enterprises=1500, seed=5, history_months=1)
        c.commit()
        assert _mismatches(c) == {"h3_r7": 0, "h3_r8": 0, "h3_r9": 0}
        c.execute("UPDATE enterprises SET risk = 'high' WHERE id IN (SELECT id FROM enterprises ORDER BY id LIMIT 50)")
        c.execute("DELETE FROM enterprises WHERE id IN (SELECT id FROM enterprises ORDER BY id DESC LIMIT 20)")
        c.commit()
        assert _mismatches(c) == {"h3_r7": 0, "h3_r8": 0, "h3_r9": 0}
