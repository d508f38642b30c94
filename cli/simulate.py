"""``gridcommand simulate``: a live county for demos and the wall display, at rates set in ``SimulatorSettings``
(``GRIDCOMMAND_SIM_*``; the command's flags override them).

Sends realistic alerts through the real HTTP API (drones: illegal construction / open burning; AI cameras:
street vending / fire lanes; sensors: discharge / noise / hazardous chemicals; complaints: noise / vending),
placed near enterprises of fitting industries, with repeat reports (incident de-duplication) and occasional
resends (idempotency). Moves teams the way their vehicle trackers would: one device per team (registered once,
its token kept in the data directory) reporting OsmAnd fixes to ``/api/v1/positions/osmand`` every
``fix_interval_s``, driving at about ``speed_kmh`` along grid-like legs between patrol waypoints of the team's own
township (squads: anywhere in the county), to its incident when en route, standing still on site. And plays a
dispatcher (``dispatch``): ``squads`` (the default) sends county squads only and advances and closes only its own
dispatches, so a township dispatcher trying the demo keeps their own queue; ``all`` plays every dispatcher and
closes some remote-closable incidents remotely; ``off`` dispatches nothing. All through the API as well.
"""

from __future__ import annotations

import json
import logging
import math
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import requests
from pydantic import ValidationError

from cli.common import fail_clearly, settings_of, url_of
from cli.simulate_field import FieldPhones
from enforcement.local_time import SHANGHAI
from geo_data import devices
from geo_data.db import connect, fetch_all
from geo_data.errors import NotFound
from geo_data.settings import SimulatorSettings
from geo_data.tokens import create_token, token_for
from geo_data.travel import haversine_m

log = logging.getLogger(__name__)
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

KNOT_MS = 0.514444
PATROL_RADIUS_M = {"township": 4_000.0, "squad": 8_000.0}


@dataclass
class _Tracker:
    """One team's simulated vehicle tracker: where it is, where it drives to, when it reports next."""

    team_id: int
    kind: str
    township_code: str | None
    identifier: str
    token: str
    lng: float
    lat: float
    base: tuple[float, float]
    route: list[tuple[float, float]] = field(default_factory=list)  # legs still to drive (lng, lat)
    patrol: bool = False            # the route is a patrol (not to an incident)
    dwell_until: float = 0.0        # monotonic seconds: parked at a waypoint until then
    next_fix: float = 0.0           # monotonic seconds
    last_fix: float | None = None
    pace: float = 1.0               # this driver's speed relative to ``speed_kmh``
    battery: float = 100.0


@dataclass
class _Sim:
    api: str
    db_url: str
    county: str
    token: str
    actor: str                      # how the API records the simulator (``token:<prefix>``)
    rng: random.Random
    cfg: SimulatorSettings
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    recent: list[dict[str, Any]] = field(default_factory=list)
    trackers: dict[int, _Tracker] = field(default_factory=dict)
    phones: FieldPhones | None = None   # teams' steps through the field app (cli.simulate_field)
    seq: int = 0
    sent: int = 0
    fixes: int = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class SimResult:
    """What a run sent: alerts accepted, tracker fixes accepted (200), dispatch steps the phones sent (200)."""

    alerts: int
    fixes: int
    steps: int = 0


def _token(db_url: str, county: str, data_dir: Path) -> tuple[str, str]:
    """Reuse the simulator's token kept in the data directory, or create one (alerts + dispatch scopes);
    returns (token, the actor the API records for it)."""
    path = data_dir / f"simulator_token_{county}"
    with connect(db_url) as conn:
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            record = token_for(conn, text)
            if record is not None:
                conn.commit()
                return text, f"token:{record.prefix}"
        text, record = create_token(conn, source=SOURCE, county_code=county, created_by="simulator",
                                    scopes=("alerts:write", "incidents:read", "dispatch:write"))
        conn.commit()
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return text, f"token:{record.prefix}"


