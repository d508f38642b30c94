"""Two writers refreshing the same enterprise-month of the coverage pre-aggregate at once both succeed."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from geo_data.db import connect
from geo_data.demo import load_demo


def test_concurrent_refresh_of_one_enterprise_month(db_url: str) -> None:
    with connect(db_url) as c:
        load_demo(c, enterprises=300, seed=3, history_months=2)
        c.commit()
        ent = c.execute("SELECT enterprise_id, month FROM coverage_touch ORDER BY enterprise_id LIMIT 1").fetchone()
    assert ent is not None
    day: date = ent["month"]
    first = connect(db_url)
    first.execute("SELECT coverage_touch_refresh(ARRAY[%s]::bigint[], %s, %s)", (ent["enterprise_id"], day, day))
    errors: list[Exception] = []

    def second() -> None:
        try:
            with connect(db_url) as c2:
                c2.execute("SELECT coverage_touch_refresh(ARRAY[%s]::bigint[], %s, %s)",
                           (ent["enterprise_id"], day, day))
                c2.commit()
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)

    t = threading.Thread(target=second)
    t.start()
    t.join(timeout=1.0)   # the second writer waits on the first one's row
    first.commit()
    first.close()
    t.join(timeout=30)
    assert not errors, errors
    with connect(db_url) as c:
        n: Any = c.execute("SELECT count(*) AS n FROM coverage_touch WHERE enterprise_id = %s AND month = %s",
                           (ent["enterprise_id"], day)).fetchone()
    assert n["n"] == 1
