"""The fetch layer against a real HTTP server on a thread: no mocked httpx."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from monitors.config import FetchConfig
from monitors.ingest.fetch import (
    BodyTooLarge,
    FetchError,
    Fetcher,
    FetchSettings,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    TooManyRedirects,
    backoff_delay,
    retry_after_seconds,
)
from monitors.ingest.fetch.decode import BoundedDecoder
from tests.fixtures.feed_server import Reply

# The deadline tests need short timeouts; everything else gets room, so a loaded CI machine
# cannot turn an ordinary answer into a timeout.
FAST = FetchSettings(timeout=0.3, total_timeout=0.9, max_bytes=1_000_000)
ROOMY = FetchSettings(timeout=10, total_timeout=30, max_bytes=1_000_000)


@pytest.fixture
def fetcher():
    with Fetcher(ROOMY) as f:
        yield f


@pytest.fixture
def fast_fetcher():
    with Fetcher(FAST) as f:
        yield f


def test_conditional_get_by_etag_and_date(feed_server, fetcher):
    stamp = "Sat, 01 Jun 2024 12:00:00 GMT"
    feed_server.route("/feed", b"<rss/>", etag='"v1"', last_modified=stamp, content_type="application/rss+xml")
    first = fetcher.get(feed_server.url("/feed"))
    assert (first.status, first.body, first.not_modified) == (200, b"<rss/>", False)
    assert (first.etag, first.last_modified, first.content_type) == ('"v1"', stamp, "application/rss+xml")

    again = fetcher.get(feed_server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert (again.status, again.body, again.not_modified) == (304, b"", True)
    seen = feed_server.last("/feed").headers
    assert seen["if-none-match"] == '"v1"' and seen["if-modified-since"] == stamp

    by_date = fetcher.get(feed_server.url("/feed"), last_modified=stamp)
    assert by_date.not_modified


def test_user_agent_names_the_contact_and_one_connection_is_reused(feed_server):
    feed_server.route("/a", b"x")
    settings = FetchSettings.from_config(FetchConfig(contact="ops@example.com", timeout=7, per_host=3))
    assert (settings.timeout, settings.per_host, settings.deadline) == (7, 3, 21)
    with Fetcher(settings) as fetcher:
        fetcher.get(feed_server.url("/a"))
        fetcher.get(feed_server.url("/a"), params={"page": "2"})
    first, second = feed_server.requests
    assert first.headers["user-agent"].startswith("Earful/")
    assert "ops@example.com" in first.headers["user-agent"]
    assert second.query == "page=2"
    assert first.client_port == second.client_port  # pooled keep-alive connection


def test_cookies_do_not_travel_between_requests(feed_server, fetcher):
    feed_server.route("/set", b"x", headers={"Set-Cookie": "session=abc; Path=/"})
    feed_server.route("/next", b"y")
    fetcher.get(feed_server.url("/set"))
    fetcher.get(feed_server.url("/next"))
    assert "cookie" not in feed_server.last("/next").headers


def test_gzip_is_decoded(feed_server, fetcher):
    feed_server.route("/z", b"<rss>" + b"a" * 5000 + b"</rss>", gzip=True)
    response = fetcher.get(feed_server.url("/z"))
    assert response.body == b"<rss>" + b"a" * 5000 + b"</rss>"
    assert feed_server.last("/z").headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("kind", ["content-length", "chunked", "gzip-bomb"])
def test_a_50_mb_body_is_refused_with_bounded_memory(feed_server, fetcher, kind):
    feed_server.huge("/big", 50_000_000, content_length=kind == "content-length", gzip_bomb=kind == "gzip-bomb")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(BodyTooLarge, match="body larger than 1 MB; refused"):
            fetcher.get(feed_server.url("/big"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6_000_000  # the cap is 1 MB; never anything near 50 MB
    assert time.monotonic() - started < 3
    assert feed_server.bytes_sent.get("/big", 0) < 20_000_000


def test_slow_drip_body_times_out_at_the_total_deadline(feed_server, fast_fetcher):
    feed_server.drip("/drip", b"<rss>" + b" " * 200 + b"</rss>", interval=0.05)  # every read is quick
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="whole download took longer than 0.9 s"):
        fast_fetcher.get(feed_server.url("/drip"))
    assert time.monotonic() - started < 2


def test_slow_drip_headers_time_out_too(feed_server, fast_fetcher):
    """httpx's own timeouts never fire here; the deadline transport must."""
    feed_server.drip("/drip-head", b"<rss/>", interval=0.05, headers_too=True)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fast_fetcher.get(feed_server.url("/drip-head"))
    assert time.monotonic() - started < 2


