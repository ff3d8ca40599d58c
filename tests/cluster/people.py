"""People of the cluster tests: a browser (HTTP with cookies, and /live) pointed at one address.

The address is a process (``http://127.0.0.1:<port>``) or nginx in front of several
(``https://127.0.0.1:<port>``, self-signed, hence no certificate check).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import socketio

from tests.browser.conftest import MEDIATOR_PASSWORD, MEDIATOR_USERNAME, session_day
from tests.signaling.live import NS, PATIENCE, Peer


class Browser:
    """One person's browser against one address."""

    def __init__(self, base_url: str, name: str) -> None:
        self.base_url = base_url
        self.tls = base_url.startswith("https:")
        self.http = aiohttp.ClientSession(
            base_url=base_url,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(ssl=False) if self.tls else None,
        )
        self.peer = Peer(name, sio=socketio.AsyncClient(reconnection=False, ssl_verify=not self.tls))
        self.csrf = ""

    async def login(self) -> None:
        body = {"username": MEDIATOR_USERNAME, "password": MEDIATOR_PASSWORD}
        async with self.http.post("/api/v1/auth/login", json=body) as r:
            assert r.status == 200, await r.text()
            self.csrf = (await r.json())["csrf_token"]

    async def open_link(self, url: str) -> None:
        """Open a party's link (its path, on this browser's address)."""
        path = url.split("://", 1)[1].split("/", 1)[1]
        async with self.http.get(f"/{path}", allow_redirects=False) as r:
            assert r.status == 303, await r.text()
        self.csrf = (await self.call("GET", "/auth/me"))["csrf_token"]

    async def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        async with self.http.request(method, f"/api/v1{path}", json=body, headers={"X-CSRF-Token": self.csrf}) as r:
            assert r.status == expect, f"{method} {path}: {r.status} {await r.text()}"
            return await r.json() if r.content_type == "application/json" else await r.read()

    async def join(self, auth: dict[str, str] | None = None, *, session_id: str | None = None) -> Peer:
        """Connect to /live; with ``session_id``, add ``?session=`` as the web pages do."""
        cookie = next(m.value for m in self.http.cookie_jar if m.key == "mediate_session")
        await self.peer.sio.connect(
            f"{self.base_url}?session={session_id}" if session_id else self.base_url,
            headers={"Cookie": f"mediate_session={cookie}"},
            auth=auth,
            namespaces=[NS],
            transports=["websocket"],
            wait_timeout=PATIENCE,
        )
        await self.peer.wait("participants")
        return self.peer

    def moved_to(self, base_url: str, name: str) -> Browser:
        """The same browser (same login cookie) reaching another address: as after a failover."""
        other = Browser(base_url, name)
        cookie = next(m.value for m in self.http.cookie_jar if m.key == "mediate_session")
        other.http.cookie_jar.update_cookies({"mediate_session": cookie})
        other.csrf = self.csrf
        return other

    async def close(self) -> None:
        if self.peer.sio.connected:
            await self.peer.sio.disconnect()
        await self.http.close()


async def book(liu: Browser) -> tuple[dict[str, Any], str, dict[str, dict[str, Any]]]:
    """刘 opens a wages case with 张三 and 李四 and books a session: (case, session id, links by role)."""
    case = await liu.call(
        "POST",
        "/cases",
        {"case_number": "（2026）京朝调字第21号", "dispute_type": "wages", "source": "party_application", "summary": "工资"},
        201,
    )
    for role, name, phone in (("applicant", "张三", "13800000041"), ("respondent", "李四", "13800000042")):
        await liu.call("POST", f"/cases/{case['id']}/parties", {"role": role, "name": name, "phone": phone}, 201)
    booked = await liu.call(
        "POST", f"/cases/{case['id']}/sessions",
        {"starts_at": f"{session_day().isoformat()}T10:00:00+08:00", "duration_minutes": 60, "timezone": "Asia/Shanghai"},
        201,
    )  # fmt: skip
    return case, booked["session"]["id"], {link["role"]: link for link in booked["links"]}


def state_of(peer: Peer, participant_id: str) -> str | None:
    """A participant's state as the host's view shows it."""
    return next((p["state"] for p in peer.view["participants"] if p["id"] == participant_id), None)
