"""The simulator's phones: a team's dispatch steps (accepted, en route, on site, resolved) are sent the way a team
member's phone sends them — through the field app's endpoint, logged in as an inspector of the team — so the
field path is exercised whenever the demo runs (``make run``).

Each team gets one account ``sim_field_<team id>`` (role inspector), made on its first step; the passwords are
kept in ``<data_dir>/simulator_field_<county>.json`` (mode 600). A kept password that no longer works (the
account was changed by an administrator) is replaced.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from geo_data.db import connect
from geo_data.users import create_user, hash_password

PREFIX = "sim_field_"


@dataclass
class FieldPhones:
    api: str
    db_url: str
    county: str
    data_dir: Path
    sessions: dict[int, requests.Session] = field(default_factory=dict)
    steps: int = 0      # steps the server accepted

    @property
    def _path(self) -> Path:
        return self.data_dir / f"simulator_field_{self.county}.json"

    def _kept(self) -> dict[str, str]:
        try:
            kept = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return kept if isinstance(kept, dict) else {}

    def _account(self, team_id: int, *, fresh: bool = False) -> tuple[str, str]:
        """The team's simulated inspector and its password (made, or given a new password, when needed)."""
        name = f"{PREFIX}{team_id}"
        kept = self._kept()
        if name in kept and not fresh:
            return name, kept[name]
        password = secrets.token_urlsafe(18)
        with connect(self.db_url) as conn:
            row = conn.execute("SELECT id FROM users WHERE username = %s", (name,)).fetchone()
            if row is None:
                create_user(conn, username=name, password=password, role="inspector", county_code=self.county,
                            team_id=team_id, display_name="模拟队员", created_by="simulator")
            else:
                conn.execute("UPDATE users SET password_hash = %s, team_id = %s, active = true WHERE id = %s",
                             (hash_password(password, username=name), team_id, row["id"]))
            conn.commit()
        kept[name] = password
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._path.write_text(json.dumps(kept), encoding="utf-8")
        self._path.chmod(0o600)
        return name, password

    def _login(self, team_id: int) -> requests.Session:
        for fresh in (False, True):
            name, password = self._account(team_id, fresh=fresh)
            s = requests.Session()
            page = s.get(f"{self.api}/login", timeout=10).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            r = s.post(f"{self.api}/login", timeout=10, allow_redirects=False, headers={"Origin": self.api},
                       data={"username": name, "password": password, "csrf_token": token.group(1) if token else "",
                             "next": "/field"})
            if r.status_code == 302 and "/login" not in r.headers.get("Location", ""):
                self.sessions[team_id] = s
                return s
        raise requests.RequestException(f"simulated phone of team {team_id} could not log in ({r.status_code})")

    def step(self, team: dict[str, Any], step: str, *, lng: float, lat: float) -> requests.Response:
        """Send one step of the team's active dispatch with the phone's position; logs in again once when the
        session ended (the same step id: the server stores it once)."""
        body = {"client_id": str(uuid.uuid4()), "incident_id": team["incident_id"],
                "dispatch_id": team["dispatch_id"], "step": step, "at": datetime.now(UTC).isoformat(),
                "lat": lat, "lng": lng, "accuracy_m": 10.0}
        for attempt in (0, 1):
            s = self.sessions.get(team["id"]) or self._login(team["id"])
            r = s.post(f"{self.api}/api/v1/field/steps", json=body, headers={"Origin": self.api}, timeout=30)
            if r.status_code != 401 or attempt:
                break
            self.sessions.pop(team["id"], None)
        if r.ok:
            self.steps += 1
        return r
