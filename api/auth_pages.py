"""Login, logout and the guard in front of every page and Dash route (Flask-Login sessions)."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Flask, Response, abort, jsonify, redirect, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from geo_data import audit
from geo_data.db import transaction
from geo_data.scope import Permission
from geo_data.users import User, authenticate, get_user, user_for_display_token

bp = Blueprint("auth", __name__)

# Paths anyone may fetch: the login page and static code (no data in them). The machine API does its own auth.
PUBLIC_PREFIXES = ("/login", "/display/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico",
                   "/api/", "/healthz")


# Page path -> permission needed to load it (filled by app.py from each page module's PERMISSION).
PAGE_PERMISSIONS: dict[str, Permission] = {}


class SessionUser(UserMixin):
    def __init__(self, user: User) -> None:
        self.user = user
        self.id = str(user.id)


def install(server: Flask, *, pool: Any, session_hours: int, max_failures: int, lockout_minutes: int,
            secure_cookies: bool) -> None:
    """Wire sessions, the login routes and the guard into the Flask server."""
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=session_hours),
    )
    server.extensions["gc_auth"] = {"pool": pool, "max_failures": max_failures,
                                    "lockout": timedelta(minutes=lockout_minutes)}
    manager = LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load_user(user_id: str) -> SessionUser | None:
        with transaction(pool) as conn:
            user = get_user(conn, int(user_id))
        return SessionUser(user) if user else None

    server.register_blueprint(bp)
    server.before_request(_guard)
    server.after_request(_security_headers)


def _guard() -> Response | None:
    path = request.path
    if request.method not in ("GET", "HEAD", "OPTIONS") and not path.startswith("/api/") and not _same_origin():
        abort(403, "cross-site request refused")
    if any(path.startswith(p) for p in PUBLIC_PREFIXES):
        return None
    if current_user.is_authenticated:
        needed = PAGE_PERMISSIONS.get(path.rstrip("/") or "/")
        if needed is not None and not current_user.user.scope().can(needed):
            abort(403, "your role may not open this page")
        return None
    if path.startswith("/_dash") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": "login required"}), 401  # type: ignore[return-value]
    return redirect(f"/login?next={path}")  # type: ignore[return-value]


def _same_origin() -> bool:
    """CSRF defence for cookie-authenticated writes: Origin (or Referer) must be this host."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # non-browser clients send neither; browsers always send Origin on POST
    return urlparse(origin).netloc == request.host


def _security_headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob: https: http:; style-src 'self' 'unsafe-inline';"
        " script-src 'self' 'unsafe-inline' 'unsafe-eval'; connect-src 'self'; frame-ancestors 'self'",
    )
    return resp


_LOGIN_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · GridCommand</title>
<link rel="stylesheet" href="/assets/login.css"></head><body class="login">
<form method="post" action="/login" class="login-box"><h1>县乡执法指挥一张图</h1><p class="sub">GridCommand</p>
{error}<input type="hidden" name="csrf_token" value="{csrf}"><input type="hidden" name="next" value="{next}">
<label>用户名 Username<input name="username" autocomplete="username" required autofocus></label>
<label>密码 Password<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="login-submit">登录 Log in</button></form></body></html>"""


def _csrf_token() -> str:
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return str(session["csrf_token"])


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent, session.get("csrf_token", "")):
            abort(400, "missing or wrong CSRF token")
        from flask import current_app

        auth = current_app.extensions["gc_auth"]
        with transaction(auth["pool"]) as conn:
            outcome = authenticate(conn, username=request.form.get("username", "")[:64],
                                   password=request.form.get("password", "")[:256],
                                   remote_addr=request.remote_addr or "",
                                   max_failures=auth["max_failures"], lockout=auth["lockout"])
        if outcome.user is not None:
            session.clear()
            login_user(SessionUser(outcome.user))
            session.permanent = True
            return redirect(_safe_next(request.form.get("next")))
        error = ('<p class="error" id="login-error">账户已锁定，请稍后再试 · Account locked, try later</p>'
                 if outcome.reason == "locked" else
                 '<p class="error" id="login-error">用户名或密码错误 · Wrong username or password</p>')
    html = _LOGIN_HTML.format(error=error, csrf=escape(_csrf_token()),
                              next=escape(_safe_next(request.values.get("next"))))
    return Response(html, status=401 if error else 200, mimetype="text/html")


@bp.route("/display/<token>")
def display_login(token: str) -> Any:
    """A wall display opens ``/display/<token>`` once: it is logged in as the bound viewer and sent to /wall."""
    from flask import current_app

    auth = current_app.extensions["gc_auth"]
    with transaction(auth["pool"]) as conn:
        user = user_for_display_token(conn, token[:200])
        if user is not None:
            audit.record(conn, actor=user.username, action="login.display", remote_addr=request.remote_addr or "",
                         county_code=user.county_code)
    if user is None:
        abort(401, "unknown or revoked display token")
    session.clear()
    login_user(SessionUser(user))
    session.permanent = True
    return redirect(f"/wall{'?' + request.query_string.decode() if request.query_string else ''}")


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect("/login")


@bp.route("/healthz")
def healthz() -> Any:
    return jsonify({"ok": True})
