"""Feed parsing: the fixture feeds state their own expected result; the rest are the pure helpers and attacks."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from lxml import etree

from monitors.ingest.feedparse import FeedError, parse_feed
from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.feedparse.encoding import to_utf8
from monitors.ingest.feedparse.htmltext import TEXT_LIMIT, html_to_text
from monitors.ingest.feedparse.mention import author_name
from tests.fixtures.feed_server import FEEDS_DIR

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
FIXTURES = sorted(p for p in FEEDS_DIR.iterdir() if p.is_file() and not p.name.endswith(".expect.json"))


def _expectation(path):
    return json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".expect.json").read_text())


def _value(mention, field):
    value = getattr(mention, field)
    return value.isoformat() if isinstance(value, datetime) else value


def _check_entry(mention, spec: dict, where: str) -> None:
    for key, expected in spec.items():
        if key.endswith("_startswith"):
            field = key.removesuffix("_startswith")
            assert (_value(mention, field) or "").startswith(expected), f"{where}.{field}"
        elif key.endswith("_contains"):
            field = key.removesuffix("_contains")
            for part in expected:
                assert part in (_value(mention, field) or ""), f"{where}.{field} lacks {part!r}"
        else:
            assert _value(mention, key) == expected, f"{where}.{key}"


def test_every_fixture_states_its_expectation():
    sidecars = {p.name for p in FEEDS_DIR.glob("*.expect.json")}
    expected = {p.name.rsplit(".", 1)[0] + ".expect.json" for p in FIXTURES}
    assert sidecars == expected
    assert len(FIXTURES) >= 25


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_feed(path):
    expect = _expectation(path)
    body = path.read_bytes()
    url = expect.get("url", "https://example.com/feed")
    if "error" in expect:
        with pytest.raises(FeedError) as caught:
            parse_feed(body, url=url, content_type=expect.get("content_type"), now=NOW)
        assert expect["error"] in caught.value.message
        return
    parsed = parse_feed(body, url=url, content_type=expect.get("content_type"), now=NOW)
    assert parsed.format == expect["format"]
    if "title" in expect:
        assert parsed.title == expect["title"]
    assert len(parsed.mentions) == expect["count"]
    _check_entry(parsed.mentions[0], expect.get("first", {}), "first")
    for index, spec in expect.get("entries", {}).items():
        _check_entry(parsed.mentions[int(index)], spec, f"entries[{index}]")
    for word in expect.get("text_excludes", []):
        assert all(word not in m.text and word not in (m.title or "") for m in parsed.mentions)
    if "warnings" in expect:
        if not expect["warnings"]:
            assert parsed.warnings == []
        for part in expect["warnings"]:
            assert any(part in w for w in parsed.warnings), f"no warning with {part!r} in {parsed.warnings}"
    for mention in parsed.mentions:
        assert mention.external_id
        assert mention.published_at is None or mention.published_at.tzinfo == timezone.utc
        assert mention.url is None or mention.url.startswith(("http://", "https://"))


# --- attacks: what lxml does with each, and what parse_feed makes of it ---------------------------------

OUR_PARSER_SETTINGS = dict(recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def test_billion_laughs_is_not_expanded_by_lxml_and_is_refused_quickly():
    body = (FEEDS_DIR / "billion_laughs.xml").read_bytes()
    root = etree.fromstring(body, etree.XMLParser(**OUR_PARSER_SETTINGS))
    assert b"lollol" not in etree.tostring(root)  # the reference stays a reference
    started = time.monotonic()
    with pytest.raises(FeedError, match="entity-expansion"):
        parse_feed(body, url="https://example.com/feed", now=NOW)
    assert time.monotonic() - started < 1.0


def test_a_quadratic_blowup_is_refused_too():
    big = "x" * 50_000
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{big}">]>'
            f"<rss><channel><item><title>{'&a;' * 5000}</title></item></channel></rss>").encode()
    with pytest.raises(FeedError, match="declares its own XML entities"):
        parse_feed(body, url="https://example.com/feed", now=NOW)


def test_external_entity_to_a_local_file_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
            "<rss><channel><item><title>leak: &s;</title></item></channel></rss>").encode()
    root = etree.fromstring(body, etree.XMLParser(**OUR_PARSER_SETTINGS))
    assert b"TOP-SECRET" not in etree.tostring(root)
    with pytest.raises(FeedError) as caught:
        parse_feed(body, url="https://example.com/feed", now=NOW)
    assert "TOP-SECRET" not in str(caught.value)


def test_an_external_dtd_on_disk_is_not_loaded(tmp_path):
    """lxml 6 / libxml2 2.14 load an external DTD when collect_ids=False is set; our parser must not."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "FROM-THE-DTD">')
    body = (f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd.as_uri()}">'
            "<rss version=\"2.0\"><channel><item><title>a &secret; b</title><guid>1</guid></item></channel></rss>"
            ).encode()
    parsed = parse_feed(body, url="https://example.com/feed", now=NOW)
    assert parsed.mentions[0].title == "a &secret; b"  # undefined, so kept as text: the DTD was not read
    assert not any("FROM-THE-DTD" in (m.title or "") + m.text for m in parsed.mentions)


