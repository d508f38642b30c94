"""Admin page ``/admin`` (系统管理): users (create, deactivate, unlock, reset two-factor), live sessions, API tokens,
field devices, teams, and the audit trail (filterable), in the page's language; tables are dash-ag-grid grids."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.map_common import request_lang
from callbacks.page_context import page_context
from geo_data.scope import Permission, Role
from layers.i18n import t
from pages.tables import grid

PATH = "/admin"
TITLE = "系统管理 · Administration"
PERMISSION = Permission.ADMIN

USER_COLUMNS = [("username", "col.username"), ("display_name", "col.display_name"), ("role_label", "col.role"),
                ("township_name", "col.township"), ("team_name", "col.team"), ("active", "col.active"),
                ("locked", "col.locked"), ("two_factor", "col.two_factor"),
                ("must_change_password", "col.must_change_password"), ("last_login_at", "col.last_login_at")]
SESSION_COLUMNS = [("id", "col.id"), ("username", "col.username"), ("kind", "col.kind"), ("pending", "col.pending"),
                   ("created_at", "col.created_at"), ("last_seen_at", "col.last_seen_at"),
                   ("expires_at", "col.expires_at"), ("remote_addr", "col.remote_addr"),
                   ("user_agent", "col.user_agent")]
TOKEN_COLUMNS = [("id", "col.id"), ("kind", "col.kind"), ("source", "col.source"), ("prefix", "col.prefix"),
                 ("scopes", "col.scopes"), ("created_by", "col.created_by"), ("created_at", "col.created_at"),
                 ("revoked_at", "col.revoked_at"), ("last_used_at", "col.last_used_at")]
DEVICE_COLUMNS = [("id", "col.id"), ("identifier", "col.identifier"), ("kind", "col.kind"), ("label", "col.label"),
                  ("team_name", "col.team"), ("created_at", "col.created_at"), ("revoked_at", "col.revoked_at"),
                  ("last_fix_at", "col.last_fix_at")]
TEAM_COLUMNS = [("id", "col.id"), ("name", "col.name"), ("kind_label", "col.kind"), ("township_code", "col.township"),
                ("status_label", "col.status"), ("members", "field.members")]
AUDIT_COLUMNS = [("seq", "col.seq"), ("at", "col.at"), ("actor", "col.actor"), ("action", "col.action"),
                 ("object", "col.object"), ("remote_addr", "col.remote_addr"), ("detail", "col.detail")]


def _card(title: str, *children: Any, card_id: str) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(list(children))], id=card_id)


def _msg(msg_id: str) -> html.Div:
    return html.Div(id=msg_id, className="gc-msg alert alert-info py-2 my-2", role="status")


def _users(lang: str) -> dbc.Card:
    roles = [{"label": t(f"role.{r.value}", lang), "value": r.value} for r in Role]
    return _card(
        t("admin.users", lang),
        grid("admin-users", USER_COLUMNS, lang, select=True, export_name="users"),
        html.Div(className="gc-actions", children=[
            dbc.Button(t("admin.deactivate", lang), id="admin-deactivate", color="danger", outline=True, size="sm"),
            dbc.Button(t("admin.activate", lang), id="admin-activate", color="success", outline=True, size="sm"),
            dbc.Button(t("admin.unlock", lang), id="admin-unlock", color="secondary", outline=True, size="sm"),
            dbc.Button(t("admin.reset_totp", lang), id="admin-reset-totp", color="warning", outline=True,
                       size="sm")]),
        _msg("admin-user-msg"),
        html.H3(t("admin.new_user", lang), className="h6 mt-3"),
        html.Div(className="gc-actions", children=[
            dbc.Input(id="admin-new-name", placeholder=t("admin.new_name", lang), size="sm"),
            dcc.Dropdown(id="admin-new-role", options=roles, placeholder=t("admin.new_role", lang),
                         style={"width": 220}),
            dbc.Input(id="admin-new-township", placeholder=t("admin.new_township", lang), size="sm"),
            dbc.Input(id="admin-new-team", type="number", min=1, placeholder=t("admin.new_team", lang), size="sm"),
            dbc.Input(id="admin-new-password", type="password", placeholder=t("admin.new_password", lang),
                      size="sm", style={"minWidth": "22rem"}),
            dbc.Button(t("admin.create", lang), id="admin-create", color="primary", size="sm")]),
        card_id="admin-users-card")


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    page_context(PERMISSION)
    lang = request_lang(lang)
    tabs = [
        dbc.Tab(_users(lang), label=t("admin.users", lang), tab_id="users"),
        dbc.Tab(_card(t("admin.sessions", lang),
                      grid("admin-sessions", SESSION_COLUMNS, lang, select=True, export_name="sessions"),
                      html.Div(className="gc-actions", children=[
                          dbc.Button(t("admin.end_session", lang), id="admin-end-session", color="danger",
                                     outline=True, size="sm"),
                          dbc.Button(t("admin.end_user_sessions", lang), id="admin-end-user-sessions",
                                     color="danger", outline=True, size="sm")]),
                      _msg("admin-session-msg"), card_id="admin-sessions-card"),
                label=t("admin.sessions", lang), tab_id="sessions"),
        dbc.Tab(_card(t("admin.tokens", lang),
                      grid("admin-tokens", TOKEN_COLUMNS, lang, select=True, export_name="api-tokens"),
                      html.Div(dbc.Button(t("admin.revoke", lang), id="admin-revoke", color="danger", outline=True,
                                          size="sm"), className="gc-actions"),
                      _msg("admin-token-msg"), card_id="admin-tokens-card"),
                label=t("admin.tokens", lang), tab_id="tokens"),
        dbc.Tab(_card(t("admin.devices", lang), html.P(t("admin.devices_hint", lang), className="gc-hint-text"),
                      grid("admin-devices", DEVICE_COLUMNS, lang, select=True, export_name="devices"),
                      html.Div(dbc.Button(t("admin.revoke_device", lang), id="admin-revoke-device", color="danger",
                                          outline=True, size="sm"), className="gc-actions"),
                      _msg("admin-device-msg"), card_id="admin-devices-card"),
                label=t("admin.devices", lang), tab_id="devices"),
        dbc.Tab(_card(t("admin.teams", lang), html.P(t("admin.teams_hint", lang), className="gc-hint-text"),
                      grid("admin-teams", TEAM_COLUMNS, lang, export_name="teams"), card_id="admin-teams-card"),
                label=t("admin.teams", lang), tab_id="teams"),
        dbc.Tab(_card(t("admin.audit", lang), html.P(t("admin.audit_hint", lang), className="gc-hint-text"),
                      html.Div(className="gc-actions", children=[
                          dbc.Input(id="admin-audit-actor", placeholder=t("admin.audit_actor", lang), size="sm"),
                          dbc.Input(id="admin-audit-action", placeholder=t("admin.audit_action", lang), size="sm"),
                          html.Div(dcc.DatePickerRange(id="admin-audit-period", display_format="YYYY-MM-DD",
                                                       clearable=True,
                                                       start_date_placeholder_text=t("date.start", lang),
                                                       end_date_placeholder_text=t("date.end", lang)),
                                   className="gc-dates-field"),
                          dbc.Button(t("admin.audit_apply", lang), id="admin-audit-apply", color="primary",
                                     size="sm"),
                          dbc.Button(t("admin.verify", lang), id="admin-verify", color="secondary", outline=True,
                                     size="sm"),
                          html.Span(id="admin-verify-result", className="gc-hint-text")]),
                      grid("admin-audit", AUDIT_COLUMNS, lang, export_name="audit", page_size=50, tall=True),
                      card_id="admin-audit-card"),
                label=t("admin.audit", lang), tab_id="audit"),
    ]
    return html.Div(className="gc-desk admin-page", children=[
        html.H1(t("admin.title", lang)),
        dbc.Tabs(tabs, active_tab="users", id="admin-tabs"),
        dcc.Interval(id="admin-refresh", interval=15_000),
    ])
