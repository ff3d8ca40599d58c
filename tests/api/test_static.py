"""Static files as a browser on a slow network gets them: versioned, cached, compressed, no import map."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import pytest

from server.http import assets as assets_module
from server.http.assets import Assets, brotli_available
from tests.api.helpers import book, next_weekday_at, open_case
from tests.conftest import World

YEAR = "public, max-age=31536000, immutable"


def static_urls(html: str) -> list[str]:
    return re.findall(r"""(?:href|src)="(/static/[^"]+)\"""", html)


async def test_pages_link_versioned_files_cached_for_a_year_and_revalidate_themselves(world: World) -> None:
    client = (await world.actor()).client
    page = await client.get("/party")
    assert page.status == 200 and page.headers["Cache-Control"] == "private, no-cache"
    html = await page.text()
    urls = static_urls(html)
    assert "/static/css/base.css?v=" in html and "/static/js/pages/party.js?v=" in html
    assert "party-data" not in html, "no party, no data"
    assert all("?v=" in url for url in urls), urls
    for url in urls:
        response = await client.get(url)
        assert response.status == 200, url
        assert response.headers["Cache-Control"] == YEAR, url
    # The same file without its version (or with an old one) is revalidated, never kept a year.
    bare = await client.get("/static/css/base.css")
    assert bare.status == 200 and bare.headers["Cache-Control"] == "no-cache"
    old = await client.get("/static/css/base.css?v=000000000000")
    assert old.headers["Cache-Control"] == "no-cache"
    # A page asked again with its ETag costs a 304 and no body.
    again = await client.get("/party", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status == 304 and await again.read() == b""
    login = await client.get("/login")
    assert login.headers["Cache-Control"] == "no-cache"
    assert (await client.get("/login", headers={"If-None-Match": login.headers["ETag"]})).status == 304
    css = await client.get(urls[0], headers={"If-None-Match": (await client.get(urls[0])).headers["ETag"]})
    assert css.status == 304


async def test_the_party_page_carries_the_partys_data_so_the_first_screen_needs_no_request(world: World) -> None:
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(10))
    party = await world.actor()
    assert (await party.open_link(booked["links"][0]["url"])).status == 303
    page = await party.client.get("/party")
    html = await page.text()
    found = re.search(r'<script type="application/json" id="party-data">(.*?)</script>', html)
    assert found, "the /party/me answer is in the page"
    assert json.loads(found[1]) == await party.call("GET", "/api/v1/party/me")
    assert page.headers["Cache-Control"] == "private, no-cache"
    # Unchanged, the page is a 304; the link withdrawn, the page carries no data any more.
    assert (await party.client.get("/party", headers={"If-None-Match": page.headers["ETag"]})).status == 304
    await liu.call("POST", f"/api/v1/sessions/{booked['session']['id']}/cancel", {"reason": "已和解"})
    assert "party-data" not in await (await party.client.get("/party")).text()


async def test_a_browser_opening_its_link_gets_the_page_at_once_with_no_redirect(world: World) -> None:
    """The link in a message: one response, not a redirect and then the page (0.4 s on a weak network)."""
    liu = await world.staff("liu")
    case = await open_case(liu)
    booked = await book(liu, case["id"], next_weekday_at(11))
    party = await world.actor()
    path = booked["links"][0]["url"].split("mediate.test", 1)[1]
    opened = await party.client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, allow_redirects=False)
    assert opened.status == 200 and opened.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" in opened.headers, "the link is traded for the party's cookie"
    found = re.search(r'<script type="application/json" id="party-data">(.*?)</script>', await opened.text())
    assert found, "the page carries the party's data"
    me = await party.call("GET", "/api/v1/party/me")  # with the cookie the page was sent with
    assert json.loads(found[1]) == me and me["party"]["id"] == booked["links"][0]["party_id"]
    # A dead link is still the page that says what to do; a client that is not a browser is redirected.
    assert (await party.client.get("/j/" + "x" * 32, headers={"Accept": "text/html"})).status == 404
    other = await world.actor()
    assert (await other.client.get(path, allow_redirects=False)).status == 303


async def test_text_is_sent_compressed_to_browsers_that_accept_it(world: World) -> None:
    client = (await world.actor()).client
    html = await (await client.get("/party")).text()
    module = next(url for url in static_urls(html) if "/js/pages/party.js" in url)
    plain = await client.get(module, headers={"Accept-Encoding": "identity"})
    zipped = await client.get(module, headers={"Accept-Encoding": "gzip, deflate"}, auto_decompress=False)
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    raw = await zipped.read()
    assert gzip.decompress(raw) == await plain.read() and len(raw) < len(await plain.read()) / 2
    if brotli_available():  # Brotli, offered by browsers over HTTPS, is preferred when installed
        br = await client.get(module, headers={"Accept-Encoding": "gzip, br"}, auto_decompress=False)
        assert br.headers["Content-Encoding"] == "br"
        assert brotli.decompress(await br.read()) == await plain.read()
    # The JSON API too (made per request, gzipped on the way out).
    api = await client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert api.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await api.read()).startswith(b"{")


async def test_modules_need_no_import_map_and_socketio_comes_from_node_modules(world: World) -> None:
    client = (await world.actor()).client
    liu = await world.staff("liu")
    html = await (await liu.client.get("/live/some-session")).text()
    assert "importmap" not in html
    signaling = await client.get("/static/js/signaling.js")
    text = await signaling.text()
    match = re.search(r"""from '(/static/node_modules/socket\.io-client/dist/socket\.io\.esm\.min\.js\?v=\w+)'""", text)
    assert match, "the bare specifier socket.io-client is written as a path"
    module = await client.get(match[1])
    assert module.status == 200 and "export{" in await module.text()
    assert module.headers["Cache-Control"] == YEAR


async def test_the_charts_load_echarts_from_node_modules_when_they_draw(world: World) -> None:
    """ECharts (#23) is loaded with import() by charts.js, by path: the statistics page shows its tables first."""
    client = (await world.actor()).client
    text = await (await client.get("/static/js/charts.js")).text()
    match = re.search(r"""import\('(/static/node_modules/echarts/dist/echarts\.esm\.min\.js\?v=\w+)'\)""", text)
    assert match, "the bare specifier echarts is written as a path"
    module = await client.get(match[1])
    assert module.status == 200 and "export{" in await module.text()
    page = await (await (await world.staff("liu")).client.get("/statistics")).text()
    assert "echarts" not in page  # not preloaded: a megabyte a phone fetches only to draw


async def test_the_favicon_is_the_brand_mark(world: World) -> None:
    client = (await world.actor()).client
    ico = await client.get("/favicon.ico")
    assert ico.status == 200 and ico.content_type == "image/x-icon"
    html = await (await client.get("/login")).text()
    svg_url = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert svg_url and svg_url[1].startswith("/static/favicon.svg?v=")
    svg = await (await client.get(svg_url[1])).text()
    assert "调" in svg


async def test_files_outside_the_web_directory_and_node_modules_internals_are_not_served(world: World) -> None:
    client = (await world.actor()).client
    for path in (
        "/static/../server/settings/model.py",
        "/static/package.json",
        "/static/node_modules/ws/package.json",
        "/static/party.html",
    ):
        response = await client.get(path)
        assert response.status in (403, 404), path


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def versions(assets: Assets) -> dict[str, str]:
    return {path: asset.version for path, asset in assets.current().items()}


def test_a_change_in_a_module_changes_the_url_of_every_module_and_page_that_leads_to_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "page.html": '<html><head><script type="module" src="/static/js/a.js"></script></head></html>',
            "js/a.js": "import { b } from './b.js';\nexport const a = b;\n",
            "js/b.js": "import './deep/c.js';\nexport const b = 1;\n",
            "js/deep/c.js": "export const c = new URL('../../css/x.css', import.meta.url);\n",
            "css/x.css": "body { color: red }\n",
            "js/other.js": "export const other = 1;\n",
        },
    )
    assets = Assets(tmp_path)
    before = versions(assets)
    page = assets.get("page.html")
    assert page is not None
    html = page.body.decode()
    assert f'src="/static/js/a.js?v={before["js/a.js"]}"' in html
    a = assets.get("js/a.js")
    assert a is not None and f"from './b.js?v={before['js/b.js']}'" in a.body.decode()
    c = assets.get("js/deep/c.js")
    assert c is not None and f"new URL('../../css/x.css?v={before['css/x.css']}', import.meta.url)" in c.body.decode()
    # Changing the stylesheet at the bottom changes every URL on the way up, and nothing else.
    write(tmp_path, {"css/x.css": "body { color: blue }\n"})
    after = versions(assets)
    for path in ("css/x.css", "js/deep/c.js", "js/b.js", "js/a.js", "page.html"):
        assert after[path] != before[path], path
    assert after["js/other.js"] == before["js/other.js"]