def test_a_parameter_entity_from_disk_is_refused(tmp_path):
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "FROM-THE-DTD">')
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % x SYSTEM "{dtd.as_uri()}"> %x;]>'
            "<rss><channel><item><title>&secret;</title></item></channel></rss>").encode()
    with pytest.raises(FeedError, match="declares its own XML entities"):
        parse_feed(body, url="https://example.com/feed", now=NOW)


def test_xinclude_is_not_processed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = ('<rss version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude"><channel><item><guid>1</guid>'
            f'<description><xi:include href="{secret.as_uri()}" parse="text"/></description></item></channel></rss>'
            ).encode()
    parsed = parse_feed(body, url="https://example.com/feed", now=NOW)
    assert "TOP-SECRET" not in parsed.mentions[0].text


# --- shape of the output ---------------------------------------------------------------------------------

def test_text_is_capped():
    words = " ".join(f"word{i}" for i in range(10_000))
    body = (f'<rss version="2.0"><channel><item><guid>1</guid><description>{words}</description>'
            "</item></channel></rss>").encode()
    text = parse_feed(body, url="https://example.com/feed", now=NOW).mentions[0].text
    assert len(text) <= TEXT_LIMIT
    assert text.endswith("…") and text.startswith("word0 word1")


def test_parsing_the_same_bytes_gives_the_same_ids():
    body = (FEEDS_DIR / "missing_guids.xml").read_bytes()
    first = [m.external_id for m in parse_feed(body, url="https://a.example/feed", now=NOW).mentions]
    again = [m.external_id for m in parse_feed(body, url="https://a.example/feed", now=NOW).mentions]
    assert first == again


def test_a_non_feed_xml_body_with_an_html_root_is_called_an_html_page():
    body = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>hi</body></html>'
    with pytest.raises(FeedError, match="HTML page"):
        parse_feed(body, url="https://example.com/", now=NOW)


def test_binary_garbage_is_a_clear_error():
    with pytest.raises(FeedError, match="not XML, JSON or HTML"):
        parse_feed(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", url="https://example.com/x", now=NOW)


def test_empty_body_is_not_permanent():
    with pytest.raises(FeedError) as caught:
        parse_feed(b"", url="https://example.com/x", now=NOW)
    assert caught.value.permanent is False


# --- pure helpers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Sat, 01 Jun 2024 12:00:00 GMT", "2024-06-01T12:00:00+00:00"),
    ("Sat, 01 Jun 2024 12:00:00 -0700", "2024-06-01T19:00:00+00:00"),
    ("Sat,01 Jun 2024 12:00:00 +0000", "2024-06-01T12:00:00+00:00"),
    ("01 June 2024 12:00 +0100", "2024-06-01T11:00:00+00:00"),
    ("Sat, 01 Jun 2024 12:00:00 BST", "2024-06-01T11:00:00+00:00"),
    ("Sat, 01 Jun 2024", "2024-06-01T00:00:00+00:00"),
    ("2024-06-01T12:00:00Z", "2024-06-01T12:00:00+00:00"),
    ("2024-06-01t12:00:00z", "2024-06-01T12:00:00+00:00"),
    ("2024-06-01T12:00:00+0530", "2024-06-01T06:30:00+00:00"),
    ("2024-06-01 12:00:00 UTC", "2024-06-01T12:00:00+00:00"),
    ("20240601T120000Z", "2024-06-01T12:00:00+00:00"),
    ("2024-06-01", "2024-06-01T00:00:00+00:00"),
    ("2024/06/01 12:00", "2024-06-01T12:00:00+00:00"),
    ("June 1, 2024", "2024-06-01T00:00:00+00:00"),
    ("", None),
    ("yesterday", None),
    ("2024-13-45T99:99:99Z", None),
    ("Sun, 31 Dec 9999 23:59:59 -1200", None),
    ("9" * 500, None),
])
def test_parse_date(text, expected):
    parsed = parse_date(text)
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize(("markup", "expected"), [
    ("plain", "plain"),
    ("AT&T <3", "AT&T <3"),
    ("<p>One</p><p>Two<br>Three</p>", "One\nTwo\nThree"),
    ("<script>steal()</script><style>b{}</style><noscript>n</noscript>kept", "kept"),
    ("caf&eacute; &amp; &#8220;q&#8221; &lt;tag&gt;", "café & “q” <tag>"),
    ("  lots \n\n of   <b>space</b>  ", "lots\nof space"),
    ('<img src=x onerror="alert(1)">after', "after"),
    ("<!-- hidden -->shown", "shown"),
])
def test_html_to_text(markup, expected):
    assert html_to_text(markup) == expected


