"""App Store reviews over real HTTP: mapping of Apple's Atom review feed (the variant with review dates), the
feed's quirks, paging to known reviews, an empty first answer, failures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from monitors.configure import source_config
from monitors.ingest.fetch import ContentError, HTTPStatusError
from monitors.ingest.sources.base import SourceState
from monitors.ingest.sources.registry import SOURCE_KINDS

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "appstore"
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
APP = "1234567890"
KIND = SOURCE_KINDS["appstore"]


def page_path(page: int, country: str = "us") -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={APP}/sortby=mostrecent/xml"


def state(server, *, cursor: str | None = None, **params) -> SourceState:
    return SourceState(id=1, name="app", kind="appstore", url=server.url(""), params={"app_id": APP, **params},
                       cursor=cursor)


def entry(review_id: int, updated: datetime, rating: int | str = 4) -> str:
    """One review as Apple's Atom feed writes it: the words twice, as text and as an HTML table."""
    words = f"review {review_id} of Acme"
    return (f"<entry><updated>{updated.isoformat()}</updated><id>{review_id}</id><title>t</title>"
            f'<content type="text">{words}</content><im:voteSum>0</im:voteSum><im:voteCount>0</im:voteCount>'
            f"<im:rating>{rating}</im:rating><im:version>1.0</im:version>"
            f"<author><name>user{review_id}</name><uri>https://itunes.apple.com/us/reviews/id{review_id}</uri></author>"
            f'<content type="html">{escape(f"<table><tr><td>{words}</td></tr></table>")}</content></entry>')


def feed(entries: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns:im="http://itunes.apple.com/rss" '
            'xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>iTunes Store: Customer Reviews</title>'
            + "".join(entries) + "</feed>").encode()


def test_a_page_of_reviews_maps_rating_author_dates_and_ids(feed_server, fetcher):
    feed_server.route(page_path(1), (FIXTURES / "reviews_page1.xml").read_bytes(),
                      content_type="text/xml; charset=UTF-8")
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    # the app's own entry is skipped; the October review is older than the first poll's week
    assert [m.external_id for m in result.mentions] == ["appstore:11223344556", "appstore:11223344555"]
    complaint, praise = result.mentions
    assert complaint.rating == 1 and praise.rating == 5
    assert complaint.author == "frustrated_fran" and complaint.title == "Lost all my notes"
    assert complaint.text.startswith("Since the last Acme update") and "<" not in complaint.text
    assert praise.text.endswith("fast & simple.")
    assert complaint.published_at == datetime(2026, 11, 6, 9, 15, tzinfo=timezone.utc)
    assert complaint.thread_id == "appstore:11223344556" and complaint.author_reach == 0
    assert complaint.url == f"https://apps.apple.com/us/app/id{APP}?see-all=reviews"
    assert complaint.extra["version"] == "5.2.1" and complaint.extra["votes"] == 4
    assert result.cursor == "2026-11-06T09:15:00Z" and result.warnings == []
    assert feed_server.hits(page_path(2)) == 0  # fewer than 50 reviews: that was the last page


def test_country_and_an_id_prefix_are_honoured(feed_server, fetcher):
    feed_server.route(page_path(1, "gb"), feed([entry(5, NOW - timedelta(hours=1))]))
    result = KIND.poll(fetcher, state(feed_server, app_id=f"id{APP}", country="GB"), now=NOW)
    assert [m.external_id for m in result.mentions] == ["appstore:5"]
    assert result.mentions[0].extra["country"] == "gb"


def test_a_single_review(feed_server, fetcher):
    feed_server.route(page_path(1), feed([entry(9, NOW - timedelta(hours=2))]))
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert [m.external_id for m in result.mentions] == ["appstore:9"] and result.warnings == []


def test_an_empty_first_answer_is_reported_not_taken_as_no_reviews(feed_server, fetcher):
    feed_server.route(page_path(1), (FIXTURES / "empty.xml").read_bytes())
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert result.mentions == [] and result.cursor is None
    [warning] = result.warnings
    assert warning.startswith("App Store: Apple's review feed for app 1234567890 in 'us' came back empty")
    assert "data-centre addresses" in warning

    # after reviews were seen, an empty feed is even less likely to be true: the cursor stays where it was
    later = KIND.poll(fetcher, state(feed_server, cursor="2026-11-05T10:00:00Z"), now=NOW)
    assert later.cursor == "2026-11-05T10:00:00Z" and "although earlier polls found reviews" in later.warnings[0]


