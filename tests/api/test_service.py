"""Health, the OpenAPI document and the pages."""

from __future__ import annotations

from openapi_spec_validator import validate

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
    traversal = await anonymous.client.get("/static/../server/settings.py")
    assert traversal.status in (403, 404)


async def test_the_live_room_page_is_for_staff_and_loads_socketio_from_node_modules(world: World) -> None:
    anonymous = await world.actor()
    response = await anonymous.client.get("/live/some-session", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login?next=/live/some-session"
    liu = await world.staff("liu")
    page = await liu.client.get("/live/some-session")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert '"socket.io-client": "/static/node_modules/socket.io-client/dist/socket.io.esm.min.js"' in html
    # Served from web/node_modules (scripts/serve and scripts/test run `npm ci` in web/).
    module = await anonymous.client.get("/static/node_modules/socket.io-client/dist/socket.io.esm.min.js")
    assert module.status == 200
    assert "export{" in await module.text()
