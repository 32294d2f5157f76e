"""The client address that the sign-in throttle counts failures by.

The address is the peer's (``REMOTE_ADDR``). Behind reverse proxies, ``create_app`` installs
Werkzeug's ``ProxyFix`` for the ``MARKETPLACE_TRUSTED_PROXIES`` proxies in front of the service,
which puts the address that the outermost trusted proxy saw in ``REMOTE_ADDR``; an
``X-Forwarded-For`` header is never read beyond those proxies, so a client cannot name an address
of its own choosing, neither to spread its failures over made-up addresses nor to lock out
someone else's.

An IPv6 client is counted by its /64 network: that is one subscriber's allocation, and counting
single addresses would let a client with a /64 of its own try from 2^64 of them.
"""

from __future__ import annotations

import ipaddress

from flask import request

# An address that cannot be parsed (only a misbehaving trusted proxy sends one) is kept as text,
# cut to the column's length.
MAX_ADDRESS_LENGTH = 64
UNKNOWN_ADDRESS = "unknown"
IPV6_SUBSCRIBER_PREFIX = 64


def normalise_address(raw: str | None) -> str:
    """The form of ``raw`` under which failures are counted: an IPv4 address or an IPv6 /64."""
    text = (raw or "").strip()
    if not text:
        return UNKNOWN_ADDRESS
    try:
        # A zone ("fe80::1%eth0") names the receiving interface, not the client.
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text[:MAX_ADDRESS_LENGTH]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_SUBSCRIBER_PREFIX), strict=False)
        return str(network)
    return str(address)


def client_address() -> str:
    """The normalised client address of the current request."""
    return normalise_address(request.remote_addr)