def _register_trackers(sim: _Sim, data_dir: Path, teams: list[dict[str, Any]]) -> None:
    """One vehicle tracker per moved team, idempotently: a device whose token is kept in the data directory and
    still live is reused; a team without one gets a new device; the simulator's other live devices of the
    county (a lost token file, teams no longer moved) are revoked."""
    path = data_dir / f"simulator_devices_{sim.county}.json"
    try:
        kept: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        kept = {}
    now = time.monotonic()
    interval = sim.cfg.fix_interval_s
    with connect(sim.db_url) as conn:
        for t in teams:
            entry = kept.get(str(t["id"]))
            device = devices.device_for_token(conn, entry["token"]) if entry else None
            if device is None or device.team_id != t["id"]:
                identifier = f"sim-{sim.county}-t{t['id']}-{secrets.token_hex(3)}"
                token, device = devices.add_device(conn, team_id=t["id"], identifier=identifier, kind="vehicle",
                                                   label="模拟车载定位", created_by=SOURCE)
                entry = {"identifier": identifier, "token": token}
                kept[str(t["id"])] = entry
            assert entry is not None
            sim.trackers[t["id"]] = _Tracker(
                team_id=t["id"], kind=t["kind"], township_code=t["township_code"], identifier=entry["identifier"],
                token=entry["token"], lng=t["lng"], lat=t["lat"], base=(t["base_lng"], t["base_lat"]),
                next_fix=now + sim.rng.random() * interval,  # trackers do not all report in the same second
                pace=sim.rng.uniform(0.7, 1.2), battery=sim.rng.uniform(60, 100))
        live = {e["identifier"] for tid, e in kept.items() if int(tid) in sim.trackers}
        for d in devices.list_devices(conn, sim.county):
            if d["revoked_at"] is None and d["identifier"].startswith(f"sim-{sim.county}-t") \
                    and d["identifier"] not in live:
                try:
                    devices.revoke_device(conn, d["identifier"], actor=SOURCE)
                except NotFound:
                    pass
        conn.commit()
    kept = {tid: e for tid, e in kept.items() if int(tid) in sim.trackers}
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept), encoding="utf-8")
    path.chmod(0o600)


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
            "observed_at": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
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


