"""The URL-safety guard refuses what could reach our own network, without sending any traffic."""

import socket

import pytest

from connectors.base import RetriableError
from connectors.safety import UnsafeURLError, address_problem, check_url


def no_dns(host, port):
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
