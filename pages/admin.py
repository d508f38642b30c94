"""Admin page ``/admin``: users (create, deactivate, unlock, reset two-factor), live sessions, API tokens, and
the audit trail."""

from __future__ import annotations

from typing import Any

from dash import dash_table, dcc, html

from callbacks.page_context import page_context
from geo_data.scope import Permission, Role
from pages.account_links import account_links

PATH = "/admin"
TITLE = "系统管理 · Administration"
PERMISSION = Permission.ADMIN

ROLE_OPTIONS = [{"label": r.value, "value": r.value} for r in Role]


def _table(table_id: str, columns: list[tuple[str, str]]) -> Any:
    return dash_table.DataTable(  # type: ignore[attr-defined]
        id=table_id, columns=[{"name": n, "id": c} for c, n in columns], data=[], page_size=15,
        row_selectable="single", style_cell={"textAlign": "left", "fontSize": 13},
        style_table={"overflowX": "auto"},
    )


def layout(**_query: Any) -> html.Div:
    page_context(PERMISSION)
    return html.Div(className="admin-page", children=[
        html.Header([html.H1("系统管理 · Administration"), html.A("返回地图 · Map", href="/"),
                     account_links()], className="page-head"),
        html.Section([
            html.H2("用户 · Users"),
            _table("admin-users", [("username", "用户名"), ("display_name", "姓名"), ("role_name", "角色"),
                                   ("township_name", "乡镇"), ("team_name", "队伍"), ("active", "启用"), ("locked", "锁定"),
                                   ("two_factor", "两步验证"), ("last_login_at", "最近登录")]),
            html.Div([html.Button("停用 Deactivate", id="admin-deactivate"),
                      html.Button("启用 Activate", id="admin-activate"),
                      html.Button("解锁 Unlock", id="admin-unlock"),
                      html.Button("重置两步验证 Reset two-factor", id="admin-reset-totp")], className="row"),
            html.H3("新建用户 · New user"),
            html.Div(className="row", children=[
                dcc.Input(id="admin-new-name", placeholder="用户名 username"),
                dcc.Dropdown(id="admin-new-role", options=ROLE_OPTIONS, placeholder="角色 role",
                             style={"width": 220}),
                dcc.Input(id="admin-new-township", placeholder="乡镇代码 township code (dispatchers)"),
                dcc.Input(id="admin-new-team", type="number", min=1, placeholder="队伍编号 team id (inspectors)"),
                dcc.Input(id="admin-new-password", type="password",
                          placeholder="初始密码 first password (≥ 10, changed at first login)"),
                html.Button("创建 Create", id="admin-create"),
            ]),
            html.Div(id="admin-user-msg", className="msg"),
        ]),
        html.Section([
            html.H2("会话 · Sessions"),
            _table("admin-sessions", [("id", "ID"), ("username", "用户名"), ("kind", "类型"), ("pending", "待完成"),
                                      ("created_at", "登录"), ("last_seen_at", "最近操作"), ("expires_at", "到期"),
                                      ("remote_addr", "来源地址"), ("user_agent", "浏览器")]),
            html.Div([html.Button("结束会话 End session", id="admin-end-session"),
                      html.Button("结束所选用户的全部会话 End all sessions of the selected user",
                                  id="admin-end-user-sessions")], className="row"),
            html.Div(id="admin-session-msg", className="msg"),
        ]),
        html.Section([
            html.H2("接口令牌 · API tokens"),
            _table("admin-tokens", [("id", "ID"), ("kind", "类型"), ("source", "来源"), ("prefix", "前缀"),
                                    ("scopes", "权限"), ("created_at", "创建"), ("revoked_at", "吊销"),
                                    ("last_used_at", "最近使用")]),
            html.Button("吊销 Revoke", id="admin-revoke"),
            html.Div(id="admin-token-msg", className="msg"),
        ]),
        html.Section([
            html.H2("审计日志 · Audit trail"),
            html.Div([html.Button("校验哈希链 Verify chain", id="admin-verify"),
                      html.Span(id="admin-verify-result")], className="row"),
            _table("admin-audit", [("seq", "#"), ("at", "时间"), ("actor", "操作人"), ("action", "动作"),
                                   ("object", "对象"), ("remote_addr", "来源地址"), ("detail", "详情")]),
        ]),
        dcc.Interval(id="admin-refresh", interval=15_000),
    ])
