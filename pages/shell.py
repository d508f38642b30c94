"""The app shell every desk page is shown in (docs/ui.md): one bar with the county, the pages this role may use,
who is logged in and in which role, the language switch, account and logout; and a clear refusal inside the
shell when the role may not see the page.

``app.py`` registers every page through ``framed(page)``: the shell is built here once, never per page. The wall
(``/wall``, a kiosk display) is shown bare and dark; the phone pages (``/field``, ``/v/<code>``) are not Dash pages
and never get the desk shell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from callbacks.context import form_token
from callbacks.map_common import request_lang
from callbacks.shell import ShellUser, page_lang, shell_user
from geo_data.errors import Forbidden
from geo_data.scope import Permission, Role, Scope
from layers.i18n import t

# Full-screen pages without the desk bar: a wall display shows the wall and nothing else.
BARE_PATHS = frozenset({"/wall"})
THEMES = {"/wall": "dark"}  # Bootstrap colour mode per page (data-bs-theme); desks are light


@dataclass(frozen=True)
class NavItem:
    """One page in the navigation: shown to a role that holds ``permission`` and is not in ``not_for``
    (the same rules the page itself enforces server-side)."""

    path: str
    key: str  # layers/i18n key of its name
    permission: Permission
    not_for: frozenset[Role] = frozenset()
    new_tab: bool = False  # the wall usually runs on its own screen

    def may_open(self, scope: Scope) -> bool:
        return scope.can(self.permission) and scope.role not in self.not_for


NAV: tuple[NavItem, ...] = (
    NavItem("/", "nav.map", Permission.READ),
    NavItem("/dispatch", "nav.dispatch", Permission.DISPATCH),  # callbacks.dispatch.page_context refuses others
    NavItem("/coverage", "nav.coverage", Permission.READ, not_for=frozenset({Role.VIEWER})),  # pages/coverage.py
    NavItem("/planner", "nav.planner", Permission.PLAN),
    NavItem("/admin", "nav.admin", Permission.ADMIN),
    NavItem("/wall", "nav.wall", Permission.READ, new_tab=True),
)


def nav_items(scope: Scope) -> list[NavItem]:
    """The pages ``scope``'s role may open, in menu order."""
    return [item for item in NAV if item.may_open(scope)]


def _lang_href(path: str, query: dict[str, Any], lang: str) -> str:
    """This page in the other language, its other query parameters kept."""
    params = {k: v for k, v in query.items() if isinstance(v, str) and k != "lang"}
    params["lang"] = "zh" if lang == "en" else "en"
    return f"{path}?{urlencode(params)}"


def navbar(user: ShellUser, path: str, lang: str, query: dict[str, Any]) -> dbc.Navbar:
    """The shell's bar: county, pages, user and role, language, account, logout (a POST form with the token)."""
    area = user.county_name + (f" · {user.township_name}" if user.township_name else "")
    links = [dbc.NavItem(dbc.NavLink(t(item.key, lang), href=item.path, active=item.path == path,
                                     external_link=True, target="_blank" if item.new_tab else None,
                                     id=f"nav-{item.path.strip('/') or 'map'}"))
             for item in nav_items(user.scope)]
    return dbc.Navbar(dbc.Container(fluid=True, className="gc-shell-inner", children=[
        html.A([html.Span(area, className="gc-shell-county", id="shell-county"),
                html.Span(t("app.title", lang), className="gc-shell-app")], href="/", className="navbar-brand"),
        dbc.Nav(links, className="gc-shell-nav me-auto", navbar=True, id="shell-nav"),
        html.Div(className="gc-shell-user", children=[
            html.Span([html.Span(user.display_name or user.username, className="gc-shell-name"),
                       dbc.Badge(t(f"role.{user.scope.role.value}", lang), color="secondary",
                                 className="gc-shell-role")], id="shell-user"),
            dbc.Button(t("lang.switch", lang), href=_lang_href(path, query, lang), external_link=True,
                       color="secondary", outline=True, size="sm", id="shell-lang-switch",
                       title=t("nav.lang", lang)),
            dbc.Button(t("nav.account", lang), href="/account", external_link=True, color="secondary",
                       outline=True, size="sm", id="account-link"),
            html.Form([dcc.Input(type="hidden", name="csrf_token", value=form_token(), id="logout-token"),
                       dbc.Button(t("nav.logout", lang), type="submit", color="primary", size="sm",
                                  id="logout-button")],
                      method="POST", action="/logout", className="gc-shell-logout"),
        ]),
    ]), color="body-tertiary", dark=False, className="gc-shell-bar border-bottom", id="shell-bar")


def forbidden_panel(user: ShellUser | None, lang: str) -> dbc.Alert:
    """What a page the role may not see shows inside the shell: why, and the way to a page it may use."""
    role = t(f"role.{user.scope.role.value}", lang) if user else ""
    first = nav_items(user.scope)[0] if user and nav_items(user.scope) else NAV[0]
    return dbc.Alert([html.H2(t("forbidden.title", lang), className="alert-heading h4"),
                      html.P(t("forbidden.text", lang, role=role)),
                      dbc.Button(t("forbidden.back", lang, page=t(first.key, lang)), href=first.path,
                                 external_link=True, color="primary", size="sm")],
                     color="warning", className="gc-forbidden m-4", id="page-forbidden")


# the browser tab's title per page, in the page's language (the product's name is the same in both)
TITLE_KEYS = {"/": "app.title", "/wall": "wall.title", "/dispatch": "dispatch.title", "/coverage": "nav.coverage",
              "/planner": "plan.title", "/admin": "admin.title"}


def title(path: str, fallback: str) -> Callable[..., str]:
    """The page's ``<title>`` for Dash's page registry: called per page view, in the page's language."""

    def page_title(**_path_variables: Any) -> str:
        key = TITLE_KEYS.get(path)
        return f"{t(key, page_lang())} · GridCommand" if key else fallback

    return page_title


def framed(path: str, layout: Callable[..., Any]) -> Callable[..., Any]:
    """``layout`` inside the app shell (bare on ``BARE_PATHS``); ``Forbidden`` from it becomes the refusal panel."""

    def render(**query: Any) -> Any:
        lang = request_lang(query.get("lang") if isinstance(query.get("lang"), str) else None)
        user = shell_user()
        try:
            content = layout(**query)
        except Forbidden:
            content = forbidden_panel(user, lang)
        theme: dict[str, Any] = {"data-bs-theme": THEMES.get(path, "light")}   # Dash takes data-* as keywords only
        if path in BARE_PATHS or user is None:
            return html.Div(content, className="gc-shell gc-shell-bare", **theme)
        return html.Div(className=f"gc-shell lang-{lang}", **theme, children=[
            navbar(user, path, lang, query),
            html.Div(content, className="gc-shell-main", id="shell-main"),
            dcc.Store(id="shell-lang", data=lang),
            dcc.Store(id="shell-lang-cookie"),
        ])

    return render