def test_a_hanging_server_times_out_at_the_read_timeout(feed_server, fast_fetcher):
    feed_server.hang("/hang")
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="sent nothing for 0.3 s"):
        fast_fetcher.get(feed_server.url("/hang"))
    assert time.monotonic() - started < 1.5


def test_redirects_are_followed_and_the_final_url_reported(feed_server, fetcher):
    feed_server.redirect("/old", "/new", status=301)
    feed_server.route("/new", b"<rss/>")
    response = fetcher.get(feed_server.url("/old"))
    assert response.url == feed_server.url("/new") and response.body == b"<rss/>"


def test_a_redirect_loop_is_named(feed_server, fetcher):
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/a")
    with pytest.raises(TooManyRedirects, match="a loop"):
        fetcher.get(feed_server.url("/a"))
    assert feed_server.hits("/a") == 1 and feed_server.hits("/b") == 1


def test_too_many_redirects(feed_server):
    for n in range(5):
        feed_server.redirect(f"/r{n}", f"/r{n + 1}")
    feed_server.route("/r5", b"done")
    with Fetcher(FetchSettings(timeout=1, max_redirects=4)) as fetcher:
        with pytest.raises(TooManyRedirects, match="after 5 redirects"):
            fetcher.get(feed_server.url("/r0"))
    with Fetcher(FetchSettings(timeout=1, max_redirects=5)) as fetcher:
        assert fetcher.get(feed_server.url("/r0")).body == b"done"


def test_a_redirect_to_a_local_file_is_refused(feed_server, fetcher, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    feed_server.redirect("/sneaky", secret.as_uri())
    with pytest.raises(FetchError, match="local file") as caught:
        fetcher.get(feed_server.url("/sneaky"))
    assert caught.value.permanent


@pytest.mark.parametrize(("status", "headers", "permanent", "retry_after", "says"), [
    (404, {}, True, None, "404 Not Found; check the URL"),
    (410, {}, True, None, "410 Gone"),
    (403, {}, True, None, "refuses us"),
    (429, {"Retry-After": "120"}, False, 120.0, "429 Too Many Requests; retrying after 120 s"),
    (500, {}, False, None, "500 Internal Server Error: a problem on the server's side"),
    (503, {"Retry-After": "30"}, False, 30.0, "503 Service Unavailable; retrying after 30 s"),
])
def test_error_statuses(feed_server, fetcher, status, headers, permanent, retry_after, says):
    feed_server.route("/e", b"nope", status=status, headers=headers)
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get(feed_server.url("/e"))
    error = caught.value
    assert (error.status, error.permanent, error.retry_after) == (status, permanent, retry_after)
    assert says in error.message


def test_retry_after_as_an_http_date(feed_server, fetcher):
    later = datetime.now(timezone.utc) + timedelta(seconds=300)
    feed_server.route("/busy", b"", status=429, headers={"Retry-After": format_datetime(later, usegmt=True)})
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get(feed_server.url("/busy"))
    assert 290 <= caught.value.retry_after <= 300


def test_connection_refused_is_a_network_error(fetcher):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: nothing answers
        with pytest.raises(NetworkError, match="connection to 127.0.0.1 failed"):
            fetcher.get(f"http://127.0.0.1:{port}/feed")


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "gopher://x/", "javascript:alert(1)"])
def test_other_schemes_are_refused(fetcher, url):
    with pytest.raises(FetchError, match="only http, https and file") as caught:
        fetcher.get(url)
    assert caught.value.permanent


