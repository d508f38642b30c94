"""Benchmark: a command centre under load — township dispatchers, wall screens and planners using their pages
while sources post alerts, against the server ``make run`` starts; driven by locust (headless, as a library).

    .venv/bin/python bench/load_command_centre.py [--minutes 10] [--dispatchers 30] [--walls 20] [--planners 10]
                                                  [--alerts-per-s 200] [--enterprises 20000]

Set-up (not timed): a fresh database with the demo county (婺城区 330702), ``--warm-alerts`` alerts of the last
24 hours through the batch API, one month of inspection tasks built into a routed plan, the users (township
dispatchers spread over the townships, ``viewer`` accounts for the walls, planners) and a source token; then
``gridcommand serve`` (gunicorn, 2 workers × 64 threads, the job worker beside it; ``tests.served``).

Every simulated person logs in through the real form (CSRF token, Origin header), loads the page shell,
``/_dash-layout``, ``/_dash-dependencies`` and Dash's page router, then fires the callbacks the page fires, with
the values read from the rendered layout (the shapes are checked against ``/_dash-dependencies`` before the run):
* a wall (``/wall?rotate=60``): KPI tiles, outlines, cells, the live bases once the stream says hello; then KPI
  tiles every 60 s, the township rotation and its cells every ``--wall-rotate`` s, the bases every 5 min and on a
  resync (the incident list is drawn in the browser from the live incident layer: no callback per change);
* a township dispatcher on ``/dispatch``: the queue's base (incidents and teams) once the stream says hello,
  every 5 min and on a resync (the queue and its map are drawn in the browser from the base and the pushes); the
  open incident's detail again when a pushed change concerns it (at most once a second) or a team's status
  changes (at most every 5 s), as assets/gridcommand.js does; every ``--dispatcher-think`` s on average opens an
  incident of the queue (detail with recommendations) and assigns the
  first recommended team through ``POST /api/v1/incidents/{id}/assign`` with probability ``--assign-share``
  (409 — taken meanwhile, team busy — is an expected answer, not a failure); with ``--dispatcher-map-tab`` also
  the command map ``/`` in a second tab (its first callbacks, the live bases on hello, every 5 min, on a resync);
* a planner (``/planner``): every ``--planner-think`` s opens the plan (summary and visits, days, job, a day's
  routes), looks at another day, and now and then (``--draw-share``) previews and commits a 双随机 draw.
Every wall and dispatcher page holds ``GET /events`` open on its own greenlet (the page's EventSource), reading.
Sources post ``--alerts-per-s`` alerts (``--batch-share`` of them in batches of ``--batch-size``, the rest as
single posts) with a bearer token through the intake API.

Push latency: from the moment an alert's POST is answered (the bench records the alert id it returned) to the
moment the change with that id arrives on a stream that may see it, for every ``--push-sample``-th alert id on
every stream; the bench also counts the sampled alerts each stream never received and any from outside its
township (both should be 0). Callback latency is locust's response time of ``/_dash-update-component``.

The load generator shares the machine's cores with the server: its own CPU time is printed.
Last line: ``RESULT load_callback_p95_ms=<v> ms``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import resource
import sys
import tempfile
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import gevent
import locust  # before requests: locust patches the standard library for gevent on import
import requests
from locust import FastHttpUser, constant, constant_pacing, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _fresh_db import fresh_database  # noqa: E402
from plan_county import MONTH_END, MONTH_START, file_tasks  # noqa: E402

from enforcement.plan import DayRouteConfig  # noqa: E402
from geo_data import plans  # noqa: E402
from geo_data.db import connect  # noqa: E402
from geo_data.demo import load_demo  # noqa: E402
from geo_data.scope import Role, Scope  # noqa: E402
from geo_data.tokens import create_token  # noqa: E402
from geo_data.users import create_user  # noqa: E402
from pages.map import initial_view  # noqa: E402
from tests.page_callbacks import (  # noqa: E402
    DISPATCH,
    FIRST,
    MAP,
    PLANNER,
    ROUTER,
    WALL,
    Callback,
    check_callbacks,
    layout_values,
    pattern_ids,
)
from tests.served import served  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
COUNTY = "330702"
PASSWORD = "load-test-passphrase-7"
KINDS = ("drone", "ai_camera", "sensor", "complaint")
SEVERITIES = ("low", "medium", "high", "urgent")
SEVERITY_P = (0.45, 0.35, 0.15, 0.05)
PAGE_RESYNC_S = 300.0      # the live bases' safety-net reload (pages.map.live_stores: 5 min)
SEVERITY_RANK = {"urgent": 0, "high": 1, "medium": 2, "low": 3}   # the queue's order (gridcommand.js)
WALL_REFRESH_S = 60.0      # pages.wall: wall-refresh
WALL_VIEW_PX = (1380, 900)  # pages.wall: the wall map's size for the rotation's zoom


# ------------------------------------------------------------------------------------------------ the run


@dataclass
class Run:
    """What the set-up hands the simulated people, and what they record."""

    base: str = ""
    token: str = ""
    dispatchers: list[tuple[str, str]] = field(default_factory=list)   # (username, township)
    walls: list[str] = field(default_factory=list)
    planners: list[str] = field(default_factory=list)
    plan_id: int = 0
    points: list[tuple[float, float]] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    args: argparse.Namespace | None = None
    # recorded
    answered: dict[int, float] = field(default_factory=dict)        # sampled alert id -> epoch s answered
    sent_new: int = 0
    sent_rejected: int = 0
    streams: list[Stream] = field(default_factory=list)
    callback_ms: array = field(default_factory=lambda: array("d"))
    per_callback: dict[str, array] = field(default_factory=lambda: defaultdict(lambda: array("d")))
    callback_bytes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    status: Counter[int] = field(default_factory=Counter)
    five_xx: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    stopping: bool = False


RUN = Run()
_serial = itertools.count()


class Stream:
    """One page's ``GET /events``: read on its own greenlet; arrivals of sampled alerts recorded by id."""

    def __init__(self, cookies: Any, township: str | None, owner: str) -> None:
        self.township = township
        self.owner = owner
        self.session = requests.Session()
        self.session.cookies = cookies
        self.arrived: dict[int, float] = {}     # sampled alert id -> epoch s of its first arrival
        self.resync_wanted = False
        self.selected: int | None = None   # the dispatch page's open incident (gridcommand.js follows it)
        self.team_status: dict[int, Any] = {}
        self.selected_touched = False      # dsp-push: a change of the open incident, or a resync
        self.team_touched = False          # dsp-push (at most every 5 s): a team's status changed
        self.open_incidents: dict[int, tuple[int, str]] = {}   # the queue as the browser holds it: id -> rank, due
        self.messages = self.resyncs = self.reconnects = 0
        self.subscribed: list[list[float]] = []   # [hello received, stream ended] (epoch s) per connection
        self.greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        sample = RUN.args.push_sample if RUN.args else 1
        while not RUN.stopping:
            try:
                with self.session.get(f"{RUN.base}/events", stream=True, timeout=(10, 30)) as r:
                    RUN.kinds["events"] += 1
                    RUN.status[r.status_code] += 1
                    if r.status_code >= 500:
                        RUN.five_xx.append(f"{r.status_code} /events")
                    if r.status_code != 200:
                        RUN.failures[f"events {r.status_code}"] += 1
                        gevent.sleep(2)
                        continue
                    event = "message"
                    for raw in r.iter_lines(chunk_size=4096):
                        if RUN.stopping:
                            return
                        line = raw.decode("utf-8", "replace")
                        if line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:"):
                            self._on_data(event, line[5:].strip(), time.time(), sample)
                        elif not line:
                            event = "message"
            except (requests.RequestException, OSError) as exc:
                if RUN.stopping:
                    return
                RUN.failures[f"events {type(exc).__name__}"] += 1
            finally:
                if self.subscribed and self.subscribed[-1][1] == float("inf"):
                    self.subscribed[-1][1] = time.time()
            self.reconnects += 1
            gevent.sleep(2)     # EventSource's retry (api/events.py sends retry: 2000)

    def _on_data(self, event: str, data: str, now: float, sample: int) -> None:
        if event == "hello":
            self.resync_wanted = True       # the page loads its bases once the stream says hello
            self.subscribed.append([now, float("inf")])
            return
        if event != "message":
            return                          # heartbeat
        try:
            msg = json.loads(data)
        except ValueError:
            RUN.failures["events unparsable"] += 1
            return
        # the stream's message: {"seq", "at", "resync", "changes": [...]}; older forms: a list or one change
        if isinstance(msg, dict) and isinstance(msg.get("changes"), list):
            changes, resync = msg["changes"], bool(msg.get("resync"))
        elif isinstance(msg, list):
            changes, resync = msg, False
        elif isinstance(msg, dict) and "kind" in msg:
            changes, resync = [msg], False
        else:
            return
        self.messages += 1
        for c in changes:
            if not isinstance(c, dict):
                continue
            kind = c.get("kind")
            if kind == "resync" or c.get("op") == "resync":
                resync = True
            elif kind == "incident":
                self._queue_change(c)
                if c.get("id") == self.selected:
                    self.selected_touched = True
            elif kind == "team":
                status = (c.get("feature") or {}).get("properties", {}).get("status") if c.get("op") != "remove" \
                    else "gone"
                if self.team_status.get(c.get("id"), status) != status:
                    self.team_touched = True
                self.team_status[c.get("id")] = status
            elif kind == "alert" and isinstance(c.get("id"), int) and c["id"] % sample == 0:
                self.arrived.setdefault(c["id"], now)
        if resync:
            self.resyncs += 1
            self.resync_wanted = self.selected_touched = True

    def _queue_change(self, c: dict[str, Any]) -> None:
        props = (c.get("feature") or {}).get("properties") or {}
        if c.get("op") == "remove" or props.get("status") not in ("open", "dispatched"):
            self.open_incidents.pop(c.get("id"), None)
        else:
            self.open_incidents[c["id"]] = (SEVERITY_RANK.get(props.get("severity"), 3), props.get("sla_due_at") or "")

    def set_base(self, base: dict[str, Any] | None) -> None:
        """The queue's base as the browser merges it (the bench opens incidents from the top of it)."""
        if not base:
            return
        self.open_incidents = {}
        for f in base.get("features", []):
            self._queue_change({"id": int(f["id"].split(":")[1]), "feature": f})

    def top(self, n: int) -> list[int]:
        return sorted(self.open_incidents, key=lambda i: (*self.open_incidents[i], i))[:n]


