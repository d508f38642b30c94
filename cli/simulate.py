"""``gridcommand simulate``: a live county for demos and the wall display.

Sends realistic alerts through the real HTTP API (drones: illegal construction / open burning; AI cameras:
street vending / fire lanes; sensors: discharge / noise / hazardous chemicals; complaints: noise / vending),
placed near enterprises of fitting industries, with repeat reports (incident de-duplication) and occasional
resends (idempotency); moves teams (``geo_data.teams.move_team``, NOTIFY kind "team"); and plays a dispatcher
who assigns the top recommended team, advances dispatches through their statuses, closes resolved incidents and
closes some remote-closable ones remotely — all through the API as well.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import requests

from cli.common import fail_clearly, settings_of, url_of
from geo_data.db import connect, fetch_all
from geo_data.teams import move_team
from geo_data.tokens import create_token, token_for

log = logging.getLogger(__name__)
SH = ZoneInfo("Asia/Shanghai")
SOURCE = "simulator"
KIND_TYPES = {
    "drone": ["illegal_construction", "open_burning", "illegal_land_use", "material_piling"],
    "ai_camera": ["street_vending", "fire_lane_blocked", "outdoor_ads", "muck_truck"],
    "sensor": ["illegal_discharge", "noise", "hazchem_anomaly", "smoke_fire"],
    "complaint": ["noise", "street_vending", "food_safety_complaint"],
}
KIND_WEIGHTS = {"drone": 0.2, "ai_camera": 0.4, "sensor": 0.25, "complaint": 0.15}
TYPE_INDUSTRIES = {
    "illegal_discharge": {"textile", "plastics", "food_production", "hardware_mfg", "livestock"},
    "hazchem_anomaly": {"hazchem", "gas_station"},
    "smoke_fire": {"hazchem", "gas_station", "furniture", "recycling"},
    "food_safety_complaint": {"catering", "food_retail", "food_production"},
    "street_vending": {"catering", "food_retail", "general_retail"},
    "fire_lane_blocked": {"catering", "hotel", "entertainment", "general_retail"},
    "noise": {"entertainment", "construction", "catering", "hardware_mfg"},
    "illegal_construction": {"construction", "building_materials", "agri_produce"},
    "open_burning": {"agri_inputs", "agri_produce", "livestock"},
}
SEVERITY_WEIGHTS = {"low": 0.3, "medium": 0.45, "high": 0.2, "urgent": 0.05}
NEXT_STATUS = {"assigned": "accepted", "accepted": "en_route", "en_route": "on_site", "on_site": "resolved"}


@dataclass
class _Sim:
    api: str
    db_url: str
    county: str
    token: str
    rng: random.Random
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    recent: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0
    sent: int = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _token(db_url: str, county: str, data_dir: Path) -> str:
    """Reuse the simulator's token kept in the data directory, or create one (alerts + dispatch scopes)."""
    path = data_dir / f"simulator_token_{county}"
    with connect(db_url) as conn:
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            if token_for(conn, text) is not None:
                conn.commit()
                return text
        text, _ = create_token(conn, source=SOURCE, county_code=county, created_by="simulator",
                               scopes=("alerts:write", "incidents:read", "dispatch:write"))
        conn.commit()
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return text


def _jitter(rng: random.Random, lng: float, lat: float, metres: float) -> tuple[float, float]:
    r, a = metres * math.sqrt(rng.random()), rng.random() * 2 * math.pi
    return lng + r * math.cos(a) / (111_320 * math.cos(math.radians(lat))), lat + r * math.sin(a) / 110_540


