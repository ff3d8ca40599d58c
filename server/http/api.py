"""Routes of the JSON API, declared once: the handler, its input models and its OpenAPI entry.

Bodies and query strings are validated here with pydantic, so a handler receives typed
objects and a client gets one precise 4xx (field, reason) for anything malformed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from server import jsonlimits
from server.domain.principal import CaseParty, PartyPrincipal, Staff
from server.errors import FieldError, Forbidden, InvalidInput, NotAuthenticated
from server.http.context import principal_of
from server.services import services

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
    auth: str = "staff"  # staff | party | any (either) | none | hotline (a hotline's key: work_orders_api.py)
    #: Media type of the answer; several when a query parameter chooses (a download as XLSX or CSV).
    produces: str | tuple[str, ...] = "application/json"
    #: Statuses this route answers besides those every route of its kind does (`_error_statuses`),
    #: e.g. 410 for what has expired or 429 for what is throttled, so the document lists them.
    errors: tuple[int, ...] = ()
    #: Media types of a body that is a file rather than JSON (an upload); empty for JSON routes.
    accepts: tuple[str, ...] = ()


#: pydantic's error types, as the reason codes the pages translate (FieldError.code).
PYDANTIC_CODES = {
    "missing": "required",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "string_pattern_mismatch": "pattern",
    "string_type": "text",
    "int_parsing": "whole_number",
    "int_type": "whole_number",
    "int_from_float": "whole_number",
    "float_parsing": "number",
    "float_type": "number",
    "decimal_parsing": "number",
    "greater_than_equal": "min",
    "greater_than": "min",
    "less_than_equal": "max",
    "less_than": "max",
    "bool_parsing": "boolean",
    "bool_type": "boolean",
    "too_long": "too_many",
    "too_short": "too_few",
    "list_type": "list",
    "extra_forbidden": "unknown_field",
    "literal_error": "choice",
    "enum": "choice",
    "date_parsing": "date",
    "date_type": "date",
    "date_from_datetime_parsing": "date",
    "datetime_parsing": "datetime",
    "datetime_type": "datetime",
    "datetime_from_date_parsing": "datetime",
    "timezone_aware": "datetime_offset",
    "time_parsing": "time_of_day",
}


def fields_of(error: ValidationError) -> list[FieldError]:
    out = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "body"
        ctx = item.get("ctx") or {}
        params: dict[str, Any] = {}
        for key, name in (
            ("min_length", "min"),
            ("max_length", "max"),
            ("ge", "min"),
            ("gt", "min"),
            ("le", "max"),
            ("lt", "max"),
        ):
            if isinstance(ctx.get(key), int | float):
                params[name] = ctx[key]
        code = PYDANTIC_CODES.get(item["type"], "invalid")
        if code == "too_short" and params.get("min") == 1:
            code = "required"
        out.append(FieldError(where, item["msg"], code, params))
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
        produces: str | tuple[str, ...] = "application/json",
        errors: tuple[int, ...] = (),
        accepts: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(method, path, handler, summary, body, query, status, [tag] if tag else [], auth, produces, errors, accepts)
            )
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
                kinds = (route.produces,) if isinstance(route.produces, str) else route.produces
                op["responses"][str(route.status)]["content"] = {kind: {} for kind in kinds}
            params = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in _path_params(route.path)
            ]
            if route.query is not None:
                params += _query_params(route.query)
            if params:
                op["parameters"] = params
            if route.body is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(route.body)}}}
            elif route.accepts:
                op["requestBody"] = {
                    "required": True,
                    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in route.accepts},
                }
            for status, text in _error_statuses(route).items():
                op["responses"][status] = {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                if status == "429":
                    # RFC 6585 §4: say how long to wait (the errors middleware always does).
                    op["responses"][status]["headers"] = {
                        "Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
                    }
            if route.auth == "hotline":
                op["security"] = [{"hotlineKey": []}]
            elif route.auth != "none":
                op["security"] = [{"cookie": []}]
            paths.setdefault(self.prefix + route.path, {})[route.method.lower()] = op
        schemas["Error"] = ERROR_SCHEMA
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "cookie": {"type": "apiKey", "in": "cookie", "name": "mediate_session"},
                    # A key an administrator issued to a hotline's system: Authorization: Bearer mdh_…
                    "hotlineKey": {"type": "http", "scheme": "bearer"},
                },
            },
        }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A query model's fields as OpenAPI parameters, under the names a client sends (the aliases:
    ``from``, not ``from_``) and with their own types, patterns and bounds.

    A query string cannot carry null, so the ``None`` a field defaults to is left out of its type.
    """
    schema = model.model_json_schema(by_alias=True, mode="validation")
    required = set(schema.get("required", []))
    out = []
    for name, field_schema in schema.get("properties", {}).items():
        prop = {k: v for k, v in field_schema.items() if k not in ("title", "default")}
        options = [option for option in prop.pop("anyOf", []) if option.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        elif options:
            prop["anyOf"] = options
        out.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return out


#: What each refusal means, for the document. The statuses come from the one mapping of errors to
#: HTTP answers (server/http/middlewares.py) and aiohttp's own answers (413 for a body over
#: MEDIATE_MAX_BODY_BYTES).
ERROR_TEXTS = {
    400: "Malformed JSON, or not JSON",
    401: "Not logged in (or, for /auth/login, wrong username or password)",
    403: "Not allowed for this user, a cross-site request, or a missing or wrong X-CSRF-Token header",
    404: "No such thing, or not one this user may see",
    408: "The request body arrived too slowly (MEDIATE_HTTP_BODY_TIMEOUT_SECONDS); the connection is closed",
    409: "Not possible in the current state (or it conflicts with what exists)",
    410: "Expired, withdrawn or used already",
    413: "The request body is too large",
    415: "A file of a type that is not accepted",
    422: "Invalid input: the fields and, for each, a reason code",
    429: "Too many attempts: wait for Retry-After seconds",
    507: "The server's storage is full: nothing was saved; try again later",
}


def _error_statuses(route: Route) -> dict[str, str]:
    """Every refusal a route can answer: those that follow from its shape, and its own (`Route.errors`).

    - a JSON body can be malformed (400), too large (413) or invalid (422);
    - a query string or an id in the path can be invalid (422), and an id can name nothing (404);
    - a challenge in the path can have expired or been used (410), and a party's code tried too often (429);
    - a route for a user answers 401 to anyone else and 403 to the wrong kind of user; a change
      (POST, PUT, PATCH, DELETE) can be refused as cross-site or without the CSRF token (403) and
      can find the thing in a state that does not allow it (409), can send its body too slowly
      (408, server/http/timeouts.py) and can find the server's storage full (507).
    """
    statuses: set[int] = set(route.errors)
    unsafe = route.method in ("POST", "PUT", "PATCH", "DELETE")
    if route.body is not None:
        statuses |= {400, 413, 422}
    if route.accepts:
        # A file of another type, or whose bytes are not what its type says (415); too large (413); empty (422).
        statuses |= {413, 415, 422}
    if route.query is not None or _path_params(route.path):
        statuses.add(422)
    if _path_params(route.path):
        statuses.add(404)
    if "{challenge}" in route.path:
        # A signing or binding challenge expires and is used once (410); a party answering one
        # with a one-time code has a few tries (429).
        statuses.add(410)
        if route.auth == "party":
            statuses.add(429)
    if route.auth != "none":
        statuses |= {401, 403}
        if unsafe:
            statuses.add(409)
    if unsafe:
        # Cross-site or no CSRF token (403); a body sent too slowly (408); the disk full (507).
        statuses |= {403, 408, 507}
    return {str(status): ERROR_TEXTS[status] for status in sorted(statuses)}


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "What kind of refusal (not_found, invalid_input, ...)"},
                "message": {"type": "string", "description": "English, for developers"},
                "reason": {"type": "string", "description": "Why, as a key the pages translate (err.<reason>)"},
                "retry_after": {"type": "integer", "description": "With 429: seconds to wait"},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "reason"],
                        "properties": {
                            "field": {"type": "string"},
                            "reason": {"type": "string"},
                            "code": {"type": "string"},
                            "params": {"type": "object"},
                        },
                    },
                },
            },
        }
    },
}


