"""Screenshots of ``/`` and ``/wall`` on the demo county (docs/screenshots/map.png, wall.png).

Fresh database ``gcshots_*``: ``geo_data.demo.load_demo`` (2,000 enterprises, seed 7, 3 months of visits, as the
test fixture does), then 30 alerts from the four source kinds through ``geo_data.alerts.ingest`` (the intake
path, so they become incidents), the real app on a threaded WSGI server and headless Chromium.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _fresh_db import create_database, database_name, drop_database  # noqa: E402  (bench/ is the script's directory)

from geo_data.db import connect  # noqa: E402
from geo_data.settings import DatabaseSettings, MapSettings, ServerSettings, Settings  # noqa: E402
from layers.i18n import SHANGHAI  # noqa: E402
from tests import map_scenario as ms  # noqa: E402

COUNTY = "330702"


def _alerts(url: str) -> None:
    from geo_data.alerts import AlertInput, ingest

    rng = np.random.default_rng(5)
    with connect(url) as conn:
        conn.execute("SET TIME ZONE 'Asia/Shanghai'")
        pts = conn.execute("SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM enterprises WHERE county_code = %s "
                           "ORDER BY random() LIMIT 30", (COUNTY,)).fetchall()
        types = [r["code"] for r in conn.execute("SELECT code FROM alert_types ORDER BY code")]
        now = datetime.now(SHANGHAI)
        items = [AlertInput(source_id=f"shot-{i}", source_kind=str(rng.choice(["drone", "ai_camera", "sensor", "complaint"])),
                            type_code=str(rng.choice(types)), observed_at=now - timedelta(minutes=int(rng.integers(5, 900))),
                            lng=p["lng"], lat=p["lat"],
                            severity=str(rng.choice(["low", "medium", "high", "urgent"], p=[.3, .35, .27, .08])))
                 for i, p in enumerate(pts)]
        ingest(conn, source="screenshots", county_code=COUNTY, alerts=items)
        conn.commit()


def _user(url: str, role: str) -> str:
    from geo_data.users import create_user

    name = f"shot_{secrets.token_hex(3)}"
    with connect(url) as c:
        create_user(c, username=name, password=ms.PASSWORD, role=role, county_code=COUNTY)
        from tests.auth_steps import TWO_FACTOR_ROLES, enrol_for_tests

        if role in TWO_FACTOR_ROLES:
            enrol_for_tests(c, name)
        c.commit()
    return name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    url = create_database("gcshots")
    name = database_name(url)
    driver = None
    try:
        from geo_data.demo import load_demo

        with connect(url) as c:
            load_demo(c, enterprises=2000, seed=7, history_months=3)
            c.commit()
        _alerts(url)
        settings = Settings(db=DatabaseSettings(url=url, data_dir=Path("/tmp") / name), server=ServerSettings(),
                            map=MapSettings())
        import threading

        from werkzeug.serving import make_server

        from app import create_app

        app = create_app(settings, url=url)
        srv = make_server("127.0.0.1", 0, app.server, threaded=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{srv.server_port}"

        driver = ms.headless_chromium("--hide-scrollbars")
        ms.browser_login(driver, base, _user(url, "county_operator"), "/", db_url=url)
        time.sleep(6)
        driver.save_screenshot(str(out / "map.png"))
        driver.set_window_size(1920, 1080)
        driver.get(f"{base}/wall")
        time.sleep(7)
        driver.save_screenshot(str(out / "wall.png"))
        print(f"wrote {out / 'map.png'} and {out / 'wall.png'}")
    finally:
        if driver is not None:
            driver.quit()
        drop_database(url)


if __name__ == "__main__":
    main()
