"""Evidence photos through the real server: stored content-addressed without EXIF (time and place kept as data),
thumbnailed, in the incident's timeline; fetched only by whoever may see the incident; bad input refused with a
clear 4xx and nothing stored; an unwritable evidence folder is a clear 503."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from PIL import Image

from geo_data.db import connect
from geo_data.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.db.dispatch_scenario import token
from tests.demo_places import quiet_spot
from tests.served import served

SH = ZoneInfo("Asia/Shanghai")
COUNTY = "330702"


@pytest.fixture(scope="module")
def towns(demo_db_url: str, demo_county: str) -> list[dict[str, Any]]:
    """The two largest demo townships (room for incidents apart from all others), and an alert token."""
    with connect(demo_db_url) as c:
        rows = c.execute("SELECT code FROM townships WHERE county_code = %s ORDER BY ST_Area(geom) DESC, code"
                         " LIMIT 2", (demo_county,)).fetchall()
    alert_token = token(demo_db_url, source=f"evidence-{secrets.token_hex(3)}", county=demo_county)
    return [{**r, "token": alert_token, "db": demo_db_url} for r in rows]


def new_incident(live_url: str, town: dict[str, Any]) -> int:
    """A new incident made the real way, an alert through the intake API, at a random spot inside the township
    (300 m from its edge) with no incident within about 1 km, so it joins none."""
    with connect(town["db"]) as c:
        spot = quiet_spot(c, town["code"])
    body = {"source_id": f"ev-{secrets.token_hex(6)}", "source_kind": "drone", "type": "street_vending",
            "observed_at": datetime.now(SH).isoformat(timespec="seconds"), "severity": "high",
            "location": {"lng": spot["lng"], "lat": spot["lat"]}}
    r = requests.post(f"{live_url}/api/v1/alerts", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {town['token']}"})
    assert r.status_code == 201, r.text
    incident = int(r.json()["incident_id"])
    with connect(town["db"]) as c:
        row = c.execute("SELECT township_code, alert_count FROM incidents WHERE id = %s", (incident,)).fetchone()
    assert row == {"township_code": town["code"], "alert_count": 1}, row
    return incident


def _dms(x: float) -> tuple[float, float, float]:
    d = int(x)
    m = int((x - d) * 60)
    return (float(d), float(m), round(((x - d) * 60 - m) * 60, 3))


def jpeg_with_exif(*, lat: float = 29.0812, lng: float = 119.6526, seed: int = 0) -> bytes:
    """A phone-like JPEG: time taken, GPS, and the kind of EXIF that must not leave (maker, serial)."""
    img = Image.new("RGB", (640, 480), (40 + seed % 200, 90, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"            # Make
    exif[0xA431] = "SERIAL-0042-SECRET"    # BodySerialNumber
    exif[0x0112] = 1                       # Orientation
    sub = exif.get_ifd(0x8769)
    sub[36867] = "2026:12:01 10:15:30"     # DateTimeOriginal
    sub[36881] = "+08:00"                  # OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", _dms(lat), "E", _dms(lng)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def png(size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


def upload(s: requests.Session, base: str, incident: int, data: bytes, name: str = "photo.jpg",
           mime: str = "image/jpeg", **form: str) -> requests.Response:
    return s.post(f"{base}/api/v1/incidents/{incident}/evidence", files={"photo": (name, data, mime)},
                  data=form, headers={"Origin": base}, timeout=60)


def stored_rows(db: str, incident: int) -> int:
    with connect(db) as c:
        row = c.execute("SELECT count(*) AS n FROM evidence_files WHERE incident_id = %s", (incident,)).fetchone()
    assert row is not None
    return int(row["n"])


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture(scope="module")
def evidence_dir(settings: Settings) -> Path:
    return settings.db.data_dir / "evidence"   # the served test instance's data directory (tests/served.py)


def test_photo_stored_stripped_thumbnailed_and_in_the_timeline(live_url: str, demo_db_url: str, towns: list[Any],
                                                               make_user: Any, http_login: Any,
                                                               evidence_dir: Path) -> None:
    incident = new_incident(live_url, towns[0])
    s = http_login(make_user("township_dispatcher", township=towns[0]["code"]))
    original = jpeg_with_exif()
    r = upload(s, live_url, incident, original, name="现场照片 1.jpg")
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["media_type"] == "image/jpeg" and (rec["width"], rec["height"]) == (640, 480)
    assert rec["original_name"] == "现场照片 1.jpg" and rec["created"] is True
    assert datetime.fromisoformat(rec["taken_at"]) == datetime(2026, 12, 1, 10, 15, 30, tzinfo=SH)
    assert rec["lat"] == pytest.approx(29.0812, abs=1e-6) and rec["lng"] == pytest.approx(119.6526, abs=1e-6)

    photo = s.get(live_url + rec["url"], timeout=10)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(photo.content).hexdigest() == rec["sha256"]
    assert b"SERIAL-0042" not in photo.content and b"PhoneMaker" not in photo.content and b"Exif" not in photo.content
    assert dict(Image.open(io.BytesIO(photo.content)).getexif()) == {}
    on_disk = evidence_dir / rec["sha256"][:2] / f"{rec['sha256']}.jpg"
    assert on_disk.read_bytes() == photo.content
    thumb = s.get(live_url + rec["thumb_url"], timeout=10)
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.content)).size) == 320

    detail = s.get(f"{live_url}/api/v1/incidents/{incident}", timeout=10).json()
    events = [e for e in detail["timeline"] if e["event"] == "evidence"]
    assert len(events) == 1 and events[0]["detail"]["evidence_id"] == rec["id"]
    assert events[0]["detail"]["thumb_url"] == rec["thumb_url"] and events[0]["note"] == "现场照片 1.jpg"
    listed = s.get(f"{live_url}/api/v1/incidents/{incident}/evidence", timeout=10).json()["items"]
    assert [e["id"] for e in listed] == [rec["id"]]

    again = upload(s, live_url, incident, original, name="again.jpg")
    assert again.status_code == 200 and again.json()["id"] == rec["id"] and again.json()["created"] is False
    assert stored_rows(demo_db_url, incident) == 1

    # PNG and WebP are accepted too
    assert upload(s, live_url, incident, png(), name="plan.png", mime="image/png").status_code == 201
    webp = io.BytesIO()
    Image.new("RGB", (100, 80), (1, 2, 3)).save(webp, "WEBP")
    r = upload(s, live_url, incident, webp.getvalue(), name="x.webp", mime="image/webp")
    assert r.status_code == 201 and r.json()["media_type"] == "image/webp"


def _bomb() -> bytes:
    """A 10,000 × 10,000 one-bit PNG: ~12 KB on disk, 100 million pixels (300 MB as RGB) once decoded."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize(("case", "status", "says"), [
    ("not_an_image", 422, "not a JPEG, PNG or WebP"),
    ("fifty_mb", 413, "at most 10 MB"),
    ("bomb", 422, "decompression bomb"),
    ("path_in_name", 422, "plain file name"),
    ("backslash_path", 422, "plain file name"),
    ("no_file", 422, "photo: required"),
    ("bad_client_id", 422, "client_id"),
])
def test_bad_uploads_are_refused_and_nothing_stored(live_url: str, demo_db_url: str, towns: list[Any],
                                                    make_user: Any, http_login: Any, evidence_dir: Path,
                                                    case: str, status: int, says: str) -> None:
    incident = new_incident(live_url, towns[0])
    s = http_login(make_user("township_dispatcher", township=towns[0]["code"]))
    before = files_in(evidence_dir)
    if case == "not_an_image":
        r = upload(s, live_url, incident, b"%PDF-1.4 definitely not a photo\n" * 100, name="photo.jpg")
    elif case == "fifty_mb":
        r = upload(s, live_url, incident, b"\xff\xd8\xff\xe0" + secrets.token_bytes(50 * 1024 * 1024))
    elif case == "bomb":
        r = upload(s, live_url, incident, _bomb(), name="tiny.png", mime="image/png")
    elif case == "path_in_name":
        r = upload(s, live_url, incident, png(), name="../../etc/cron.d/evil.png", mime="image/png")
    elif case == "backslash_path":   # a raw body: the quoted name unquotes to ..\..\windows\evil.png
        body = (b'--b0undary\r\nContent-Disposition: form-data; name="photo"; '
                b'filename="..\\\\..\\\\windows\\\\evil.png"\r\nContent-Type: image/png\r\n\r\n' + png()
                + b"\r\n--b0undary--\r\n")
        r = s.post(f"{live_url}/api/v1/incidents/{incident}/evidence", data=body, timeout=10,
                   headers={"Origin": live_url, "Content-Type": "multipart/form-data; boundary=b0undary"})
    elif case == "no_file":
        r = s.post(f"{live_url}/api/v1/incidents/{incident}/evidence", files={"other": ("a.png", png())},
                   headers={"Origin": live_url}, timeout=10)
    else:
        r = upload(s, live_url, incident, png(), name="a.png", mime="image/png", client_id="not-a-uuid")
    assert r.status_code == status, r.text
    assert says in r.json()["error"], r.json()
    assert stored_rows(demo_db_url, incident) == 0
    assert files_in(evidence_dir) == before


