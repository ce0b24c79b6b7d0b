"""Where outbound HTTP may go: the SSRF guard shared by every action that calls a URL.

A URL written by a workflow author must not reach the worker's own network: loopback, private
ranges, link-local (the cloud metadata service at 169.254.169.254), multicast and the other
reserved blocks are refused unless ``RELAY_OUTBOUND_ALLOW`` opens them. The host is resolved
once, every address it resolves to is checked, and the caller connects to the checked address,
so a DNS answer that changes between the check and the connection (rebinding) changes nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from activities.errors import PermanentDeliveryError, TransientDeliveryError
from definitions.addresses import IPAddress, refusal_reason

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""(host, port) → the addresses the host resolves to, in preference order."""

ALLOW_SETTING = "RELAY_OUTBOUND_ALLOW"
LOOPBACK_ALLOW = "127.0.0.1,localhost,::1"
"""What ``relay dev`` and the tests allow: the peers they run on this machine."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``getaddrinfo`` gives for ``host``, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    addresses: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class OutboundPolicy:
    """Which destinations are allowed beyond the public internet.

    ``hosts`` are host names (``"*.internal.example"`` matches subdomains) allowed whatever
    they resolve to; ``networks`` are addresses and ranges allowed whoever names them.
    """

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_setting(cls, value: str | None, resolver: Resolver | None = None) -> OutboundPolicy:
        """A policy from ``"127.0.0.1,localhost,10.0.0.0/8"`` (hosts, IPs, CIDRs; commas)."""
        return cls.allowing(
            (part.strip() for part in (value or "").split(",") if part.strip()), resolver
        )

    @classmethod
    def allowing(cls, entries: Iterable[str], resolver: Resolver | None = None) -> OutboundPolicy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(_normal_host(entry))
        return cls(frozenset(hosts), tuple(networks), resolver or system_resolver)

    def allows_host(self, host: str) -> bool:
        name = _normal_host(host)
        return name in self.hosts or any(
            entry.startswith("*.") and name.endswith(entry[1:]) for entry in self.hosts
        )

    def allows_address(self, address: IPAddress) -> bool:
        return refusal_reason(address) is None or any(address in net for net in self.networks)

    async def destination(self, host: str, port: int) -> str:
        """The one address to connect to for ``host``: resolved once, every answer checked.

        Raises ``PermanentDeliveryError("blocked_destination")`` when any answer is refused,
        ``TransientDeliveryError("dns")`` when the name does not resolve.
        """
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = await self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise TransientDeliveryError("dns", f"{host} does not resolve") from exc
            addresses = [ipaddress.ip_address(a) for a in found]
            if not addresses:
                raise TransientDeliveryError("dns", f"{host} does not resolve")
        if literal is None and self.allows_host(host):
            return str(addresses[0])
        for address in addresses:
            if not self.allows_address(address):
                reason = refusal_reason(address)
                named = f"{address} is" if literal is not None else f"{host} resolves to {address},"
                raise PermanentDeliveryError(
                    "blocked_destination",
                    f"{named} a {reason} address; add it to {ALLOW_SETTING} to allow it",
                )
        return str(addresses[0])


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()
