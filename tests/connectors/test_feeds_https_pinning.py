"""HTTPS to a vetted address: SNI and the certificate check still use the URL's name.

A loopback TLS server with a certificate made for the test stands for a public host; the virtual
network routes the pretend public address to it, so no traffic leaves 127.0.0.0/8.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest
from fakes.feeds import FeedServer, Route, VirtualNetwork, rss, sample_items

from connectors.base import Cursor, FatalError, RetriableError, SourceRef
from connectors.feeds import FeedConnector
from connectors.http import HttpClient, HttpLimits

PUBLIC = "93.184.216.34"
LIMITS = HttpLimits(connect_timeout=2, read_timeout=2, total_timeout=5)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")


def certificate(directory, name: str) -> tuple[str, str]:
    """A self-signed certificate (and its key) for ``name``, made with the openssl command."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """A feed server speaking TLS with a certificate for feeds.example, reachable at PUBLIC;
    yields the server, the CA file to trust and the SNI names it was asked for."""
    cert, key = certificate(tmp_path, "feeds.example")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda connection, name, ctx: names.append(name)
    server = FeedServer()
    server.use_tls(context)
    VirtualNetwork({PUBLIC: "127.0.0.1"}).install(monkeypatch)
    with server:
        yield server, cert, names


def https_url(server, name: str, path: str) -> str:
    """``path`` on the TLS server, addressed as ``name``."""
    return f"https://{name}:{server.base_url.rsplit(':', 1)[1]}{path}"


def read(ca_certs: str, url: str, resolves_to: str = PUBLIC):
    """Fetch ``url`` trusting ``ca_certs``, its name resolving to ``resolves_to``."""
    client = HttpClient(allow_private=False, limits=LIMITS, resolver=lambda host, port: [resolves_to], ca_certs=ca_certs)
    return FeedConnector(client).fetch(SourceRef("rss", url, url), Cursor(url=url))


def test_sni_and_certificate_use_the_name_while_connecting_to_the_vetted_address(tls_server):
    server, ca, names = tls_server
    server.add("/feed.xml", Route(body=rss(sample_items("tls", 2))))
    url = https_url(server, "feeds.example", "/feed.xml")
    result = read(ca, url)
    assert [r.external_id for r in result.records] == ["tls-0", "tls-1"]
    assert names == ["feeds.example"]
    assert server.hosts == [url.split("/")[2]]


def test_a_certificate_for_another_name_is_refused(tls_server):
    # The server's certificate is trusted but made for feeds.example, not for the URL's name.
    server, ca, names = tls_server
    server.add("/feed.xml", Route(body=rss(sample_items("tls", 1))))
    with pytest.raises(RetriableError, match="SSLError"):
        read(ca, https_url(server, "mirror.example", "/feed.xml"))
    assert names == ["mirror.example"] and server.hits["/feed.xml"] == 0


def test_a_secret_address_never_follows_a_redirect_down_to_http(tls_server):
    # A calendar's address is its secret: a server answering 301 to http:// must not get it sent in clear.
    server, ca, _names = tls_server
    url = https_url(server, "feeds.example", "/private-5ec4e7/basic.ics")
    server.add("/private-5ec4e7/basic.ics", Route(status=301, location="http://calendar.example/basic.ics"))

    def client(**limits):
        return HttpClient(allow_private=False, limits=HttpLimits(connect_timeout=2, read_timeout=2, total_timeout=5, **limits),
                          resolver=lambda host, port: [PUBLIC], ca_certs=ca)

    with pytest.raises(FatalError) as caught:
        client(https_only_redirects=True).get(url)
    assert "redirected to an unencrypted http address" in str(caught.value) and "5ec4e7" not in str(caught.value)
    assert server.hits["/private-5ec4e7/basic.ics"] == 1
    # a feed's address is no secret: without the bound the redirect is followed (and fails only at the next hop)
    with pytest.raises((FatalError, RetriableError)) as followed:
        client().get(url)
    assert "unencrypted" not in str(followed.value)
