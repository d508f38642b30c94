"""The account links of a page head: own settings, and logout as a POST form carrying the form token."""

from __future__ import annotations

from dash import dcc, html

from callbacks.context import form_token


def account_links() -> html.Div:
    """``账户`` link and the ``退出`` button (logout is POST-only with the token: a link could be forged)."""
    return html.Div(className="account-links", children=[
        html.A("账户 · Account", href="/account", className="account", id="account-link"),
        html.Form([dcc.Input(type="hidden", name="csrf_token", value=form_token(), id="logout-token"),
                   html.Button("退出 · Log out", type="submit", className="logout", id="logout-button")],
                  method="POST", action="/logout", className="logout-form"),
    ])
