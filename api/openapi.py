"""The OpenAPI 3.1 document of the machine API, generated from the routes and the pydantic models.

Each endpoint that belongs in the document says so where it is defined: ``@operation(...)`` names its summary,
request body model and reply models (``api.schemas``); paths, methods and path parameters come from the Flask
routes themselves (``url_map``), the schemas from the models. An endpoint added without ``@operation`` is not
documented; one with it cannot be forgotten, renamed or left with a stale path in the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api import schemas

F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "openapi_operation"
# Every documented endpoint may answer these with ``ErrorReply`` (api.errors is the one place making them).
ERROR_CODES = (400, 401, 403, 404, 409, 413, 415, 422, 503)
_CONVERTERS = {"int": {"type": "integer", "minimum": 1}, "string": {"type": "string"}}
_VARIABLE = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    """What the route does not say about itself: a summary, the body and reply models, query parameters."""

    summary: str
    replies: Mapping[int, tuple[str, type[BaseModel]]]
    body: type[BaseModel] | None = None
    query: Sequence[Mapping[str, Any]] = ()
    security: Sequence[str] = ("bearer", "session")
    operation_id: str | None = None  # default: the view's name in camelCase


def operation(summary: str, *, replies: Mapping[int, tuple[str, type[BaseModel]]],
              body: type[BaseModel] | None = None, query: Sequence[Mapping[str, Any]] = (),
              security: Sequence[str] = ("bearer", "session"), operation_id: str | None = None
              ) -> Callable[[F], F]:
    """Mark a view as documented (put it under the route decorator)."""

    def mark(view: F) -> F:
        setattr(view, _ATTRIBUTE, Operation(summary=summary, replies=replies, body=body, query=query,
                                            security=security, operation_id=operation_id))
        return view

    return mark


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def document(app: Flask, *, prefix: str = "/api/v1") -> dict[str, Any]:
    """The document of every documented route of ``app`` under ``prefix``."""
    found: list[tuple[str, str, str, Operation, list[tuple[str, str]]]] = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        op: Operation | None = getattr(app.view_functions.get(rule.endpoint), _ATTRIBUTE, None)
        if op is None:
            continue
        variables = [(conv or "string", name) for conv, name in _VARIABLE.findall(rule.rule)]
        path = _VARIABLE.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), rule.endpoint.rsplit(".", 1)[-1], op, variables))
    models: dict[str, type[BaseModel]] = {"ErrorReply": schemas.ErrorReply}
    for _path, _method, _name, op, _vars in found:
        for model in [op.body, *(m for _d, m in op.replies.values())]:
            if model is not None:
                models[model.__name__] = model
    _, top = models_json_schema([(m, "validation") for m in models.values()],
                                ref_template="#/components/schemas/{model}")

    def content(model: type[BaseModel]) -> dict[str, Any]:
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}

    paths: dict[str, dict[str, Any]] = {}
    for path, method, name, op, variables in sorted(found):
        responses: dict[str, Any] = {str(code): {"description": desc, "content": content(model)}
                                     for code, (desc, model) in sorted(op.replies.items())}
        for code in ERROR_CODES:
            responses.setdefault(str(code), {"description": "error", "content": content(schemas.ErrorReply)})
        entry: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id or _camel(name),
                                 "security": [{s: []} for s in op.security], "responses": responses}
        parameters = [{"name": var, "in": "path", "required": True, "schema": _CONVERTERS.get(conv, {})}
                      for conv, var in variables] + [dict(q) for q in op.query]
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": content(op.body)}
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "GridCommand machine API", "version": "1.0.0",
                 "description": "Alert intake for drones, AI cameras, sensors and complaint channels; incidents "
                                "and dispatch. Errors: {\"error\", \"problems\": [{\"loc\", \"msg\"}]}."},
        "paths": paths,
        "components": {"schemas": top.get("$defs", {}), "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "token from `gridcommand token create`"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    }
