"""Where a webhook may not be sent: the networks an installation refuses.

A subscription's URL is the admin's to choose, and the notifications process POSTs to it
from inside the installation's network, so a URL naming the cloud's metadata service
(169.254.169.254) or another address no receiver has would let the admin's pen reach what
the process can. The check runs twice: when a subscription is created, on a URL whose host
is an address (in any of the forms a resolver takes: `2852039166` is 169.254.169.254); and
at every attempt, on every address the host resolves to then, because a name may point
elsewhere by the time it is used. The attempt then connects to the addresses it checked, in
turn (the request keeps the URL's name for `Host` and TLS), so a name cannot resolve once to
a good address for the check and again to a refused one for the connection.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from shared.kernel.errors import Invalid

Network = IPv4Network | IPv6Network

_REFUSED = "in a network webhooks are not sent to (COMPLAINTS_WEBHOOK_REFUSED_NETWORKS)"


class RefusedAddress(Exception):
    """The URL's host is, or resolves to, an address in a refused network."""


@dataclass(frozen=True)
class Egress:
    refused: tuple[Network, ...]

    def refuses(self, address: str) -> bool:
        ip: IPv4Address | IPv6Address = ip_address(address.partition("%")[0])
        if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.refused)

    def check_url(self, url: str) -> None:
        """Refuse a URL whose host is written as a refused address (no name is resolved)."""
        host = urlsplit(url).hostname or ""
        try:
            infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError):
            return  # a name: checked on what it resolves to, at each attempt
        for *_, sockaddr in infos:
            address = str(sockaddr[0])
            if self.refuses(address):
                read_as = "" if address == host else f" (read as {address})"
                raise Invalid(
                    f"{host}{read_as} is {_REFUSED}",
                    field="url",
                    rule="refused_network",
                )

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to, in the resolver's order, if none is refused.

        Raises `RefusedAddress`, or `OSError` when the name does not resolve.
        """
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))
        for address in addresses:
            if self.refuses(address):
                raise RefusedAddress(f"{host} resolves to {address}, {_REFUSED}")
        return addresses
