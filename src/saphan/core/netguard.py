"""Outbound requests to URLs somebody else chose (webhook endpoints, URLs to fetch): an SSRF guard.

``NetGuard.check_url`` refuses what is wrong in the URL itself (a scheme other than http(s),
credentials, an IP literal that is not a global address, ambiguous IPv4 spellings such as
``2130706433``, ``0x7f.1`` or ``0177.0.0.1``, a non-ASCII host that is no valid IDNA name, or
whose IDNA form is such an address: ``①②⑦.0.0.1`` is ``127.0.0.1`` to a resolver).
``NetGuard.transport()`` is an httpx transport whose connections resolve the host once, refuse
it unless *every* address is global (or admitted by the allow-list), and dial the checked address
itself: there is no second DNS lookup for a rebinding resolver to answer differently. The URL is
left alone, so the ``Host`` header, TLS SNI and certificate verification all stay those of the
host name.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import typing
from collections.abc import Awaitable, Callable, Iterable, Sequence
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx
import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(host, port) -> addresses``: how host names are resolved (tests inject their own).
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

#: Spellings the C library reads as IPv4 but ``ipaddress`` does not: one to three numbers
#: (``127.1``, ``2130706433``), hex or octal parts (``0x7f.0.0.1``, ``0177.0.0.1``).
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)
#: 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215): NAT64 forms of an IPv4 address.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
#: IPv4-compatible IPv6 addresses (``::a.b.c.d``, deprecated by RFC 4291).
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class BlockedURL(ValueError):
    """A URL or address the guard refuses; the message says why (never secrets)."""


class Unresolvable(BlockedURL):
    """The host has no address (DNS said so, or could not be asked)."""


class CredentialsInURL(BlockedURL):
    """The URL holds a user name or password (``http://user:pw@host/``)."""


class RefusedAddress(BlockedURL):
    """The host is, or resolves to, an address that is not a public destination (or is an
    ambiguous numeric spelling of one)."""


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _NAT64) or (
        address in _V4_COMPATIBLE and int(address) > 1  # ``::`` and ``::1`` are themselves
    ):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a public destination, or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo is not None:
            return f"{address} is a Teredo address"
        inner = _embedded_v4(address)
        if inner is not None:
            why = refusal(inner)
            return f"{address} embeds {inner}: {why}" if why else None
    checks = [
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local (cloud metadata lives there)", address.is_link_local),
        ("multicast", address.is_multicast),
        (
            "shared address space (CGNAT)",
            isinstance(address, ipaddress.IPv4Address) and address in _CGNAT,
        ),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    ]
    for name, hit in checks:
        if hit:
            return f"{address} is {name}"
    return None


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one (brackets and IPv6 zone refused), else None.

    Raises ``BlockedURL`` for numeric spellings other than dotted-quad decimal.
    """
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if "%" in bare:
        raise BlockedURL("IPv6 zone identifiers are not allowed")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(bare):
        raise RefusedAddress(f"{host!r} is not a dotted-quad IPv4 address; write it in full")
    return None


def _idna_host(host: str) -> str:
    """The ASCII name a resolver asks for (UTS 46 mapping, as anyio's ``getaddrinfo`` does)."""
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise BlockedURL(f"the host {host!r} is not a valid internationalised domain name") from exc


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class NetGuard:
    """The policy (allow-list, resolver) and the checks; ``transport()`` applies them to httpx."""

    def __init__(
        self,
        allow: Iterable[str] = (),
        *,
        resolver: Resolver = system_resolver,
        schemes: tuple[str, ...] = ("http", "https"),
    ) -> None:
        self.allow = [ipaddress.ip_network(cidr, strict=False) for cidr in allow]
        self.resolver = resolver
        self.schemes = schemes

    def admitted(self, address: IPAddress) -> bool:
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        if mapped is not None and self.admitted(mapped):
            return True
        return any(address.version == net.version and address in net for net in self.allow)

    def check_address(self, address: IPAddress) -> None:
        if self.admitted(address):
            return
        why = refusal(address)
        if why:
            raise RefusedAddress(f"refused: {why}")

    def check_url(self, url: str) -> str:
        """The URL's host, after the checks that need no DNS; raises ``BlockedURL``."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise BlockedURL(f"not a valid URL: {exc}") from exc
        if parts.scheme.lower() not in self.schemes:
            raise BlockedURL(f"the scheme must be one of {', '.join(self.schemes)}")
        if parts.username is not None or parts.password is not None:
            raise CredentialsInURL("credentials in the URL are not allowed")
        host = parts.hostname
        if not host:
            raise BlockedURL("the URL has no host")
        if any(c.isspace() for c in url) or "\\" in parts.netloc:
            raise BlockedURL("the URL contains whitespace or a backslash in its authority")
        if port == 0:
            raise BlockedURL("port 0 is not allowed")
        if not host.isascii() or "xn--" in host:  # (urlsplit gives the host lower-cased)
            host = _idna_host(host)
        bracketed = "[" + host + "]" if ":" in host else host
        address = literal_address(bracketed)
        if address is not None:
            self.check_address(address)
        try:
            httpx.URL(url)  # what the request is made with: it must take the URL too
        except (httpx.InvalidURL, ValueError) as exc:
            raise BlockedURL(f"not a valid URL: {exc}") from exc
        return host

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of ``host``, each checked; refuses the host if any one is refused."""
        literal = literal_address(host)
        if literal is not None:
            self.check_address(literal)
            return [literal]
        try:
            found = await self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise Unresolvable(f"cannot resolve {host!r}: {exc}") from exc
        addresses: list[IPAddress] = []
        for text in found:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            self.check_address(address)
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise Unresolvable(f"{host!r} has no address")
        return addresses

    def transport(
        self, *, limits: httpx.Limits | None = None, verify: ssl.SSLContext | bool = True
    ) -> httpx.AsyncHTTPTransport:
        """An httpx transport that dials only addresses this guard checked (no proxies)."""
        return GuardedTransport(self, limits=limits or httpx.Limits(), verify=verify)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves through the guard and connects to a checked address (never the name again)."""

    def __init__(self, guard: NetGuard) -> None:
        self.guard = guard
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.guard.resolve(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedURL("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, its connection pool given the guarded network backend."""

    def __init__(self, guard: NetGuard, *, limits: httpx.Limits, verify: ssl.SSLContext | bool):
        super().__init__(trust_env=False, limits=limits, verify=verify)
        # httpx builds its pool without a way to pass a network backend; this is the same pool
        # with one (and trust_env=False above: no proxy, whose address would go unchecked).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(guard),
        )