def test_only_who_may_see_the_incident_uploads_and_fetches(live_url: str, demo_db_url: str, towns: list[Any],
                                                           make_user: Any, http_login: Any) -> None:
    mine, theirs = new_incident(live_url, towns[0]), new_incident(live_url, towns[1])
    dispatcher = http_login(make_user("township_dispatcher", township=towns[0]["code"]))
    r = upload(dispatcher, live_url, theirs, png(), name="a.png", mime="image/png")
    assert r.status_code == 403 and "outside your township" in r.json()["error"]
    assert stored_rows(demo_db_url, theirs) == 0
    assert upload(requests.Session(), live_url, mine, png(), name="a.png", mime="image/png").status_code == 401
    r = dispatcher.post(f"{live_url}/api/v1/incidents/{mine}/evidence", files={"photo": ("a.png", png())},
                        headers={"Origin": "http://evil.example"}, timeout=10)
    assert r.status_code == 403
    planner = http_login(make_user("planner"))
    assert upload(planner, live_url, mine, png(), name="a.png", mime="image/png").status_code == 403

    operator = http_login(make_user("county_operator"))
    r = upload(operator, live_url, theirs, jpeg_with_exif(seed=7), name="b.jpg")
    assert r.status_code == 201, r.text
    rec = r.json()
    assert operator.get(live_url + rec["url"], timeout=10).status_code == 200
    assert planner.get(live_url + rec["thumb_url"], timeout=10).status_code == 200   # planners see incidents
    assert dispatcher.get(live_url + rec["url"], timeout=10).status_code == 404
    assert dispatcher.get(live_url + rec["thumb_url"], timeout=10).status_code == 404
    assert dispatcher.get(f"{live_url}/api/v1/incidents/{theirs}/evidence", timeout=10).status_code == 403
    assert requests.get(live_url + rec["url"], timeout=10).status_code == 401