def test_file_urls_take_the_same_path(fetcher, tmp_path):
    feed = tmp_path / "my feed.xml"
    feed.write_bytes(b"<rss/>")
    response = fetcher.get(feed.as_uri())
    assert (response.status, response.body, response.url) == (200, b"<rss/>", feed.as_uri())
    assert response.content_type == "application/xml" and response.last_modified
    assert fetcher.get(feed.as_uri(), last_modified=response.last_modified).not_modified
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get((tmp_path / "missing.xml").as_uri())
    assert caught.value.status == 404 and caught.value.permanent
    with pytest.raises(HTTPStatusError):
        fetcher.get("file://fileserver.example.com/share/feed.xml")


def test_file_urls_obey_the_size_cap(tmp_path):
    feed = tmp_path / "big.xml"
    feed.write_bytes(b"x" * 5000)
    with Fetcher(FetchSettings(max_bytes=4096)) as fetcher:
        with pytest.raises(BodyTooLarge):
            fetcher.get(feed.as_uri())


def test_per_host_limit_is_shared_across_threads(feed_server):
    feed_server.route("/slow", b"x", delay=0.2)
    errors: list[Exception] = []
    with Fetcher(FetchSettings(timeout=5, per_host=2)) as fetcher:
        def work(host: str) -> None:
            try:
                fetcher.get(feed_server.url("/slow").replace("127.0.0.1", host))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=("127.0.0.1",)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert feed_server.peak_active == 2
        assert feed_server.hits("/slow") == 6


def test_different_hosts_do_not_share_a_limit(feed_server):
    feed_server.route("/slow", b"x", delay=0.3)
    with Fetcher(FetchSettings(timeout=5, per_host=1)) as fetcher:
        threads = [
            threading.Thread(target=fetcher.get, args=(feed_server.url("/slow").replace("127.0.0.1", host),))
            for host in ("127.0.0.1", "localhost")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert feed_server.peak_active == 2


def test_post_sends_json_or_a_form_with_the_shared_settings(feed_server, fetcher):
    feed_server.route("/set", b"x", headers={"Set-Cookie": "session=abc; Path=/"})
    feed_server.route("/token", b'{"ok": true}', content_type="application/json")
    fetcher.get(feed_server.url("/set"))
    answer = fetcher.post(feed_server.url("/token"), json={"user": "ann"}, headers={"Authorization": "Basic eA=="})
    assert (answer.status, answer.body, answer.content_type) == (200, b'{"ok": true}', "application/json")
    sent = feed_server.last("/token")
    assert (sent.method, sent.body, sent.headers["content-type"]) == ("POST", b'{"user":"ann"}', "application/json")
    assert sent.headers["user-agent"].startswith("Earful/") and sent.headers["authorization"] == "Basic eA=="
    assert "cookie" not in sent.headers

    fetcher.post(feed_server.url("/token"), data={"grant_type": "client_credentials"})
    sent = feed_server.last("/token")
    assert sent.body == b"grant_type=client_credentials"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    with pytest.raises(ValueError):
        fetcher.post(feed_server.url("/token"), json={}, data={})


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirected_post_is_refused_not_followed(feed_server, fetcher, status):
    feed_server.redirect("/login", "/elsewhere", status=status)
    feed_server.route("/elsewhere", b"{}")
    with pytest.raises(HTTPStatusError, match="pointing at .*/elsewhere") as caught:
        fetcher.post(feed_server.url("/login"), json={"password": "hunter2"})
    assert (caught.value.status, caught.value.permanent) == (status, True)
    assert feed_server.hits("/elsewhere") == 0  # the credentials went nowhere else


def test_post_obeys_the_size_cap_and_the_total_deadline(feed_server, fast_fetcher):
    feed_server.huge("/big", 5_000_000, content_length=False)
    with pytest.raises(BodyTooLarge):
        fast_fetcher.post(feed_server.url("/big"), json={})
    feed_server.drip("/drip", b"{" + b" " * 200 + b"}", interval=0.05)
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="whole download took longer than 0.9 s"):
        fast_fetcher.post(feed_server.url("/drip"), json={})
    assert time.monotonic() - started < 2


