"""STUN and TURN servers (``MEDIATE_ICE_SERVERS``, ``MEDIATE_TURN_SECRET``), as browsers and aiortc take them."""

from __future__ import annotations

import json
from typing import Any

from server.settings.errors import SettingsError


def parse_ice_servers(raw: str | None) -> tuple[dict[str, Any], ...]:
    """``MEDIATE_ICE_SERVERS``: a JSON list of RTCIceServer objects, or a comma-separated list of URLs.

    ``[{"urls": "stun:stun.example.cn:3478"}, {"urls": ["turn:turn.example.cn:3478?transport=udp"],
    "username": "mediate", "credential": "..."}]``, or simply ``stun:host:3478,stun:other:3478``.
    """
    if raw is None:
        return ()
    if not raw.startswith(("[", "{")):
        urls = ice_urls([url.strip() for url in raw.split(",") if url.strip()])
        return tuple({"urls": url} for url in urls)
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"MEDIATE_ICE_SERVERS is not valid JSON: {exc}") from exc
    servers: list[dict[str, Any]] = []
    for entry in parsed if isinstance(parsed, list) else [None]:
        if not isinstance(entry, dict) or not entry.get("urls"):
            raise SettingsError('MEDIATE_ICE_SERVERS must be a list of {"urls": ..., "username"?, "credential"?}')
        urls = ice_urls(entry["urls"] if isinstance(entry["urls"], list) else [entry["urls"]])
        server: dict[str, Any] = {"urls": urls}
        for key in ("username", "credential"):
            if entry.get(key) is not None:
                server[key] = str(entry[key])
        servers.append(server)
    return tuple(servers)


def check_turn_credentials(servers: tuple[dict[str, Any], ...], secret: str | None) -> None:
    """Every TURN entry can authenticate: a fixed username and credential, or MEDIATE_TURN_SECRET to make them."""
    for server in servers:
        urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
        turn = any(url.startswith(("turn:", "turns:")) for url in urls)
        if turn and secret is None and not (server.get("username") and server.get("credential")):
            raise SettingsError(
                f"MEDIATE_ICE_SERVERS: {urls} are TURN servers without a username and credential: set "
                "MEDIATE_TURN_SECRET (coturn's static-auth-secret) or give the entry a fixed username and credential"
            )
    if secret is not None and len(secret) < 16:
        raise SettingsError("MEDIATE_TURN_SECRET is too short to keep credentials from being forged: use 16 or more characters")


def ice_urls(urls: list[Any]) -> list[str]:
    """The URLs as given, if every one is a STUN or TURN URL (RFC 7064, RFC 7065)."""
    if not all(isinstance(u, str) and u.split(":", 1)[0] in ("stun", "stuns", "turn", "turns") for u in urls):
        raise SettingsError(f"MEDIATE_ICE_SERVERS: {urls!r} are not stun:/turn: URLs")
    return list(urls)