def _make_alert(sim: _Sim) -> dict[str, Any]:
    rng = sim.rng
    if sim.recent and rng.random() < 0.1:  # a resend: same source id (idempotency)
        return dict(rng.choice(sim.recent))
    if sim.recent and rng.random() < 0.25:  # another report of the same thing (de-duplication)
        base = rng.choice(sim.recent)
        lng, lat = _jitter(rng, base["location"]["lng"], base["location"]["lat"], 60)
        kind, type_code = base["source_kind"], base["type"]
    else:
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        options = [t for t in KIND_TYPES[kind] if t in sim.types] or sorted(sim.types)
        type_code = rng.choice(options)
        fit = [e for e in sim.enterprises if e["industry_code"] in TYPE_INDUSTRIES.get(type_code, set())]
        e = rng.choice(fit or sim.enterprises)
        lng, lat = _jitter(rng, e["lng"], e["lat"], 30)
    sim.seq += 1
    body = {"source_id": f"sim-{int(time.time())}-{sim.seq}", "source_kind": kind, "type": type_code,
            "observed_at": datetime.now(SH).isoformat(timespec="seconds"),
            "location": {"lng": round(lng, 6), "lat": round(lat, 6)},
            "confidence": round(rng.uniform(0.55, 0.99), 2),
            "severity": rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0],
            "evidence_url": f"https://evidence.example.cn/{kind}/{sim.seq}.jpg",
            "description": {"drone": "无人机巡航发现", "ai_camera": "AI巡查识别", "sensor": "物联感知超限",
                            "complaint": "群众投诉"}[kind]}
    sim.recent.append(body)
    del sim.recent[:-200]
    return body


def _send_alerts(sim: _Sim, n: int, session: requests.Session) -> None:
    if n <= 0:
        return
    items = [_make_alert(sim) for _ in range(n)]
    if n == 1:
        r = session.post(f"{sim.api}/api/v1/alerts", json=items[0], headers=sim.headers(), timeout=30)
    else:
        r = session.post(f"{sim.api}/api/v1/alerts/batch", json={"items": items}, headers=sim.headers(), timeout=60)
    if r.status_code >= 400:
        log.warning("simulator: alerts refused: %s %s", r.status_code, r.text[:200])
    else:
        sim.sent += n


def _move_teams(sim: _Sim) -> None:
    now = datetime.now(UTC)
    with connect(sim.db_url) as conn:
        for t in fetch_all(conn, "team_sim_state", {"county_code": sim.county}):
            if t["target_lng"] is not None and t["dispatch_status"] in ("accepted", "en_route"):
                f = 0.35  # head for the incident
                lng = t["lng"] + (t["target_lng"] - t["lng"]) * f
                lat = t["lat"] + (t["target_lat"] - t["lat"]) * f
            elif t["target_lng"] is not None:
                continue  # assigned but not moving yet, or on site
            elif sim.rng.random() < 0.2:  # back towards base now and then, else patrol nearby
                lng, lat = _jitter(sim.rng, t["base_lng"], t["base_lat"], 800)
            else:
                lng, lat = _jitter(sim.rng, t["lng"], t["lat"], 250)
            move_team(conn, team_id=t["id"], lng=lng, lat=lat, at=now)
        conn.commit()


def _dispatcher(sim: _Sim, session: requests.Session) -> None:
    """Assign, advance, close: a few API calls per tick, like a busy township centre."""
    api, h, rng = sim.api, sim.headers(), sim.rng
    with connect(sim.db_url) as conn:
        open_ = fetch_all(conn, "incident_sim_open", {"county_code": sim.county, "n": 3})
        teams = fetch_all(conn, "team_sim_state", {"county_code": sim.county})
        resolved = fetch_all(conn, "incident_sim_resolved", {"county_code": sim.county, "n": 2})
    for inc in open_:
        if inc["remote_closable"] and rng.random() < 0.3:
            session.post(f"{api}/api/v1/incidents/{inc['id']}/remote-close", headers=h, timeout=30,
                         json={"reason": "视频复核已整改", "evidence": f"https://evidence.example.cn/review/{inc['id']}"})
            continue
        recs = session.get(f"{api}/api/v1/incidents/{inc['id']}/recommendations", headers=h, timeout=30)
        items = recs.json().get("items", []) if recs.ok else []
        if items:
            session.post(f"{api}/api/v1/incidents/{inc['id']}/assign", headers=h, timeout=30,
                         json={"team_id": items[0]["team_id"], "eta_minutes": items[0]["eta_minutes"]})
    for t in teams:
        status = t["dispatch_status"]
        if status in NEXT_STATUS and rng.random() < 0.25:
            session.post(f"{api}/api/v1/incidents/{t['incident_id']}/status", headers=h, timeout=30,
                         json={"status": NEXT_STATUS[status]})
    for inc in resolved:
        session.post(f"{api}/api/v1/incidents/{inc['id']}/status", headers=h, timeout=30,
                     json={"status": "closed", "note": "复查合格，结案"})


