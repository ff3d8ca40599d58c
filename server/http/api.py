"""Routes of the JSON API, declared once: the handler, its input models and its OpenAPI entry.

Bodies and query strings are validated here with pydantic, so a handler receives typed
objects and a client gets one precise 4xx (field, reason) for anything malformed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from server.domain.principal import PartyPrincipal, Staff
from server.errors import FieldError, Forbidden, InvalidInput, NotAuthenticated
from server.http.context import principal_of
from server.http.services import services

Handler = Callable[..., Awaitable[web.StreamResponse]]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    tags: list[str] = field(default_factory=list)
    auth: str = "staff"  # staff | party | any (either) | none
    produces: str = "application/json"


def fields_of(error: ValidationError) -> list[FieldError]:
    out = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "body"
        out.append(FieldError(where, item["msg"]))
    return out


class ApiRouter:
    def __init__(self, prefix: str = "/api/v1") -> None:
        self.prefix = prefix
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        status: int = 200,
        tag: str = "",
        auth: str = "staff",
        produces: str = "application/json",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, summary, body, query, status, [tag] if tag else [], auth, produces))
            return handler

        return register

    def install(self, app: web.Application) -> None:
        for route in self.routes:
            app.router.add_route(route.method, self.prefix + route.path, _wrap(route))

    def openapi(self, title: str, version: str) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        schemas: dict[str, Any] = {}

        def ref(model: type[BaseModel]) -> dict[str, str]:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        for route in self.routes:
            op: dict[str, Any] = {
                "summary": route.summary,
                "operationId": route.handler.__name__,
                "tags": route.tags,
                "responses": {str(route.status): {"description": "OK" if route.status < 300 else "Done"}},
            }
            if route.produces != "application/json":
                op["responses"][str(route.status)]["content"] = {route.produces: {}}
            params = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in _path_params(route.path)
            ]
            if route.query is not None:
                for name, info in route.query.model_fields.items():
                    params.append({"name": name, "in": "query", "required": info.is_required(), "schema": {"type": "string"}})
            if params:
                op["parameters"] = params
            if route.body is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(route.body)}}}
            for status, text in _error_statuses(route).items():
                op["responses"][status] = {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            if route.auth != "none":
                op["security"] = [{"cookie": []}]
            paths.setdefault(self.prefix + route.path, {})[route.method.lower()] = op
        schemas["Error"] = {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
                            },
                        },
                    },
                }
            },
        }
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"cookie": {"type": "apiKey", "in": "cookie", "name": "mediate_session"}},
            },
        }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _error_statuses(route: Route) -> dict[str, str]:
    out = {}
    if route.body is not None or route.query is not None:
        out["400"] = "Malformed JSON"
        out["422"] = "Invalid input (fields and reasons)"
    if route.auth != "none":
        out["401"] = "Not logged in"
        out["403"] = "Not allowed for this user"
    if route.method in ("POST", "PUT", "PATCH", "DELETE") and route.auth != "none":
        out["403"] = "Not allowed, or missing CSRF token"
    return out


def _wrap(route: Route) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        # Who is asking comes before what they sent: an anonymous caller learns nothing
        # about a route's fields.
        principal = principal_of(request)
        if route.auth != "none" and principal is None:
            raise NotAuthenticated("please log in" if route.auth == "staff" else "open the link you were sent to continue")
        if route.auth == "staff" and isinstance(principal, PartyPrincipal):
            raise Forbidden("this is for mediation staff only")
        if route.auth == "party" and isinstance(principal, Staff):
            raise Forbidden("this is for parties who opened their link")
        kwargs: dict[str, Any] = {}
        if route.body is not None:
            kwargs["body"] = await parse_body(request, route.body)
        if route.query is not None:
            try:
                kwargs["query"] = route.query.model_validate(dict(request.query))
            except ValidationError as exc:
                raise InvalidInput("invalid query parameters", fields_of(exc)) from None
        response = await route.handler(request, **kwargs)
        if (
            (route.method == "GET" or route.path.endswith("/evidence/bundle"))
            and isinstance(principal, Staff)
            and principal.role == "judge"
            and "case_id" in request.match_info
            and response.status < 400
        ):
            # Every time a court opens a case's evidence, the case's access log says so.
            await services(request).confirmations.log_view(
                principal, request.match_info["case_id"], f"{route.method} {route.path}"
            )
        return response

    handler.__name__ = route.handler.__name__
    return handler


class MalformedJson(InvalidInput):
    code = "malformed_json"


async def parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != "application/json":
        raise MalformedJson("send JSON with Content-Type: application/json", [FieldError("body", "not JSON")])
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedJson("the body is not valid JSON", [FieldError("body", str(exc)[:200])]) from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", [FieldError("body", "expected an object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("invalid input", fields_of(exc)) from None
