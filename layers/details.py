"""The details panels of the command map for an alert, an incident and a team, and a team's track as a line.

Pure builders: rows in, Dash components out (Dash renders text, never HTML, so names and descriptions stay
inert; links only ever carry http(s) URLs or the product's own paths).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import dash_leaflet as dl
from dash import dcc, html

from enforcement.local_time import SHANGHAI
from layers.i18n import format_datetime, format_number, t

SlaState = Literal["closed", "resolved", "on_time", "late", "left", "over"]
CLOSED_STATUSES = ("closed", "remote_closed")
TRACK_COLOUR = "#7b3294"


def kv(rows: list[tuple[str, Any]]) -> html.Dl:
    """Label/value pairs; a missing value shows as '—'."""
    items: list[Any] = []
    for label, value in rows:
        items += [html.Dt(label), html.Dd("—" if value is None or value == "" else value)]
    return html.Dl(items, className="gc-kv")


def safe_link(url: str | None, text: str) -> html.A | None:
    """A link that opens in a new tab, for http(s) URLs only (an alert's evidence comes from outside)."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return None
    return html.A(text, href=url, target="_blank", rel="noopener noreferrer", className="gc-link")


def dispatch_link(incident_id: int, lang: str) -> html.A:
    query = f"incident={int(incident_id)}" + ("&lang=en" if lang == "en" else "")
    return html.A(t("details.open_dispatch", lang), href=f"/dispatch?{query}", className="gc-link gc-dispatch-link")


def dispatch_status(status: str | None, lang: str) -> str:
    if status is None:
        return "—"
    return t("event.assigned_state" if status == "assigned" else f"event.{status}", lang)


def place(row: dict[str, Any], lang: str) -> str:
    """Township, then the enterprise the thing names (its address), else the nearest one within 300 m."""
    parts = [row.get("township_name") or ""]
    if row.get("enterprise_name"):
        name = row["enterprise_name"] if row.get("enterprise_named") else \
            t("details.near", lang, name=row["enterprise_name"], m=row["enterprise_distance_m"])
        parts.append(name)
        if row.get("enterprise_address"):
            parts.append(row["enterprise_address"])
    parts.append(f"{row['lat']:.5f}, {row['lng']:.5f}")
    return " · ".join(p for p in parts if p)


def sla_state(row: dict[str, Any], now: datetime) -> tuple[SlaState, int | None]:
    """Where the incident stands against its SLA (reach the site by ``sla_due_at``): closed and resolved ones
    have no clock; one reached on site was in time or late by n minutes; else n minutes left or overdue."""
    if row["status"] in CLOSED_STATUSES:
        return "closed", None
    if row["status"] == "resolved":
        return "resolved", None
    due: datetime = row["sla_due_at"]
    if row.get("on_site_at") is not None:
        late = math.ceil((row["on_site_at"] - due).total_seconds() / 60)
        return ("late", late) if late > 0 else ("on_time", None)
    left = math.floor((due - now).total_seconds() / 60)
    return ("left", left) if left >= 0 else ("over", -left)


def sla_text(row: dict[str, Any], now: datetime, lang: str) -> str:
    state, n = sla_state(row, now)
    if state == "closed":
        return t("details.sla_closed", lang, at=format_datetime(row.get("closed_at"), lang))
    if state == "resolved":
        return t("details.sla_resolved", lang)
    if state in ("on_time", "late"):
        return t(f"details.sla_{state}", lang, at=format_datetime(row["on_site_at"], lang), n=n)
    text = t("dispatch.sla_left" if state == "left" else "dispatch.sla_over", lang, n=n)
    return text + (" · " + t("details.escalated", lang) if row.get("escalated") else "")


def alert_body(row: dict[str, Any], lang: str) -> list[Any]:
    incident: Any = None
    if row["incident_id"] is not None:
        incident = html.Span([
            t("details.incident_ref", lang, id=row["incident_id"], status=t(f"status.{row['incident_status']}", lang)),
            " · ", dispatch_link(row["incident_id"], lang)], id="details-incident")
    evidence = safe_link(row["evidence_url"], t("details.evidence_open", lang))
    return [
        html.H3(f"{t('details.alert', lang)} #{row['id']}", id="details-title"),
        kv([(t("field.type", lang), row["type_name_en"] if lang == "en" else row["type_name"]),
            (t("field.severity", lang), t(f"severity.{row['severity']}", lang)),
            (t("field.source", lang), f"{t('source.' + row['source_kind'], lang)} · {row['source']}"),
            (t("field.time", lang), format_datetime(row["observed_at"], lang)),
            (t("details.confidence", lang), None if row["confidence"] is None
             else f"{round(row['confidence'] * 100)}%"),
            (t("details.place", lang), html.Span(place(row, lang), id="details-place")),
            (t("details.description", lang), html.Span(row["description"] or "", id="details-description")),
            (t("details.evidence", lang), html.Span(evidence, id="details-evidence") if evidence else None),
            (t("details.of_incident", lang), incident)]),
    ]


def incident_body(row: dict[str, Any], now: datetime, lang: str) -> list[Any]:
    team: Any = t("details.no_team", lang)
    if row["team_name"]:
        team = t("details.team_dispatch", lang, team=row["team_name"],
                 status=dispatch_status(row["dispatch_status"], lang), at=format_datetime(row["assigned_at"], lang))
    state, _ = sla_state(row, now)
    return [
        html.H3(f"{t('details.incident', lang)} #{row['id']}", id="details-title"),
        kv([(t("field.type", lang), row["type_name_en"] if lang == "en" else row["type_name"]),
            (t("field.severity", lang), t(f"severity.{row['severity']}", lang)),
            (t("field.status", lang), t(f"status.{row['status']}", lang)),
            (t("details.sla", lang), html.Span(sla_text(row, now, lang), id="details-sla",
                                               className=f"gc-sla gc-sla-{state}")),
            (t("details.team_of", lang), html.Span(team, id="details-team")),
            (t("details.place", lang), html.Span(place(row, lang), id="details-place")),
            (t("field.alerts", lang), format_number(row["alert_count"], lang)),
            (t("details.first_seen", lang), format_datetime(row["first_seen"], lang)),
            (t("details.last_seen", lang), format_datetime(row["last_seen"], lang))]),
        html.P(dispatch_link(row["id"], lang)),
    ]


def team_body(row: dict[str, Any], day: str, track: str, lang: str) -> list[Any]:
    """The team's panel; ``track`` is what ``track_summary`` says for ``day`` (a date picker changes it)."""
    current: Any = t("details.idle", lang)
    if row["incident_id"] is not None:
        current = html.Span([
            t("details.dispatch_ref", lang, id=row["incident_id"],
              type=row["incident_type_name_en"] if lang == "en" else row["incident_type_name"],
              status=dispatch_status(row["dispatch_status"], lang)), " · ", dispatch_link(row["incident_id"], lang)])
    return [
        html.H3(f"{t('details.team', lang)} · {row['name']}", id="details-title"),
        kv([(t("details.kind", lang), t(f"details.kind_{row['kind']}", lang)),
            (t("field.township", lang), row["township_name"]),
            (t("field.status", lang), html.Span(t(f"status.{row['status']}", lang), id="details-team-status")),
            (t("field.members", lang), row["members"]),
            (t("details.position_at", lang), format_datetime(row["position_at"], lang)),
            (t("details.current_dispatch", lang), html.Span(current, id="details-dispatch"))]),
        html.Div(className="gc-sub", children=[
            html.H4(t("details.track", lang)),
            dcc.Store(id="track-team", data=row["id"]),
            html.Label([t("details.track_day", lang), " "], htmlFor="track-day"),
            dcc.DatePickerSingle(id="track-day", date=day, display_format="YYYY-MM-DD", clearable=False,
                                 first_day_of_week=1),
            html.P(track, id="track-summary"),
        ]),
    ]


def followed(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fixes that moved the team (a flagged one — outside the county, too fast, late — did not)."""
    return [p for p in points if not p["flag"]]


def track_summary(points: list[dict[str, Any]], km: float, lang: str) -> str:
    """Fixes, the distance along the followed ones (``km``) and the time span, in words."""
    followed_ = followed(points)
    if not followed_:
        return t("details.track_none", lang)
    text = t("details.track_summary", lang, n=format_number(len(followed_), lang), km=f"{km:.1f}",
             first=_hm(followed_[0]["at"]), last=_hm(followed_[-1]["at"]))
    flagged = len(points) - len(followed_)
    return text + ("；" if lang != "en" else "; ") + t("details.track_flagged", lang, n=flagged) if flagged else text


def track_line(points: list[dict[str, Any]]) -> list[Any]:
    """The followed fixes as one polyline (Leaflet order: lat, lng) with its start and end marked."""
    latlngs = [[p["lat"], p["lng"]] for p in followed(points)]
    if not latlngs:
        return []
    return [dl.Polyline(id="track-line", positions=latlngs, color=TRACK_COLOUR, weight=4, opacity=0.85),
            dl.CircleMarker(center=latlngs[0], radius=5, color=TRACK_COLOUR, fill=True, fillColor="#ffffff",
                            fillOpacity=1),
            dl.CircleMarker(center=latlngs[-1], radius=6, color=TRACK_COLOUR, fill=True, fillColor=TRACK_COLOUR,
                            fillOpacity=1)]


def _hm(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%H:%M")

