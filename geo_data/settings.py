"""Typed settings, read once by the composition root (app.py / cli) and passed down.

Environment variables: ``DATABASE_URL`` (no prefix, the usual name), everything else ``GRIDCOMMAND_*``.
The time zone is not a setting: every local time is Asia/Shanghai (``enforcement.local_time``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class DatabaseSettings(BaseSettings):
    """Where the data lives: an external server (``DATABASE_URL``) or the embedded local cluster."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_", extra="ignore", populate_by_name=True)

    url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "GRIDCOMMAND_DATABASE_URL"))
    data_dir: Path = PROJECT_ROOT / ".data"
    pool_min: int = 1
    pool_max: int = 16
    statement_timeout_ms: int = 30_000
    # A hot standby for read-only traffic (wall, map, KPI panels); unset: every query goes to the primary.
    replica_url: str | None = Field(default=None, validation_alias=AliasChoices(
        "GRIDCOMMAND_DATABASE_REPLICA_URL", "replica_url"))
    # With a local standby (`gridcommand db standby`) a commit waits until the standby has applied it.
    synchronous_standby: bool = True

    @property
    def cluster_dir(self) -> Path:
        """The embedded PostgreSQL cluster's data directory."""
        return self.data_dir / "pg"


class BackupSettings(BaseSettings):
    """pgBackRest for the local cluster (issue 12): WAL archiving from `db start`, `db backup`, `db restore`."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_BACKUP_", extra="ignore")

    enabled: bool = True                   # archive WAL into the repository (needed for point-in-time restore)
    repo_dir: Path | None = None           # the repository folder; default <data_dir>/backup
    stanza: str = Field(default="gridcommand", pattern=r"^[a-z][a-z0-9_-]{0,62}$")
    retention_full: int = Field(default=2, ge=1)   # full backups kept (older ones, and their WAL, expire)
    retention_diff: int | None = Field(default=None, ge=1)  # differential backups kept (default: all)
    compress: Literal["lz4", "zst", "gz", "none"] = "lz4"  # lz4: cheapest on CPU, WAL ~3x smaller

    def repo_for(self, data_dir: Path) -> Path:
        return self.repo_dir or data_dir / "backup"


class ServerSettings(BaseSettings):
    """The web server and the browser-facing behaviour."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8050
    default_language: Literal["zh", "en"] = "zh"
    default_county: str = "330702"
    session_hours: int = 12                # absolute lifetime of a login session
    session_idle_minutes: int = 30         # a session with no user action this long ends (timers don't count)
    display_session_days: int = 30         # a wall display's session (no idle timeout; ends with its token)
    login_free_failures: int = 3           # wrong passwords per (name, client address) before delays start
    login_delay_seconds: int = 5           # first delay; doubles with each further failure ...
    login_max_delay_seconds: int = 900     # ... up to this
    login_address_failures: int = 30       # failures from one address across all names within the window
    login_address_window_minutes: int = 15  # block that address until the window ends
    trusted_proxies: list[str] = []        # peers whose X-Forwarded-For / -Proto are believed (TLS terminators)
    totp_required_roles: list[str] = ["admin", "county_operator"]  # others may enrol, need not
    secure_cookies: bool = False           # served over TLS (directly or by a proxy): Secure cookies and HSTS
    hsts_seconds: int = 31_536_000
    audit_retention_days: int = Field(default=180, ge=180)  # security events kept at least 6 months
    max_body_bytes: int = 8 * 1024 * 1024
    public_base_url: str = ""              # the enterprise page's QR: <this>/v/<code>; "" = the request's own host


class MapSettings(BaseSettings):
    """Basemap and map payload bounds."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_MAP_", extra="ignore")

    basemap: Literal["none", "tianditu", "amap", "osm", "xyz"] = "none"
    tianditu_key: str = ""
    xyz_url: str = ""
    xyz_attribution: str = ""
    max_points: int = 1500   # enterprise points per view (~180 B each: keeps a view under 300 KB)
    points_min_zoom: int = 14
    push_interval_ms: int = Field(default=500, ge=50, le=10_000)  # live push: one message per client at most this often
    push_max_pending: int = 2000   # rows waiting for one client beyond this: it gets a resync instead
    live_max_features: int = 2000  # alerts / incidents in a live layer's base (the map says when it cuts)
    alerts_bin_below_zoom: int = 13  # alerts drawn as counted bins below this zoom


class DispatchSettings(BaseSettings):
    """Alert intake, incident matching and team recommendation (issue 4)."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_DISPATCH_", extra="ignore")

    max_batch: int = 5000                  # items per POST /api/v1/alerts/batch
    group_linger_ms: float = Field(default=5.0, ge=0, le=50)  # single posts: wait for more while senders queue
    enterprise_link_m: float = 50.0        # an incident concerns the nearest enterprise within this distance
    travel: Literal["straight", "osrm"] = "straight"
    osrm_url: str = "http://127.0.0.1:5000"
    osrm_timeout_s: float = 0.5
    detour_factor: float = 1.35            # road distance / straight-line distance
    urban_kmh: float = 25.0                # trips up to urban_km
    rural_kmh: float = 45.0                # trips up to rural_km
    highway_kmh: float = 70.0              # longer trips
    urban_km: float = 3.0
    rural_km: float = 15.0
    piggyback_km: float = 2.0              # a planned visit today within this distance earns a bonus
    escalate_every_s: int = 30             # SLA escalation period, a periodic job of the job worker (0: off)


