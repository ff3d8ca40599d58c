"""Security headers on every answer, as a browser or a prober gets them from the real server (issue #19, item 6).

Pages, static files, API answers and errors (404 of an unknown path, 405, 401, 400, a dead party
link) carry the Content-Security-Policy, Permissions-Policy, nosniff, Referrer-Policy and frame
denial; the Server header names no version; HSTS is sent when people reach the server over HTTPS
(``mediate serve --cert``, or an https public address behind nginx), never over plain HTTP. The
policy is one the pages can keep: whatever script a page carries inline is allowed by its hash,
and no page has an inline event handler, a ``javascript:`` URL or a ``style`` attribute, as served or
anywhere in web/ (no ``eval`` either). tests/browser/test_csp.py loads every page in Chromium with
the policy enforced.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.app import create_app
from server.settings import Settings
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World

PAGES = [
    "/login",
    "/mediator",
    "/admin",
    "/court",
    "/party",
    "/cases/x",
    "/live/x",
    "/review/x",
    "/v/ABCD-EFGH",
    "/ledger",
    "/statistics",
]
DIRECTIVES = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response: Any) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.method} {response.url.path} ({response.status}): no Content-Security-Policy"
    return {name: value for name, _, value in (d.strip().partition(" ") for d in header.split(";") if d.strip())}


def features(response: Any) -> dict[str, str]:
    header = response.headers.get("Permissions-Policy", "")
    return dict(item.strip().split("=", 1) for item in header.split(",") if "=" in item)


def assert_secured(response: Any, *, https: bool = False) -> None:
    where = f"{response.method} {response.url.path} ({response.status})"
    csp = policy(response)
    for name, value in DIRECTIVES.items():
        assert csp.get(name) == value, f"{where}: {name} is {csp.get(name)!r}"
    scripts = csp["script-src"].split()
    assert scripts[0] == "'self'" and all(s.startswith("'sha256-") for s in scripts[1:]), f"{where}: {scripts}"
    connect = csp["connect-src"].split()
    assert connect[0] == "'self'" and {s.split("://")[0] for s in connect[1:]} <= {"ws", "wss"}, f"{where}: {connect}"
    for value in csp.values():
        assert "unsafe" not in value, f"{where}: {csp}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "no-referrer", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert features(response).get("geolocation") == "()", where
    server = response.headers.get("Server", "")
    assert server == "mediate", f"{where}: Server: {server!r} (no software name or version)"
    hsts = response.headers.get("Strict-Transport-Security")
    if https:
        assert hsts == "max-age=63072000", f"{where}: {hsts!r}"
    else:
        assert hsts is None, f"{where}: HSTS over plain HTTP ({hsts!r})"


async def answers(world_client: Any) -> list[Any]:
    """A page, a static file, an unknown path, a 405, API errors, a dead link, an API success."""
    got = [
        await world_client.get("/login"),
        await world_client.get("/static/css/base.css"),
        await world_client.get("/static/js/no-such-file.js"),
        await world_client.get("/no/such/page"),
        await world_client.post("/login"),
        await world_client.get("/api/v1/auth/me"),
        await world_client.get("/api/v1/no-such-route"),
        await world_client.post("/api/v1/auth/login", data=b"{not json", headers={"Content-Type": "application/json"}),
        await world_client.get("/j/" + "x" * 32),
        await world_client.get("/healthz"),
    ]
    statuses = [r.status for r in got]
    assert statuses == [200, 200, 404, 404, 405, 401, 404, 400, 404, 200], statuses
    return got


async def test_every_answer_pages_static_files_and_errors_carries_the_security_headers(world: World) -> None:
    client = (await world.actor()).client
    for response in await answers(client):
        assert_secured(response)


@pytest.fixture(params=["mediate serve --cert", "https public address"])
async def https_client(request: pytest.FixtureRequest, settings: Settings, aiohttp_client: Any) -> AsyncIterator[Any]:
    if request.param == "mediate serve --cert":
        changed = dataclasses.replace(settings, tls=True, public_url=None)
    else:
        changed = dataclasses.replace(settings, public_url="https://tiaojie.example.cn")
    yield await aiohttp_client(create_app(changed, migrate=False, run_background=False))


async def test_browsers_are_told_to_keep_to_https_when_the_server_is_reached_over_https(https_client: Any) -> None:
    for response in await answers(https_client):
        assert_secured(response, https=True)


async def test_camera_and_microphone_only_on_the_live_pages_and_screen_sharing_only_in_the_mediators_room(
    world: World,
) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    party = await world.actor()
    token_path = booked["links"][0]["url"].split("mediate.test", 1)[1]
    opened = await party.client.get(token_path, headers={"Accept": "text/html"}, allow_redirects=False)
    assert opened.status == 200
    live = await liu.client.get(f"/live/{booked['session']['id']}")
    assert live.status == 200
    for response, camera, screen in [
        (opened, "(self)", "()"),
        (await party.client.get("/party"), "(self)", "()"),
        (live, "(self)", "(self)"),
    ]:
        got = features(response)
        assert (got.get("camera"), got.get("microphone"), got.get("display-capture")) == (camera, camera, screen), (
            response.url.path,
            got,
        )
    for path in ["/login", "/mediator", "/admin", "/court", f"/cases/{case['id']}", "/v/ABCD-EFGH"]:
        got = features(await liu.client.get(path))
        assert (got.get("camera"), got.get("microphone"), got.get("display-capture")) == ("()", "()", "()"), (path, got)


INLINE_SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>(?P<code>.*?)</script>", re.S)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)


async def test_the_pages_keep_the_policy_inline_scripts_by_hash_and_no_inline_handlers_or_styles(world: World) -> None:
    liu = await world.staff("liu")
    booked = await book(liu, (await open_case(liu))["id"], next_weekday_at(11))
    party = await world.actor()
    await party.open_link(booked["links"][0]["url"])
    checked = 0
    for who, path in [(liu, p) for p in PAGES if p != "/party"] + [(party, "/party"), (party, "/j/" + "x" * 32)]:
        response = await who.client.get(path)
        html = await response.text()
        allowed = set(policy(response)["script-src"].split())
        for m in INLINE_SCRIPT.finditer(html):
            kind = re.search(r"""type=["']?([^"'\s>]+)""", m["attrs"])
            if "src=" in m["attrs"] or (kind and kind[1] == "application/json"):
                continue  # a file of this origin, or data the page reads (never run)
            digest = base64.b64encode(hashlib.sha256(m["code"].encode()).digest()).decode()
            assert f"'sha256-{digest}'" in allowed, f"{path}: an inline script the policy refuses: {m['code'][:80]!r}"
            checked += 1
        assert not INLINE_HANDLER.search(html), f"{path}: an inline event handler: {INLINE_HANDLER.search(html)}"
        assert "javascript:" not in html.lower(), path
        assert not re.search(r"<[^>]*\sstyle\s*=", html), f"{path}: a style attribute"
        assert "<style" not in html, f"{path}: a <style> element"
    assert checked >= 1, "the party page's browser check is inline: its hash must be in the policy"


async def test_a_server_error_carries_the_security_headers_too(settings: Settings, aiohttp_client: Any) -> None:
    """The 500 of an unhandled error: aiohttp's own page outside /api/, the JSON error inside it."""
    app = create_app(settings, migrate=False, run_background=False)

    async def broken(request: Any) -> Any:
        raise RuntimeError("a bug")

    app.router.add_get("/broken-page", broken)
    app.router.add_get("/api/v1/broken", broken)
    client = await aiohttp_client(app)
    for path in ("/broken-page", "/api/v1/broken"):
        response = await client.get(path)
        assert response.status == 500, path
        assert "a bug" not in await response.text()
        assert_secured(response)


#: What the policy refuses, as it would be written in web/: eval and its kin (no 'unsafe-eval'),
#: inline handlers and styles in markup or set as attributes (no 'unsafe-inline'), javascript: URLs.
REFUSED = re.compile(
    r"""\beval\(|\bnew Function\(|\bset(?:Timeout|Interval)\(\s*['"`]|javascript:|\sstyle=\\?["']|<style\b"""
    r"""|setAttribute\(\s*['"](?:style|on)|\bon[a-z]+\s*:\s*['"`]|\son[a-z]+=\\?["']"""
)


def test_no_page_or_module_uses_what_the_policy_refuses() -> None:
    """Every file of web/ the browser may get (not node_modules), including the parts of the pages
    that the Chromium test does not reach: a new ``onclick="…"`` or ``eval`` fails here at once."""
    web = Path(__file__).resolve().parents[2] / "web"
    found = []
    for path in sorted([*web.glob("*.html"), *web.glob("js/**/*.js"), *web.glob("css/**/*.css")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if REFUSED.search(line):
                found.append(f"{path.relative_to(web)}:{number}: {line.strip()[:120]}")
    assert not found, "the Content-Security-Policy would refuse:\n" + "\n".join(found)
