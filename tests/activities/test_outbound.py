"""Safe outbound HTTP: the SSRF guard of HttpCaller, against real loopback servers."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from activities.errors import PermanentDeliveryError, TransientDeliveryError
from activities.http import HttpCaller, http_session
from activities.outbound import (
    LOOPBACK_ALLOW,
    OutboundPolicy,
    Resolver,
    refusal_reason,
    system_resolver,
)
from tests.helpers.peers import LOOPBACK, RecordingHttpServer, RecordingHttpsServer


class FakeDns:
    """A resolver whose answers the test decides, counting the lookups."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise OSError(f"no such host {host}")
        return self.answers[host]


@pytest.fixture
def server() -> Iterator[RecordingHttpServer]:
    with RecordingHttpServer() as recording_server:
        yield recording_server


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with http_session() as http:
        yield http


def caller_for(
    client: aiohttp.ClientSession, allow: str = "", resolver: Resolver | None = None
) -> HttpCaller:
    return HttpCaller(client, policy=OutboundPolicy.from_setting(allow, resolver))


# ------------------------------------------------------------------------------ the address rules
@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
        ("192.0.2.1", "reserved"),  # documentation
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
        ("172.32.0.1", None),
    ],
)
def test_addresses_are_classified(address: str, reason: str | None) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) == reason


def test_allow_setting_takes_hosts_addresses_and_ranges() -> None:
    policy = OutboundPolicy.from_setting(
        " 127.0.0.1, Hooks.Internal. ,10.0.0.0/8,[::1],*.corp.test,"
    )

    assert policy.hosts == frozenset({"hooks.internal", "*.corp.test"})
    assert [str(n) for n in policy.networks] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert policy.allows_host("HOOKS.internal.")
    assert policy.allows_host("a.b.corp.test")
    assert not policy.allows_host("corp.test.evil.com")
    assert policy.allows_address(ipaddress.ip_address("10.200.0.1"))
    assert not policy.allows_address(ipaddress.ip_address("192.168.0.1"))
    assert policy.allows_address(ipaddress.ip_address("1.1.1.1"))


async def test_the_system_resolver_resolves_localhost_to_loopback() -> None:
    addresses = await system_resolver("localhost", 80)

    assert addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)