def test_post_takes_only_web_urls_and_reports_network_errors(fetcher, tmp_path):
    with pytest.raises(FetchError, match="only http and https") as caught:
        fetcher.post((tmp_path / "x.json").as_uri(), json={})
    assert caught.value.permanent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        with pytest.raises(NetworkError):
            fetcher.post(f"http://127.0.0.1:{probe.getsockname()[1]}/token", json={})


def test_error_answers_keep_the_start_of_their_body(feed_server, fetcher):
    said = b'{"error_id": 400, "error_name": "bad_parameter", "error_message": "site is required"}'
    feed_server.route("/api", said, status=400, content_type="application/json", gzip=True)
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get(feed_server.url("/api"))
    assert caught.value.body_excerpt == said.decode()  # decompressed, whole
    assert "400 Bad Request" in caught.value.message  # the message itself is unchanged

    feed_server.route("/token", b'{"error": "invalid_grant"}', status=401)
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.post(feed_server.url("/token"), data={"grant_type": "password"})
    assert caught.value.body_excerpt == '{"error": "invalid_grant"}'


def test_a_long_or_dripping_error_body_is_cut_short(feed_server, fetcher, fast_fetcher):
    page = ("é" + "x" * 99) * 100  # 10,100 bytes of UTF-8
    feed_server.route("/long", page, status=500, gzip=True)
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get(feed_server.url("/long"))
    assert len(caught.value.body_excerpt.encode()) <= 2048 + 2  # a cut character becomes one U+FFFD
    assert caught.value.body_excerpt.startswith(page[:2000])

    feed_server.route("/slow-error", handler=lambda request: Reply(
        status=503, body=iter([b"down for "] + [b"."] * 100), chunk_delay=0.05))
    started = time.monotonic()
    with pytest.raises(HTTPStatusError) as caught:
        fast_fetcher.get(feed_server.url("/slow-error"))
    assert caught.value.status == 503 and caught.value.body_excerpt.startswith("down for ")
    assert time.monotonic() - started < 2  # the deadline still holds; the status is not lost to it

    feed_server.route("/bare", b"", status=404)
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get(feed_server.url("/bare"))
    assert caught.value.body_excerpt == ""


