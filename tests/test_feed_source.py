"""FeedSource end to end: a real HTTP server, the real Fetcher, the real parser."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from monitors.configure import source_config
from monitors.ingest.fetch import ContentError, Fetcher, FetchSettings, HTTPStatusError
from monitors.ingest.sources.registry import SOURCE_KINDS
from monitors.ingest.sources.base import SourceState
from monitors.ingest.sources.feed import FeedSource

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
from tests.fixtures.feed_server import FEEDS_DIR

RSS = (FEEDS_DIR / "rss20.xml").read_bytes()


@pytest.fixture
def fetcher():
    with Fetcher(FetchSettings(timeout=1, total_timeout=2)) as f:
        yield f


def state(url: str, **extra) -> SourceState:
    return SourceState(id=1, name="test", kind="feed", url=url, params={}, **extra)


def test_feed_is_registered():
    assert isinstance(SOURCE_KINDS["feed"], FeedSource)
    assert SOURCE_KINDS["feed"].description


def test_poll_then_poll_again_without_changes(feed_server, fetcher):
    feed_server.route("/rss", RSS, content_type="application/rss+xml", etag='"e1"',
                      last_modified="Wed, 06 Mar 2024 09:00:00 GMT", gzip=True)
    first = FeedSource().poll(fetcher, state(feed_server.url("/rss")), now=NOW)
    assert [m.external_id for m in first.mentions][:2] == ["blog-4711", "https://blog.example.com/2024/great"]
    assert (first.etag, first.last_modified, first.not_modified) == ('"e1"', "Wed, 06 Mar 2024 09:00:00 GMT", False)
    assert "application/rss+xml" in feed_server.last("/rss").headers["accept"]

    second = FeedSource().poll(fetcher, state(feed_server.url("/rss"), etag=first.etag,
                                              last_modified=first.last_modified), now=NOW)
    assert second.not_modified and second.mentions == []
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)
    assert feed_server.last("/rss").headers["if-none-match"] == '"e1"'


def test_relative_links_resolve_against_the_url_after_redirects(feed_server, fetcher):
    feed_server.redirect("/old-feed", "/blog/feed.xml", status=301)
    feed_server.route("/blog/feed.xml", (FEEDS_DIR / "relative_links.xml").read_bytes())
    result = FeedSource().poll(fetcher, state(feed_server.url("/old-feed")), now=NOW)
    assert result.mentions[0].url == feed_server.url("/news/1")
    assert result.mentions[1].url == feed_server.url("/blog/2")


def test_an_ill_formed_feed_yields_entries_and_warnings(feed_server, fetcher):
    feed_server.route("/broken", (FEEDS_DIR / "illformed_unclosed.xml").read_bytes())
    result = FeedSource().poll(fetcher, state(feed_server.url("/broken")), now=NOW)
    assert len(result.mentions) == 3
    assert any("not well-formed" in w for w in result.warnings)


def test_a_lying_charset_header_is_overruled_by_the_document(feed_server, fetcher):
    feed_server.route("/latin", (FEEDS_DIR / "encoding_latin1_cp1252.xml").read_bytes(),
                      content_type="application/rss+xml; charset=utf-8")
    result = FeedSource().poll(fetcher, state(feed_server.url("/latin")), now=NOW)
    assert result.mentions[0].title == "“Quoted” Acme über"


def test_a_local_feed_file_polls_offline(fetcher):
    url = (FEEDS_DIR / "atom10.xml").as_uri()
    result = FeedSource().poll(fetcher, state(url), now=NOW)
    assert len(result.mentions) == 3 and result.last_modified
    assert FeedSource().poll(fetcher, state(url, last_modified=result.last_modified), now=NOW).not_modified


def test_an_html_page_is_a_permanent_content_error_naming_the_feed(feed_server, fetcher):
    feed_server.route("/blog/", (FEEDS_DIR / "html_page.html").read_bytes(), content_type="text/html")
    with pytest.raises(ContentError) as caught:
        FeedSource().poll(fetcher, state(feed_server.url("/blog/")), now=NOW)
    assert caught.value.permanent
    assert feed_server.url("/blog/feed.xml") in caught.value.message


def test_an_empty_body_is_a_transient_content_error(feed_server, fetcher):
    feed_server.route("/empty", b"")
    with pytest.raises(ContentError, match="empty body") as caught:
        FeedSource().poll(fetcher, state(feed_server.url("/empty")), now=NOW)
    assert not caught.value.permanent


def test_http_errors_pass_through(feed_server, fetcher):
    feed_server.route("/gone", b"", status=410)
    with pytest.raises(HTTPStatusError) as caught:
        FeedSource().poll(fetcher, state(feed_server.url("/gone")), now=NOW)
    assert caught.value.permanent and caught.value.status == 410


def test_external_entities_over_http_are_never_fetched(feed_server, fetcher):
    feed_server.route("/secret", b"SERVER-SECRET")
    feed_server.route("/evil.dtd", b'<!ENTITY dtdsecret "FROM-DTD">')
    entity = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY s SYSTEM "{feed_server.url("/secret")}">]>'
              "<rss><channel><item><title>&s;</title></item></channel></rss>")
    feed_server.route("/xxe", entity)
    dtd = (f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{feed_server.url("/evil.dtd")}">'
           '<rss version="2.0"><channel><item><guid>1</guid><title>x &dtdsecret; y</title></item></channel></rss>')
    feed_server.route("/dtd", dtd)

    with pytest.raises(ContentError, match="declares its own XML entities") as caught:
        FeedSource().poll(fetcher, state(feed_server.url("/xxe")), now=NOW)
    assert caught.value.permanent
    result = FeedSource().poll(fetcher, state(feed_server.url("/dtd")), now=NOW)
    assert "FROM-DTD" not in (result.mentions[0].title or "")
    assert feed_server.hits("/secret") == 0 and feed_server.hits("/evil.dtd") == 0


@pytest.mark.parametrize("url", ["https://example.com/feed.xml", "http://example.com/rss", "file:///srv/feed.xml"])
def test_validate_accepts_web_and_file_urls(url):
    source_config(name="x", kind="feed", url=url)


@pytest.mark.parametrize("url", ["", "ftp://example.com/feed", "example.com/feed", "https://"])
def test_validate_refuses_other_urls(url):
    with pytest.raises(ValueError, match="url"):
        source_config(name="x", kind="feed", url=url)


def test_dates_in_us_zones_other_languages_and_iso_forms_are_read_over_http(feed_server, fetcher):
    items = [("us", "<pubDate>Thu, 05 Nov 2026 07:00:00 ET</pubDate>"),
             ("colon", "<pubDate>Thu, 05 Nov 2026 17:30:00 +05:30</pubDate>"),
             ("pt", "<pubDate>Qui, 05 Nov 2026 09:00:00 -0300</pubDate>"),
             ("el", "<pubDate>Πεμ, 05 Νοέ 2026 14:00:00 +0200</pubDate>"),
             ("ordinal", "<dc:date>2026-309</dc:date>"),
             ("junk", "<pubDate>Thu, 05 Nov 2026 12:00:00 GMT, probably</pubDate>")]
    body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            "<channel><title>t</title>" + "".join(f"<item><guid>{g}</guid><title>{g}</title>{d}</item>"
                                                  for g, d in items) + "</channel></rss>")
    feed_server.route("/dated", body.encode(), content_type="application/rss+xml")
    result = FeedSource().poll(fetcher, state(feed_server.url("/dated")), now=NOW)
    noon = datetime(2026, 11, 5, 12, tzinfo=timezone.utc)
    assert {m.external_id: m.published_at for m in result.mentions} == {
        "us": noon, "colon": noon, "pt": noon, "el": noon, "ordinal": datetime(2026, 11, 5, tzinfo=timezone.utc),
        "junk": None}


def test_a_document_cut_off_inside_cdata_keeps_its_whole_items_and_adds_none(feed_server, fetcher):
    feed_server.route("/cut", (FEEDS_DIR / "cdata_cut_off.xml").read_bytes(), content_type="application/rss+xml")
    result = FeedSource().poll(fetcher, state(feed_server.url("/cut")), now=NOW)
    assert [m.external_id for m in result.mentions] == ["c1", "c2"]
    assert any("1 entries had no id, link, title or text" in w for w in result.warnings)


def test_rss_authors_with_parts_and_atom_entries_updated_twice_over_http(feed_server, fetcher):
    feed_server.route("/authors", (FEEDS_DIR / "rss_author_parts.xml").read_bytes())
    feed_server.route("/edited", (FEEDS_DIR / "atom_two_updated.xml").read_bytes(),
                      content_type="application/atom+xml")
    authors = FeedSource().poll(fetcher, state(feed_server.url("/authors")), now=NOW)
    assert [m.author for m in authors.mentions] == [
        "Jane Doe", "Ana Souza", "Staff writer", "desk@example.com", "Jo Bloggs", "Kim Park"]
    edited = FeedSource().poll(fetcher, state(feed_server.url("/edited")), now=NOW)
    assert edited.mentions[0].published_at == datetime(2025, 5, 12, 6, 30, tzinfo=timezone.utc)


def test_escaped_html_beside_a_tracking_pixel_is_stored_as_text(feed_server, fetcher):
    feed_server.route("/pixel", (FEEDS_DIR / "escaped_beside_raw.xml").read_bytes())
    feed_server.route("/pixel.atom", (FEEDS_DIR / "atom_escaped_beside_raw.xml").read_bytes(),
                      content_type="application/atom+xml")
    rss = FeedSource().poll(fetcher, state(feed_server.url("/pixel")), now=NOW)
    assert rss.mentions[0].text == "The Acme refund never came & I am done"
    atom = FeedSource().poll(fetcher, state(feed_server.url("/pixel.atom")), now=NOW)
    assert atom.mentions[0].text == "Acme delivery was late again"
