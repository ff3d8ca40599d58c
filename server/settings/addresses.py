"""Settings that name places: where we listen, which proxies we trust, the database and Redis URLs."""

from __future__ import annotations

import ipaddress

from server.settings.errors import SettingsError

#: Listening on these means "every interface" or "this machine only"; neither names the machine for others.
WILDCARD_OR_LOOPBACK = ("0.0.0.0", "::", "127.0.0.1", "::1", "localhost", "")
#: Peers whose X-Forwarded-For is believed when MEDIATE_TRUSTED_PROXIES is unset: nginx on the same machine.
LOOPBACK_PROXIES = ("127.0.0.1/32", "::1/128")


def is_loopback_host(host: str) -> bool:
    """A host name or address that reaches only the machine it is typed on."""
    name = host.strip("[]").lower().rstrip(".")
    if name in ("localhost", "") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def trusted_proxies(raw: str | None) -> tuple[str, ...]:
    """``MEDIATE_TRUSTED_PROXIES``: comma-separated addresses or networks (``10.0.0.0/8``); unset:
    loopback (nginx on the same machine, deploy/nginx); ``none``: trust no peer's X-Forwarded-For."""
    if raw is None:
        return LOOPBACK_PROXIES
    if raw.lower() == "none":
        return ()
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise SettingsError(f"MEDIATE_TRUSTED_PROXIES: {item!r} is not an address or network") from exc
    return tuple(networks)


def redis_url(raw: str | None) -> str | None:
    if raw is not None and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"MEDIATE_REDIS_URL must be a redis://, rediss:// or unix:// URL, not {raw!r}")
    return raw


def normalise_database_url(url: str) -> str:
    """Accept the URLs operators write (postgres://, postgresql://) and pick the async driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url
