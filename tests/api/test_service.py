"""Health, the OpenAPI document and the pages."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from server.domain.vocabulary import DISPUTE_TYPES, ORGANISATION_KINDS, PARTY_ROLES, STAFF_ROLES
from server.http.routes import api
from tests.conftest import World


async def test_healthz_reports_the_database(world: World) -> None:
    response = await (await world.actor()).client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_the_openapi_document_is_valid_and_lists_every_route(world: World) -> None:
    doc = await (await world.actor()).call("GET", "/api/v1/openapi.json")
    validate(doc)
    listed = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert listed == {(r.method, "/api/v1" + r.path) for r in api.routes}
    booking = doc["paths"]["/api/v1/cases/{case_id}/sessions"]["post"]
    schema_name = booking["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][schema_name]["required"]) == {"starts_at", "duration_minutes", "timezone"}


async def test_the_openapi_document_names_query_parameters_choices_and_refusals_as_the_server_does(world: World) -> None:
    doc = await (await world.actor()).call("GET", "/api/v1/openapi.json")
    paths, schemas = doc["paths"], doc["components"]["schemas"]

    def query(path: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in paths[path]["get"]["parameters"] if p["in"] == "query"}

    # The names a client sends: `from`/`to`, not the model's `start`/`end` or `from_`.
    sessions = query("/api/v1/sessions")
    assert set(sessions) == {"from", "to", "tz", "mediator_id"}
    assert sessions["from"]["schema"] == {"type": "string", "format": "date-time"}
    diff = query("/api/v1/cases/{case_id}/agreement/diff")
    assert set(diff) == {"from", "to"} and diff["from"]["required"] and diff["from"]["schema"]["type"] == "integer"
    # The domain's own words, as enums.
    assert schemas["CaseIn"]["properties"]["dispute_type"]["enum"] == list(DISPUTE_TYPES)
    assert schemas["PartyIn"]["properties"]["role"]["enum"] == list(PARTY_ROLES)
    assert schemas["UserIn"]["properties"]["role"]["enum"] == list(STAFF_ROLES)
    assert schemas["OrganisationIn"]["properties"]["kind"]["enum"] == list(ORGANISATION_KINDS)
    # Every refusal a route can give is listed: an unknown case, a wrong login, a throttled one, a
    # file of the wrong type.
    assert {"401", "403", "404", "422"} <= set(paths["/api/v1/cases/{case_id}"]["get"]["responses"])
    assert {"400", "401", "413", "422", "429"} <= set(paths["/api/v1/auth/login"]["post"]["responses"])
    upload = paths["/api/v1/cases/{case_id}/documents"]["post"]
    assert {"404", "409", "413", "415", "422"} <= set(upload["responses"])
    assert set(upload["requestBody"]["content"]) == {"application/pdf", "image/png", "image/jpeg"}
    # ...and the server answers an unknown id as documented.
    liu = await world.staff("liu")
    assert (await liu.request("GET", "/api/v1/cases/no-such-case")).status == 404


async def test_pages_are_served_and_home_sends_people_where_they_belong(world: World) -> None:
    anonymous = await world.actor()
    assert (await anonymous.client.get("/", allow_redirects=False)).headers["Location"] == "/login"
    liu = await world.staff("liu")
    assert (await liu.client.get("/", allow_redirects=False)).headers["Location"] == "/mediator"
    admin = await world.staff("admin1")
    assert (await admin.client.get("/", allow_redirects=False)).headers["Location"] == "/admin"
    for path in ("/login", "/mediator", "/admin", "/party", "/cases/some-id"):
        response = await anonymous.client.get(path)
        assert response.status == 200 and response.content_type == "text/html", path
    traversal = await anonymous.client.get("/static/../server/settings/model.py")
    assert traversal.status in (403, 404)


async def test_the_live_room_page_is_for_staff_and_loads_socketio_from_node_modules(world: World) -> None:
    anonymous = await world.actor()
    response = await anonymous.client.get("/live/some-session", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login?next=/live/some-session"
    liu = await world.staff("liu")
    page = await liu.client.get("/live/some-session")
    assert page.status == 200 and page.content_type == "text/html"
    assert "/static/js/pages/live.js?v=" in await page.text()
    # Served from web/node_modules (scripts/serve and scripts/test run `npm ci` in web/); the
    # modules name it by path (web/importmap.json, tests/api/test_static.py).
    module = await anonymous.client.get("/static/node_modules/socket.io-client/dist/socket.io.esm.min.js")
    assert module.status == 200
    assert "export{" in await module.text()
