"""Fetching a slip image from a caller's URL without letting the caller reach our network.

http(s) only; the host is resolved once and every address must be global (or inside the
``easyslip_url_allow_cidrs`` setting); the request goes to the checked address (Host header and
TLS server name stay the URL's host), so a second DNS answer cannot swap it; redirects are
followed by hand, at most 3, each hop checked the same way; the body is read up to 4 MB; the
whole fetch has a short timeout; the answer must declare an image type and be one by its bytes.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urljoin

import anyio
import httpx

from saphan.easyslip.errors import (
    ImageSizeTooLarge,
    ImageUrlUnreachable,
    InvalidImageType,
    UrlInvalidIpRange,
    UrlProtocolNotAllowed,
)
from saphan.easyslip.images import MAX_IMAGE_BYTES, check_image

MAX_REDIRECTS = 3
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def allowed(address: Address, allow: Sequence[Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in allow):
        return True
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int, allow: Sequence[Network]) -> Address:
    """The first address of ``host``, once every address it resolves to is allowed."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ImageUrlUnreachable(f"The image URL's host {host} could not be resolved") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise ImageUrlUnreachable(f"The image URL's host {host} could not be resolved")
    for address in addresses:
        if not allowed(address, allow):
            raise UrlInvalidIpRange()
    return addresses[0]


def check_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ImageUrlUnreachable("The image URL is not a valid URL") from exc
    if parsed.scheme not in ("http", "https"):
        raise UrlProtocolNotAllowed()
    if not parsed.host:
        raise ImageUrlUnreachable("The image URL has no host")
    return parsed


async def fetch_image(
    url: str, *, allow: Sequence[Network], seconds: float, client: httpx.AsyncClient
) -> bytes:
    """The image at ``url`` (see the module docstring), or the documented error."""
    try:
        with anyio.fail_after(seconds):
            return await _fetch(url, allow, client)
    except TimeoutError as exc:
        raise ImageUrlUnreachable("The image URL did not answer in time") from exc


async def _fetch(url: str, allow: Sequence[Network], client: httpx.AsyncClient) -> bytes:
    target = check_url(url)
    for _hop in range(MAX_REDIRECTS + 1):
        port = target.port or (443 if target.scheme == "https" else 80)
        address = await resolve(target.host, port, allow)
        host = f"[{address}]" if address.version == 6 else str(address)
        request = client.build_request(
            "GET",
            target.copy_with(host=host),
            headers={"Host": target.netloc.decode("ascii"), "Accept": "image/*"},
            extensions={"sni_hostname": target.host},
        )
        try:
            response = await client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise ImageUrlUnreachable() from exc
        try:
            if response.is_redirect and "location" in response.headers:
                target = check_url(urljoin(str(target), response.headers["location"]))
                continue
            if response.status_code != 200:
                raise ImageUrlUnreachable(f"The image URL answered HTTP {response.status_code}")
            declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not declared.startswith("image/"):
                raise InvalidImageType(f"The image URL answered {declared or 'no content type'}")
            data = await _read_capped(response)
        finally:
            await response.aclose()
        check_image(data)
        return data
    raise ImageUrlUnreachable("The image URL redirected too many times")


async def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
        raise ImageSizeTooLarge()
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_IMAGE_BYTES:
                raise ImageSizeTooLarge()
            chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise ImageUrlUnreachable() from exc
    return b"".join(chunks)
