"""Apple App Store customer reviews of one app in one country, from Apple's public review feed (Atom).

Apple serves the feed as JSON and as Atom; only the Atom variant carries each review's date (`<updated>`),
which the first poll's 7-day window, the cursor and the SLA clocks need, so that is the one read. It has no
"since" parameter: it lists the newest reviews first, 50 a page, at most 10 pages. A poll reads pages until
it reaches reviews it has seen. Apple shows some reviews hours after they were written, so "seen" means older
than the newest review of the last poll minus a day's grace; the store ignores repeats.

Apple answers some addresses (data centres, mostly) with a feed without entries even for apps with many
reviews: an empty first page is a warning in the source's health, never a quiet "no reviews".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lxml import etree

from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.feedparse.encoding import to_utf8
from monitors.ingest.feedparse.htmltext import html_to_text
from monitors.ingest.feedparse.model import FeedError
from monitors.ingest.feedparse.xmldoc import parse_xml, text_of
from monitors.ingest.fetch import ContentError, Fetcher, FetchError, FetchResponse, HTTPStatusError
from monitors.ingest.sources._api import (
    as_int, auth_error, base_url, changed_format, check_base_url, check_keys, iso_z, optional_text, require_text,
    with_service,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

SERVICE = "App Store"
DEFAULT_URL = "https://itunes.apple.com"
MAX_PAGES = 10  # Apple serves no more than 10 pages of 50
PAGE_SIZE = 50
FIRST_LOOKBACK = timedelta(days=7)  # reviews are few; a week shows what people say now
LATE_GRACE = timedelta(days=1)  # reviews can appear in the feed long after their date
ATOM = "{http://www.w3.org/2005/Atom}"
IM = "{http://itunes.apple.com/rss}"
ACCEPT = "application/atom+xml, application/xml;q=0.9, */*;q=0.1"


class AppStoreSource(SourceKind):
    kind = "appstore"
    description = "customer reviews of one app in one country's Apple App Store"

    def validate(self, config: "SourceConfig") -> None:
        check_base_url(config.url)
        check_keys(config.params, {"app_id", "country"})
        app_id = require_text(config.params, "app_id", "the app's numeric id, from its App Store link: …/id123456")
        if not app_id.removeprefix("id").isdigit():
            raise ValueError(f"params.app_id: {app_id!r} is not a numeric App Store id (e.g. 284882215)")
        country = optional_text(config.params, "country", "us") or ""
        if len(country) != 2 or not country.isalpha():
            raise ValueError(f"params.country: {country!r} is not a two-letter country code (e.g. us, gb, de)")

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        app_id = str(state.params["app_id"]).strip().removeprefix("id")
        country = str(state.params.get("country") or "us").strip().lower()
        base = base_url(state.url, DEFAULT_URL)
        newest_seen = parse_date(state.cursor) if state.cursor else None
        floor = newest_seen - LATE_GRACE if newest_seen else now - FIRST_LOOKBACK
        mentions: list[RawMention] = []
        warnings: list[str] = []
        for page in range(1, MAX_PAGES + 1):
            url = f"{base}/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/xml"
            response = _get(fetcher, url, page)
            if response is None:
                break  # past the last page Apple keeps
            reviews = [r for r in (review(e, app_id, country) for e in entries(response)) if r is not None]
            if page == 1 and not reviews:
                warnings.append(empty_warning(app_id, country, seen_before=newest_seen is not None))
            mentions += [r for r in reviews if r.published_at is None or r.published_at >= floor]
            if len(reviews) < PAGE_SIZE or any(r.published_at is not None and r.published_at < floor for r in reviews):
                break
        dates = [m.published_at for m in mentions if m.published_at is not None]
        newest = max(dates + ([newest_seen] if newest_seen else []), default=None)
        return PollResult(mentions=mentions, cursor=iso_z(newest) if newest else state.cursor, warnings=warnings)


def empty_warning(app_id: str, country: str, *, seen_before: bool) -> str:
    what = "although earlier polls found reviews" if seen_before else "so no review was read"
    return (f"App Store: Apple's review feed for app {app_id} in '{country}' came back empty, {what}; Apple sends "
            "empty feeds to some data-centre addresses, so this may not mean there are none (open "
            f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews to compare, or poll from another "
            "network)")


def _get(fetcher: Fetcher, url: str, page: int) -> FetchResponse | None:
    try:
        return fetcher.get(url, headers={"Accept": ACCEPT})
    except HTTPStatusError as exc:
        if exc.status in (401, 403):
            raise auth_error(SERVICE, exc.status, "Apple's review feed needs no login, so this is a block of "
                             "this machine or a proxy; try again later or from another network",
                             retry_after=exc.retry_after) from None
        if exc.status in (400, 404) and page > 1:
            return None
        raise with_service(exc, SERVICE) from None
    except FetchError as exc:
        raise with_service(exc, SERVICE) from None


def entries(response: FetchResponse) -> list[etree._Element]:
    """The feed's <entry> elements; anything but an Atom feed is an error naming what came instead."""
    if not response.body.strip():
        raise ContentError(f"{SERVICE}: Apple sent an empty answer instead of the review feed (it does so to some "
                           "data-centre addresses; try again later or from another network)", status=response.status)
    try:
        data, _ = to_utf8(response.body, response.content_type)
        root, _ = parse_xml(data, response.url)
    except FeedError as exc:
        start = response.body[:60].decode("utf-8", "replace").strip()
        raise ContentError(f"{SERVICE} answered with something that is not the review feed (it starts {start!r}): "
                           f"{exc.message}", status=response.status) from None
    if root.tag != f"{ATOM}feed":
        raise changed_format(SERVICE, f"the root element is <{etree.QName(root).localname}>, not an Atom <feed>",
                             response.status)
    return root.findall(f"{ATOM}entry")


def review(entry: etree._Element, app_id: str, country: str) -> RawMention | None:
    """One review, or None for the app's own description (older feeds list the app first, without a rating)."""
    rating = as_int(_text(entry, f"{IM}rating"))
    review_id = _text(entry, f"{ATOM}id")
    if not rating or not review_id:
        return None
    return RawMention(
        external_id=f"appstore:{review_id}",
        text=_body(entry),
        url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews",  # reviews have no page of their own
        title=_text(entry, f"{ATOM}title") or None,
        author=_text(entry.find(f"{ATOM}author"), f"{ATOM}name") or None,
        author_reach=0,  # a reviewer has no audience of their own; the rating is the signal
        published_at=parse_date(_text(entry, f"{ATOM}updated")),
        thread_id=f"appstore:{review_id}",
        rating=rating if 1 <= rating <= 5 else None,
        extra={"app_id": app_id, "country": country, "version": _text(entry, f"{IM}version") or None,
               "votes": as_int(_text(entry, f"{IM}voteCount")), "vote_sum": as_int(_text(entry, f"{IM}voteSum"))},
    )


def _body(entry: etree._Element) -> str:
    """The review's words: Apple sends them twice, as text and as an HTML table; the text one when present."""
    contents = entry.findall(f"{ATOM}content")
    for content in contents:
        if (content.get("type") or "text") == "text":
            return text_of(content).strip()
    return html_to_text(text_of(contents[0])) if contents else ""


def _text(holder: etree._Element | None, tag: str) -> str:
    return text_of(holder.find(tag)).strip() if holder is not None else ""
