"""The SSRF guard (saphan.core.netguard): every non-global destination refused, whatever its
spelling; host names resolved once by an injected resolver and the checked address dialled,
with the host name kept for the Host header, TLS SNI and certificate verification."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from saphan.core.netguard import BlockedURL, NetGuard
from tests.core.webhooks.receiver import Receiver

REFUSED_URLS = [
    ("ftp://example.com/hook", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://example.com/", "scheme"),
    ("http://user:pw@example.com/hook", "credentials"),
    ("http:///hook", "no host"),
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.255.0.9/hook", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1:8080/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "private"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://100.127.255.254/", "CGNAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "reserved"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://[::1]/", "loopback"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fe80::1%25eth0]/", "zone"),
    ("http://198.18.0.1/", "private"),
    ("http://192.0.2.10/", "private"),
    ("http://[2001:db8::1]/", "private"),
    ("http://[::ffff:127.0.0.1]/", "embeds 127.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]/", "embeds 169.254.169.254"),
    ("http://[::10.0.0.1]/", "embeds 10.0.0.1"),
    ("http://[2002:7f00:1::]/", "embeds 127.0.0.1"),
    ("http://[2002:a9fe:a9fe::1]/", "embeds 169.254.169.254"),
    ("http://[64:ff9b::7f00:1]/", "embeds 127.0.0.1"),
    ("http://[64:ff9b::a9fe:a9fe]/", "embeds 169.254.169.254"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    ("http://2130706433/", "dotted-quad"),
    ("http://0x7f000001/", "dotted-quad"),
    ("http://0177.0.0.1/", "dotted-quad"),
    ("http://017700000001/", "dotted-quad"),
    ("http://127.1/", "dotted-quad"),
    ("http://0x7f.1/", "dotted-quad"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "dotted-quad"),
    ("http://3232235777/", "dotted-quad"),
    # Non-ASCII hosts as a resolver would ask for them (UTS 46): U+2460.. are the digits 1, 2, 7
    ("http://\u2460\u2461\u2466.0.0.1:8799/", "127.0.0.1 is loopback"),
    ("http://\uff11\uff12\uff17.0.0.1/", "127.0.0.1 is loopback"),  # fullwidth digits
    ("http://\u2460.example.com/", "Invalid IDNA hostname"),  # no request can be made to it
    ("http://xn--zz.example.com/", "not a valid internationalised domain name"),
]

ACCEPTED_URLS = [
    "https://example.com/hook",
    "http://93.184.215.14/hook",
    "https://1.1.1.1:8443/x?y=1",
    "http://[2606:4700:4700::1111]/hook",
    "https://hooks.example.co.th/rakmao/301",
    "https://\u0e15\u0e31\u0e27\u0e2d\u0e22\u0e48\u0e32\u0e07.example/hook",
    "https://xn--eckwd4c7c.xn--zckzah/hook",
]


@pytest.mark.parametrize(("url", "why"), REFUSED_URLS)
def test_urls_refused_before_any_lookup(url: str, why: str) -> None:
    with pytest.raises(BlockedURL, match=re.escape(why)):
        NetGuard().check_url(url)


@pytest.mark.parametrize("url", ACCEPTED_URLS)
def test_public_urls_pass_the_checks_that_need_no_dns(url: str) -> None:
    NetGuard().check_url(url)


def test_the_allow_list_admits_its_cidrs_only() -> None:
    guard = NetGuard(["127.0.0.1/32", "10.20.0.0/16"])
    guard.check_url("http://127.0.0.1:8000/hook")
    guard.check_url("http://10.20.3.4/hook")
    for url in ("http://127.0.0.2/", "http://10.21.0.1/", "http://[::1]/", "http://2130706433/"):
        with pytest.raises(BlockedURL):
            guard.check_url(url)


class FakeDNS:
    """What the resolver answers, name by name; counts the lookups."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        if host not in self.records:
            raise OSError(f"no such host {host}")
        return self.records[host]