def _legs(rng: random.Random, start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    """A grid-like way from ``start`` to ``end``: along one axis, then the other (county roads are rarely a
    straight line), with the corner nudged so no two trips look the same."""
    if rng.random() < 0.5:
        corner = (end[0], start[1] + (end[1] - start[1]) * rng.uniform(0.0, 0.3))
    else:
        corner = (start[0] + (end[0] - start[0]) * rng.uniform(0.0, 0.3), end[1])
    return [corner, end]


def _waypoint(sim: _Sim, tr: _Tracker) -> tuple[float, float]:
    """The next patrol stop: back to base now and then, else an enterprise of the team's own township (a
    squad: of the county) within reach of its base."""
    if sim.rng.random() < 0.15:
        return tr.base
    radius = PATROL_RADIUS_M.get(tr.kind, 4_000.0)
    near = [e for e in sim.enterprises
            if (tr.township_code is None or e["township_code"] == tr.township_code)
            and haversine_m(tr.base[0], tr.base[1], e["lng"], e["lat"]) <= radius]
    if not near:
        return tr.base
    e = sim.rng.choice(near)
    return e["lng"], e["lat"]


def _drive(sim: _Sim, tr: _Tracker, state: dict[str, Any] | None, now: float, dt_s: float) -> float:
    """Move the tracker ``dt_s`` seconds along its way; returns the distance driven (m)."""
    status = (state or {}).get("dispatch_status")
    if status in ("accepted", "en_route") and state and state["target_lng"] is not None:
        target = (float(state["target_lng"]), float(state["target_lat"]))
        if tr.patrol or not tr.route or tr.route[-1] != target:
            tr.route, tr.patrol = _legs(sim.rng, (tr.lng, tr.lat), target), False
    elif status in ("assigned", "on_site"):
        tr.route = []                 # waiting for the go, or working on site: standing still
        return 0.0
    elif not tr.patrol or not tr.route:
        if now < tr.dwell_until:
            return 0.0
        tr.route, tr.patrol = _legs(sim.rng, (tr.lng, tr.lat), _waypoint(sim, tr)), True
    budget = sim.cfg.speed_kmh / 3.6 * tr.pace * sim.rng.uniform(0.6, 1.15) * dt_s  # traffic, lights
    driven = 0.0
    while tr.route and budget > 0:
        lng, lat = tr.route[0]
        d = haversine_m(tr.lng, tr.lat, lng, lat)
        if d <= budget:
            tr.lng, tr.lat, budget, driven = lng, lat, budget - d, driven + d
            tr.route.pop(0)
        else:
            f = budget / d
            tr.lng, tr.lat = tr.lng + (lng - tr.lng) * f, tr.lat + (lat - tr.lat) * f
            driven, budget = driven + budget, 0.0
    if not tr.route and tr.patrol:
        tr.dwell_until = now + sim.rng.uniform(60, 600)   # a stop at the enterprise
    return driven


def _report_fixes(sim: _Sim, session: requests.Session) -> None:
    """Each tracker due reports one OsmAnd fix (form body, token in the query, as Traccar Client does)."""
    now = time.monotonic()
    due = [tr for tr in sim.trackers.values() if tr.next_fix <= now]
    if not due:
        return
    with connect(sim.db_url) as conn:
        states = {r["id"]: r for r in fetch_all(conn, "team_sim_state", {"county_code": sim.county})}
    for tr in due:
        dt = sim.cfg.fix_interval_s if tr.last_fix is None else now - tr.last_fix
        start = (tr.lng, tr.lat)
        driven = _drive(sim, tr, states.get(tr.team_id), now, dt)
        tr.last_fix, tr.next_fix = now, max(tr.next_fix + sim.cfg.fix_interval_s, now + 0.2)
        tr.battery = max(5.0, tr.battery - 0.01)
        bearing = (math.degrees(math.atan2((tr.lng - start[0]) * math.cos(math.radians(tr.lat)),
                                           tr.lat - start[1])) % 360) if driven else -1
        lng, lat = _jitter(sim.rng, tr.lng, tr.lat, 6)   # GNSS noise
        form = {"id": tr.identifier, "lat": f"{lat:.6f}", "lon": f"{lng:.6f}",
                "timestamp": str(int(time.time() * 1000)), "speed": f"{driven / max(dt, 1.0) / KNOT_MS:.2f}",
                "bearing": f"{bearing:.0f}", "accuracy": f"{sim.rng.uniform(4, 15):.0f}",
                "batt": f"{tr.battery:.0f}"}
        r = session.post(f"{sim.api}/api/v1/positions/osmand", params={"token": tr.token}, data=form, timeout=30)
        if r.ok:
            sim.fixes += 1
        else:
            log.warning("simulator: fix of team %s refused: %s %s", tr.team_id, r.status_code, r.text[:200])


def _dispatcher(sim: _Sim, session: requests.Session) -> None:
    """Assign, advance, close: a few API calls per tick. ``squads``: county squads only, and only its own
    dispatches are advanced and closed; ``all``: every team and dispatch, and remote closures."""
    mode = sim.cfg.dispatch
    if mode == "off":
        return
    api, h, rng = sim.api, sim.headers(), sim.rng
    own = sim.actor if mode == "squads" else None
    with connect(sim.db_url) as conn:
        open_ = fetch_all(conn, "incident_sim_open", {"county_code": sim.county, "n": 3})
        teams = fetch_all(conn, "team_sim_state", {"county_code": sim.county})
        resolved = fetch_all(conn, "incident_sim_resolved", {"county_code": sim.county, "n": 2,
                                                             "assigned_by": own})
    for inc in open_:
        if mode == "all" and inc["remote_closable"] and rng.random() < 0.3:
            session.post(f"{api}/api/v1/incidents/{inc['id']}/remote-close", headers=h, timeout=30,
                         json={"reason": "视频复核已整改", "evidence": f"https://evidence.example.cn/review/{inc['id']}"})
            continue
        recs = session.get(f"{api}/api/v1/incidents/{inc['id']}/recommendations", headers=h, timeout=30)
        items = recs.json().get("items", []) if recs.ok else []
        if mode == "squads":
            items = [r for r in items if r.get("township_code") is None]  # county squads have no township
        if items:
            session.post(f"{api}/api/v1/incidents/{inc['id']}/assign", headers=h, timeout=30,
                         json={"team_id": items[0]["team_id"], "eta_minutes": items[0]["eta_minutes"]})
    for t in teams:
        status = t["dispatch_status"]
        if status in NEXT_STATUS and (own is None or t["assigned_by"] == own) and rng.random() < 0.25:
            if sim.phones is not None:  # as the team's member would: the field app, with the phone's position
                tr = sim.trackers.get(t["id"])
                r = sim.phones.step(t, NEXT_STATUS[status], lng=tr.lng if tr else t["lng"],
                                    lat=tr.lat if tr else t["lat"])
                if r.status_code >= 400:
                    log.warning("simulator: field step of team %s refused: %s %s", t["id"], r.status_code,
                                r.text[:200])
            else:
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


def run(*, api: str, db_url: str, county: str, settings: SimulatorSettings, duration: float, data_dir: Path,
        seed: int | None = None, stop: threading.Event | None = None) -> SimResult:
    """Simulate until ``duration`` seconds pass (0: forever) or ``stop`` is set."""
    token, actor = _token(db_url, county, data_dir)
    sim = _Sim(api=api.rstrip("/"), db_url=db_url, county=county, token=token, actor=actor,
               rng=random.Random(seed), cfg=settings,
               phones=FieldPhones(api=api.rstrip("/"), db_url=db_url, county=county, data_dir=data_dir))
    with connect(db_url) as conn:
        sim.enterprises = fetch_all(conn, "alert_sim_enterprises", {"county_code": county, "n": 3000})
        sim.types = {r["code"] for r in fetch_all(conn, "alert_types_all")}
        teams = fetch_all(conn, "team_sim_state", {"county_code": county})
    if not sim.enterprises or not sim.types:
        raise click.ClickException(f"county {county} has no enterprises or no alert types: load the demo first")
    if settings.fix_interval_s > 0:
        _register_trackers(sim, data_dir, teams[:settings.teams] if settings.teams else teams)
    start, tick, carry = time.monotonic(), 0, 0.0
    with requests.Session() as session:
        while not (stop and stop.is_set()) and (duration <= 0 or time.monotonic() - start < duration):
            t0 = time.monotonic()
            carry += settings.alert_rate
            n = int(carry)
            carry -= n
            try:
                _send_alerts(sim, n, session)
                _report_fixes(sim, session)
                if tick % 3 == 0:
                    _dispatcher(sim, session)
            except (requests.RequestException, OSError) as exc:
                log.warning("simulator: %s", exc)
            tick += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    return SimResult(alerts=sim.sent, fixes=sim.fixes, steps=sim.phones.steps if sim.phones else 0)


def start_background(ctx: click.Context, base_url: str) -> threading.Thread:
    """Run the simulator (``settings.sim``) in a daemon thread once the server at ``base_url`` is up
    (``serve --simulate``)."""
    settings = settings_of(ctx)
    db_url = url_of(ctx)

    def target() -> None:
        if not wait_for(base_url):
            log.warning("simulator: server %s did not come up", base_url)
            return
        try:
            run(api=base_url, db_url=db_url, county=settings.server.default_county, settings=settings.sim,
                duration=0, data_dir=settings.db.data_dir)
        except Exception:  # noqa: BLE001 - the server keeps running without its simulator
            log.exception("simulator stopped")

    thread = threading.Thread(target=target, name="gc-simulator", daemon=True)
    thread.start()
    return thread


@click.command("simulate")
@click.option("--rate", type=float, default=None, help="alerts per second (default GRIDCOMMAND_SIM_ALERT_RATE, 2)")
@click.option("--fix-interval", type=float, default=None,
              help="seconds between a team tracker's fixes; 0: no moves (default GRIDCOMMAND_SIM_FIX_INTERVAL_S, 10)")
@click.option("--teams", type=int, default=None, help="teams moved; 0: all active (default GRIDCOMMAND_SIM_TEAMS)")
@click.option("--speed", type=float, default=None, help="typical driving speed, km/h (default 30)")
@click.option("--dispatch", type=click.Choice(["off", "squads", "all"]), default=None,
              help="whose dispatching it plays: county squads only (default), every team, or none")
@click.option("--url", "api", default=None, help="server base URL (default http://HOST:PORT from settings)")
@click.option("--county", default=None, help="county code (default from settings)")
@click.option("--duration", default=0.0, type=float, help="seconds to run (0: until interrupted)")
@click.option("--seed", default=None, type=int, help="random seed (reproducible runs)")
@click.pass_context
def command(ctx: click.Context, rate: float | None, fix_interval: float | None, teams: int | None,
            speed: float | None, dispatch: str | None, api: str | None, county: str | None, duration: float,
            seed: int | None) -> None:
    """Send live alerts, report the teams' tracker fixes and play a dispatcher through the real API."""
    settings = settings_of(ctx)
    overrides = {k: v for k, v in {"alert_rate": rate, "fix_interval_s": fix_interval, "teams": teams,
                                   "speed_kmh": speed, "dispatch": dispatch}.items() if v is not None}
    api = api or f"http://{settings.server.host}:{settings.server.port}"
    try:
        sim = SimulatorSettings.model_validate({**settings.sim.model_dump(), **overrides})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(problems) from None
    with fail_clearly():
        if not wait_for(api, 30):
            raise click.ClickException(f"no server answers at {api}")
        result = run(api=api, db_url=url_of(ctx), county=county or settings.server.default_county, settings=sim,
                     duration=duration, data_dir=settings.db.data_dir, seed=seed)
    click.echo(f"sent {result.alerts} alerts, {result.fixes} tracker fixes and {result.steps} field steps")
