"""Inspection codes over HTTP, and the planner's downloads.

For the enterprise's phone (no login; the code is the capability — see ``geo_data.visit_codes`` for the
threat model and the per-code rate limit):
    ``POST /api/v1/visits/{code}/scan``   ``{"lng", "lat", "datum"?, "at"?}`` → 200 accepted; 422 refused with
    the reason (too far, outside the H3 neighbourhood, not the visit's day); 409 already scanned; 429.
    ``POST /api/v1/visits/{code}/rating`` ``{"rating": 1-5, "comment"?: ≤500}`` → 200 once; 409 the second
    time; 422 before the visit.
    ``GET /v/{code}[?lang=en]`` the enterprise's page (``pages.visit_public``): who inspects, the button
    "检查人员已亮码" and, after the visit, the rating form; 404 for an unknown code, 429 past the per-address
    limit on unknown codes. The QR on the sheet encodes this page's URL (setting ``public_base_url``).
For logged-in users: ``/visits/{code}/qr.svg|png``, ``/visits/{code}/sheet`` (printable), and for planners
``/planner/export/plan-{id}.csv|xlsx`` and ``/planner/export/draw-{id}.csv|xlsx`` (audited exports).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

import psycopg
import segno
from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from api.errors import ApiError, json_body, register, to_response
from callbacks.context import current_scope, services
from enforcement.local_time import SHANGHAI
from geo_data import draws, visit_codes
from geo_data.errors import GridCommandError, NotFound
from geo_data.scope import Permission
from layers.i18n import lang_of
from pages import visit_public as public_page_view
from pages.visit_sheet import render_sheet
from services import codes
from services.transactions import run_in_transaction

bp = Blueprint("visits_api", __name__, url_prefix="/api/v1/visits")
register(bp)
pages_bp = Blueprint("visits_pages", __name__)
CODE_RE = re.compile(r"^ZJ[0-9]{14}[A-Z2-7]{10}$")
T = TypeVar("T")


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    datum: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"
    at: datetime | None = None


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=1, le=5, strict=True)
    comment: str = Field(default="", max_length=visit_codes.MAX_COMMENT)


def _checked_code(code: str) -> str:
    if not CODE_RE.match(code):
        _anonymous(lambda: codes.refuse_unknown(services(), _addr()))
    return code


def _addr() -> str:
    return request.remote_addr or ""


def _anonymous(work: Callable[[], T]) -> T:
    """An attempt of the enterprise's phone: 429 past a limit, 404 for an unknown code (both counted)."""
    try:
        return work()
    except visit_codes.RateLimited as exc:
        raise ApiError(429, str(exc), headers={"Retry-After": "600"}) from exc
    except NotFound:
        raise ApiError(404, "unknown code") from None


@bp.post("/<code>/scan")
def scan(code: str) -> Any:
    code = _checked_code(code)
    body = ScanIn.model_validate(json_body())
    verdict = _anonymous(lambda: codes.scan(services(), code, lng=body.lng, lat=body.lat, datum=body.datum,
                                            at=body.at, remote_addr=_addr()))
    return jsonify({"accepted": True, "code": code, "distance_m": round(verdict.distance_m, 1)})


@bp.post("/<code>/rating")
def rating(code: str) -> Any:
    code = _checked_code(code)
    body = RatingIn.model_validate(json_body())
    _anonymous(lambda: codes.rate(services(), code, rating=body.rating, comment=body.comment,
                                  remote_addr=_addr()))
    return jsonify({"accepted": True, "code": code, "rating": body.rating})


@pages_bp.get("/v/<code>")
def public_page(code: str) -> Response:
    """The enterprise's page of a code (public: the code is the capability)."""
    lang = public_page_view.lang_of(request.args.get("lang"))
    try:
        details = codes.public_visit(services(), code, remote_addr=_addr())
    except visit_codes.RateLimited:
        return Response(public_page_view.render_problem("limited", lang), status=429, mimetype="text/html",
                        headers={"Retry-After": "600"})
    except psycopg.OperationalError:
        return Response("服务暂时不可用，请稍后再试 · Service unavailable, please try again later", status=503,
                        mimetype="text/plain", headers={"Retry-After": "5"})
    if details is None:
        return Response(public_page_view.render_problem("not_found", lang), status=404, mimetype="text/html")
    today = datetime.now(SHANGHAI).date()
    return Response(public_page_view.render_visit(details, lang, today=today), mimetype="text/html")


# ------------------------------------------------------------------------------------ logged-in pages


def _page_error(exc: Exception) -> Response:
    resp = to_response(exc)
    return resp


def _details(code: str) -> dict[str, Any]:
    scope = current_scope(Permission.READ)
    return run_in_transaction(lambda conn: codes.code_details(conn, scope, code))


@pages_bp.get("/visits/<code>/qr.<fmt>")
def qr(code: str, fmt: str) -> Any:
    try:
        if fmt not in ("svg", "png") or not CODE_RE.match(code):
            raise NotFound("no such code image")
        details = _details(code)
        qr_code = segno.make(codes.public_url(services(), details["code"], request.host_url), error="m")
        buf = io.BytesIO()
        if fmt == "svg":
            qr_code.save(buf, kind="svg", scale=4, border=2)
            return Response(buf.getvalue(), mimetype="image/svg+xml")
        qr_code.save(buf, kind="png", scale=6, border=2)
        return Response(buf.getvalue(), mimetype="image/png")
    except GridCommandError as exc:
        return _page_error(exc)


@pages_bp.get("/visits/<code>/sheet")
def sheet(code: str) -> Any:
    try:
        if not CODE_RE.match(code):
            raise NotFound("no such code")
        details = _details(code)
        return Response(render_sheet(details, public_url=codes.public_url(services(), details["code"],
                                                                           request.host_url)),
                        mimetype="text/html")
    except GridCommandError as exc:
        return _page_error(exc)


@pages_bp.get("/planner/export/<kind>-<int:object_id>.<fmt>")
def export(kind: str, object_id: int, fmt: str) -> Any:
    """The plan (visits with routes) or a draw's publishable list, as CSV or Excel. Audited."""
    try:
        if kind not in ("plan", "draw") or fmt not in ("csv", "xlsx"):
            raise NotFound("no such export")
        scope = current_scope(Permission.EXPORT)
        table: Literal["plan", "draw"] = "plan" if kind == "plan" else "draw"
        lang = lang_of(request.args.get("lang") or request.cookies.get("gc_lang"))   # the page's language
        frame = run_in_transaction(lambda conn: codes.export_table(conn, scope, table, object_id, fmt, lang))
        data = draws.result_csv(frame) if fmt == "csv" else draws.result_excel(frame, sheet=kind)
        mimetype = ("text/csv" if fmt == "csv"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(data, mimetype=mimetype,
                        headers={"Content-Disposition": f'attachment; filename="{kind}-{object_id}.{fmt}"'})
    except GridCommandError as exc:
        return _page_error(exc)
