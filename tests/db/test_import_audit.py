"""A refused import loads nothing and still leaves its trace in the audit trail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from geo_data.db import connect
from geo_data.demo import load_demo


def test_refused_import_is_audited_and_loads_nothing(db_url: str, tmp_path: Path) -> None:
    with connect(db_url) as c:
        load_demo(c, enterprises=300, seed=11, history_months=1)
        c.commit()
        before = c.execute("SELECT count(*) AS n FROM enterprises").fetchone()["n"]
    bad = tmp_path / "bad.csv"
    bad.write_text("统一社会信用代码,企业名称,行业,经度,纬度,风险等级,信用等级\n"
                   "91330702MA2XXXXX1X,坏数据公司,catering,119.65,29.08,高,A\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "cli", "import", "enterprises", str(bad), "--county", "330702"],
                          capture_output=True, text=True, env={**os.environ, "DATABASE_URL": db_url})
    assert proc.returncode == 2 and "row 1: uscc" in proc.stderr
    with connect(db_url) as c:
        assert c.execute("SELECT count(*) AS n FROM enterprises").fetchone()["n"] == before
        row = c.execute("SELECT actor, object_id, detail FROM audit_log WHERE action = 'import.enterprises.refused'"
                        ).fetchone()
    assert row is not None and row["object_id"] == "bad.csv" and row["detail"]["problems"] == 1
