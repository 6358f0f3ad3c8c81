"""Fetching a slip image from a caller's URL without letting the caller reach our network.

The URL passes the SSRF guard every outbound request to a URL somebody else chose passes
(``core.netguard``, as webhook endpoints do): http(s) only, no credentials (httpx would turn
``user:pw@`` into an ``Authorization: Basic`` header sent to whoever the host is), no
non-global IP literal or ambiguous numeric spelling, no host that is not a valid IDNA name. The
host is resolved once and every address must be global (or inside the
``easyslip_url_allow_cidrs`` setting); the request goes to the checked address (Host header and
TLS server name stay the URL's host), so a second DNS answer cannot swap it; redirects are
followed by hand, at most 3, each hop checked the same way; the body is read up to 4 MB; the
whole fetch has a short timeout; the answer must declare an image type and be one by its bytes.
"""

from __future__ import annotations

from urllib.parse import urljoin

import anyio
import httpx

from saphan.core.netguard import (
    BlockedURL,
    CredentialsInURL,
    NetGuard,
    RefusedAddress,
    Unresolvable,
)
from saphan.easyslip.errors import (
    ImageSizeTooLarge,
    ImageUrlUnreachable,
    InvalidImageType,
    UrlInvalidIpRange,
    UrlProtocolNotAllowed,
    ValidationFailed,
)
from saphan.easyslip.images import MAX_IMAGE_BYTES, check_image, sniff

MAX_REDIRECTS = 3
CREDENTIALS = "The url must not hold credentials (user:password@)"


def _refused(exc: BlockedURL, host: str | None = None) -> Exception:
    """The guard's refusal as EasySlip's documented error."""
    if isinstance(exc, CredentialsInURL):
        return ValidationFailed(CREDENTIALS)
    if isinstance(exc, RefusedAddress):
        return UrlInvalidIpRange()
    if isinstance(exc, Unresolvable) and host is not None:
        return ImageUrlUnreachable()
    return ImageUrlUnreachable()


def check_url(url: str, guard: NetGuard) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ImageUrlUnreachable() from exc
    if parsed.scheme not in ("http", "https"):
        raise UrlProtocolNotAllowed()
    if not parsed.host:
        raise ImageUrlUnreachable()
    try:
        guard.check_url(url)
    except BlockedURL as exc:
        raise _refused(exc) from exc
    return parsed


async def resolve(host: str, port: int, guard: NetGuard) -> str:
    """The first address of ``host``, once every address it resolves to is admitted."""
    try:
        addresses = await guard.resolve(host, port)
    except BlockedURL as exc:
        raise _refused(exc, host) from exc
    first = addresses[0]
    return f"[{first}]" if first.version == 6 else str(first)


async def fetch_image(
    url: str, *, guard: NetGuard, seconds: float, client: httpx.AsyncClient
) -> bytes:
    """The image at ``url`` (see the module docstring), or the documented error."""
    try:
        with anyio.fail_after(seconds):
            return await _fetch(url, guard, client)
    except TimeoutError as exc:
        raise ImageUrlUnreachable() from exc


async def _fetch(url: str, guard: NetGuard, client: httpx.AsyncClient) -> bytes:
    target = check_url(url, guard)
    for _hop in range(MAX_REDIRECTS + 1):
        port = target.port or (443 if target.scheme == "https" else 80)
        host = await resolve(target.host, port, guard)
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
                target = check_url(urljoin(str(target), response.headers["location"]), guard)
                continue
            if response.status_code != 200:
                raise ImageUrlUnreachable()
            declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not declared.startswith("image/"):
                raise InvalidImageType()
            data = await _read_capped(response)
        finally:
            await response.aclose()
        if sniff(data) is None:
            raise InvalidImageType()  # declared an image, is none
        check_image(data)
        return data
    raise ImageUrlUnreachable()


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
