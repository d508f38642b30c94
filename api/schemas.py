"""Pydantic v2 models of the machine API (requests and replies); the OpenAPI document is generated from them."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from enforcement.local_time import SHANGHAI
from geo_data.uscc import normalise_uscc, uscc_problem

_Y2000 = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
_MAX_AHEAD_S = 600   # observed_at at most 10 minutes ahead of the server clock (docs/intake_api.md)
Severity = Literal["low", "medium", "high", "urgent"]
SourceKind = Literal["drone", "ai_camera", "sensor", "complaint"]
DatumName = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


def _clean(v: str) -> str:
    if "\x00" in v:
        raise ValueError("must not contain NUL characters")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return v


Text = Annotated[str, AfterValidator(_clean)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class LngLat(_Strict):
    """A point as longitude/latitude in degrees with its datum (GCJ-02/BD-09 are converted to WGS-84)."""

    lng: float = Field(ge=-180, le=180, description="longitude, degrees")
    lat: float = Field(ge=-90, le=90, description="latitude, degrees")
    datum: DatumName = "wgs84"


class GeoJSONPoint(_Strict):
    """A GeoJSON Point ``{"type": "Point", "coordinates": [lng, lat]}`` in WGS-84 (or ``datum``)."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=3)
    datum: DatumName = "wgs84"

    @field_validator("coordinates")
    @classmethod
    def _range(cls, v: list[float]) -> list[float]:
        if not all(math.isfinite(x) for x in v):
            raise ValueError("coordinates must be finite numbers")
        if not (-180 <= v[0] <= 180 and -90 <= v[1] <= 90):
            raise ValueError("coordinates must be [lng -180..180, lat -90..90]")
        return v

    def lng_lat(self) -> tuple[float, float]:
        return self.coordinates[0], self.coordinates[1]


def _location_tag(v: Any) -> str:
    if isinstance(v, dict):
        return "geojson" if "type" in v or "coordinates" in v else "lnglat"
    return "geojson" if hasattr(v, "coordinates") else "lnglat"


Location = Annotated[Annotated[LngLat, Tag("lnglat")] | Annotated[GeoJSONPoint, Tag("geojson")],
                     Discriminator(_location_tag)]


def _uscc(v: str | None) -> str | None:
    if v is None:
        return None
    v = normalise_uscc(v)  # the form stored: full-width, blanks and hyphens folded (geo_data.uscc)
    problem = uscc_problem(v)
    if problem:
        raise ValueError(f"not a valid USCC: {problem}")
    return v


class AlertIn(_Strict):
    """One alert as a source sends it. ``source`` is taken from the API token, never from the body."""

    # source_id and type need no _clean: their patterns admit neither NUL nor surrogates
    source_id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
                            description="the source's own alert id (printable ASCII); idempotency key")
    source_kind: SourceKind
    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$", description="alert type code")
    observed_at: datetime = Field(description="ISO 8601; without an offset it is Asia/Shanghai time")
    location: Location
    confidence: float | None = Field(default=None, ge=0, le=1)
    severity: Severity = "medium"
    evidence_url: Text | None = Field(default=None, max_length=2048, pattern=r"^https?://[^\s]+$",
                                      description="http(s) link to the photo/video/reading")
    description: Text | None = Field(default=None, max_length=2000)
    enterprise_uscc: Annotated[str | None, AfterValidator(_uscc)] = Field(
        default=None, max_length=18, description="统一社会信用代码 of the enterprise concerned, if known")

    @field_validator("observed_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            v = v.replace(tzinfo=SHANGHAI)
        at = v.timestamp()
        if at < _Y2000:
            raise ValueError("observed_at is before 2000")
        if at > time.time() + _MAX_AHEAD_S:
            raise ValueError("observed_at lies in the future")
        # Shanghai time, the zone of the database's times too: comparing two datetimes of one tzinfo needs no
        # UTC offsets (the incident rule compares thousands of them per batch).
        return v.astimezone(SHANGHAI)

    def lng_lat_datum(self) -> tuple[float, float, str]:
        loc = self.location
        if isinstance(loc, GeoJSONPoint):
            return loc.coordinates[0], loc.coordinates[1], loc.datum
        return loc.lng, loc.lat, loc.datum


class AlertBatchIn(BaseModel):
    """Up to 5,000 alerts; each item is validated on its own (see the reply's per-item results)."""

    model_config = ConfigDict(extra="forbid")
    items: list[AlertIn] = Field(min_length=1, max_length=5000)


class AlertResult(BaseModel):
    index: int
    source_id: str
    status: Literal["new", "duplicate", "rejected"]
    id: int | None = None
    incident_id: int | None = None
    problems: list[Problem] = []


class Problem(BaseModel):
    loc: str
    msg: str


class AlertReply(BaseModel):
    status: Literal["new", "duplicate"]
    id: int
    source_id: str
    incident_id: int | None


class BatchReply(BaseModel):
    stored: int
    duplicates: int
    rejected: int
    results: list[AlertResult]


class ErrorReply(BaseModel):
    error: str
    problems: list[Problem] = []


class AssignIn(_Strict):
    team_id: int = Field(ge=1, le=2**62)
    eta_minutes: float | None = Field(default=None, ge=0, le=24 * 60)
    note: Text = Field(default="", max_length=500)
    reassign: bool = Field(default=False, description="take the incident from its current team")


class StatusIn(_Strict):
    status: Literal["accepted", "en_route", "on_site", "resolved", "closed", "cancelled"]
    note: Text = Field(default="", max_length=500)


class RemoteCloseIn(_Strict):
    reason: Text = Field(min_length=1, max_length=500)
    evidence: Text = Field(min_length=1, max_length=2048, description="link or reference to the remote evidence")


class IncidentOut(BaseModel):
    id: int
    township_code: str | None
    township_name: str | None
    type_code: str
    type_name: str
    remote_closable: bool
    severity: Severity
    status: str
    first_seen: datetime
    last_seen: datetime
    alert_count: int
    sources: list[str]
    enterprise_id: int | None
    enterprise_name: str | None
    lng: float
    lat: float
    sla_due_at: datetime
    escalated: bool
    dispatch_id: int | None
    team_id: int | None
    team_name: str | None
    dispatch_status: str | None


class IncidentList(BaseModel):
    items: list[IncidentOut]


class TimelineEvent(BaseModel):
    at: datetime
    actor: str
    event: str
    note: str
    team_name: str | None = None


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEvent]


class RecommendationOut(BaseModel):
    rank: int
    team_id: int
    name: str
    relation: Literal["same", "neighbour", "county"]
    status: str
    eta_minutes: float
    distance_m: float
    piggyback: bool
    dispatches_today: int
    reasons_zh: str
    reasons_en: str


class RecommendationList(BaseModel):
    incident_id: int
    items: list[RecommendationOut]


class DispatchReply(BaseModel):
    incident_id: int
    status: str
    dispatch_id: int | None = None
    team_id: int | None = None


AlertResult.model_rebuild()