DNS = FakeDNS(
    {
        "internal.example": ["10.1.2.3"],
        "metadata.example": ["169.254.169.254"],
        "mixed.example": ["93.184.215.14", "127.0.0.1"],
        "mapped.example": ["::ffff:10.0.0.1"],
        "cgnat.example": ["100.100.100.100"],
        "nat64.example": ["64:ff9b::a9fe:a9fe"],
        "ula.example": ["fd00:ec2::254"],
        "empty.example": [],
        "public.example": ["93.184.215.14", "2606:4700:4700::1111"],
    }
)


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("internal.example", "10.1.2.3 is private"),
        ("metadata.example", "169.254.169.254 is link-local"),
        ("mixed.example", "127.0.0.1 is loopback"),
        ("mapped.example", "embeds 10.0.0.1"),
        ("cgnat.example", "CGNAT"),
        ("nat64.example", "embeds 169.254.169.254"),
        ("ula.example", "private"),
        ("empty.example", "has no address"),
        ("nowhere.example", "cannot resolve"),
        ("0x7f.1", "dotted-quad"),
    ],
)
async def test_names_resolving_to_refused_addresses_are_refused(host: str, why: str) -> None:
    with pytest.raises(BlockedURL, match=re.escape(why)):
        await NetGuard(resolver=DNS).resolve(host, 443)


async def test_public_names_resolve_to_their_checked_addresses() -> None:
    found = await NetGuard(resolver=DNS).resolve("public.example", 443)
    assert found == [
        ipaddress.ip_address("93.184.215.14"),
        ipaddress.ip_address("2606:4700:4700::1111"),
    ]


async def test_the_transport_dials_the_checked_address_once_keeping_the_host_name(
    receiver: Receiver,
) -> None:
    dns = FakeDNS({"receiver.test": ["127.0.0.1"]})
    guard = NetGuard(["127.0.0.1/32"], resolver=dns)
    async with httpx.AsyncClient(transport=guard.transport()) as client:
        first = await client.post(f"http://receiver.test:{receiver.port}/hook", content=b"{}")
    assert first.status_code == 200
    assert receiver.received[0].headers["host"] == f"receiver.test:{receiver.port}"
    assert dns.lookups == ["receiver.test"]  # one lookup; the connection went to its answer


async def test_the_transport_refuses_before_connecting(receiver: Receiver) -> None:
    dns = FakeDNS({"rebind.test": ["10.0.0.7"]})
    guard = NetGuard(["127.0.0.1/32"], resolver=dns)
    async with httpx.AsyncClient(transport=guard.transport()) as client:
        with pytest.raises(BlockedURL, match=re.escape("10.0.0.7 is private")):
            await client.post(f"http://rebind.test:{receiver.port}/hook", content=b"{}")
        with pytest.raises(BlockedURL, match="dotted-quad"):
            await client.post(f"http://2130706433:{receiver.port}/hook", content=b"{}")
    assert receiver.received == []


# -- TLS: the checked address is dialled, SNI and verification are the host name's ------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``secure.test`` (and nothing else)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("secure.test")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_receiver(tls_files: tuple[Path, Path]) -> Iterator[Receiver]:
    receiver = Receiver()
    config = uvicorn.Config(
        receiver,
        host="127.0.0.1",
        port=receiver.port,
        log_level="error",
        lifespan="off",
        ws="none",
        ssl_certfile=str(tls_files[0]),
        ssl_keyfile=str(tls_files[1]),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a thread starting uvicorn, on a loaded machine
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    yield receiver
    server.should_exit = True
    thread.join(10)


async def test_tls_verifies_the_host_name_over_the_checked_address(
    tls_receiver: Receiver, tls_files: tuple[Path, Path]
) -> None:
    trust = ssl.create_default_context(cafile=str(tls_files[0]))
    dns = FakeDNS({"secure.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    guard = NetGuard(["127.0.0.1/32"], resolver=dns)
    async with httpx.AsyncClient(transport=guard.transport(verify=trust)) as client:
        ok = await client.post(f"https://secure.test:{tls_receiver.port}/hook", content=b"{}")
        assert ok.status_code == 200
        # The same address under another name: the certificate is not that name's.
        with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|mismatch"):
            await client.post(f"https://other.test:{tls_receiver.port}/hook", content=b"{}")
    assert [r.headers["host"] for r in tls_receiver.received] == [
        f"secure.test:{tls_receiver.port}"
    ]