class PlanningSettings(BaseSettings):
    """Visit planning: routing time per day, scan-in checks of inspection codes (issue 5)."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_PLAN_", extra="ignore")

    route_seconds_per_day: float = 1.0     # PyVRP time limit per working day of a plan
    shift_start: str = "08:30"
    shift_end: str = "17:30"
    max_work_min: int = 480                # working-time limit per team-day
    setup_min: int = 10                    # per visit on top of the items' service minutes
    scan_max_distance_m: float = 200.0     # scan-in accepted only this close to the enterprise (and H3 ring 1)
    code_attempts_per_10min: int = 10      # scan/rating attempts per code before 429
    code_misses_per_10min: int = 20        # unknown codes per client address before 429 (guessing)


class JobSettings(BaseSettings):
    """The job queue (procrastinate, in the database) and its worker process ``gridcommand worker`` (issue 12)."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_JOBS_", extra="ignore")

    concurrency: int = Field(default=4, ge=1, le=32)   # jobs one worker runs at once (sync jobs run in threads)
    poll_s: float = Field(default=5.0, gt=0)           # fallback polling; new jobs arrive by LISTEN/NOTIFY
    heartbeat_s: float = Field(default=10.0, gt=0)     # a worker says it is alive this often
    stalled_after_s: float = Field(default=30.0, gt=0)  # a worker silent this long is dead: its jobs are retried
    stalled_check_every_s: int = Field(default=30, ge=1)  # period of the stalled-job check (a periodic job)
    stop_timeout_s: float = Field(default=10.0, ge=0)  # on stop, running jobs get this long; then retried later
    db_timeout_s: float = Field(default=10.0, gt=0)    # a queue call waits this long for a connection, then fails
    route_attempts: int = Field(default=3, ge=1)       # a routing job runs at most this often (crashes count)
    keep_finished_hours: int = Field(default=72, ge=1)  # finished jobs kept for inspection, then removed nightly


class DemoSettings(BaseSettings):
    """The demo county loaded by ``gridcommand demo`` / ``make run``."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_DEMO_", extra="ignore")

    password: str | None = None            # fixed password of the demo users (else random, printed once)
    enterprises: int = 20_000
    seed: int = 42


class CoverageSettings(BaseSettings):
    """Coverage review (issue 6): team reach and the buffer of imported drone tracks."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_COVERAGE_", extra="ignore")

    reach_minutes: float = 15.0            # a cell is within a team's reach at most this many minutes from its base
    drone_buffer_m: float = 150.0          # half-width of the strip a drone track sees
    max_map_cells: int = 5000              # cells sent to the coverage map at most


class PositionSettings(BaseSettings):
    """Team positions from trackers (OsmAnd/Traccar) and phones (issue 15)."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_POSITIONS_", extra="ignore")

    max_speed_kmh: float = 200.0           # faster (reported, or implied since the last fix) is kept, not followed
    max_future_s: int = 300                # a fix stamped further ahead of the server clock is refused
    track_days: int = 90                   # track points older than this are pruned (geo_data.positions)
    field_interval_s: int = Field(default=30, ge=5, le=3600)  # the field app reports the phone's position this often


class EvidenceSettings(BaseSettings):
    """Photo evidence of incidents (issue 15): stored content-addressed under the data directory."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_EVIDENCE_", extra="ignore")

    dir: Path | None = None                # default: <data_dir>/evidence
    max_bytes: int = 10 * 1024 * 1024      # per photo
    max_pixels: int = 40_000_000           # larger images are refused as decompression bombs
    thumb_px: int = 320                    # longest side of the thumbnail


class SimulatorSettings(BaseSettings):
    """The demo's live county (``gridcommand simulate``, ``serve --simulate``): alerts, tracker fixes, its dispatcher."""

    model_config = SettingsConfigDict(env_prefix="GRIDCOMMAND_SIM_", extra="ignore")

    alert_rate: float = Field(default=2.0, ge=0, le=500)       # alerts per second
    fix_interval_s: float = Field(default=10.0, ge=0, le=3600)  # each moved team's tracker reports this often; 0: none
    teams: int = Field(default=0, ge=0)                         # teams moved (their trackers); 0: every active team
    speed_kmh: float = Field(default=30.0, gt=0, le=120)        # typical driving speed between waypoints
    # whose dispatching the simulator plays: "squads" assigns county squads only and advances only its own
    # dispatches (a township dispatcher trying the demo keeps their queue), "all" any team, "off" none.
    dispatch: Literal["off", "squads", "all"] = "squads"


class Settings(BaseSettings):
    """All settings, one object per concern."""

    model_config = SettingsConfigDict(extra="ignore")

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    plan: PlanningSettings = Field(default_factory=PlanningSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    positions: PositionSettings = Field(default_factory=PositionSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    sim: SimulatorSettings = Field(default_factory=SimulatorSettings)


def load_settings() -> Settings:
    """Read settings from the environment (called once, at the composition root)."""
    return Settings()