def test_modules_in_an_import_cycle_are_versioned_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "js/a.js": "import { b } from './b.js';\nexport const a = 1;\n",
            "js/b.js": "import { a } from './a.js';\nexport const b = 2;\n",
        },
    )
    assets = Assets(tmp_path)
    before = versions(assets)
    assert before["js/a.js"] == before["js/b.js"]
    write(tmp_path, {"js/b.js": "import { a } from './a.js';\nexport const b = 3;\n"})
    assert versions(assets)["js/a.js"] != before["js/a.js"]


def test_a_page_preloads_its_static_imports_and_not_what_it_imports_later(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "page.html": '<html><head>\n<script type="module" src="/static/js/page.js"></script>\n</head></html>',
            "js/page.js": "import './first.js';\nconst later = () => import('./later.js');\n",
            "js/first.js": "import './shared.js';\n",
            "js/shared.js": "export {};\n",
            "js/later.js": "import './only-later.js';\n",
            "js/only-later.js": "export {};\n",
        },
    )
    page = Assets(tmp_path).get("page.html")
    assert page is not None
    preloads = re.findall(r'<link rel="modulepreload" href="/static/([^"?]+)\?v=', page.body.decode())
    assert preloads == ["js/first.js", "js/shared.js"]


def test_compressed_copies_are_made_once_and_kept_for_the_next_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    web, cache = tmp_path / "web", tmp_path / "cache"
    write(web, {"js/a.js": "export const words = '" + "调解 " * 500 + "';\n"})
    calls: list[str] = []
    real = assets_module.compress

    def counting(body: bytes, encoding: str) -> bytes:
        calls.append(encoding)
        return real(body, encoding)

    monkeypatch.setattr(assets_module, "compress", counting)
    first = Assets(web, cache)
    asset = first.get("js/a.js")
    assert asset is not None
    zipped = first.encoded(asset, "gzip")
    assert zipped is not None and gzip.decompress(zipped) == asset.body
    assert first.encoded(asset, "gzip") is zipped and calls == ["gzip"]
    # Another process (or the next start) on the same data directory compresses nothing again:
    # it builds the files afresh (a process shares one build among its own apps only).
    assets_module.forget_builds()
    again = Assets(web, cache)
    assert again.get("js/a.js") is not asset
    second = again.get("js/a.js")
    assert second is not None and again.encoded(second, "gzip") == zipped and calls == ["gzip"]
