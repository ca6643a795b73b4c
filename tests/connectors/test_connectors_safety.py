"""The URL-safety guard refuses what could reach our own network, without sending any traffic."""

import socket
import threading
import time

import pytest

from connectors.base import RetriableError
from connectors.deadline import fetch_deadline
from connectors.safety import UnsafeURLError, address_problem, check_url, resolve_addresses


def no_dns(host, port):
    """A resolver for tests where the check must not look any name up."""
    raise AssertionError(f"resolver must not be called for {host}")


@pytest.mark.parametrize(
    "url, reason",
    [
        pytest.param("file:///etc/passwd", "only http and https", id="file-scheme"),
        pytest.param("gopher://127.0.0.1:70/", "only http and https", id="gopher-scheme"),
        pytest.param("ftp://ftp.example/feed", "only http and https", id="ftp-scheme"),
        pytest.param("http:///feed.xml", "names no host", id="no-host"),
        pytest.param("http://127.0.0.1/feed", "loopback", id="loopback-v4"),
        pytest.param("http://127.3.4.5:8080/feed", "loopback", id="loopback-range"),
        pytest.param("http://[::1]/feed", "loopback", id="loopback-v6"),
        pytest.param("http://10.1.2.3/feed", "private-network", id="private-10"),
        pytest.param("http://192.168.0.10/feed", "private-network", id="private-192"),
        pytest.param("http://172.16.5.4/feed", "private-network", id="private-172"),
        pytest.param("http://169.254.169.254/latest/meta-data/", "link-local", id="cloud-metadata"),
        pytest.param("http://[fe80::1]/feed", "link-local", id="link-local-v6"),
        pytest.param("http://[::ffff:127.0.0.1]/feed", "loopback", id="v4-mapped-loopback"),
        pytest.param("http://224.0.0.1/feed", "multicast", id="multicast"),
        pytest.param("http://240.0.0.1/feed", "reserved", id="reserved"),
        pytest.param("http://0.0.0.0/feed", "unspecified", id="unspecified"),
        pytest.param("http://localhost:8000/feed", "resolves to 127.0.0.1", id="name-resolving-to-loopback"),
    ],
)
def test_unsafe_urls_are_refused_saying_why(url, reason):
    # Literal addresses and "localhost" resolve locally: nothing is sent anywhere.
    with pytest.raises(UnsafeURLError) as refused:
        check_url(url, allow_private=False)
    assert reason in refused.value.message
    assert url in refused.value.message


def test_private_hosts_name_the_setting_that_allows_them():
    with pytest.raises(UnsafeURLError, match="STRONGTIE_ALLOW_PRIVATE_NETWORKS=1"):
        check_url("http://10.0.0.1/feed", allow_private=False)


def test_a_public_address_passes():
    check_url("https://blog.example/feed", allow_private=False, resolver=lambda host, port: ["93.184.216.34"])


def test_a_name_with_any_private_address_is_refused():
    with pytest.raises(UnsafeURLError, match="resolves to 10.0.0.7"):
        check_url("https://blog.example/feed", allow_private=False, resolver=lambda host, port: ["93.184.216.34", "10.0.0.7"])


def test_an_unresolvable_host_is_retried_later():
    def fail(host, port):
        raise socket.gaierror("Name or service not known")

    with pytest.raises(RetriableError, match="could not resolve nowhere.invalid"):
        check_url("https://nowhere.invalid/feed", allow_private=False, resolver=fail)


def test_allowing_private_networks_still_refuses_other_schemes():
    check_url("http://127.0.0.1:9/feed", allow_private=True, resolver=no_dns)
    with pytest.raises(UnsafeURLError, match="only http and https"):
        check_url("file:///etc/passwd", allow_private=True, resolver=no_dns)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_have_no_problem(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "address, reason",
    [
        pytest.param("100.64.0.1", "not a publicly routable", id="carrier-grade-nat"),
        pytest.param("100.100.100.200", "not a publicly routable", id="alibaba-metadata"),
        pytest.param("192.0.2.10", "private-network", id="documentation-v4"),
        pytest.param("198.18.0.1", "private-network", id="benchmarking"),
        pytest.param("ff02::1", "multicast", id="multicast-v6"),
        pytest.param("2002:a9fe:a9fe::", "6to4 address wrapping 169.254.169.254, which is a link-local", id="6to4-metadata"),
        pytest.param("2002:7f00:1::", "6to4 address wrapping 127.0.0.1, which is a loopback", id="6to4-loopback"),
        pytest.param("2002:0a00:0001::5", "6to4 address wrapping 10.0.0.1, which is a private", id="6to4-private"),
        # Teredo: server 65.54.227.120 (public), client 192.0.2.45 obfuscated in the last 32 bits
        pytest.param("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo address wrapping 192.0.2.45", id="teredo"),
        pytest.param("2001:0:4136:e378:8000:63bf:56fe:56fe", "private-network", id="teredo-wrapping-public-still-refused"),
        pytest.param("64:ff9b::a9fe:a9fe", "NAT64 address wrapping 169.254.169.254", id="nat64-metadata"),
        pytest.param("::7f00:1", "IPv4-compatible address wrapping 127.0.0.1", id="v4-compatible-loopback"),
        pytest.param("::ffff:a9fe:a9fe", "IPv4-mapped address wrapping 169.254.169.254", id="v4-mapped-metadata"),
    ],
)
def test_addresses_outside_the_public_internet_are_refused(address, reason):
    assert reason in (address_problem(address) or "")


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("2002:5db8:d822::1", id="6to4-wrapping-public"),
        pytest.param("8.8.8.8", id="public-v4"),
    ],
)
def test_tunnels_wrapping_public_addresses_pass(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "url, reason",
    [
        pytest.param("http://100.100.100.200/latest/meta-data/", "not a publicly routable", id="alibaba-metadata-literal"),
        pytest.param("http://[2002:a9fe:a9fe::]/latest/meta-data/", "169.254.169.254", id="6to4-metadata-literal"),
    ],
)
def test_unsafe_literal_urls_are_refused(url, reason):
    with pytest.raises(UnsafeURLError, match=reason):
        check_url(url, allow_private=False)


def test_a_name_resolving_to_a_private_address_is_refused():
    with pytest.raises(UnsafeURLError, match=r"feeds\.example resolves to 10\.1\.2\.3, which is a private-network"):
        check_url("https://feeds.example/rss", allow_private=False, resolver=lambda host, port: ["10.1.2.3"])


def test_a_dns_lookup_that_hangs_ends_at_the_fetch_deadline(monkeypatch):
    """The system resolver cannot be interrupted; the caller stops waiting at its deadline and the
    source is retried later, while the stuck lookup holds one thread of a bounded pool."""
    release = threading.Event()
    real = socket.getaddrinfo

    def hanging(host, *args, **kwargs):
        if host == "slow.example":
            release.wait(10)
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    started = time.monotonic()
    try:
        with fetch_deadline(0.3), pytest.raises(RetriableError, match=r"could not resolve slow\.example .*DNS lookup"):
            check_url("https://slow.example/feed", allow_private=False)
        assert time.monotonic() - started < 2
    finally:
        release.set()


def test_literal_addresses_need_no_lookup(monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("a literal address was looked up")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert resolve_addresses("93.184.216.34", 443) == ["93.184.216.34"]
    assert resolve_addresses("[2001:db8::1]", 443) == ["2001:db8::1"]
