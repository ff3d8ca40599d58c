"""Who a browser is: its session cookie, turned into a principal.

Staff log in with a password and parties open their link (``/j/<token>``); either way the
browser then holds the ``mediate_session`` cookie, and every later request says who it is with
that cookie alone. The HTTP middleware (server/http/middlewares.py) and the ``/live`` handshake
(signaling/namespace.py) both ask :func:`authenticate`, so that a cookie means the same on both
and a withdrawn one (logout, a revoked link, a disabled account, a cancelled session) is refused
by both. This module sits beside the composition root because both layers stand on it and
neither may import the other.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.domain.accounts import Accounts, BrowserSession

COOKIE = "mediate_session"
#: Our tokens are far shorter: a longer value is not looked up at all.
MAX_TOKEN = 200


def session_token(cookies: Mapping[str, str]) -> str | None:
    """The session cookie's token among a request's cookies, if present and plausible."""
    token = cookies.get(COOKIE)
    if not token or len(token) > MAX_TOKEN:
        return None
    return token


async def authenticate(accounts: Accounts, cookies: Mapping[str, str]) -> BrowserSession | None:
    """The principal (and CSRF token) behind a request's session cookie; None if it has none,
    or one that is unknown, expired or withdrawn (``Accounts.resolve``)."""
    token = session_token(cookies)
    return await accounts.resolve(token) if token is not None else None