# ------------------------------------------------------------------------------- refused requests
async def test_loopback_without_an_allow_list_is_refused_before_any_request(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await caller_for(client).request(method="POST", url=server.url("/hook"), json_body={})

    assert caught.value.kind == "blocked_destination"
    assert caught.value.detail == (
        "127.0.0.1 is a loopback address; add it to RELAY_OUTBOUND_ALLOW to allow it"
    )
    assert server.requests == []


async def test_cloud_metadata_address_is_refused(client: aiohttp.ClientSession) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await caller_for(client, LOOPBACK_ALLOW).request(
            method="GET", url="http://169.254.169.254/latest/meta-data/iam/"
        )

    assert caught.value.kind == "blocked_destination"
    assert "169.254.169.254 is a link-local address" in caught.value.detail


async def test_a_hostname_resolving_to_a_private_address_is_refused(
    client: aiohttp.ClientSession,
) -> None:
    dns = FakeDns({"hooks.example.test": ["10.1.2.3"]})

    with pytest.raises(PermanentDeliveryError) as caught:
        await caller_for(client, resolver=dns).request(
            method="POST", url="https://hooks.example.test/in", json_body={"a": 1}
        )

    assert caught.value.kind == "blocked_destination"
    assert caught.value.detail == (
        "hooks.example.test resolves to 10.1.2.3, a private address; "
        "add it to RELAY_OUTBOUND_ALLOW to allow it"
    )


async def test_every_resolved_address_is_checked(client: aiohttp.ClientSession) -> None:
    dns = FakeDns({"mixed.example.test": ["93.184.216.34", "192.168.0.10"]})

    with pytest.raises(PermanentDeliveryError, match="192.168.0.10, a private address"):
        await caller_for(client, resolver=dns).request(
            method="GET", url="http://mixed.example.test/"
        )


async def test_localhost_by_name_is_refused_with_the_real_resolver(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await caller_for(client).request(method="GET", url=f"http://localhost:{server.port}/")

    assert caught.value.kind == "blocked_destination"
    assert caught.value.detail.startswith("localhost resolves to ")
    assert "a loopback address" in caught.value.detail
    assert server.requests == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]"])
async def test_obfuscated_loopback_addresses_are_refused(
    server: RecordingHttpServer, client: aiohttp.ClientSession, host: str
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await caller_for(client).request(method="GET", url=f"http://{host}:{server.port}/")

    assert caught.value.kind == "blocked_destination"
    assert server.requests == []


async def test_an_unresolvable_host_is_a_transient_dns_failure(
    client: aiohttp.ClientSession,
) -> None:
    with pytest.raises(TransientDeliveryError) as caught:
        await caller_for(client, resolver=FakeDns({})).request(
            method="GET", url="http://nowhere.example.test/"
        )

    assert (caught.value.kind, caught.value.detail) == (
        "dns",
        "nowhere.example.test does not resolve",
    )


# ------------------------------------------------------------------------------ allowed requests
async def test_allow_listed_loopback_is_reached(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    result = await caller_for(client, LOOPBACK_ALLOW).request(method="GET", url=server.url("/ok"))

    assert result["status"] == 200
    assert [r.path for r in server.requests] == ["/ok"]


async def test_an_allowed_range_opens_its_addresses(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    result = await caller_for(client, "127.0.0.0/8").request(method="GET", url=server.url())

    assert result["status"] == 200


async def test_the_checked_address_is_connected_with_the_hosts_name_in_the_host_header(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    # Resolved once: a second answer (rebinding to a private address) is never asked for.
    dns = FakeDns({"hooks.example.test": [LOOPBACK]})

    await caller_for(client, LOOPBACK, dns).request(
        method="POST", url=f"http://hooks.example.test:{server.port}/in?x=1", json_body={"a": 1}
    )

    [request] = server.requests
    assert request.headers["host"] == f"hooks.example.test:{server.port}"
    assert (request.path, request.query) == ("/in", {"x": ["1"]})
    assert dns.lookups == ["hooks.example.test"]


async def test_an_allowed_host_name_may_resolve_anywhere(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    dns = FakeDns({"hooks.internal": [LOOPBACK], "other.internal": [LOOPBACK]})
    caller = caller_for(client, "hooks.internal", dns)

    await caller.request(method="GET", url=f"http://hooks.internal:{server.port}/")
    with pytest.raises(PermanentDeliveryError, match="other.internal resolves to 127.0.0.1"):
        await caller.request(method="GET", url=f"http://other.internal:{server.port}/")

    assert len(server.requests) == 1


async def test_a_caller_supplied_host_header_cannot_redirect_the_request(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    await caller_for(client, LOOPBACK_ALLOW).request(
        method="GET", url=server.url(), headers={"host": "metadata.google.internal"}
    )

    assert server.requests[0].headers["host"] == f"{LOOPBACK}:{server.port}"


async def test_https_connects_to_the_checked_address_and_verifies_the_hosts_certificate(
    tmp_path: Path,
) -> None:
    dns = FakeDns({"hooks.relay.test": [LOOPBACK], "evil.relay.test": [LOOPBACK]})
    with RecordingHttpsServer("hooks.relay.test", tmp_path) as tls_server:
        async with http_session(tls_server.ssl_context()) as http:
            caller = caller_for(http, LOOPBACK, dns)

            result = await caller.request(method="GET", url=tls_server.url_for("hooks.relay.test"))
            # The same address under another name: its certificate does not match, so no
            # request is sent (a pooled connection verified for hooks.relay.test is not reused).
            with pytest.raises(TransientDeliveryError, match="network"):
                await caller.request(method="GET", url=tls_server.url_for("evil.relay.test"))

    assert result["status"] == 200
    assert tls_server.server_names[0] == "hooks.relay.test"
    assert [r.headers["host"] for r in tls_server.requests] == [
        f"hooks.relay.test:{tls_server.port}"
    ]


async def test_a_pooled_tls_connection_serves_only_the_name_it_was_verified_for(
    tmp_path: Path,
) -> None:
    dns = FakeDns({"hooks.relay.test": [LOOPBACK], "evil.relay.test": [LOOPBACK]})
    with RecordingHttpsServer("hooks.relay.test", tmp_path, keep_alive=True) as tls_server:
        async with http_session(tls_server.ssl_context()) as http:
            caller = caller_for(http, LOOPBACK, dns)
            for _ in range(2):
                await caller.request(method="GET", url=tls_server.url_for("hooks.relay.test"))
            # The connection kept open for hooks.relay.test goes to the same address, but it
            # is not lent to another name: a new one is made, and its handshake fails.
            with pytest.raises(TransientDeliveryError, match="network"):
                await caller.request(method="GET", url=tls_server.url_for("evil.relay.test"))

    assert tls_server.server_names == ["hooks.relay.test", "evil.relay.test"]
    assert [r.headers["host"] for r in tls_server.requests] == [
        f"hooks.relay.test:{tls_server.port}"
    ] * 2


# ------------------------------------------------------------------------------------- redirects
async def test_a_redirect_to_a_private_address_is_returned_not_followed(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    server.script(302, {}, headers={"Location": "http://10.1.2.3/admin"})

    result = await caller_for(client, LOOPBACK_ALLOW).request(method="GET", url=server.url())

    assert (result["status"], result["headers"]["location"]) == (302, "http://10.1.2.3/admin")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://10.1.2.3/admin", "10.1.2.3 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://rebind.example.test/", "rebind.example.test resolves to 192.168.1.1"),
    ],
)
async def test_a_followed_redirect_is_checked_again(
    server: RecordingHttpServer, client: aiohttp.ClientSession, location: str, message: str
) -> None:
    server.script(307, {}, headers={"Location": location})
    dns = FakeDns({"rebind.example.test": ["192.168.1.1"]})

    with pytest.raises(PermanentDeliveryError) as caught:
        await caller_for(client, LOOPBACK, dns).request(
            method="POST", url=server.url(), json_body={}, follow_redirects=True
        )

    assert caught.value.kind == "blocked_destination"
    assert message in caught.value.detail


async def test_followed_redirects_keep_or_change_the_method_as_browsers_do(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    server.script(307, {}, headers={"Location": "/kept"})
    server.script(303, {}, headers={"Location": "/seen"})
    server.script(200, {"done": True})

    result = await caller_for(client, LOOPBACK_ALLOW).request(
        method="POST", url=server.url("/start"), json_body={"a": 1}, follow_redirects=True
    )

    assert result["json"] == {"done": True}
    assert [(r.method, r.path, r.body) for r in server.requests] == [
        ("POST", "/start", b'{"a":1}'),
        ("POST", "/kept", b'{"a":1}'),
        ("GET", "/seen", b""),
    ]


async def test_credentials_are_not_carried_to_another_origin(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    with RecordingHttpServer() as elsewhere:
        server.script(302, {}, headers={"Location": elsewhere.url("/landing")})

        await caller_for(client, LOOPBACK_ALLOW).request(
            method="GET",
            url=server.url(),
            headers={"Authorization": "Bearer t0ken", "X-Custom": "1"},
            follow_redirects=True,
        )

        [landing] = elsewhere.requests
    assert "authorization" not in landing.headers
    assert landing.headers["x-custom"] == "1"
    assert server.requests[0].headers["authorization"] == "Bearer t0ken"


async def test_endless_redirects_are_a_permanent_failure(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    for _ in range(10):
        server.script(302, {}, headers={"Location": "/again"})

    caller = HttpCaller(client, policy=OutboundPolicy.from_setting(LOOPBACK), max_redirects=3)
    with pytest.raises(PermanentDeliveryError, match="too_many_redirects"):
        await caller.request(method="GET", url=server.url(), follow_redirects=True)

    assert len(server.requests) == 4


async def test_a_redirect_to_another_scheme_is_refused(
    server: RecordingHttpServer, client: aiohttp.ClientSession
) -> None:
    server.script(302, {}, headers={"Location": "file:///etc/passwd"})

    with pytest.raises(PermanentDeliveryError, match="invalid_redirect"):
        await caller_for(client, LOOPBACK).request(
            method="GET", url=server.url(), follow_redirects=True
        )
