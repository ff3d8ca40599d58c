"""Which client a request comes from, for counting what that client does (login throttling).

Behind nginx (deploy/nginx/mediate.conf) every request comes from the proxy; nginx appends the
address it was reached from to ``X-Forwarded-For``. Anything to the left of that was written by
the client and proves nothing, so the client is the right-most address that is not a trusted
proxy (the rule of nginx's ``real_ip_recursive`` and of RFC 7239 §5.2's advice on forged
entries). From a peer that is not a trusted proxy the header is ignored: otherwise anyone could
name a fresh address with each guess.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from aiohttp import web

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(net, strict=False) for net in trusted)


def _parse(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _name(address: IPAddress) -> str:
    """An IPv6 client is counted by its /64: one subscriber usually holds a whole /64
    (RFC 6177), so counting single addresses would give an attacker 2⁶⁴ fresh ones."""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(request: web.Request, trusted: tuple[str, ...]) -> str:
    """The client's address (an IPv6 client's /64), as far as this server can tell."""
    networks = _networks(trusted)
    peer = _parse(request.remote or "")
    if peer is None:
        # A Unix socket: only processes on this machine (a local proxy) can connect.
        hops: list[IPAddress] = []
    elif not any(peer in net for net in networks):
        return _name(peer)
    else:
        hops = [peer]
    forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
    for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _parse(entry)
        if address is None:
            break  # written by someone untrusted; the hop to its right is as far as we can tell
        hops.append(address)
        if not any(address in net for net in networks):
            break
    return _name(hops[-1]) if hops else (request.remote or "unknown")[:64]