def test_only_the_app_entry_counts_as_empty(feed_server, fetcher):
    app_only = (FIXTURES / "reviews_page1.xml").read_bytes().split(b"<entry>\n    <updated>2026-11-06T02")[0]
    feed_server.route(page_path(1), app_only + b"</feed>")
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert result.mentions == [] and "came back empty" in result.warnings[0]


def test_review_dates_come_from_the_feed_not_the_poll(feed_server, fetcher):
    # the JSON variant has no review dates; the Atom one does, so a 3-week-old review is not "new" on a first poll
    feed_server.route(page_path(1), feed([entry(2, NOW - timedelta(days=1)), entry(1, NOW - timedelta(days=21))]))
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert [(m.external_id, m.published_at) for m in result.mentions] == [("appstore:2", NOW - timedelta(days=1))]


def test_pages_until_known_reviews_and_the_next_poll_stops_early(feed_server, fetcher):
    newest = NOW - timedelta(minutes=10)
    pages = {p: [entry(1000 - k, newest - k * timedelta(minutes=90)) for k in range((p - 1) * 50, p * 50)]
             for p in (1, 2, 3)}
    for p, entries in pages.items():
        feed_server.route(page_path(p), feed(entries))
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    # the first poll looks back a week: reviews every 90 minutes, so page 3 reaches past it and page 4 is not asked
    assert len(result.mentions) == 112 and feed_server.hits(page_path(4)) == 0
    assert all(m.published_at >= NOW - timedelta(days=7) for m in result.mentions)
    assert result.cursor == "2026-11-06T11:50:00Z"

    # later: two new reviews on top; the poll reads page 1 only and keeps the last day's reviews
    fresh = [entry(2001, NOW + timedelta(minutes=50)), entry(2000, NOW + timedelta(minutes=40))]
    feed_server.route(page_path(1), feed(fresh + pages[1][:48]))
    again = KIND.poll(fetcher, state(feed_server, cursor=result.cursor), now=NOW + timedelta(hours=1))
    assert feed_server.hits(page_path(2)) == 1  # only the first poll's visit
    ids = [m.external_id for m in again.mentions]
    assert ids[:2] == ["appstore:2001", "appstore:2000"]
    assert len(ids) == 2 + 17  # and the reviews within a day of the cursor, for ones Apple shows late
    assert again.cursor == "2026-11-06T12:50:00Z"


def test_a_block_is_a_clear_permanent_error(feed_server, fetcher):
    feed_server.route(page_path(1), b"Forbidden", status=403)
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert caught.value.permanent and "App Store refused the request (403)" in str(caught.value)


def test_rate_limit_answer_carries_retry_after(feed_server, fetcher):
    feed_server.route(page_path(1), b"slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(HTTPStatusError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert caught.value.retry_after == 120 and str(caught.value).startswith("App Store:")


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", (FIXTURES / "changed_shape.json").read_bytes(),
                                  b'<rss version="2.0"><channel/></rss>', b"", b"  \n"])
def test_malformed_answers_are_content_errors(feed_server, fetcher, body):
    feed_server.route(page_path(1), body)
    with pytest.raises(ContentError) as caught:
        KIND.poll(fetcher, state(feed_server), now=NOW)
    assert "App Store" in str(caught.value)


def test_odd_entries_are_skipped_not_fatal(feed_server, fetcher):
    broken = ["<entry><im:rating>x</im:rating><id>1</id></entry>", "<entry><id>2</id></entry>", "<entry/>",
              entry(3, NOW - timedelta(hours=1), rating=9)]
    feed_server.route(page_path(1), feed(broken))
    result = KIND.poll(fetcher, state(feed_server), now=NOW)
    assert [(m.external_id, m.rating) for m in result.mentions] == [("appstore:3", None)]


@pytest.mark.parametrize("params, message", [
    ({}, "params.app_id: missing"),
    ({"app_id": "acme"}, "params.app_id: 'acme' is not a numeric"),
    ({"app_id": "1", "country": "usa"}, "params.country"),
])
def test_validate_says_what_is_wrong(params, message):
    with pytest.raises(ValueError, match=message):
        source_config(name="a", kind="appstore", params=params)


def test_validate_accepts_an_empty_url_and_defaults():
    source_config(name="a", kind="appstore", params={"app_id": APP})
