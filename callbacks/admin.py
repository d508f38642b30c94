"""Admin page callbacks: thin adapters over geo_data.users / geo_data.admin / geo_data.audit."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx

from callbacks.context import current_scope, services
from geo_data import admin, audit
from geo_data.db import transaction
from geo_data.scope import Permission
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


@callback(Output("admin-user-msg", "children"),
          Input("admin-create", "n_clicks"), Input("admin-deactivate", "n_clicks"),
          Input("admin-activate", "n_clicks"), Input("admin-unlock", "n_clicks"),
          State("admin-new-name", "value"), State("admin-new-role", "value"),
          State("admin-new-township", "value"), State("admin-new-password", "value"),
          State("admin-users", "derived_virtual_data"), State("admin-users", "selected_rows"),
          prevent_initial_call=True)
def change_user(_c: Any, _d: Any, _a: Any, _u: Any, name: str | None, role: str | None, township: str | None,
                password: str | None, rows: list[dict[str, Any]] | None, selected: list[int] | None) -> str:
    scope = current_scope(Permission.ADMIN)
    with transaction(services().pool) as conn:
        if ctx.triggered_id == "admin-create":
            user = create_user(conn, username=(name or "").strip(), password=password or "", role=role or "",
                               county_code=scope.county_code, township_code=(township or "").strip() or None,
                               created_by=scope.actor)
            return f"已创建 · created {user.username}"
        if not rows or not selected:
            return "请先选择用户 · select a user first"
        user_id = int(rows[selected[0]]["id"])
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
