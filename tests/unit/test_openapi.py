"""The OpenAPI document is generated from the routes: a documented route appears with its path parameters, body
and replies; an undocumented one and routes outside /api/v1 do not."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from api import schemas
from api.openapi import document, operation


def _app() -> Flask:
    bp = Blueprint("toy", __name__, url_prefix="/api/v1")

    @bp.post("/things/<int:thing_id>/move")
    @operation("Move a thing", body=schemas.AssignIn, replies={200: ("moved", schemas.DispatchReply)})
    def move_thing(thing_id: int) -> Any:
        return {}

    @bp.get("/things/secret")
    def secret() -> Any:
        return {}

    app = Flask("toy")
    app.register_blueprint(bp)

    @app.get("/outside")
    @operation("Not under the prefix", replies={200: ("ok", schemas.ErrorReply)})
    def outside() -> Any:
        return {}

    return app


def test_documented_routes_only_with_parameters_body_and_replies() -> None:
    doc = document(_app())
    assert set(doc["paths"]) == {"/api/v1/things/{thing_id}/move"}
    op = doc["paths"]["/api/v1/things/{thing_id}/move"]["post"]
    assert op["operationId"] == "moveThing" and op["summary"] == "Move a thing"
    assert op["parameters"] == [{"name": "thing_id", "in": "path", "required": True,
                                 "schema": {"type": "integer", "minimum": 1}}]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/AssignIn"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/DispatchReply")
    assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorReply")
    assert {"AssignIn", "DispatchReply", "ErrorReply"} <= set(doc["components"]["schemas"])