def _login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    r = s.post(f"{base}/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": csrf.group(1),
                                      "next": "/"}, headers={"Origin": base}, timeout=10, allow_redirects=False)
    assert r.status_code == 302
    return s


@pytest.fixture
def server_with_unwritable_folder(demo_db_url: str, tmp_path: Path) -> Iterator[Any]:
    """A second served instance whose evidence folder lies under a regular file (no one can create it, not even
    root, for whom permission bits do not count)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the evidence folder's parent should be", encoding="utf-8")
    with served(demo_db_url, tmp_path / "data", workers=1, threads=8,
                env={"GRIDCOMMAND_EVIDENCE_DIR": str(blocker / "evidence")}) as instance:
        yield instance


def test_unwritable_evidence_folder_is_a_clear_503(server_with_unwritable_folder: Any, demo_db_url: str,
                                                   towns: list[Any], make_user: Any) -> None:
    base = server_with_unwritable_folder.base_url
    incident = new_incident(base, towns[0])
    s = _login(base, make_user("county_operator"))
    r = upload(s, base, incident, png(), name="a.png", mime="image/png")
    assert r.status_code == 503, r.text
    assert "evidence folder cannot be written" in r.json()["error"]
    assert "Traceback" not in r.text
    assert stored_rows(demo_db_url, incident) == 0