def test_html_to_text_caps_at_a_word_boundary():
    assert html_to_text("alpha beta gamma delta", limit=12) == "alpha beta…"


@pytest.mark.parametrize(("raw", "name"), [
    ("pat@example.com (Pat Doe)", "Pat Doe"),
    ('"Pat Doe" <pat@example.com>', "Pat Doe"),
    ("Pat Doe", "Pat Doe"),
    ("pat@example.com", "pat@example.com"),
    ("", None),
])
def test_author_name(raw, name):
    assert author_name(raw) == name


def test_to_utf8_prefers_the_bom_then_the_declaration_then_http():
    latin = '<?xml version="1.0" encoding="iso-8859-1"?><a>é</a>'.encode("latin-1")
    assert to_utf8(latin, "text/xml; charset=utf-8")[0].endswith("<a>é</a>".encode())
    undeclared = "<a>é</a>".encode("latin-1")
    assert to_utf8(undeclared, "text/xml; charset=iso-8859-1") == ("<a>é</a>".encode(), [])


def test_to_utf8_mixed_utf8_and_cp1252_keeps_both():
    mixed = b'<?xml version="1.0" encoding="utf-8"?><a>caf\xc3\xa9 and caf\xe9</a>'
    data, warnings = to_utf8(mixed)
    assert data.decode("utf-8").endswith("<a>café and café</a>")
    assert warnings


def test_to_utf8_unknown_declared_encoding_falls_back_to_utf8():
    data, warnings = to_utf8(b'<?xml version="1.0" encoding="x-made-up"?><a>\xc3\xa9</a>')
    assert data.decode("utf-8").endswith("<a>é</a>")
    assert "unknown encoding" in warnings[0]


# --- one bad entry never fails a feed ---

@pytest.mark.parametrize("text", [
    "Fri, 06 Nov 2026 10:00:00 +2400", "Fri, 06 Nov 2026 10:00:00 -9959", "2026-11-06T10:00:00+25:00",
    "2026-11-06T10:00:00-24:00", "Sat, 01 Jan 0000 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 -1200",
])
def test_the_date_parser_never_raises(text):
    assert parse_date(text) is None or parse_date(text).tzinfo is not None


