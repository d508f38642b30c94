"""Admin page callbacks: thin adapters over geo_data.users / geo_data.admin / geo_data.audit / geo_data.sessions.

Grids (pages/tables.py) take rows as ``rowData`` and give the chosen row as ``selectedRows``; messages are in the
page's language (the ``gc_lang`` cookie the shell keeps)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from dash import Input, Output, State, ctx

from callbacks.context import current_scope, services
from callbacks.registry import callback
from callbacks.shell import page_lang
from enforcement.local_time import SHANGHAI
from geo_data import admin, audit, devices, sessions, teams, two_factor
from geo_data.db import transaction
from geo_data.errors import InvalidInput, NotFound
from geo_data.scope import Permission
from geo_data.sessions import SessionPolicy
from geo_data.users import create_user, list_users, set_user_state
from layers.i18n import t
from layers.tables import rows as grid_rows

AUDIT_ROWS = 500


def _chosen(selected: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The one row picked in a grid (``selectedRows``), or None."""
    return selected[0] if selected else None


@callback(Output("admin-users", "rowData"), Output("admin-tokens", "rowData"),
          Input("admin-refresh", "n_intervals"), Input("admin-user-msg", "children"),
          Input("admin-token-msg", "children"))
def refresh(_n: int | None, _m1: Any, _m2: Any) -> tuple[list[dict[str, Any]], ...]:
    scope = current_scope(Permission.ADMIN)
    lang = page_lang()
    with transaction(services().pool) as conn:
        users = [dict(u, role_label=t(f"role.{u['role']}", lang)) for u in list_users(conn, county_code=scope.county_code)]
        return grid_rows(users), grid_rows(admin.tokens_of_county(conn, scope))


def _day_start(value: str | None, *, after: bool = False) -> datetime | None:
    """The start (or, ``after``, the end) of a picked day in Asia/Shanghai; InvalidInput naming the field."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput("period: a day as YYYY-MM-DD") from None
    return datetime.combine(day + timedelta(days=1 if after else 0), time(), tzinfo=SHANGHAI)


@callback(Output("admin-audit", "rowData"), Input("admin-refresh", "n_intervals"),
          Input("admin-audit-apply", "n_clicks"), Input("admin-user-msg", "children"),
          State("admin-audit-actor", "value"), State("admin-audit-action", "value"),
          State("admin-audit-period", "start_date"), State("admin-audit-period", "end_date"))
def audit_trail(_n: int | None, _apply: Any, _m: Any, actor: str | None, action: str | None, since: str | None,
                until: str | None) -> list[dict[str, Any]]:
    """The county's audit trail, newest first, by actor (part of the name), action (prefix) and days."""
    scope = current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        return admin.audit_rows(conn, scope, limit=AUDIT_ROWS, actor=(actor or "").strip() or None,
                                action=(action or "").strip() or None, since=_day_start(since),
                                until=_day_start(until, after=True))


@callback(Output("admin-devices", "rowData"), Output("admin-teams", "rowData"), Input("admin-refresh", "n_intervals"),
          Input("admin-device-msg", "children"), Input("admin-user-msg", "children"))
