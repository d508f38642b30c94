"""Screenshots of every page on the demo county (docs/screenshots/): the map, each desk page as the role that
uses it (1920×1080), a refusal inside the shell, and the wall at 1920×1080 and 3840×2160.

Fresh database ``gcshots_*``: ``geo_data.demo.load_demo`` (2,000 enterprises, seed 7, 3 months of visits, as the
test fixture does), then 30 alerts from the four source kinds through ``geo_data.alerts.ingest`` (the intake
path, so they become incidents), the real app on a threaded WSGI server and headless Chromium.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots] [--only admin,planner]

Each file is kept under 300 KB (a PNG over that is re-saved with a 256-colour palette).
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


def _user(url: str, role: str, township: str | None = None) -> str:
    from geo_data.users import create_user

    name = f"shot_{secrets.token_hex(3)}"
    with connect(url) as c:
        create_user(c, username=name, password=ms.PASSWORD, role=role, county_code=COUNTY, township_code=township,
                    display_name={"admin": "王管理", "planner": "李计划", "county_operator": "张指挥",
                                  "township_dispatcher": "赵调度"}.get(role, ""))
        from tests.auth_steps import TWO_FACTOR_ROLES, enrol_for_tests

        if role in TWO_FACTOR_ROLES:
            enrol_for_tests(c, name)
        c.commit()
    return name


MAX_BYTES = 300_000
# name -> (role, township, path, window size, seconds to settle)
SHOTS: dict[str, tuple[str, str | None, str, tuple[int, int], float]] = {
    "map": ("county_operator", None, "/", (1920, 1080), 6),
    "map_en": ("county_operator", None, "/?lang=en", (1920, 1080), 6),
    "dispatch": ("township_dispatcher", "330702001", "/dispatch", (1920, 1080), 5),
    "coverage": ("planner", None, "/coverage", (1920, 1080), 12),
    "planner": ("planner", None, "/planner", (1920, 1080), 4),
    "planner_en": ("planner", None, "/planner?lang=en", (1920, 1080), 4),
    "admin": ("admin", None, "/admin", (1920, 1080), 4),
    "admin_en": ("admin", None, "/admin?lang=en", (1920, 1080), 4),
    "forbidden": ("admin", None, "/dispatch", (1920, 1080), 3),
    "wall": ("county_operator", None, "/wall", (1920, 1080), 7),
    "wall_4k": ("county_operator", None, "/wall", (3840, 2160), 8),
}


def save_small(driver: object, path: Path) -> None:
    """A screenshot of the page, re-saved with a smaller palette while the PNG is over ``MAX_BYTES``."""
    from PIL import Image

    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    shot = Image.open(path).convert("RGB")
    for colours in (256, 128, 64, 32):
        if path.stat().st_size <= MAX_BYTES:
            return
        # octree keeps the few saturated marker colours a median cut merges away; dithering bloats a PNG
        shot.quantize(colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(path, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--only", default="", help="comma-separated shot names (default: all)")
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
        users: dict[tuple[str, str | None], str] = {}
        for shot, (role, township, path, (width, height), settle) in SHOTS.items():
            if args.only and shot not in args.only.split(","):
                continue
            # the page's own size (a window's size includes the browser's frame), one CSS pixel per pixel
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                                          "deviceScaleFactor": 1, "mobile": False})
            if (role, township) not in users:  # a TOTP step works once per account: log in once per role
                users[(role, township)] = _user(url, role, township)
                ms.browser_login(driver, base, users[(role, township)], path, db_url=url)
            else:
                driver.delete_cookie("gc_lang")  # each shot in its own address's language (default: zh)
                driver.get(base + path)
            time.sleep(settle)
            save_small(driver, out / f"{shot}.png")
            print(f"wrote {out / shot}.png ({(out / f'{shot}.png').stat().st_size // 1024} KiB)")
    finally:
        if driver is not None:
            driver.quit()
        drop_database(url)


if __name__ == "__main__":
    main()