class Person(FastHttpUser):
    """Someone in front of a page: logs in through the form and fires the page's callbacks."""

    abstract = True
    wait_time = constant(1.0)     # each person's loop looks at its page's timers once a second

    def login(self, username: str) -> None:
        page = self.client.get("/login", name="login:form")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text or "")
        if not token:
            raise RuntimeError(f"login form without CSRF token ({page.status_code})")
        body = urlencode({"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"})
        with self.client.post("/login", data=body, name="login:post", allow_redirects=False, catch_response=True,
                              headers={"Origin": RUN.base, "Content-Type": "application/x-www-form-urlencoded"}
                              ) as r:
            if r.status_code == 302:
                r.success()
            else:
                r.failure(f"login of {username}: {r.status_code}")
                raise RuntimeError(f"login of {username}: {r.status_code}")
        self.username = username

    def open_page(self, path: str) -> Any:
        """The page shell, Dash's layout and dependencies, then the page router's render; the rendered tree."""
        route, _, query = path.partition("?")
        self.client.get(path, name=f"page:{route}")
        self.client.get("/_dash-layout", name="dash:layout")
        self.client.get("/_dash-dependencies", name="dash:dependencies")
        out = self.fire(ROUTER, {"_pages_location.pathname": route, "_pages_location.search": f"?{query}" if query
                                 else ""}, ["_pages_location.pathname", "_pages_location.search"])
        return (out or {}).get("_pages_content", {}).get("children")

    def fire(self, cb: Callback, values: dict[str, Any], changed: list[str] | None = None,
             body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """POST one callback; its ``response`` dict (None for 204: nothing to update)."""
        body = body or cb.body(values, [] if changed is None else changed)
        with self.client.post("/_dash-update-component", json=body, name=f"cb:{cb.name}", catch_response=True,
                              headers={"Origin": RUN.base}) as r:
            if r.status_code == 204:
                r.success()
                return None
            if r.status_code != 200:
                r.failure(f"{r.status_code} {(r.text or '')[:200]}")
                return None
            try:
                return r.json().get("response", {})
            except ValueError:
                r.failure("callback answer is not JSON")
                return None

    def cookies(self) -> Any:
        jar = requests.cookies.RequestsCookieJar()
        for c in self.client.cookiejar:
            jar.set_cookie(c)
        return jar

    def on_stop(self) -> None:
        for stream in (getattr(self, "stream", None), getattr(self, "map_stream", None)):
            if stream is not None:
                stream.greenlet.kill(block=False)


class Wall(Person):
    """A wall screen on ``/wall?rotate=N``: timers and pushes drive its callbacks."""

    fixed_count = 20

    def on_start(self) -> None:
        args = RUN.args
        assert args is not None
        self.login(RUN.walls[next(_serial) % len(RUN.walls)])
        self.rotate_s = args.wall_rotate
        tree = self.open_page(f"/wall?rotate={self.rotate_s}" if self.rotate_s else "/wall")
        self.v = layout_values(tree, WALL.values())
        for cb in FIRST["/wall"]:
            self.fire(cb, self.v)
        self.stream = Stream(self.cookies(), None, self.username)
        RUN.streams.append(self.stream)
        now = time.monotonic()
        self.next_refresh = now + WALL_REFRESH_S
        self.next_rotate = now + self.rotate_s if self.rotate_s else float("inf")
        self.next_resync = now + PAGE_RESYNC_S
        self.n_refresh = self.n_rotate = self.n_resync = 0

    @task
    def tick(self) -> None:
        now = time.monotonic()
        s = self.stream
        if s.resync_wanted:
            s.resync_wanted = False
            self.v["live-resync.data"] += 1
            self.fire(WALL["live"], self.v, ["live-resync.data"])
        if now >= self.next_resync:
            self.next_resync = now + PAGE_RESYNC_S
            self.n_resync += 1
            self.v["wall-resync.n_intervals"] = self.n_resync
            self.fire(WALL["live"], self.v, ["wall-resync.n_intervals"])
        if now >= self.next_refresh:
            self.next_refresh = now + WALL_REFRESH_S
            self.n_refresh += 1
            self.v["wall-refresh.n_intervals"] = self.n_refresh
            self.fire(WALL["kpis"], self.v, ["wall-refresh.n_intervals"])
        if now >= self.next_rotate:
            self.next_rotate = now + self.rotate_s
            self.rotate()

    def rotate(self) -> None:
        self.n_rotate += 1
        self.v["wall-rotate.n_intervals"] = self.n_rotate
        out = self.fire(WALL["rotate"], self.v, ["wall-rotate.n_intervals"]) or {}
        self.v["wall-rotation.data"] = out.get("wall-rotation", {}).get("data", self.v["wall-rotation.data"])
        viewport = out.get("wall-map", {}).get("viewport")
        if isinstance(viewport, dict) and viewport.get("bounds"):
            # Leaflet flies there and reports its new view: the cells follow
            bounds = viewport["bounds"]
            fitted = initial_view(bounds, *WALL_VIEW_PX)
            self.v.update({"wall-map.bounds": bounds, "wall-map.zoom": fitted["zoom"],
                           "wall-map.center": fitted["center"]})
            self.fire(WALL["cells"], self.v, ["wall-map.bounds", "wall-map.zoom", "wall-map.center"])


class Dispatcher(Person):
    """A township dispatcher on ``/dispatch`` (which follows ``/events``: assets/gridcommand.js), with the command
    map ``/`` in a second tab (its own stream) if ``--dispatcher-map-tab``."""

    fixed_count = 30

    def on_start(self) -> None:
        args = RUN.args
        assert args is not None
        username, self.township = RUN.dispatchers[next(_serial) % len(RUN.dispatchers)]
        self.login(username)
        tree = self.open_page("/dispatch")
        self.d = layout_values(tree, DISPATCH.values())
        self.fire(DISPATCH["detail"], self.d)
        self.stream = Stream(self.cookies(), self.township, username)
        RUN.streams.append(self.stream)
        self.map_stream: Stream | None = None
        if args.dispatcher_map_tab:
            tree = self.open_page("/")
            self.m = layout_values(tree, MAP.values())
            for cb in FIRST["/"]:
                self.fire(cb, self.m)
            self.map_stream = Stream(self.cookies(), self.township, username)
            RUN.streams.append(self.map_stream)
        now = time.monotonic()
        self.next_open = now + random.expovariate(1 / args.dispatcher_think)
        self.next_resync = now + PAGE_RESYNC_S
        self.next_base = now + PAGE_RESYNC_S
        self.last_push = self.last_team_push = 0.0
        self.assign_at: float | None = None
        self.teams: list[int] = []
        self.n_resync = self.n_base = 0

    def queue(self, changed: list[str]) -> None:
        """The queue's base (gridcommand.js merges the pushes into it and draws the queue)."""
        out = self.fire(DISPATCH["queue"], self.d, changed) or {}
        self.stream.set_base(out.get("dsp-incidents-base", {}).get("data"))

    def detail(self) -> None:
        self.d["dsp-push.data"] = int(time.time() * 1000)
        self.fire(DISPATCH["detail"], self.d, ["dsp-push.data"])

    @task
    def tick(self) -> None:
        args = RUN.args
        assert args is not None
        now = time.monotonic()
        if self.map_stream is not None:
            self.map_tab(now)
        s = self.stream
        if s.resync_wanted:        # the stream said hello (or asked for a resync): the queue's base
            s.resync_wanted = False
            self.d["live-resync.data"] = (self.d.get("live-resync.data") or 0) + 1
            self.queue(["live-resync.data"])
        if now >= self.next_base:
            self.next_base = now + PAGE_RESYNC_S
            self.n_base += 1
            self.d["dsp-resync.n_intervals"] = self.n_base
            self.queue(["dsp-resync.n_intervals"])
        if self.d.get("dsp-selected.data") is not None:   # gridcommand.js: the open incident's detail follows
            if s.selected_touched and now - self.last_push >= 1.0:
                s.selected_touched = False
                self.last_push = self.last_team_push = now
                self.detail()
            elif s.team_touched and now - self.last_team_push >= 5.0 and now - self.last_push >= 1.0:
                s.team_touched = False
                self.last_push = self.last_team_push = now
                self.detail()
        incidents = s.top(10)
        if now >= self.next_open and incidents:
            self.next_open = now + random.expovariate(1 / args.dispatcher_think)
            self.open_incident(random.choice(incidents))
            if self.teams and random.random() < args.assign_share:
                self.assign_at = now + random.uniform(3, 10)     # reads the recommendations, then decides
        if self.assign_at is not None and now >= self.assign_at:
            self.assign_at = None
            self.assign()

    def map_tab(self, now: float) -> None:
        """The command map's live bases: on the stream's hello or a resync, and every 5 minutes."""
        assert self.map_stream is not None
        if self.map_stream.resync_wanted:
            self.map_stream.resync_wanted = False
            self.m["live-resync.data"] += 1
            self.fire(MAP["live"], self.m, ["live-resync.data"])
        if now >= self.next_resync:
            self.next_resync = now + PAGE_RESYNC_S
            self.n_resync += 1
            self.m["resync.n_intervals"] = self.n_resync
            self.fire(MAP["live"], self.m, ["resync.n_intervals"])

    def open_incident(self, incident_id: int) -> None:
        """A click on a queue row: gridcommand.js sets dsp-selected, which drives the detail callback."""
        self.d["dsp-selected.data"] = self.stream.selected = incident_id
        detail = self.fire(DISPATCH["detail"], self.d, ["dsp-selected.data"]) or {}
        self.teams = [int(t) for t in pattern_ids(detail.get("dsp-detail", {}).get("children"), "dsp-assign", "team")]

    def assign(self) -> None:
        incident = self.d["dsp-selected.data"]
        if not self.teams:      # an incident opened meanwhile had no team to recommend
            return
        with self.client.post(f"/api/v1/incidents/{incident}/assign", json={"team_id": self.teams[0]},
                              name="api:assign", headers={"Origin": RUN.base}, catch_response=True) as r:
            if r.status_code in (200, 409):      # 409: taken meanwhile, or the team got busy — expected
                r.success()
            else:
                r.failure(f"{r.status_code} {(r.text or '')[:200]}")
        self.d["dsp-changed.data"] += 1           # the page shows the new state on its next refresh
        self.fire(DISPATCH["detail"], self.d, ["dsp-changed.data"])


class Planner(Person):
    """A planner on ``/planner``: opens the plan, looks at its days and routes, now and then makes a draw."""

    fixed_count = 10
    wait_time = constant(0)

    def on_start(self) -> None:
        self.login(RUN.planners[next(_serial) % len(RUN.planners)])
        tree = self.open_page("/planner")
        self.p = layout_values(tree, PLANNER.values())
        for cb in FIRST["/planner"]:
            self.fire(cb, self.p)
        self.draws = 0

    @task
    def work(self) -> None:
        args = RUN.args
        assert args is not None
        gevent.sleep(random.expovariate(1 / args.planner_think))
        self.p["planner-plan.value"] = RUN.plan_id
        changed = ["planner-plan.value"]
        self.fire(PLANNER["plan"], self.p, changed)
        self.fire(PLANNER["job"], self.p, changed)
        out = self.fire(PLANNER["days"], self.p, changed) or {}
        days = [o["value"] for o in out.get("planner-day", {}).get("options") or []]
        if days:
            self.p["planner-day.value"] = out["planner-day"].get("value") or days[0]
            self.fire(PLANNER["routes"], self.p, ["planner-day.value"])
            gevent.sleep(random.uniform(5, 15))
            self.p["planner-day.value"] = random.choice(days)
            self.fire(PLANNER["routes"], self.p, ["planner-day.value"])
        if random.random() < args.draw_share:
            self.draw()

    def draw(self) -> None:
        deps = (self.fire(PLANNER["departments"], self.p, ["planner-refresh.data"]) or {})
        options = deps.get("draw-department", {}).get("options") or []
        if not options:
            return
        self.p["draw-department.value"] = random.choice(options)["value"]
        items = (self.fire(PLANNER["items"], self.p, ["draw-department.value"]) or {})
        item_options = items.get("draw-items", {}).get("options") or []
        if not item_options:
            return
        self.p["draw-items.value"] = [item_options[0]["value"]]
        self.draws += 1
        self.p["draw-preview.n_clicks"] = self.draws       # preview, then commit what was shown
        out = self.fire(PLANNER["preview"], self.p, ["draw-preview.n_clicks"]) or {}
        self.p["draw-pending.data"] = out.get("draw-pending", {}).get("data")
        if not self.p["draw-pending.data"]:
            return
        self.p["draw-create.n_clicks"] = self.draws
        self.fire(PLANNER["draws"], self.p, ["draw-create.n_clicks"])


def alert_body(k: int, *, minutes_back: float = 0.0) -> dict[str, Any]:
    lng, lat = random.choice(RUN.points)
    observed = datetime.now(SH) - timedelta(minutes=minutes_back)
    return {"source_id": f"lc-{k}", "source_kind": random.choice(KINDS), "type": random.choice(RUN.types),
            "observed_at": observed.isoformat(timespec="seconds"),
            "location": {"lng": lng + random.uniform(-3e-4, 3e-4), "lat": lat + random.uniform(-3e-4, 3e-4)},
            "confidence": round(random.uniform(0.5, 1), 2),
            "severity": random.choices(SEVERITIES, SEVERITY_P)[0], "evidence_url": f"https://e.example.cn/lc/{k}.jpg"}


_alert_serial = itertools.count()


def _answered(results: list[dict[str, Any]], at: float) -> None:
    sample = RUN.args.push_sample if RUN.args else 1
    for r in results:
        if r.get("status") == "new":
            RUN.sent_new += 1
            if isinstance(r.get("id"), int) and r["id"] % sample == 0:
                RUN.answered[r["id"]] = at
        elif r.get("status") == "rejected":
            RUN.sent_rejected += 1


class BatchSource(FastHttpUser):
    """A drone gateway or camera platform posting batches (rate set in ``configure``)."""

    fixed_count = 2
    wait_time = constant_pacing(1.0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {RUN.token}"}

    @task
    def post(self) -> None:
        assert RUN.args is not None
        items = [alert_body(next(_alert_serial)) for _ in range(RUN.args.batch_size)]
        with self.client.post("/api/v1/alerts/batch", json={"items": items}, name="api:alerts_batch",
                              headers=self.headers, catch_response=True) as r:
            at = time.time()
            if r.status_code in (200, 207):      # 207: a jittered point just outside the county, rejected
                r.success()
                _answered(r.json().get("results", []), at)
            else:
                r.failure(f"{r.status_code} {(r.text or '')[:200]}")


class SingleSource(FastHttpUser):
    """A camera or sensor posting alerts one at a time."""

    fixed_count = 20
    wait_time = constant_pacing(0.2)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {RUN.token}"}

    @task
    def post(self) -> None:
        with self.client.post("/api/v1/alerts", json=alert_body(next(_alert_serial)), name="api:alert",
                              headers=self.headers, catch_response=True) as r:
            at = time.time()
            if r.status_code in (200, 201):
                r.success()
                _answered([r.json()], at)
            elif r.status_code == 422 and "outside county" in (r.text or ""):
                r.success()
                RUN.sent_rejected += 1
            else:
                r.failure(f"{r.status_code} {(r.text or '')[:200]}")


def configure(args: argparse.Namespace) -> list[type[locust.User]]:
    """Set the user counts and the sources' pacing from the arguments."""
    Wall.fixed_count, Dispatcher.fixed_count, Planner.fixed_count = args.walls, args.dispatchers, args.planners
    batch_rate = args.alerts_per_s * args.batch_share
    single_rate = args.alerts_per_s - batch_rate
    BatchSource.fixed_count = args.batch_senders if batch_rate > 0 else 0
    SingleSource.fixed_count = args.single_senders if single_rate > 0 else 0
    if BatchSource.fixed_count:
        BatchSource.wait_time = constant_pacing(args.batch_senders * args.batch_size / batch_rate)
    if SingleSource.fixed_count:
        SingleSource.wait_time = constant_pacing(args.single_senders / single_rate)
    classes: list[type[locust.User]] = [Wall, Dispatcher, Planner, BatchSource, SingleSource]
    return [c for c in classes if c.fixed_count > 0]


def on_request(request_type: str, name: str, response_time: float, response_length: int, response: Any = None,
               exception: Any = None, **_kw: Any) -> None:
    if RUN.stopping:
        return          # cut off by the stop (locust kills the users mid-request): not an answer of the server
    kind = name.split(":", 1)[0]
    RUN.kinds[kind] += 1
    status = int(getattr(response, "status_code", 0) or 0)
    RUN.status[status] += 1
    if status >= 500:
        RUN.five_xx.append(f"{status} {request_type} {name}")
    if exception is not None:      # a failed answer (marked by the users) or no answer at all
        RUN.failures[f"{request_type} {name}: {str(exception)[:100]}"] += 1
    if kind == "cb":
        RUN.callback_ms.append(response_time)
        RUN.per_callback[name[3:]].append(response_time)
        RUN.callback_bytes[name[3:]] += response_length or 0


# ------------------------------------------------------------------------------------------------ set-up


def set_up(url: str, args: argparse.Namespace) -> None:
    """Demo county, users, a source token, a routed plan; points and alert types for the sources."""
    t0 = time.perf_counter()
    with connect(url) as conn:
        load_demo(conn, enterprises=args.enterprises, seed=args.seed, history_months=args.history_months,
                  today=MONTH_START - timedelta(days=1))
        conn.commit()
        towns = [r["code"] for r in conn.execute("SELECT code FROM townships WHERE county_code = %s ORDER BY code",
                                                 (COUNTY,))]
        for i in range(args.dispatchers):
            name = f"lc_disp_{i}"
            create_user(conn, username=name, password=PASSWORD, role=Role.TOWNSHIP_DISPATCHER, county_code=COUNTY,
                        township_code=towns[i % len(towns)])
            RUN.dispatchers.append((name, towns[i % len(towns)]))
        for i in range(args.walls):
            create_user(conn, username=f"lc_wall_{i}", password=PASSWORD, role=Role.VIEWER, county_code=COUNTY)
            RUN.walls.append(f"lc_wall_{i}")
        for i in range(args.planners):
            create_user(conn, username=f"lc_plan_{i}", password=PASSWORD, role=Role.PLANNER, county_code=COUNTY)
            RUN.planners.append(f"lc_plan_{i}")
        RUN.token, _ = create_token(conn, source="loadtest", county_code=COUNTY, created_by="bench")
        RUN.points = [(r["lng"], r["lat"]) for r in conn.execute(
            "SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM enterprises ORDER BY random() LIMIT 5000")]
        RUN.types = [r["code"] for r in conn.execute("SELECT code FROM alert_types ORDER BY code")]
        conn.commit()
        print(f"demo county: {args.enterprises:,} enterprises, {len(towns)} townships, {args.history_months} months"
              f" of visits ({time.perf_counter() - t0:.0f} s)", flush=True)
        t0 = time.perf_counter()
        scope = Scope(actor="lc_plan_0", role=Role.PLANNER, county_code=COUNTY)
        with conn.transaction():
            tasks = file_tasks(conn, args.tasks, args.seed)
            RUN.plan_id = plans.build_plan(conn, scope, period_start=MONTH_START, period_end=MONTH_END)
            plans.approve_plan(conn, scope, RUN.plan_id)
        with conn.transaction():
            plans.route_plan(conn, scope, RUN.plan_id, config=DayRouteConfig(time_limit_per_day_s=0.2))
        print(f"plan #{RUN.plan_id}: {tasks:,} tasks for {MONTH_START:%Y-%m}, routed"
              f" ({time.perf_counter() - t0:.0f} s)", flush=True)


def warm_alerts(base: str, n: int) -> None:
    """The last 24 hours' alerts, so the live bases and the incident lists start from a working day."""
    t0 = time.perf_counter()
    headers = {"Authorization": f"Bearer {RUN.token}"}
    with requests.Session() as s:
        for start in range(0, n, 5000):
            items = [alert_body(next(_alert_serial), minutes_back=random.uniform(0, 24 * 60))
                     for _ in range(min(5000, n - start))]
            r = s.post(f"{base}/api/v1/alerts/batch", json={"items": items}, headers=headers, timeout=300)
            if r.status_code not in (200, 207):
                raise SystemExit(f"warm-up batch answered {r.status_code}: {r.text[:300]}")
    print(f"warm-up: {n:,} alerts of the last 24 h ({time.perf_counter() - t0:.0f} s)", flush=True)


def checked_shapes(base: str) -> None:
    """Log in as a planner and compare every callback shape with the app's ``/_dash-dependencies``."""
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login", timeout=30).text)
    assert token, "login form has no CSRF token"
    r = s.post(f"{base}/login", data={"username": RUN.planners[0], "password": PASSWORD, "csrf_token": token.group(1),
                                      "next": "/"}, headers={"Origin": base}, timeout=30, allow_redirects=False)
    assert r.status_code == 302, f"login: {r.status_code}"
    problems = check_callbacks(s.get(f"{base}/_dash-dependencies", timeout=30).json())
    if problems:
        raise SystemExit("the pages' callbacks changed; update the shapes in this bench:\n  " + "\n  ".join(problems))


# ------------------------------------------------------------------------------------------------ report


def pct(values: Any, q: float) -> float:
    data = sorted(values)
    if not data:
        return float("nan")
    return data[min(len(data) - 1, max(0, round(q * (len(data) - 1))))]


def push_report(url: str, ended: float) -> tuple[array, list[str]]:
    """Latencies of the sampled alerts on every stream that may see them, and the lines to print."""
    settle = ended - 5.0        # alerts answered in the last 5 s may still be on their way at the stop
    expected = {i: t for i, t in RUN.answered.items() if t <= settle}
    with connect(url) as conn:
        town_of = {r["id"]: r["township_code"] for r in conn.execute(
            "SELECT id, township_code FROM alerts WHERE id = ANY(%s)", (list(expected) or [0],))}
    latencies = array("d")
    missing = foreign = early = 0
    for s in RUN.streams:
        for alert_id, t_ans in expected.items():
            # owed to this stream: answered at least 1 s after its subscription began and 1 s before it ended
            # (an alert committed just before the subscription may be answered just after it)
            if not any(start + 1.0 <= t_ans <= end - 1.0 for start, end in s.subscribed):
                continue
            visible = s.township is None or town_of.get(alert_id) == s.township
            t_arr = s.arrived.get(alert_id)
            if t_arr is None:
                missing += visible
            elif not visible:
                foreign += 1
            else:
                early += t_arr < t_ans
                latencies.append(max(0.0, t_arr - t_ans) * 1000)
    due = len(latencies) + missing
    sample = RUN.args.push_sample if RUN.args else 1
    lines = [f"push: {len(expected):,} sampled alerts (every {sample}th id), {len(RUN.streams)} streams:"
             f" {len(latencies):,} arrivals, {missing:,} missing ({100 * missing / max(1, due):.2f} %),"
             f" {foreign} from outside the stream's township, {early} before the sender had its answer (counted 0)",
             f"push latency p50 {pct(latencies, 0.5):.0f} ms, p95 {pct(latencies, 0.95):.0f} ms,"
             f" p99 {pct(latencies, 0.99):.0f} ms, max {max(latencies, default=float('nan')):.0f} ms",
             f"streams: {sum(s.messages for s in RUN.streams):,} messages, {sum(s.resyncs for s in RUN.streams)}"
             f" resyncs, {sum(s.reconnects for s in RUN.streams)} reconnects"]
    return latencies, lines


def data_size(url: str) -> dict[str, Any]:
    with connect(url) as conn:
        row = conn.execute(
            "SELECT pg_database_size(current_database()) AS db, pg_total_relation_size('alerts') AS alerts_bytes,"
            " (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM incidents) AS incidents,"
            " (SELECT count(*) FROM dispatches) AS dispatches").fetchone()
    assert row is not None
    return dict(row)


def stored_between(url: str, since: float, until: float) -> int:
    with connect(url) as conn:
        row = conn.execute("SELECT count(*) AS n FROM alerts WHERE source = 'loadtest' AND received_at >="
                           " to_timestamp(%s) AND received_at < to_timestamp(%s)", (since, until)).fetchone()
    return int(row["n"]) if row else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--dispatchers", type=int, default=30)
    ap.add_argument("--walls", type=int, default=20)
    ap.add_argument("--planners", type=int, default=10)
    ap.add_argument("--alerts-per-s", type=float, default=200.0)
    ap.add_argument("--batch-share", type=float, default=0.5, help="share of the alerts sent in batches")
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--batch-senders", type=int, default=2)
    ap.add_argument("--single-senders", type=int, default=20)
    ap.add_argument("--spawn-rate", type=float, default=5.0, help="people starting per second")
    ap.add_argument("--wall-rotate", type=int, default=60, help="the walls' ?rotate= seconds (0: no rotation)")
    ap.add_argument("--dispatcher-think", type=float, default=30.0, help="mean s between opening incidents")
    ap.add_argument("--dispatcher-map-tab", action="store_true",
                    help="each dispatcher also has the command map / open (a second stream)")
    ap.add_argument("--assign-share", type=float, default=0.3, help="share of opened incidents assigned")
    ap.add_argument("--planner-think", type=float, default=30.0, help="mean s between a planner's looks")
    ap.add_argument("--draw-share", type=float, default=0.1)
    ap.add_argument("--push-sample", type=int, default=5, help="measure push latency on every Nth alert id")
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--history-months", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=1500, help="inspection tasks in the planners' plan")
    ap.add_argument("--warm-alerts", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    RUN.args = args
    random.seed(args.seed)
    classes = configure(args)
    with fresh_database("gcbench_load") as url:
        set_up(url, args)
        data_dir = Path(tempfile.mkdtemp(prefix="gcbench-load-"))
        with served(url, data_dir) as server:
            RUN.base = server.base_url
            checked_shapes(server.base_url)
            warm_alerts(server.base_url, args.warm_alerts)
            before = data_size(url)
            env = Environment(user_classes=classes, host=server.base_url)
            env.events.request.add_listener(on_request)
            runner = env.create_local_runner()
            people = sum(c.fixed_count for c in classes)
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            RUN.started = time.time()
            print(f"start: {args.walls} walls, {args.dispatchers} dispatchers, {args.planners} planners,"
                  f" {args.alerts_per_s:.0f} alerts/s from {BatchSource.fixed_count + SingleSource.fixed_count}"
                  f" sources, {args.minutes:g} min", flush=True)
            runner.start(people, spawn_rate=args.spawn_rate)
            gevent.sleep(args.minutes * 60)
            RUN.stopping = True
            ended = time.time()
            runner.quit()
            for s in RUN.streams:
                s.greenlet.kill(block=False)
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            gevent.sleep(1.0)
            log_tail = server.log_tail(20)
        elapsed = ended - RUN.started
        stored = stored_between(url, RUN.started, ended)
        after = data_size(url)
        latencies, push_lines = push_report(url, ended)
    report(args, env, elapsed, stored, before, after, push_lines, latencies, cpu1.ru_utime + cpu1.ru_stime
           - cpu0.ru_utime - cpu0.ru_stime, log_tail)


def report(args: argparse.Namespace, env: Environment, elapsed: float, stored: int, before: dict[str, Any],
           after: dict[str, Any], push_lines: list[str], latencies: array, bench_cpu_s: float, log_tail: str) -> None:
    print(f"ran {elapsed:.0f} s; the load generator used {bench_cpu_s:.0f} s CPU ({100 * bench_cpu_s / elapsed:.0f} %"
          f" of one core)")
    print(f"5xx: {len(RUN.five_xx)}" + (f" (first: {RUN.five_xx[:5]})" if RUN.five_xx else ""))
    print("requests by kind: " + ", ".join(f"{k} {v:,}" for k, v in sorted(RUN.kinds.items())))
    print("answers by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(RUN.status.items())))
    failures = RUN.failures
    if failures:
        print(f"failures ({sum(failures.values())}):")
        for k, v in sorted(failures.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {v:6d} × {str(k)[:160]}")
    cb = RUN.callback_ms
    print(f"callbacks: {len(cb):,}, p50 {pct(cb, 0.5):.0f} ms, p95 {pct(cb, 0.95):.0f} ms, p99 {pct(cb, 0.99):.0f} ms")
    for name, values in sorted(RUN.per_callback.items(), key=lambda kv: -pct(kv[1], 0.95)):
        print(f"  {name:22s} {len(values):7,d} × p50 {pct(values, 0.5):6.0f} ms  p95 {pct(values, 0.95):6.0f} ms"
              f"  max {max(values):6.0f} ms  {RUN.callback_bytes[name] / len(values) / 1024:7.1f} KiB")
    for name in ("page:/wall", "page:/dispatch", "page:/", "page:/planner", "api:alert", "api:alerts_batch",
                 "api:assign", "login:post"):
        entry = env.stats.entries.get((name, "GET")) or env.stats.entries.get((name, "POST"))
        if entry is not None and entry.num_requests:
            print(f"  {name:22s} {entry.num_requests:7,d} × p50 {entry.get_response_time_percentile(0.5):6.0f} ms"
                  f"  p95 {entry.get_response_time_percentile(0.95):6.0f} ms")
    for line in push_lines:
        print(line)
    print(f"alerts: sent {RUN.sent_new / elapsed:.0f}/s new ({RUN.sent_new:,}; {RUN.sent_rejected} rejected as outside"
          f" the county), stored {stored / elapsed:.0f}/s ({stored:,}); goal {args.alerts_per_s:.0f}/s")
    print(f"data: database {before['db'] / 2**20:,.0f} -> {after['db'] / 2**20:,.0f} MiB, alerts"
          f" {before['alerts']:,} -> {after['alerts']:,} ({after['alerts_bytes'] / 2**20:,.0f} MiB with indexes),"
          f" incidents {before['incidents']:,} -> {after['incidents']:,}, dispatches {after['dispatches']:,}")
    if RUN.five_xx:
        print("server log (tail):\n" + log_tail)
    print(f"goals: 0 × 5xx ({'met' if not RUN.five_xx else 'NOT met'}), callback p95 ≤ 300 ms"
          f" ({'met' if pct(cb, 0.95) <= 300 else 'NOT met'}), push p95 ≤ 1 s"
          f" ({'met' if pct(latencies, 0.95) <= 1000 else 'NOT met'})")
    print(f"RESULT load_callback_p95_ms={pct(cb, 0.95):.0f} ms")


if __name__ == "__main__":
    main()