def refresh_fleet(_n: int | None, _m: Any, _m2: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Field devices and active teams of the county (registered through the CLI and the imports), each team with
    its members (the inspectors' accounts)."""
    scope = current_scope(Permission.ADMIN)
    lang = page_lang()
    with transaction(services().pool) as conn:
        fleet = devices.list_devices(conn, scope.county_code)
        members = Counter(u["team_id"] for u in list_users(conn, county_code=scope.county_code)
                          if u["team_id"] is not None and u["active"])
        squads = [dict(tm, kind_label=t(f"details.kind_{'squad' if tm['kind'] == 'squad' else 'township'}", lang),
                       status_label=t(f"status.{tm['status']}", lang), members=members.get(tm["id"], 0))
                  for tm in teams.list_teams(conn, scope)]
    return grid_rows(fleet), grid_rows(squads)


@callback(Output("admin-device-msg", "children"), Input("admin-revoke-device", "n_clicks"),
          State("admin-devices", "selectedRows"), prevent_initial_call=True)
def revoke_device(_n: Any, selected: list[dict[str, Any]] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    lang = page_lang()
    row = _chosen(selected)
    if row is None:
        return t("admin.select_device", lang)
    with transaction(services().pool) as conn:
        admin.revoke_device(conn, scope, device_id=int(row["id"]))
    return t("admin.device_revoked", lang, id=row["identifier"] or row["id"])


def _team_id(value: int | str | None) -> int | None:
    """The team field of the new-user form (inspectors); InvalidInput when it is not a team id."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput("team: a team id (a number)") from None


@callback(Output("admin-user-msg", "children"),
          Input("admin-create", "n_clicks"), Input("admin-deactivate", "n_clicks"),
          Input("admin-activate", "n_clicks"), Input("admin-unlock", "n_clicks"),
          Input("admin-reset-totp", "n_clicks"),
          State("admin-new-name", "value"), State("admin-new-role", "value"),
          State("admin-new-township", "value"), State("admin-new-team", "value"),
          State("admin-new-password", "value"), State("admin-users", "selectedRows"),
          prevent_initial_call=True)
def change_user(_c: Any, _d: Any, _a: Any, _u: Any, _r: Any, name: str | None, role: str | None,
                township: str | None, team: int | str | None, password: str | None,
                selected: list[dict[str, Any]] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    lang = page_lang()
    with transaction(services().pool) as conn:
        if ctx.triggered_id == "admin-create":
            user = create_user(conn, username=(name or "").strip(), password=password or "", role=role or "",
                               county_code=scope.county_code, township_code=(township or "").strip() or None,
                               created_by=scope.actor, must_change_password=True,
                               team_id=_team_id(team))
            return t("admin.created", lang, name=user.username)
        row = _chosen(selected)
        if row is None:
            return t("admin.select_user", lang)
        user_id = int(row["id"])
        if ctx.triggered_id == "admin-reset-totp":
            if not any(int(u["id"]) == user_id for u in list_users(conn, county_code=scope.county_code)):
                raise NotFound(f"user {user_id}")
            two_factor.reset(conn, user_id=user_id, actor=scope.actor, county_code=scope.county_code)
            return t("admin.totp_reset", lang, name=row["username"])
        set_user_state(conn, scope, user_id=user_id, active={"admin-deactivate": False, "admin-activate": True}.get(
            str(ctx.triggered_id)), unlock=ctx.triggered_id == "admin-unlock")
        return t("admin.updated", lang, name=row["username"])


@callback(Output("admin-token-msg", "children"), Input("admin-revoke", "n_clicks"),
          State("admin-tokens", "selectedRows"), prevent_initial_call=True)
def revoke(_n: Any, selected: list[dict[str, Any]] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    lang = page_lang()
    row = _chosen(selected)
    if row is None:
        return t("admin.select_token", lang)
    with transaction(services().pool) as conn:
        admin.revoke_token(conn, scope, token_id=int(row["id"]))
    return t("admin.revoked", lang, id=row["id"])


@callback(Output("admin-verify-result", "children"), Input("admin-verify", "n_clicks"), prevent_initial_call=True)
def verify(_n: Any) -> str:
    current_scope(Permission.ADMIN)
    lang = page_lang()
    with transaction(services().pool) as conn:
        result = audit.verify(conn)
    if result.ok:
        return t("admin.intact", lang, n=result.rows)
    return t("admin.broken", lang, problems="; ".join(result.problems[:5]))


def _policy() -> SessionPolicy:
    from datetime import timedelta

    server = services().settings.server
    return SessionPolicy(idle=timedelta(minutes=server.session_idle_minutes),
                         lifetime=timedelta(hours=server.session_hours),
                         display_lifetime=timedelta(days=server.display_session_days))


@callback(Output("admin-sessions", "rowData"), Input("admin-refresh", "n_intervals"),
          Input("admin-session-msg", "children"), Input("admin-user-msg", "children"))
def refresh_sessions(_n: int | None, _m: Any, _m2: Any) -> list[dict[str, Any]]:
    scope = current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        return grid_rows(sessions.of_county(conn, scope, policy=_policy()))


@callback(Output("admin-session-msg", "children"),
          Input("admin-end-session", "n_clicks"), Input("admin-end-user-sessions", "n_clicks"),
          State("admin-sessions", "selectedRows"), State("admin-users", "selectedRows"),
          prevent_initial_call=True)
def end_sessions(_s: Any, _u: Any, session_selected: list[dict[str, Any]] | None,
                 user_selected: list[dict[str, Any]] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    lang = page_lang()
    with transaction(services().pool) as conn:
        if ctx.triggered_id == "admin-end-session":
            session_row = _chosen(session_selected)
            if session_row is None:
                return t("admin.select_session", lang)
            n = sessions.end_for_admin(conn, scope, session_id=int(session_row["id"]))
        else:
            user_row = _chosen(user_selected)
            if user_row is None:
                return t("admin.select_user", lang)
            n = sessions.end_for_admin(conn, scope, user_id=int(user_row["id"]))
    return t("admin.ended", lang, n=n)