def wait_for(api: str, timeout_s: float = 120.0) -> bool:
    """Wait until the server answers /healthz."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            if requests.get(f"{api}/healthz", timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def run(*, api: str, db_url: str, county: str, rate: float, duration: float, data_dir: Path,
        seed: int | None = None, stop: threading.Event | None = None) -> int:
    """Simulate until ``duration`` seconds pass (0: forever) or ``stop`` is set; returns alerts sent."""
    sim = _Sim(api=api.rstrip("/"), db_url=db_url, county=county, token=_token(db_url, county, data_dir),
               rng=random.Random(seed))
    with connect(db_url) as conn:
        sim.enterprises = fetch_all(conn, "alert_sim_enterprises", {"county_code": county, "n": 3000})
        sim.types = {r["code"] for r in fetch_all(conn, "alert_types_all")}
    if not sim.enterprises or not sim.types:
        raise click.ClickException(f"county {county} has no enterprises or no alert types: load the demo first")
    start, tick, carry = time.monotonic(), 0, 0.0
    with requests.Session() as session:
        while not (stop and stop.is_set()) and (duration <= 0 or time.monotonic() - start < duration):
            t0 = time.monotonic()
            carry += rate
            n = int(carry)
            carry -= n
            try:
                _send_alerts(sim, n, session)
                if tick % 2 == 0:
                    _move_teams(sim)
                if tick % 3 == 0:
                    _dispatcher(sim, session)
            except (requests.RequestException, OSError) as exc:
                log.warning("simulator: %s", exc)
            tick += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    return sim.sent


def start_background(ctx: click.Context, base_url: str, rate: float = 1.0) -> threading.Thread:
    """Run the simulator in a daemon thread once the server at ``base_url`` is up (``serve --simulate``)."""
    settings = settings_of(ctx)
    db_url = url_of(ctx)

    def target() -> None:
        if not wait_for(base_url):
            log.warning("simulator: server %s did not come up", base_url)
            return
        try:
            run(api=base_url, db_url=db_url, county=settings.server.default_county, rate=rate, duration=0,
                data_dir=settings.db.data_dir)
        except Exception:  # noqa: BLE001 - the server keeps running without its simulator
            log.exception("simulator stopped")

    thread = threading.Thread(target=target, name="gc-simulator", daemon=True)
    thread.start()
    return thread


@click.command("simulate")
@click.option("--rate", default=2.0, show_default=True, type=float, help="alerts per second")
@click.option("--url", "api", default=None, help="server base URL (default http://HOST:PORT from settings)")
@click.option("--county", default=None, help="county code (default from settings)")
@click.option("--duration", default=0.0, type=float, help="seconds to run (0: until interrupted)")
@click.option("--seed", default=None, type=int, help="random seed (reproducible runs)")
@click.pass_context
def command(ctx: click.Context, rate: float, api: str | None, county: str | None, duration: float,
            seed: int | None) -> None:
    """Send live alerts, move teams and advance dispatches through the real API."""
    settings = settings_of(ctx)
    api = api or f"http://{settings.server.host}:{settings.server.port}"
    with fail_clearly():
        if not wait_for(api, 30):
            raise click.ClickException(f"no server answers at {api}")
        sent = run(api=api, db_url=url_of(ctx), county=county or settings.server.default_county, rate=rate,
                   duration=duration, data_dir=settings.db.data_dir, seed=seed)
    click.echo(f"sent {sent} alerts")
