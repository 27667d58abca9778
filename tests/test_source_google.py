"""Google News search and Google Alerts feeds over real HTTP: redirect links unwrapped, publishers named,
<b> highlighting gone, conditional GETs, failures."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from monitors.configure import source_config
from monitors.ingest.fetch import ContentError, HTTPStatusError
from monitors.ingest.sources.base import SourceState
from monitors.ingest.sources.registry import SOURCE_KINDS

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "google"
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
NEWS = SOURCE_KINDS["googlenews"]
ALERTS = SOURCE_KINDS["googlealerts"]


def news_state(server, **params) -> SourceState:
    return SourceState(id=1, name="news", kind="googlenews", url=server.url(""), params={"query": "acme", **params})


def alerts_state(server, *, etag: str | None = None) -> SourceState:
    return SourceState(id=2, name="alerts", kind="googlealerts", url=server.url("/alerts/feeds/1/2"), params={},
                       etag=etag)


def test_news_search_names_publishers_and_unwraps_what_it_can(feed_server, fetcher):
    feed_server.route("/rss/search", (FIXTURES / "news_search.xml").read_bytes(), content_type="application/xml")
    result = NEWS.poll(fetcher, news_state(feed_server), now=NOW)
    outage, prices = result.mentions
    assert outage.title == "Acme outage leaves thousands unable to log in"  # " - The Daily Ledger" dropped
    assert outage.text == outage.title  # the description only repeats headline and publisher
    assert outage.author == "The Daily Ledger" and outage.extra["publisher_url"] == "https://dailyledger.example"
    assert outage.url.startswith("https://news.google.com/rss/articles/")  # opaque: kept as it is
    assert outage.external_id.startswith("googlenews:")  # de-duplicated by publisher and title instead
    assert outage.published_at == datetime(2026, 11, 6, 9, 12, tzinfo=timezone.utc)
    assert prices.url == "https://techweekly.example/acme-prices" and prices.author == "Tech Weekly"
    assert prices.external_id == "https://techweekly.example/acme-prices"  # unwrapped: the article is the key
    query = {k: v[0] for k, v in parse_qs(feed_server.last("/rss/search").query).items()}
    assert query == {"q": "acme", "hl": "en-US", "gl": "US", "ceid": "US:en"}


def test_old_format_links_are_unwrapped_and_the_title_names_the_publisher(feed_server, fetcher):
    feed_server.route("/rss/search", (FIXTURES / "news_old_format.xml").read_bytes(), content_type="text/xml")
    recall, ceo = NEWS.poll(fetcher, news_state(feed_server), now=NOW).mentions
    assert recall.url == "https://dailyledger.example/2017/11/acme-recall"
    assert recall.external_id == recall.url  # not Google's cluster tag
    assert recall.author == "The Daily Ledger" and recall.title == "Acme recalls faulty chargers"
    assert ceo.url == "https://techweekly.example/acme-ceo?page=1"
    assert ceo.author == "Tech-Weekly Online"  # the last " - " only
    assert ceo.title == "Acme - the company behind the widget - hires a new CEO"


def _opaque_item(article_id: str, title: str, publisher: str) -> bytes:
    return (f"<item><title>{title} - {publisher}</title>"
            f"<link>https://news.google.com/rss/articles/{article_id}?oc=5</link>"
            f'<guid isPermaLink="false">{article_id}</guid><pubDate>Fri, 06 Nov 2026 09:12:00 GMT</pubDate>'
            f'<source url="https://p.example">{publisher}</source></item>').encode()


def test_opaque_links_are_deduplicated_by_publisher_and_title(feed_server, fetcher):
    def feed(*items: bytes) -> bytes:
        return b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>' + b"".join(items) + \
            b"</channel></rss>"

    feed_server.route("/rss/search", feed(_opaque_item("CBMiAAA", "Acme is down", "Ledger"),
                                          _opaque_item("CBMiBBB", "Acme is down", "Other Paper"),
                                          _opaque_item("CBMiCCC", "Acme is up again", "Ledger")))
    first = NEWS.poll(fetcher, news_state(feed_server), now=NOW).mentions
    assert len({m.external_id for m in first}) == 3  # another publisher or another title: another story
    # Google hands out a new opaque id for the same article: the same key
    feed_server.route("/rss/search", feed(_opaque_item("CBMiZZZ", "Acme  is DOWN", "Ledger")))
    again = NEWS.poll(fetcher, news_state(feed_server), now=NOW).mentions
    assert again[0].external_id == first[0].external_id
    assert again[0].url == "https://news.google.com/rss/articles/CBMiZZZ?oc=5"


def test_news_language_and_country(feed_server, fetcher):
    feed_server.route("/rss/search", (FIXTURES / "news_search.xml").read_bytes())
    NEWS.poll(fetcher, news_state(feed_server, language="de", country="AT"), now=NOW)
    query = {k: v[0] for k, v in parse_qs(feed_server.last("/rss/search").query).items()}
    assert (query["hl"], query["gl"], query["ceid"]) == ("de", "AT", "AT:de")


def test_alerts_unwrap_links_and_drop_highlighting(feed_server, fetcher):
    feed_server.route("/alerts/feeds/1/2", (FIXTURES / "alerts.xml").read_bytes(),
                      content_type="application/atom+xml", etag='"a1"')
    result = ALERTS.poll(fetcher, alerts_state(feed_server), now=NOW)
    invoices, offline = result.mentions
    assert invoices.url == "https://news.example.com/2026/11/acme-invoices?ref=feed"
    assert invoices.title == "Acme customers report missing invoices after update"
    assert "<b>" not in invoices.text and invoices.text.startswith("Customers of Acme say")
    assert invoices.author == "news.example.com"  # Alerts name no publisher: the site stands in
    assert offline.url == "https://www.blog.example/acme-offline" and offline.author == "blog.example"
    assert invoices.external_id == "tag:google.com,2013:googlealerts/feed:10000000000000000001"
    assert result.etag == '"a1"'

    again = ALERTS.poll(fetcher, alerts_state(feed_server, etag='"a1"'), now=NOW)
    assert again.not_modified and again.mentions == []


def test_an_empty_feed(feed_server, fetcher):
    feed_server.route("/rss/search", b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                                     b"</channel></rss>")
    assert NEWS.poll(fetcher, news_state(feed_server), now=NOW).mentions == []


def test_a_refusal_and_a_rate_limit(feed_server, fetcher):
    feed_server.route("/rss/search", b"", status=429, headers={"Retry-After": "300"})
    with pytest.raises(HTTPStatusError) as caught:
        NEWS.poll(fetcher, news_state(feed_server), now=NOW)
    assert caught.value.retry_after == 300 and str(caught.value).startswith("Google News:")
    feed_server.route("/alerts/feeds/1/2", b"", status=403)
    with pytest.raises(HTTPStatusError, match="Google Alerts: .*403"):
        ALERTS.poll(fetcher, alerts_state(feed_server), now=NOW)


@pytest.mark.parametrize("body", [b"<!doctype html><html><body>consent</body></html>", b"<other/>", b""])
def test_malformed_answers_are_content_errors(feed_server, fetcher, body):
    feed_server.route("/rss/search", body)
    with pytest.raises(ContentError, match="Google News"):
        NEWS.poll(fetcher, news_state(feed_server), now=NOW)


def test_validate():
    with pytest.raises(ValueError, match="params.query: missing"):
        source_config(name="n", kind="googlenews")
    with pytest.raises(ValueError, match="url"):
        source_config(name="a", kind="googlealerts")
    source_config(name="n", kind="googlenews", params={"query": "acme"})
    source_config(name="a", kind="googlealerts", url="https://www.google.com/alerts/feeds/1/2")
