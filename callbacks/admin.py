"""Admin page callbacks: thin adapters over geo_data.users / geo_data.admin / geo_data.audit."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx

from callbacks.context import current_scope, services
from geo_data import admin, audit, sessions, two_factor
from geo_data.db import transaction
from geo_data.errors import InvalidInput, NotFound
from geo_data.scope import Permission
from geo_data.sessions import SessionPolicy
from geo_data.users import create_user, list_users, set_user_state


def _fmt(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else v) for k, v in r.items()} for r in rows]


@callback(Output("admin-users", "data"), Output("admin-tokens", "data"), Output("admin-audit", "data"),
          Input("admin-refresh", "n_intervals"), Input("admin-user-msg", "children"),
          Input("admin-token-msg", "children"))
def refresh(_n: int | None, _m1: Any, _m2: Any) -> tuple[list[dict[str, Any]], ...]:
    scope = current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        return (_fmt(list_users(conn, county_code=scope.county_code)),
                _fmt(admin.tokens_of_county(conn, scope)), admin.audit_rows(conn, scope))


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
          State("admin-new-password", "value"),
          State("admin-users", "derived_virtual_data"), State("admin-users", "selected_rows"),
          prevent_initial_call=True)
def change_user(_c: Any, _d: Any, _a: Any, _u: Any, _r: Any, name: str | None, role: str | None,
                township: str | None, team: int | str | None, password: str | None, rows: list[dict[str, Any]] | None,
                selected: list[int] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        if ctx.triggered_id == "admin-create":
            user = create_user(conn, username=(name or "").strip(), password=password or "", role=role or "",
                               county_code=scope.county_code, township_code=(township or "").strip() or None,
                               created_by=scope.actor, must_change_password=True,
                               team_id=_team_id(team))
            return f"已创建 · created {user.username}（首次登录须改密码 · new password at first login）"
        if not rows or not selected:
            return "请先选择用户 · select a user first"
        user_id = int(rows[selected[0]]["id"])
        if ctx.triggered_id == "admin-reset-totp":
            if not any(int(u["id"]) == user_id for u in list_users(conn, county_code=scope.county_code)):
                raise NotFound(f"user {user_id}")
            two_factor.reset(conn, user_id=user_id, actor=scope.actor, county_code=scope.county_code)
            return f"已重置两步验证 · two-factor reset for {rows[selected[0]]['username']}"
        set_user_state(conn, scope, user_id=user_id, active={"admin-deactivate": False, "admin-activate": True}.get(
            str(ctx.triggered_id)), unlock=ctx.triggered_id == "admin-unlock")
        return f"已更新 · updated {rows[selected[0]]['username']}"


@callback(Output("admin-token-msg", "children"), Input("admin-revoke", "n_clicks"),
          State("admin-tokens", "derived_virtual_data"), State("admin-tokens", "selected_rows"),
          prevent_initial_call=True)
def revoke(_n: Any, rows: list[dict[str, Any]] | None, selected: list[int] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    if not rows or not selected:
        return "请先选择令牌 · select a token first"
    with transaction(services().pool) as conn:
        admin.revoke_token(conn, scope, token_id=int(rows[selected[0]]["id"]))
    return f"已吊销 · revoked token {rows[selected[0]]['id']}"


@callback(Output("admin-verify-result", "children"), Input("admin-verify", "n_clicks"), prevent_initial_call=True)
def verify(_n: Any) -> str:
    current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        result = audit.verify(conn)
    if result.ok:
        return f"完整 · intact ({result.rows} rows)"
    return f"被篡改 · BROKEN: {'; '.join(result.problems[:5])}"


def _policy() -> SessionPolicy:
    from datetime import timedelta

    server = services().settings.server
    return SessionPolicy(idle=timedelta(minutes=server.session_idle_minutes),
                         lifetime=timedelta(hours=server.session_hours),
                         display_lifetime=timedelta(days=server.display_session_days))


@callback(Output("admin-sessions", "data"), Input("admin-refresh", "n_intervals"),
          Input("admin-session-msg", "children"), Input("admin-user-msg", "children"))
def refresh_sessions(_n: int | None, _m: Any, _m2: Any) -> list[dict[str, Any]]:
    scope = current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        return _fmt(sessions.of_county(conn, scope, policy=_policy()))


@callback(Output("admin-session-msg", "children"),
          Input("admin-end-session", "n_clicks"), Input("admin-end-user-sessions", "n_clicks"),
          State("admin-sessions", "derived_virtual_data"), State("admin-sessions", "selected_rows"),
          State("admin-users", "derived_virtual_data"), State("admin-users", "selected_rows"),
          prevent_initial_call=True)
def end_sessions(_s: Any, _u: Any, session_rows: list[dict[str, Any]] | None, session_selected: list[int] | None,
                 user_rows: list[dict[str, Any]] | None, user_selected: list[int] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        if ctx.triggered_id == "admin-end-session":
            if not session_rows or not session_selected:
                return "请先选择会话 · select a session first"
            n = sessions.end_for_admin(conn, scope, session_id=int(session_rows[session_selected[0]]["id"]))
        else:
            if not user_rows or not user_selected:
                return "请先在用户表中选择用户 · select a user in the users table first"
            n = sessions.end_for_admin(conn, scope, user_id=int(user_rows[user_selected[0]]["id"]))
    return f"已结束 {n} 个会话 · ended {n} session(s)"