def _wrap(route: Route) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        # Who is asking comes before what they sent: an anonymous caller learns nothing
        # about a route's fields.
        principal = principal_of(request)
        if route.auth not in ("none", "hotline") and principal is None:
            if route.auth == "staff":
                raise NotAuthenticated("please log in", reason="log_in")
            raise NotAuthenticated("open the link you were sent to continue", reason="open_link")
        if route.auth == "staff" and isinstance(principal, PartyPrincipal | CaseParty):
            raise Forbidden("this is for mediation staff only", reason="staff_only")
        if route.auth == "party" and isinstance(principal, Staff):
            raise Forbidden("this is for parties who opened their link", reason="parties_only")
        kwargs: dict[str, Any] = {}
        if route.auth == "hotline":
            # A hotline's system shows its key before anything it sent is read (work_orders_api.py).
            kwargs["key"] = await services(request).work_orders.authenticate(request.headers.get("Authorization"))
        refuse_unstorable(dict(request.match_info))
        refuse_unstorable(dict(request.query))
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
            await services(request).confirmations.court.log_view(
                principal, request.match_info["case_id"], f"{route.method} {route.path}"
            )
        return response

    handler.__name__ = route.handler.__name__
    return handler


class MalformedJson(InvalidInput):
    code = "malformed_json"


async def parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != "application/json":
        raise MalformedJson("send JSON with Content-Type: application/json", [FieldError("body", "not JSON", "json")])
    raw = await request.read()
    try:
        data = jsonlimits.loads(raw)
    except jsonlimits.JsonRefused as exc:
        # Too deep or a number too long: say which (err.<reason> in web/js/errors-i18n.js).
        if exc.reason == "json_invalid":
            raise MalformedJson("the body is not valid JSON", [FieldError("body", str(exc), "json")]) from None
        field = [FieldError("body", str(exc), "json")]
        raise MalformedJson(f"the body is outside the limits: {exc}", field, reason=exc.reason) from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", [FieldError("body", "expected an object", "json")])
    refuse_unstorable(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("invalid input", fields_of(exc)) from None


#: NUL, which PostgreSQL stores in neither text nor JSON, and the halves of a surrogate pair left
#: alone (JSON's \ud800 escape allows them), which are not UTF-8. Either was a 500 on PostgreSQL.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def refuse_unstorable(data: Any, where: str = "") -> None:
    """Refuse (422, naming the field) any text in the input, however deep, that no database could
    store, so that SQLite and PostgreSQL answer the same and neither with a 500."""
    if isinstance(data, str):
        if UNSTORABLE.search(data):
            raise InvalidInput(
                "a text contains a character that cannot be stored",
                [FieldError(where or "body", "a null character or an unpaired surrogate", "unstorable_character")],
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            refuse_unstorable(key, where)
            refuse_unstorable(value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            refuse_unstorable(value, f"{where}.{index}" if where else str(index))
