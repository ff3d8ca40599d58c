"""Short-lived TURN credentials for each participant: the "TURN REST API" scheme coturn implements.

One fixed TURN password given to every browser is readable by anyone who opens a party's link,
and lets them relay traffic through the deployment's TURN server for ever. With a secret shared
with coturn (``use-auth-secret`` + ``static-auth-secret``), each participant instead gets, with
each media offer, a username ``"<expiry unix time>:<participant id>"`` and the password
``base64(HMAC-SHA1(secret, username))`` (draft-uberti-behave-turn-rest-00 §2.2; coturn's
README.turnserver, "TURN REST API"). coturn recomputes the password from the username and
refuses it after the expiry; the secret never leaves the servers. The draft recommends one day.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

#: A day: the lifetime draft-uberti-behave-turn-rest-00 §2.2 recommends. coturn checks the expiry on
#: every authenticated request, refreshes included, so it must outlast the longest mediation day.
DEFAULT_TTL_SECONDS = 86_400


def turn_credentials(secret: str, name: str, ttl_seconds: float, now: float | None = None) -> tuple[str, str]:
    """The username and password for ``name``, valid ``ttl_seconds`` from ``now``."""
    expiry = int((time.time() if now is None else now) + ttl_seconds)
    username = f"{expiry}:{name}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def is_turn(server: dict[str, Any]) -> bool:
    urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
    return any(str(url).startswith(("turn:", "turns:")) for url in urls)


def ice_servers_for(
    servers: list[dict[str, Any]], name: str, *, secret: str | None, ttl_seconds: float, now: float | None = None
) -> list[dict[str, Any]]:
    """The ICE servers as one participant (or one of the server's own peers) gets them.

    A TURN entry written without a username gets fresh credentials made with ``secret``; an entry
    with a username and credential (a fixed account, written out on purpose) is passed as written.
    """
    out: list[dict[str, Any]] = []
    for server in servers:
        entry = dict(server)
        if secret is not None and is_turn(server) and not server.get("username"):
            entry["username"], entry["credential"] = turn_credentials(secret, name, ttl_seconds, now)
        out.append(entry)
    return out