def test_an_entry_with_an_impossible_zone_keeps_its_feed_and_its_text():
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><guid>a</guid><title>first</title><pubDate>Fri, 06 Nov 2026 10:00:00 +2400</pubDate></item>
      <item><guid>b</guid><title>second</title><pubDate>Fri, 30 May 2025 10:00:00 +0000</pubDate></item>
    </channel></rss>"""
    feed = parse_feed(body, url="https://example.com/feed", now=NOW)
    assert [(m.external_id, m.title, m.published_at) for m in feed.mentions] == [
        ("a", "first", None), ("b", "second", datetime(2025, 5, 30, 10, tzinfo=timezone.utc))]


@pytest.mark.parametrize("body", [
    b"""<rss version="2.0"><channel><item><guid>a</guid><title>one</title></item>
        <item><guid>boom</guid><title>two</title></item><item><guid>c</guid><title>three</title></item>
        </channel></rss>""",
    b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a</id><title>one</title></entry>
        <entry><id>boom</id><title>two</title></entry><entry><id>c</id><title>three</title></entry></feed>""",
    json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
        {"id": "a", "content_text": "one"}, {"id": "boom", "content_text": "two"},
        {"id": "c", "content_text": "three"}]}).encode(),
])
def test_an_entry_that_cannot_be_read_is_dropped_with_a_warning_and_the_rest_kept(body, monkeypatch):
    from monitors.ingest.feedparse import mention

    real_build = mention.MentionBuilder.build

    def build(self, **fields):  # stands for any bug one odd entry may trip
        if "boom" in (fields.get("guid") or ""):
            raise KeyError("unexpected shape")
        return real_build(self, **fields)

    monkeypatch.setattr(mention.MentionBuilder, "build", build)
    feed = parse_feed(body, url="https://example.com/feed", now=NOW)
    assert [m.external_id for m in feed.mentions] == ["a", "c"]
    assert any("1 entries could not be read and were dropped (first: entry 2: KeyError" in w for w in feed.warnings)


# --- text from where the feed keeps it ---

def test_a_youtube_entry_takes_its_text_from_media_group():
    # the shape of every YouTube channel feed (Atom + Media RSS): no content, no summary
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
        xmlns:yt="http://www.youtube.com/xml/schemas/2015"><title>Channel</title>
      <entry><id>yt:video:abc</id><yt:videoId>abc</yt:videoId><title>Acme router review</title>
        <link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
        <published>2025-05-30T10:00:00+00:00</published>
        <media:group><media:title>Acme router review</media:title>
          <media:description>The Acme router dropped my connection
every hour for a week.</media:description></media:group></entry></feed>"""
    (entry,) = parse_feed(body, url="https://www.youtube.com/feeds/videos.xml?channel_id=x", now=NOW).mentions
    assert entry.text == "The Acme router dropped my connection every hour for a week."
    assert entry.title == "Acme router review"


def test_a_podcast_item_takes_its_text_from_itunes_summary():
    body = b"""<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>p</title>
      <item><guid>ep1</guid><title>Episode 1</title>
        <itunes:summary>Why Acme support never called back.</itunes:summary></item></channel></rss>"""
    (item,) = parse_feed(body, url="https://pod.example/feed", now=NOW).mentions
    assert item.text == "Why Acme support never called back."


def test_an_rss_item_updated_twice_keeps_the_last_but_its_pubdate_comes_first():
    body = b"""<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
      <item><guid>a</guid><atom:updated>2025-05-01T00:00:00Z</atom:updated>
        <atom:updated>2025-05-02T00:00:00Z</atom:updated></item>
      <item><guid>b</guid><pubDate>Wed, 30 Apr 2025 00:00:00 GMT</pubDate>
        <atom:updated>2025-05-02T00:00:00Z</atom:updated><atom:updated>2025-05-03T00:00:00Z</atom:updated></item>
    </channel></rss>"""
    feed = parse_feed(body, url="https://example.com/feed", now=NOW)
    assert [m.published_at.day for m in feed.mentions] == [2, 30]


def test_encoding_detection_reads_a_bounded_sample_of_a_large_document():
    # 5 MB of KOI8-R without a declaration: the guess looks at the first DETECT_SAMPLE bytes only
    from monitors.ingest.feedparse.encoding import DETECT_SAMPLE
    item = "<item><title>Acme {0}</title><description>Приложение Acme не запускается {0}</description></item>"
    body = ('<rss version="2.0"><channel><title>t</title>' + "".join(item.format(i) for i in range(40_000))
            + "</channel></rss>").encode("koi8_r")
    assert len(body) > 50 * DETECT_SAMPLE
    started = time.monotonic()
    data, warnings = to_utf8(body)
    assert time.monotonic() - started < 2.0
    assert data.decode("utf-8").endswith("не запускается 39999</description></item></channel></rss>")
    assert warnings == ["the feed names no encoding; it reads as koi8-r"]


def test_undeclared_utf8_with_a_few_windows_1252_bytes_stays_utf8():
    data, _ = to_utf8("<a>Ça coûte 5 € — déjà vu, naïve</a>".encode() + b"<b>\x93x\x94</b>")
    assert data.decode("utf-8") == "<a>Ça coûte 5 € — déjà vu, naïve</a><b>\u201cx\u201d</b>"