# --- pure pieces -----------------------------------------------------------------------------------------

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0),
    (" 0 ", 0.0),
    ("Sun, 01 Jun 2025 12:02:00 GMT", 120.0),
    ("Sun, 01 Jun 2025 11:00:00 GMT", 0.0),  # in the past: go now
    ("99999999", 7 * 86400.0),  # capped at a week
    ("-5", None),
    ("soon", None),
    ("", None),
    (None, None),
])
def test_retry_after_seconds(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


def test_backoff_grows_with_failures_within_bounds():
    for failures in range(1, 12):
        low = backoff_delay(failures, interval=900, retry_after=None, random_fraction=0.0)
        high = backoff_delay(failures, interval=900, retry_after=None, random_fraction=0.999)
        assert low == 900  # never faster than the normal interval
        assert high <= min(6 * 3600, 900 * 2 ** failures)
    assert backoff_delay(0, interval=900, retry_after=None, random_fraction=0.7) == 900
    assert backoff_delay(1, interval=900, retry_after=None, random_fraction=0.5) == 900 + 0.5 * 900
    assert backoff_delay(30, interval=900, retry_after=None, random_fraction=0.5) == 900 + 0.5 * (6 * 3600 - 900)


def test_backoff_never_undercuts_retry_after():
    assert backoff_delay(1, interval=60, retry_after=7200, random_fraction=0.1) == 7200
    assert backoff_delay(1, interval=60, retry_after=10, random_fraction=0.0) == 60
    assert backoff_delay(1, interval=86400, retry_after=None, random_fraction=0.5) == 86400  # long interval wins


def test_backoff_rejects_a_bad_random_fraction():
    with pytest.raises(ValueError):
        backoff_delay(1, interval=60, retry_after=None, random_fraction=1.0)


def test_bounded_decoder_handles_the_deflate_variants_and_multi_member_gzip():
    data = b"hello world " * 100
    assert BoundedDecoder("deflate", 10_000).feed(zlib.compress(data)) == data
    raw = zlib.compressobj(wbits=-15)
    assert BoundedDecoder("deflate", 10_000).feed(raw.compress(data) + raw.flush()) == data
    two = gzip.compress(b"one ") + gzip.compress(b"two")
    decoder = BoundedDecoder("gzip", 10_000)
    assert decoder.feed(two) + decoder.finish() == b"one two"
    with pytest.raises(BodyTooLarge):
        BoundedDecoder("gzip", 1000).feed(gzip.compress(bytes(100_000)))


def test_bounded_decoder_refuses_what_it_cannot_decode():
    with pytest.raises(FetchError, match="'br'"):
        BoundedDecoder("br", 1000)
    with pytest.raises(FetchError, match="corrupt"):
        BoundedDecoder("gzip", 1000).feed(b"\x1f\x8b\x08\x00garbage-garbage")


# proxies -------------------------------------------------------------------------------------------------------

def test_an_http_proxy_from_the_environment_carries_the_requests(feed_server, monkeypatch):
    feed_server.route("/feed.xml", b"<rss/>", content_type="application/rss+xml")
    monkeypatch.setenv("HTTP_PROXY", feed_server.base_url)  # the test server answers absolute-form requests too
    with Fetcher(FAST) as fetcher:
        fetched = fetcher.get("http://feeds.example/feed.xml")  # a host that resolves nowhere: only a proxy helps
    assert (fetched.status, fetched.body) == (200, b"<rss/>")
    assert feed_server.last("/feed.xml").headers["host"] == "feeds.example"


def test_no_proxy_hosts_are_reached_directly_and_others_through_the_proxy(feed_server, monkeypatch):
    feed_server.route("/feed.xml", b"<rss/>")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{unused.getsockname()[1]}"  # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", dead)
    with Fetcher(FAST) as fetcher, pytest.raises(NetworkError):
        fetcher.get(feed_server.url("/feed.xml"))
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    with Fetcher(FAST) as fetcher:
        assert fetcher.get(feed_server.url("/feed.xml")).body == b"<rss/>"


def test_a_socks_proxy_is_ignored_with_a_warning(feed_server, monkeypatch, caplog):
    feed_server.route("/feed.xml", b"<rss/>")
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    with Fetcher(FAST) as fetcher:
        assert fetcher.get(feed_server.url("/feed.xml")).body == b"<rss/>"
    assert "ignoring the proxy socks5://127.0.0.1:1080" in caplog.text


def test_a_public_feed_may_not_redirect_to_this_machine_or_its_network(feed_server, fetcher, monkeypatch):
    import monitors.ingest.fetch.fetcher as fetcher_module

    real = fetcher_module.is_private_host
    # the feed server is on loopback; call the name "localhost" public so it stands for a feed on the internet
    monkeypatch.setattr(fetcher_module, "is_private_host", lambda host: host != "localhost" and real(host))
    port = feed_server.url("/").split(":")[2].split("/")[0]
    feed_server.redirect("/public", f"http://127.0.0.1:{port}/internal")
    feed_server.route("/internal", b"<rss/>")
    with pytest.raises(FetchError, match="refused a redirect .* an address on this machine or its network"):
        fetcher.get(f"http://localhost:{port}/public")
    assert feed_server.hits("/internal") == 0


def test_a_local_feed_may_redirect_within_its_network(feed_server, fetcher):
    feed_server.redirect("/old", "/new")
    feed_server.route("/new", b"<rss/>")
    assert fetcher.get(feed_server.url("/old")).body == b"<rss/>"  # 127.0.0.1 to 127.0.0.1 stays allowed


@pytest.mark.parametrize(("host", "private"), [
    ("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.9", True), ("172.16.5.4", True), ("169.254.169.254", True),
    ("::1", True), ("[fe80::1]", True), ("0.0.0.0", True), ("93.184.216.34", False), ("2606:4700::1111", False),
    ("localhost", True),
])
def test_private_hosts(host, private):
    from monitors.ingest.fetch.fetcher import is_private_host

    assert is_private_host(host) is private
