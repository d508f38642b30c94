"""Alert intake through the real HTTP API and PostGIS: validation, idempotency under concurrency, tokens,
fuzzing of the OpenAPI document, and a database outage mid-stream (on a throwaway cluster)."""

from __future__ import annotations

import json
import random
import secrets
import threading
from typing import Any

import pytest
import requests

from geo_data import coords
from geo_data.db import connect
from geo_data.tokens import revoke_token
from tests.db.dispatch_scenario import COUNTY, alert, api_server, api_settings, build, token


@pytest.fixture(scope="module")
def api(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with connect(db_url) as c:
        build(c)
        c.commit()
    settings = api_settings(db_url, tmp_path_factory.mktemp("intake"))
    with api_server(db_url, settings) as url:
        yield url


@pytest.fixture(scope="module")
def tok(db_url: str, api: str) -> str:
    return token(db_url, source=f"cam-{secrets.token_hex(3)}")


def _post(url: str, tok: str, body: Any, path: str = "/api/v1/alerts", **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json", **kw.pop("headers", {})}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return requests.post(url + path, data=data, headers=headers, timeout=30, **kw)


def _sid() -> str:
    return f"a-{secrets.token_hex(6)}"


def test_single_alert_is_stored_once_and_resend_says_duplicate(api: str, tok: str, conn: Any) -> None:
    sid = _sid()
    r1 = _post(api, tok, alert(sid, lng=120.021, lat=30.021))
    assert r1.status_code == 201, r1.text
    first = r1.json()
    assert first["status"] == "new" and first["incident_id"]
    r2 = _post(api, tok, alert(sid, lng=120.021, lat=30.021))
    assert r2.status_code == 200 and r2.json()["status"] == "duplicate"
    assert r2.json()["id"] == first["id"] and r2.json()["incident_id"] == first["incident_id"]
    row = conn.execute("SELECT count(*) AS n, min(township_code) AS t FROM alerts WHERE source_id = %s",
                       (sid,)).fetchone()
    assert row["n"] == 1 and row["t"] == "339901001"


def test_gcj02_and_geojson_locations_are_stored_in_wgs84(api: str, tok: str, conn: Any) -> None:
    wgs = (120.05321, 30.06123)
    gcj = coords.from_wgs84(*wgs, "gcj02")
    sid1, sid2 = _sid(), _sid()
    body = alert(sid1)
    body["location"] = {"lng": gcj[0], "lat": gcj[1], "datum": "gcj02"}
    assert _post(api, tok, body).status_code == 201
    body = alert(sid2)
    body["location"] = {"type": "Point", "coordinates": list(wgs)}
    assert _post(api, tok, body).status_code == 201
    for sid in (sid1, sid2):
        row = conn.execute("SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM alerts WHERE source_id = %s",
                           (sid,)).fetchone()
        assert abs(row["x"] - wgs[0]) < 1e-7 and abs(row["y"] - wgs[1]) < 1e-7


def _bad_cases() -> list[tuple[str, Any, int, str]]:
    def mk(**kw: Any) -> dict[str, Any]:
        b = alert("bad-1")
        for k, v in kw.items():
            if v is ...:
                b.pop(k)
            else:
                b[k] = v
        return b

    return [
        ("missing type", mk(type=...), 422, "type"),
        ("missing location", mk(location=...), 422, "location"),
        ("wrong type of confidence", mk(confidence="high"), 422, "confidence"),
        ("confidence above 1", mk(confidence=1.5), 422, "confidence"),
        ("latitude as string", mk(location={"lng": 120.02, "lat": "north"}), 422, "location.lat"),
        ("latitude 95", mk(location={"lng": 120.02, "lat": 95}), 422, "location.lat"),
        ("unknown datum", mk(location={"lng": 120.02, "lat": 30.02, "datum": "wgs72"}), 422, "location.datum"),
        ("GeoJSON with one coordinate", mk(location={"type": "Point", "coordinates": [120.0]}), 422,
         "location.coordinates"),
        ("out of China", mk(location={"lng": 2.35, "lat": 48.85}), 422, "location"),
        ("outside the token's county", mk(location={"lng": 121.5, "lat": 31.2}), 422, "location"),
        ("unknown type", mk(type="alien_landing"), 422, "type"),
        ("bad severity", mk(severity="apocalyptic"), 422, "severity"),
        ("bad source kind", mk(source_kind="satellite"), 422, "source_kind"),
        ("javascript evidence url", mk(evidence_url="javascript:alert(1)"), 422, "evidence_url"),
        ("huge description", mk(description="长" * 2001), 422, "description"),
        ("huge source id", mk(source_id="x" * 129), 422, "source_id"),
        ("NUL in description", mk(description="a\x00b"), 422, "description"),
        ("bad USCC check character", mk(enterprise_uscc="91330702MA2ABCDE1X"), 422, "enterprise_uscc"),
        ("future observation", mk(observed_at="2099-01-01T00:00:00+08:00"), 422, "observed_at"),
        ("not a date", mk(observed_at="yesterday"), 422, "observed_at"),
        ("unknown field", mk(source="spoofed"), 422, "source"),
        ("array instead of object", [alert("bad-2")], 422, "body"),
        ("NaN latitude", json.dumps(alert("bad-3")).replace("30.02", "NaN"), 400, ""),
        ("Infinity longitude", json.dumps(alert("bad-3")).replace("120.02", "Infinity"), 400, ""),
        ("malformed JSON", '{"source_id": "x", ', 400, ""),
        ("deeply nested JSON", "[" * 100_000 + "]" * 100_000, 400, ""),
        ("not UTF-8", b"\xff\xfe{}", 400, ""),
    ]


@pytest.mark.parametrize(("what", "body", "status", "loc"), _bad_cases(), ids=[c[0] for c in _bad_cases()])
def test_bad_payloads_get_a_4xx_naming_the_problem(api: str, tok: str, conn: Any, what: str, body: Any,
                                                   status: int, loc: str) -> None:
    r = _post(api, tok, body)
    assert r.status_code == status, r.text
    reply = r.json()
    assert reply["error"]
    if loc:
        assert any(p["loc"] == loc or p["loc"].startswith(loc + ".") for p in reply["problems"]), reply
        assert all(p["msg"] for p in reply["problems"])
    assert conn.execute("SELECT count(*) AS n FROM alerts WHERE source_id LIKE 'bad-%%'").fetchone()["n"] == 0


def test_wrong_content_type_and_oversize_body_are_json_4xx(api: str, tok: str) -> None:
    r = _post(api, tok, json.dumps(alert(_sid())), headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "Content-Type" in r.json()["error"]
    big = json.dumps({"items": [alert(f"big-{i}", description="x" * 1900) for i in range(1200)]})
    r = _post(api, tok, big, path="/api/v1/alerts/batch")
    assert r.status_code == 413 and r.json()["error"] == "request body too large"
    r = requests.get(api + "/api/v1/nope", timeout=10)
    assert r.status_code == 404 and r.json()["error"]


def test_sql_and_html_in_text_are_stored_verbatim(api: str, tok: str, conn: Any) -> None:
    sid = _sid()
    text = "'); DROP TABLE alerts; -- <script>alert(1)</script>"
    assert _post(api, tok, alert(sid, description=text)).status_code == 201
    row = conn.execute("SELECT description FROM alerts WHERE source_id = %s", (sid,)).fetchone()
    assert row["description"] == text


def test_batch_stores_valid_items_and_reports_bad_ones_per_item(api: str, tok: str, conn: Any) -> None:
    sids = [_sid() for _ in range(3)]
    items = [alert(s, lng=120.07 + i * 0.001, lat=30.03) for i, s in enumerate(sids)]
    items.append(alert(_sid(), location={"lng": 120.07, "lat": "x"}))
    items.append(alert(sids[0], lng=120.07, lat=30.03))
    r = _post(api, tok, {"items": items}, path="/api/v1/alerts/batch")
    assert r.status_code == 207, r.text
    reply = r.json()
    assert (reply["stored"], reply["duplicates"], reply["rejected"]) == (3, 1, 1)
    assert [x["status"] for x in reply["results"]] == ["new", "new", "new", "rejected", "duplicate"]
    assert reply["results"][3]["problems"][0]["loc"] == "items.3.location.lat"
    n = conn.execute("SELECT count(*) AS n FROM alerts WHERE source_id = ANY(%s)", (sids,)).fetchone()["n"]
    assert n == 3
    again = _post(api, tok, {"items": items[:3]}, path="/api/v1/alerts/batch")
    assert again.status_code == 200 and again.json()["duplicates"] == 3


def test_batch_limits(api: str, tok: str) -> None:
    r = _post(api, tok, {"items": []}, path="/api/v1/alerts/batch")
    assert r.status_code == 422 and r.json()["problems"][0]["loc"] == "items"
    r = _post(api, tok, {"items": [{"source_id": f"n{i}"} for i in range(5001)]}, path="/api/v1/alerts/batch")
    assert r.status_code == 422 and "5000" in r.json()["error"]
    r = _post(api, tok, {"items": [alert(_sid(), type="nope")]}, path="/api/v1/alerts/batch")
    assert r.status_code == 422 and r.json()["problems"][0]["loc"] == "items.0.type"


def test_tokens_missing_wrong_scope_and_revoked_are_refused(api: str, db_url: str, conn: Any) -> None:
    body = alert(_sid())
    assert requests.post(api + "/api/v1/alerts", json=body, timeout=10).status_code == 401
    assert _post(api, "gc_not-a-token", body).status_code == 401
    reader = token(db_url, source="reader", scopes=("incidents:read",))
    assert _post(api, reader, body).status_code == 403
    t = token(db_url, source=f"rev-{secrets.token_hex(3)}")
    assert _post(api, t, alert(_sid())).status_code == 201
    with connect(db_url) as c:
        revoke_token(c, t[:11])
        c.commit()
    r = _post(api, t, body)
    assert r.status_code == 401 and "revoked" in r.json()["error"]


def test_twenty_concurrent_senders_store_each_alert_exactly_once(api: str, db_url: str, conn: Any) -> None:
    source_tok = token(db_url, source=f"flood-{secrets.token_hex(3)}")
    rng = random.Random(4)
    alerts = [alert(f"c-{i}", type=("gt_vending", "gt_discharge")[i % 2], lng=120.002 + rng.random() * 0.096,
                    lat=30.002 + rng.random() * 0.096, observed_at=f"2026-11-19T{8 + i % 10:02d}:{i % 60:02d}:00")
              for i in range(1000)]
    cells_before = conn.execute("SELECT sum(alerts) AS n FROM h3_cells WHERE res = 9 AND county_code = %s",
                                (COUNTY,)).fetchone()["n"]
    errors: list[str] = []

    def sender(k: int) -> None:
        mine = alerts[:]
        random.Random(k).shuffle(mine)
        with requests.Session() as s:
            for j in range(0, 1000, 250):
                r = s.post(api + "/api/v1/alerts/batch", json={"items": mine[j:j + 250]}, timeout=120,
                           headers={"Authorization": f"Bearer {source_tok}"})
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    source = source_tok and conn.execute("SELECT source FROM api_tokens WHERE token_hash = encode(sha256(%s::bytea),"
                                         " 'hex')", (source_tok.encode(),)).fetchone()["source"]
    stored = conn.execute("SELECT count(*) AS n, count(DISTINCT incident_id) AS i, count(incident_id) AS linked"
                          " FROM alerts WHERE source = %s", (source,)).fetchone()
    assert stored["n"] == 1000 and stored["linked"] == 1000
    counted = conn.execute("SELECT sum(alert_count) AS n FROM incidents WHERE id IN (SELECT incident_id FROM"
                           " alerts WHERE source = %s)", (source,)).fetchone()["n"]
    assert counted == 1000
    cells_after = conn.execute("SELECT sum(alerts) AS n FROM h3_cells WHERE res = 9 AND county_code = %s",
                               (COUNTY,)).fetchone()["n"]
    assert cells_after - cells_before == 1000


def test_openapi_document_covers_every_endpoint(api: str) -> None:
    doc = requests.get(api + "/api/v1/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/api/v1/alerts", "/api/v1/alerts/batch", "/api/v1/incidents", "/api/v1/incidents/{incident_id}",
        "/api/v1/incidents/{incident_id}/recommendations", "/api/v1/incidents/{incident_id}/assign",
        "/api/v1/incidents/{incident_id}/status", "/api/v1/incidents/{incident_id}/remote-close"}
    assert "AlertIn" in doc["components"]["schemas"]


_OPERATIONS = [("POST", "/api/v1/alerts"), ("POST", "/api/v1/alerts/batch"), ("GET", "/api/v1/incidents"),
               ("GET", "/api/v1/incidents/{incident_id}"),
               ("GET", "/api/v1/incidents/{incident_id}/recommendations"),
               ("POST", "/api/v1/incidents/{incident_id}/assign"),
               ("POST", "/api/v1/incidents/{incident_id}/status"),
               ("POST", "/api/v1/incidents/{incident_id}/remote-close")]


@pytest.fixture(scope="module")
def fuzz_token(db_url: str, api: str) -> str:
    return token(db_url, source=f"fuzz-{secrets.token_hex(3)}",
                 scopes=("alerts:write", "incidents:read", "dispatch:write"))


@pytest.mark.parametrize(("method", "path"), _OPERATIONS, ids=[f"{m} {p}" for m, p in _OPERATIONS])
def test_fuzzing_the_openapi_document_finds_no_server_error(api: str, fuzz_token: str, method: str,
                                                            path: str) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(api + "/api/v1/openapi.json")
    operation = schema[path][method]
    failures: list[str] = []

    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        resp = case.call(headers={"Authorization": f"Bearer {fuzz_token}"}, timeout=30)
        if resp.status_code >= 500:
            failures.append(f"{case.method} {case.path} -> {resp.status_code}: {resp.text[:200]}")
        case.validate_response(resp, checks=[not_a_server_error])

    run()
    assert not failures


def test_database_outage_gives_503_and_resends_are_stored_exactly_once() -> None:
    """On a throwaway cluster of its own (never the shared one): stop it mid-stream, then restart."""
    import os
    import shutil
    import tempfile
    import time
    from pathlib import Path

    from geo_data.cluster import LocalCluster
    from geo_data.migrator import migration_files

    tmp = Path(tempfile.mkdtemp(prefix="gc-outage-"))
    os.chmod(tmp, 0o755)  # the server runs as an unprivileged user when the tests run as root
    cluster = LocalCluster(tmp / "cluster")
    cluster.start()
    try:
        url = cluster.url()
        with connect(url, autocommit=True) as c:  # only the schema this test needs (faster than all migrations)
            for path in migration_files():
                if path.stem == "000_baseline":
                    c.execute(path.read_text(encoding="utf-8").encode())
        with connect(url) as c:
            build(c, cells=False)
            c.commit()
        tok = token(url, source="outage-src")
        items = [alert(f"o-{i}", lng=120.001 + i * 0.0003, lat=30.05) for i in range(300)]
        with api_server(url, api_settings(url, tmp / "data"), pool_timeout=1) as api:
            r = _post(api, tok, {"items": items[:100]}, path="/api/v1/alerts/batch")
            assert r.status_code == 200 and r.json()["stored"] == 100
            cluster.stop()
            r = _post(api, tok, {"items": items[100:200]}, path="/api/v1/alerts/batch")
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] and "retry" in r.json()["error"]
            r = _post(api, tok, alert("o-single"))
            assert r.status_code == 503
            cluster.start()
            for _ in range(40):
                r = _post(api, tok, {"items": items}, path="/api/v1/alerts/batch")
                if r.status_code != 503:
                    break
                time.sleep(0.25)
            assert r.status_code == 200, r.text
            assert (r.json()["stored"], r.json()["duplicates"]) == (200, 100)
        with connect(url) as c:
            n = c.execute("SELECT count(*) AS n, count(DISTINCT source_id) AS d FROM alerts").fetchone()
            counted = c.execute("SELECT sum(alert_count) AS n FROM incidents").fetchone()["n"]
        assert (n["n"], n["d"], counted) == (300, 300, 300)
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_token_cli_create_list_revoke(api: str, db_url: str, conn: Any) -> None:
    from click.testing import CliRunner

    from cli import main

    runner = CliRunner()
    env = {"DATABASE_URL": db_url}
    created = runner.invoke(main, ["token", "create", "--source", "cli-cam", "--county", COUNTY], env=env)
    assert created.exit_code == 0, created.output
    text = created.stdout.strip()
    assert text.startswith("gc_") and len(text) > 40
    stored = conn.execute("SELECT token_hash, prefix FROM api_tokens WHERE source = 'cli-cam'").fetchone()
    assert stored["token_hash"] != text and len(stored["token_hash"]) == 64 and text.startswith(stored["prefix"])
    listed = runner.invoke(main, ["token", "list"], env=env)
    assert stored["prefix"] in listed.output and text not in listed.output
    assert _post(api, text, alert(_sid())).status_code == 201
    revoked = runner.invoke(main, ["token", "revoke", stored["prefix"]], env=env)
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert _post(api, text, alert(_sid())).status_code == 401
    bad = runner.invoke(main, ["token", "create", "--source", "x", "--county", "999999"], env=env)
    assert bad.exit_code == 2 and "unknown county" in bad.output
