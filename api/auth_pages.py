"""Login, second factor, password change, logout and the guard in front of every page and Dash route.

Sessions live in the database (``geo_data.sessions``); Flask's signed cookie carries only the session's random
id and the form token (CSRF). A request is served only while its session is live: logout, an admin, the idle
timeout, the absolute lifetime, a password/role change, deactivation or a revoked display token end it at once.
A session that still owes a step (TOTP code, enrolment, new password) reaches only the page of that step; a
wall display's session reaches only ``/wall`` and the wall's callbacks.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import segno
from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, redirect, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from geo_data import audit, login_throttle, sessions, two_factor
from geo_data.db import transaction
from geo_data.errors import InvalidInput
from geo_data.login_throttle import ThrottlePolicy
from geo_data.scope import Permission
from geo_data.sessions import LiveSession, SessionPolicy
from geo_data.settings import ServerSettings
from geo_data.users import User, authenticate, change_password, user_for_display_token
from layers.i18n import lang_of, t

bp = Blueprint("auth", __name__)

# Paths anyone may fetch: the login page and static code (no data in them). The machine API does its own auth;
# the enterprise's page of an inspection code (/v/<code>) takes the code as its capability (api.visits).
PUBLIC_PREFIXES = ("/login", "/display/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico",
                   "/api/", "/healthz", "/v/", "/field/app/", "/field/sw.js", "/field/manifest.webmanifest")
# Static code and images: cacheable; every other response may carry personal or case data and is no-store.
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")
# Pages a session that still owes a login step may open (the step's own page and logout).
STEP_PATHS = {"totp": "/login/totp", "enrol": "/login/enrol", "password": "/login/password"}
# What a wall display's session may reach besides its callbacks.
DISPLAY_PATHS = ("/wall", "/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/logout")


class SessionUser(UserMixin):
    """The Flask-Login user: a live session; ``get_id`` is the session's cookie id, never the user's id."""

    def __init__(self, live: LiveSession, sid: str) -> None:
        self.live = live
        self.user = live.user
        self.id = sid


@dataclass(frozen=True)
class AuthConfig:
    pool: Any
    sessions: SessionPolicy
    throttle: ThrottlePolicy
    totp_roles: frozenset[str]
    csp: str
    secure: bool
    hsts_seconds: int
    page_permissions: Mapping[str, Permission]  # page path -> the permission needed to load it


def install(server: Flask, *, pool: Any, settings: ServerSettings, image_hosts: Sequence[str] = (),
            page_permissions: Mapping[str, Permission] | None = None) -> None:
    """Wire sessions, the guard and the security headers into the Flask server (the login routes, ``bp``, are
    mounted by the composition root with every other blueprint: ``app.API_BLUEPRINTS``).
    ``page_permissions``: page path -> permission needed to load it (app.py: each page module's PERMISSION)."""
    secure = settings.secure_cookies
    server.config.update(
        SESSION_COOKIE_NAME="__Host-gc_session" if secure else "gc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_REFRESH_EACH_REQUEST=False,  # the cookie's expiry never moves; the server ends sessions
        PERMANENT_SESSION_LIFETIME=max(timedelta(hours=settings.session_hours),
                                       timedelta(days=settings.display_session_days)),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
    )
    server.extensions["gc_auth"] = AuthConfig(
        pool=pool,
        sessions=SessionPolicy(idle=timedelta(minutes=settings.session_idle_minutes),
                               lifetime=timedelta(hours=settings.session_hours),
                               display_lifetime=timedelta(days=settings.display_session_days)),
        throttle=ThrottlePolicy(free_failures=settings.login_free_failures,
                                delay=timedelta(seconds=settings.login_delay_seconds),
                                max_delay=timedelta(seconds=settings.login_max_delay_seconds),
                                address_failures=settings.login_address_failures,
                                address_window=timedelta(minutes=settings.login_address_window_minutes)),
        totp_roles=frozenset(settings.totp_required_roles),
        csp=content_security_policy(image_hosts),
        secure=secure,
        hsts_seconds=settings.hsts_seconds,
        page_permissions=dict(page_permissions or {}),
    )
    if settings.trusted_proxies:
        server.wsgi_app = TrustedProxies(server.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(_load_session)
    server.before_request(_guard)
    server.after_request(_security_headers)


def set_display_callbacks(server: Flask, allowed: Callable[[], Iterable[str]]) -> None:
    """Name the Dash callbacks (by their output key) a wall display's session may run; read per request."""
    server.extensions["gc_display_callbacks"] = allowed


def set_script_hashes(server: Flask, hashes: Callable[[], Sequence[str]]) -> None:
    """The CSP hashes of the inline scripts Dash writes into its pages (``Dash.csp_hashes``)."""
    server.extensions["gc_script_hashes"] = hashes


def _config() -> AuthConfig:
    config: AuthConfig = current_app.extensions["gc_auth"]
    return config


# ---------------------------------------------------------------------------------------- client address


class TrustedProxies:
    """WSGI middleware: believe ``X-Forwarded-For``/``-Proto`` only when the peer is a configured proxy.

    The client is the right-most forwarded address that is not itself a trusted proxy (a client can put anything
    in the header; only what our own proxies appended counts).
    """

    def __init__(self, app: Any, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = frozenset(trusted)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REMOTE_ADDR") in self.trusted:
            chain = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
            while chain and chain[-1] in self.trusted:
                chain.pop()
            if chain and _looks_like_address(chain[-1]):
                environ["REMOTE_ADDR"] = chain[-1]
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


def _looks_like_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address() -> str:
    return (request.remote_addr or "")[:64]


# ---------------------------------------------------------------------------------------------- sessions


def _load_session(sid: str) -> SessionUser | None:
    """Flask-Login's loader: the live session the cookie names (None when ended, idle or expired)."""
    config = _config()
    with transaction(config.pool) as conn:
        live = sessions.live(conn, sid, policy=config.sessions)
        if live is not None and live.seen_long_ago and _is_user_action():
            sessions.touch(conn, live.id)
    return SessionUser(live, sid) if live else None


def _is_user_action() -> bool:
    """Whether this request is something the person did (restarts the idle timeout).

    Timers (``dcc.Interval`` callbacks), the live stream and page-data refreshes they trigger don't count: a
    screen left open and unattended must still time out.
    """
    if request.path == "/events":
        return False
    if request.path == "/_dash-update-component":
        body = request.get_json(silent=True) or {}
        changed = body.get("changedPropIds") or [] if isinstance(body, dict) else []
        return not changed or not all(isinstance(c, str) and c.endswith(".n_intervals") for c in changed)
    return True


def _start_session(conn: Any, user: User, *, kind: str = "password", pending: str | None = None,
                   display_token_id: int | None = None) -> None:
    """Replace whatever session this browser had with a new one (new id: no session fixation)."""
    old_sid = session.get("_user_id")
    if old_sid:
        sessions.end(conn, str(old_sid), reason="replaced by a new login")
    sid, _row_id = sessions.start(conn, user=user, kind=kind, policy=_config().sessions,  # type: ignore[arg-type]
                                  remote_addr=client_address(), user_agent=request.user_agent.string,
                                  pending=pending, display_token_id=display_token_id)  # type: ignore[arg-type]
    live = sessions.LiveSession(id=_row_id, user=user, kind=kind, pending=pending,  # type: ignore[arg-type]
                                seen_long_ago=False)
    keep_next = session.get("next")
    session.clear()
    login_user(SessionUser(live, sid))
    session.permanent = True
    session["csrf_token"] = secrets.token_urlsafe(32)
    if keep_next:
        session["next"] = keep_next


def _current() -> SessionUser | None:
    return current_user if getattr(current_user, "is_authenticated", False) else None


# ------------------------------------------------------------------------------------------------- guard


def _guard() -> Response | None:
    path = request.path
    if "\x00" in path or "\x00" in request.query_string.decode("latin-1") or "%00" in request.query_string.decode(
            "latin-1"):
        abort(400, "NUL character in the address")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not path.startswith("/api/"):
        if not _same_origin():
            abort(403, "cross-site request refused")
        if request.mimetype == "application/json" and b"\\u0000" in request.get_data(cache=True):
            abort(400, "NUL character in the input")
    if any(path.startswith(p) for p in PUBLIC_PREFIXES):
        return None
    who = _current()
    if who is None:
        if path.startswith("/_dash") or path == "/events" or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": "login required"}), 401  # type: ignore[return-value]
        target = path + ("?" + request.query_string.decode("utf-8", "replace") if request.query_string else "")
        return redirect("/login?" + urlencode({"next": target}))  # type: ignore[return-value]
    live = who.live
    if live.pending is not None and path != "/logout":
        if path.startswith("/_dash") or path == "/events":
            return jsonify({"error": "login not finished"}), 401  # type: ignore[return-value]
        return redirect(STEP_PATHS[live.pending])  # type: ignore[return-value]
    if live.kind == "display" and not _display_may(path):
        abort(403, "a wall display reaches only the wall")
    needed = _config().page_permissions.get(path.rstrip("/") or "/")
    if needed is not None and not who.user.scope().can(needed):
        if who.user.scope().can(Permission.FIELD) and request.method == "GET" and not path.startswith("/_dash"):
            return redirect("/field")  # type: ignore[return-value]  # an inspector's pages are the field app
        if request.method == "GET" and not path.startswith("/_dash") and request.accept_mimetypes.accept_html:
            # a person's browser: the page answers 403 but shows why inside the app shell (pages/shell.py; the
            # page's own layout refuses the role again in the router callback, so no data is served)
            g.gc_refused_page = True
            return None
        abort(403, "your role may not open this page")
    return None


def _display_may(path: str) -> bool:
    """A wall display's session: the wall page, Dash's own routes and the wall's callbacks only."""
    if path in DISPLAY_PATHS:
        return True
    if path != "/_dash-update-component":
        return False
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    output = body["output"]
    if "_pages_content." in output:  # Dash's page router: only when it renders /wall
        return any(isinstance(i, dict) and i.get("id") == "_pages_location" and i.get("property") == "pathname"
                   and i.get("value") == "/wall" for i in body.get("inputs") or [])
    allowed = current_app.extensions.get("gc_display_callbacks")
    return allowed is not None and output in set(allowed())


def _same_origin() -> bool:
    """CSRF defence for cookie-authenticated writes: Origin (or Referer) must be this host."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # non-browser clients send neither; browsers always send Origin on POST
    return urlsplit(origin).netloc == request.host


def _check_form_token() -> None:
    """Every form POST carries the session's form token (a fresh client gets one with the form)."""
    sent = request.form.get("csrf_token", "")
    kept = str(session.get("csrf_token", ""))
    if not sent or not kept or not hmac.compare_digest(sent, kept):
        abort(400, "missing or wrong CSRF token (csrf_token): reload the page and try again")


def csrf_token() -> str:
    """The session's form token (made on first use)."""
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return str(session["csrf_token"])


# ----------------------------------------------------------------------------------------------- headers


def content_security_policy(image_hosts: Sequence[str], script_hashes: Sequence[str] = ()) -> str:
    """The CSP: scripts from this origin and the hashed inline scripts Dash writes, never inline or eval;
    images from this origin and the configured basemap hosts only."""
    images = " ".join(["'self'", "data:", "blob:", *image_hosts])
    scripts = " ".join(["'self'", *script_hashes])
    return (f"default-src 'self'; img-src {images}; style-src 'self' 'unsafe-inline'; script-src {scripts};"
            " connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def _security_headers(resp: Response) -> Response:
    if g.get("gc_refused_page"):
        resp.status_code = 403
    config = current_app.extensions.get("gc_auth")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if config is not None:
        hashes = current_app.extensions.get("gc_script_hashes")
        csp = config.csp
        if hashes is not None and resp.mimetype == "text/html":
            csp = csp.replace("script-src 'self';", "script-src " + " ".join(["'self'", *hashes()]) + ";")
        resp.headers.setdefault("Content-Security-Policy", csp)
        if config.secure or request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", f"max-age={config.hsts_seconds}")
    if not any(request.path.startswith(p) for p in STATIC_PREFIXES):
        resp.headers["Cache-Control"] = "no-store"
        resp.headers.pop("Expires", None)
        resp.headers.pop("ETag", None)
        resp.headers.pop("Last-Modified", None)
    return resp


# ---------------------------------------------------------------------------------------------- next URL

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _safe_next(target: str | None) -> str:
    """A same-site path to go to after login, or ``/``.

    Browsers drop tab, CR and LF anywhere in a URL and read ``\\`` as ``/`` (WHATWG URL), so the check looks at
    the URL as a browser will, and at its percent-decoded forms too; anything that could leave the site, or that
    carries control characters, becomes ``/``.
    """
    if not target or len(target) > 2000:
        return "/"
    forms = [target]
    for _ in range(3):
        forms.append(unquote(forms[-1]))
    for form in forms:
        seen = re.sub(r"[\t\r\n]", "", form).replace("\\", "/")
        if _CONTROL.search(form.replace("\t", "").replace("\r", "").replace("\n", "")):
            return "/"
        if not seen.startswith("/") or seen.startswith("//"):
            return "/"
        parts = urlsplit(seen)
        if parts.scheme or parts.netloc:
            return "/"
    if _CONTROL.search(target) or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ------------------------------------------------------------------------------------------------- pages

_PAGE = """<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8"><title>{title} · GridCommand</title>
<link rel="stylesheet" href="/assets/login.css"></head><body class="login">
<div class="login-box"><h1>{heading}</h1><p class="sub">GridCommand</p>{body}</div></body></html>"""


def _lang() -> str:
    """The login pages' language: ``?lang=`` (or the form's), else the ``gc_lang`` cookie the shell keeps."""
    return lang_of(request.values.get("lang") or request.cookies.get("gc_lang"))


def _html(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    lang = _lang()
    page = _PAGE.format(title=escape(title), body=body, html_lang="en" if lang == "en" else "zh-CN",
                        heading=escape(t("app.title", lang)))
    return Response(page, status=status, mimetype="text/html", headers=headers)


def _form(action: str, fields: str, button: str, button_id: str) -> str:
    return (f'<form method="post" action="{action}" class="login-form">'
            f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">{fields}'
            f'<button type="submit" id="{button_id}">{button}</button></form>')


def _error(text: str) -> str:
    return f'<p class="error" id="login-error">{escape(text)}</p>'


def _login_page(error: str = "", status: int = 200, headers: dict[str, str] | None = None) -> Response:
    lang = _lang()
    fields = (f'<input type="hidden" name="next" value="{escape(_safe_next(request.values.get("next")))}">'
              f'<input type="hidden" name="lang" value="{lang}">'
              f'<label>{escape(t("login.username", lang))}<input name="username" autocomplete="username" required'
              f' autofocus></label><label>{escape(t("login.password", lang))}<input name="password" type="password"'
              ' autocomplete="current-password" required></label>')
    return _html(t("login.title", lang), (error and _error(error))
                 + _form("/login", fields, escape(t("login.submit", lang)), "login-submit"), status, headers)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return _login_page()
    _check_form_token()
    config = _config()
    username = request.form.get("username", "")[:64]
    if _CONTROL.search(username):  # no account has one (NUL cannot even be stored): the same answer as any miss
        return _login_page(t("login.wrong", _lang()), 401)
    with transaction(config.pool) as conn:
        outcome = authenticate(conn, username=username, password=request.form.get("password", "")[:256],
                               remote_addr=client_address(), policy=config.throttle)
        if outcome.user is not None:
            pending = "totp" if outcome.has_second_factor else _owed_after_totp(conn, outcome.user)
            session["next"] = _safe_next(request.form.get("next"))
            _start_session(conn, outcome.user, pending=pending)
            if pending is None:
                _finish_login(conn, outcome.user, factors=1)
    if outcome.user is not None:
        return redirect(_after_step())
    if outcome.reason == "throttled":
        wait = max(1, round(outcome.retry_after))
        return _login_page(t("login.throttled", _lang(), n=wait), 429, {"Retry-After": str(wait)})
    return _login_page(t("login.wrong", _lang()), 401)


def _owed_after_totp(conn: Any, user: User) -> str | None:
    """The step still owed once any second factor passed: a new password, then an enrolment if the role needs one."""
    row = conn.execute("SELECT must_change_password, totp_secret IS NOT NULL AS has_totp FROM users WHERE id = %s",
                       (user.id,)).fetchone()
    if row is None:
        return None
    if row["must_change_password"]:
        return "password"
    if user.role.value in _config().totp_roles and not row["has_totp"]:
        return "enrol"
    return None


def _finish_login(conn: Any, user: User, *, factors: int) -> None:
    login_throttle.record_success(conn, username=user.username, remote_addr=client_address())
    audit.record(conn, actor=user.username, action="login.ok", remote_addr=client_address(),
                 county_code=user.county_code, township_code=user.township_code, detail={"factors": factors})


def _after_step() -> str:
    who = _current()
    if who is not None and who.live.pending:
        return STEP_PATHS[who.live.pending]
    return _safe_next(session.pop("next", None))


def _advance(conn: Any, who: SessionUser, pending: str | None, *, factors: int) -> None:
    sessions.set_pending(conn, who.live.id, pending)  # type: ignore[arg-type]
    live = sessions.LiveSession(id=who.live.id, user=who.user, kind=who.live.kind,
                                pending=pending, seen_long_ago=False)  # type: ignore[arg-type]
    login_user(SessionUser(live, who.id))
    if pending is None:
        _finish_login(conn, who.user, factors=factors)


def _step_session(step: str) -> SessionUser:
    who = _current()
    if who is None:
        abort(401, "log in first")
    if who.live.kind == "display":
        abort(403, "a wall display has no account settings")
    if who.live.pending not in (step, None):
        abort(409, "finish the login step you are at first")
    return who


@bp.route("/login/totp", methods=["GET", "POST"])
def login_totp() -> Any:
    who = _current()
    if who is None or who.live.pending != "totp":
        return redirect("/login")
    lang = _lang()
    fields = (f'<input type="hidden" name="lang" value="{lang}">'
              f'<label>{escape(t("login.code", lang))}<input name="code" inputmode="numeric"'
              ' autocomplete="one-time-code" required autofocus maxlength="20"></label>'
              f'<p class="sub">{escape(t("login.recovery", lang))}</p>')
    submit = escape(t("login.verify", lang))
    if request.method == "GET":
        return _html(t("login.totp_title", lang), _form("/login/totp", fields, submit, "totp-submit"))
    _check_form_token()
    config = _config()
    error, status, headers = "", 200, None
    with transaction(config.pool) as conn:
        wait = login_throttle.blocked_for(conn, username=who.user.username, remote_addr=client_address())
        kind = None if wait else two_factor.verify(conn, user_id=who.user.id, code=request.form.get("code", "")[:40])
        if kind is not None:
            _advance(conn, who, _owed_after_totp(conn, who.user), factors=2)
            if kind == "recovery":
                audit.record(conn, actor=who.user.username, action="totp.recovery_used", remote_addr=client_address(),
                             county_code=who.user.county_code)
        elif not wait:
            wait = login_throttle.record_failure(conn, username=who.user.username, remote_addr=client_address(),
                                                 policy=config.throttle, reason="wrong second factor",
                                                 county_code=who.user.county_code)
            error, status = t("login.wrong_code", lang), 401
        if wait:
            seconds = max(1, round(wait))
            error, status = t("login.throttled", lang, n=seconds), 429
            headers = {"Retry-After": str(seconds)}
    if kind is not None:
        return redirect(_after_step())
    return _html(t("login.totp_title", lang), _error(error) + _form("/login/totp", fields, submit, "totp-submit"),
                 status, headers)


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol() -> Any:
    """Show a new TOTP key as a QR code; confirmed by the first code, it replaces any earlier key."""
    who = _step_session("enrol")
    config = _config()
    error = ""
    with transaction(config.pool) as conn:
        if request.method == "POST":
            _check_form_token()
            try:
                codes = two_factor.confirm_enrolment(conn, user_id=who.user.id, code=request.form.get("code", "")[:20],
                                                     actor=who.user.username, remote_addr=client_address())
            except InvalidInput as exc:
                error = str(exc)
            else:
                if who.live.pending == "enrol":
                    _advance(conn, who, _owed_after_totp(conn, who.user), factors=2)
                return _recovery_codes_page(codes)
        secret = two_factor.pending_secret(conn, user_id=who.user.id) or two_factor.begin_enrolment(
            conn, user_id=who.user.id)
    uri = two_factor.provisioning_uri(secret, username=who.user.username)
    qr = segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")
    fields = ('<label>动态验证码 Code from the app<input name="code" inputmode="numeric" autocomplete="one-time-code"'
              ' required autofocus maxlength="8"></label>')
    body = ('<p>用身份验证器应用（如 FreeOTP、Google Authenticator、微信小程序“腾讯身份验证器”）扫描二维码，'
            '再输入它显示的 6 位数字。· Scan with an authenticator app, then enter the 6-digit code.</p>'
            f'<div class="totp-qr" id="totp-qr">{qr}</div>'
            f'<p class="sub">密钥 Key: <code id="totp-secret">{escape(secret)}</code></p>'
            + (error and _error(error)) + _form("/login/enrol", fields, "启用 Enable", "enrol-submit"))
    return _html("启用两步验证", body, 400 if error else 200)


def _recovery_codes_page(codes: list[str]) -> Response:
    items = "".join(f"<li><code>{escape(c)}</code></li>" for c in codes)
    body = ('<p>两步验证已启用。以下恢复码每个只能用一次，请抄下并妥善保管（只显示这一次）。· Two-factor login is on. '
            'Each recovery code works once; write them down now (shown only this once).</p>'
            f'<ol id="recovery-codes">{items}</ol><a href="{escape(_after_step())}" id="recovery-continue">继续 Continue</a>')
    return _html("恢复码", body)


@bp.route("/login/password", methods=["GET", "POST"])
def login_password() -> Any:
    """Choose a new password (owed at the first login of an account an admin created; anyone may)."""
    who = _step_session("password")
    fields = ('<label>当前密码 Current password<input name="current" type="password" autocomplete="current-password"'
              ' required></label><label>新密码 New password<input name="new" type="password"'
              ' autocomplete="new-password" required minlength="10"></label>'
              '<label>再输入一次 Repeat<input name="repeat" type="password" autocomplete="new-password" required></label>')
    if request.method == "GET":
        return _html("修改密码", _form("/login/password", fields, "修改 Change", "password-submit"))
    _check_form_token()
    new = request.form.get("new", "")[:300]
    error = ""
    if new != request.form.get("repeat", "")[:300]:
        error = "password: the two new passwords differ · 两次输入的新密码不一致"
    else:
        config = _config()
        try:
            with transaction(config.pool) as conn:
                change_password(conn, user_id=who.user.id, current=request.form.get("current", "")[:300], new=new,
                                remote_addr=client_address())
                # the trigger ended every session of the user, this one too: go on in a new one
                was_pending = who.live.pending is not None
                pending = _owed_after_totp(conn, who.user)
                _start_session(conn, who.user, pending=pending)
                if was_pending and pending is None:
                    _finish_login(conn, who.user, factors=2 if two_factor.enrolled(conn, who.user.id) else 1)
        except InvalidInput as exc:
            error = str(exc)
    if error:
        return _html("修改密码", _error(error) + _form("/login/password", fields, "修改 Change", "password-submit"), 400)
    return redirect(_after_step())


@bp.route("/account")
def account() -> Any:
    """The logged-in person's own settings: password and second factor."""
    who = _step_session("none")
    with transaction(_config().pool) as conn:
        on = two_factor.enrolled(conn, who.user.id)
    body = (f'<p>{escape(who.user.display_name)} ({escape(who.user.username)})</p>'
            '<a href="/login/password" id="account-password">修改密码 · Change password</a>'
            f'<a href="/login/enrol" id="account-totp">{"更换" if on else "启用"}两步验证 · '
            f'{"Replace" if on else "Enable"} two-factor login</a>'
            '<a href="/">返回 · Back</a>' + logout_form_html())
    return _html("账户", body)


def logout_form_html() -> str:
    return _form("/logout", "", "退出 Log out", "logout-submit")


@bp.route("/display/<token>")
def display_login(token: str) -> Any:
    """A wall display opens ``/display/<token>`` once: it is logged in as the bound viewer and sent to /wall."""
    config = _config()
    with transaction(config.pool) as conn:
        found = user_for_display_token(conn, token[:200])
        if found is not None:
            user, token_id = found
            audit.record(conn, actor=user.username, action="login.display", remote_addr=client_address(),
                         county_code=user.county_code, detail={"token_id": token_id})
            _start_session(conn, user, kind="display", display_token_id=token_id)
    if found is None:
        abort(401, "unknown or revoked display token")
    query = request.query_string.decode("utf-8", "replace")
    return redirect("/wall" + (f"?{urlencode(dict(_wall_query(query)))}" if query else ""))


def _wall_query(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return [(k, v) for k, v in parse_qsl(query) if k in ("lang", "days", "rotate") and not _CONTROL.search(v)]


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    """POST with the form token only: a link or an image on another site must not log anyone out."""
    if request.method != "POST":
        return Response("logout is a POST with the form token\n", status=405, headers={"Allow": "POST"},
                        mimetype="text/plain")
    _check_form_token()
    who = _current()
    if who is not None:
        with transaction(_config().pool) as conn:
            sessions.end(conn, who.id, reason="logout")
            audit.record(conn, actor=who.user.username, action="logout", remote_addr=client_address(),
                         county_code=who.user.county_code, township_code=who.user.township_code)
    logout_user()
    session.clear()
    return redirect("/login")


@bp.route("/healthz")
def healthz() -> Any:
    return jsonify({"ok": True})
