"""Google News search feeds and Google Alerts feeds: read with the generic feed parser, then made useful.

Two kinds, because the user gives different things: `googlenews` takes a search (params.query) and builds
the Google News RSS URL; `googlealerts` takes the Atom feed URL Google Alerts shows for an alert ("Deliver
to: RSS feed"). Both:
- unwrap Google's redirect links (`https://www.google.com/url?...&url=REAL`, and the old Google News
  `news.google.com/news/url?...&url=REAL`) to the article's own URL (monitors.ingest.canonical.unwrap_redirect);
  for Google News the article's URL is then also the de-duplication key;
- Google News links of the form `news.google.com/rss/articles/CBM...` (all of them since 2024) are opaque:
  they cannot be unwrapped without asking Google, and the same story comes back under new ones. They stay
  as links, and the story is de-duplicated by publisher and title instead;
- name the publisher as the author (Google News gives it in `<source url=...>`, old feeds only in the title's
  " - Publisher" suffix; Alerts give none, so the article's host stands in), and drop that suffix from titles;
- plain text everywhere: Alerts wrap the matched words in <b>, which the feed parser already strips.
Neither feed has a "since" parameter: polls are conditional GETs (ETag / Last-Modified) and the store
ignores repeats.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from monitors.ingest import feedparse  # a module reference: feedparse imports this package's base module
from monitors.ingest.canonical import unwrap_redirect
from monitors.ingest.feedparse.encoding import to_utf8
from monitors.ingest.feedparse.rss import ITEM_TAGS
from monitors.ingest.feedparse.xmldoc import name_of, parse_xml, text_of
from monitors.ingest.fetch import ContentError, Fetcher, FetchError
from monitors.ingest.sources._api import base_url, check_base_url, check_keys, optional_text, require_text, with_service
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState, require_http_url
from monitors.ingest.sources.feed import FEED_ACCEPT

if TYPE_CHECKING:
    from monitors.config import SourceConfig

NEWS_URL = "https://news.google.com"
_SUFFIX = re.compile(r"^(?P<title>.+\S) - (?P<publisher>[^-\s][^\n]{0,80})$")


class GoogleNewsSource(SourceKind):
    kind = "googlenews"
    description = "Google News search results for a query (RSS)"

    def validate(self, config: "SourceConfig") -> None:
        check_base_url(config.url)
        check_keys(config.params, {"query", "language", "country"})
        require_text(config.params, "query", "the Google News search, e.g. \"acme outage\" or acme when:1d")
        for key in ("language", "country"):
            optional_text(config.params, key)

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        language = str(state.params.get("language") or "en-US").strip()
        country = str(state.params.get("country") or language.partition("-")[2] or "US").strip().upper()
        params = {"q": str(state.params["query"]), "hl": language, "gl": country,
                  "ceid": f"{country}:{language.partition('-')[0]}"}
        url = f"{base_url(state.url, NEWS_URL)}/rss/search"
        return _poll_feed(fetcher, state, url, params, now=now, service="Google News", news=True)


class GoogleAlertsSource(SourceKind):
    kind = "googlealerts"
    description = "a Google Alerts feed (the RSS feed URL of an alert set to deliver to a feed)"

    def validate(self, config: "SourceConfig") -> None:
        require_http_url(config.url, allow_file=False)
        check_keys(config.params, set())

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        return _poll_feed(fetcher, state, state.url, None, now=now, service="Google Alerts")


def _poll_feed(fetcher: Fetcher, state: SourceState, url: str, params: dict | None, *, now: datetime,
               service: str, news: bool = False) -> PollResult:
    try:
        response = fetcher.get(url, params=params, etag=state.etag, last_modified=state.last_modified,
                               headers={"Accept": FEED_ACCEPT})
    except FetchError as exc:
        raise with_service(exc, service) from None
    if response.not_modified:
        return PollResult(not_modified=True, etag=response.etag or state.etag,
                          last_modified=response.last_modified or state.last_modified)
    try:
        parsed = feedparse.parse_feed(response.body, url=response.url, content_type=response.content_type, now=now)
    except feedparse.FeedError as exc:
        raise ContentError(f"{service}: {exc.message}", status=response.status, permanent=exc.permanent) from exc
    publishers = publishers_by_item(response.body, response.url, response.content_type)
    return PollResult(
        mentions=[tidy_mention(m, publishers.get(m.external_id), news=news) for m in parsed.mentions],
        etag=response.etag, last_modified=response.last_modified, warnings=parsed.warnings,
    )


def tidy_mention(mention: RawMention, publisher: tuple[str, str | None] | None, *, news: bool = False) -> RawMention:
    """Real article URL, publisher as author, titles without Google's " - Publisher" suffix; for Google News
    (`news`) also the key a story is de-duplicated by (see the module docstring)."""
    url = unwrap_redirect(mention.url) if mention.url else None
    name, site = publisher or (None, None)
    title, text = mention.title, mention.text
    if news and not name and title:  # old Google News feeds name the publisher only in the title
        suffix = _SUFFIX.match(title)
        name = suffix.group("publisher").strip() if suffix else None
    if name and title and title.endswith(f" - {name}"):
        title = title[: -len(name) - 3].rstrip()
    if name and text.endswith(name) and title and text.startswith(title):
        text = title  # Google News' description is only "<a>headline</a> publisher"
    author = name or mention.author or _host(url)
    extra = dict(mention.extra, **({"publisher_url": site} if site else {}))
    external_id = mention.external_id
    if news and url and url != mention.url:
        external_id = url
    elif news and url and opaque_link(url) and name and title:
        external_id = story_id(name, title)
    return replace(mention, url=url, title=title, text=text, author=author, extra=extra, external_id=external_id)


def opaque_link(url: str) -> bool:
    """A Google News article link that encodes its target in a form only Google can read (2024 on)."""
    parts = urlsplit(url)
    return (parts.hostname or "").startswith("news.google.") and parts.path.startswith(("/rss/articles/",
                                                                                        "/articles/"))


def story_id(publisher: str, title: str) -> str:
    """The key of a story behind an opaque link: the same publisher and headline are the same article."""
    words = "\n".join(" ".join(part.casefold().split()) for part in (publisher, title))
    return "googlenews:" + hashlib.sha256(words.encode()).hexdigest()[:32]


def publishers_by_item(body: bytes, url: str, content_type: str | None) -> dict[str, tuple[str, str | None]]:
    """guid (or link) -> (publisher name, publisher URL) from RSS `<source url="...">Name</source>` elements,
    which the generic parser does not keep. Atom feeds (Alerts) have none."""
    try:
        data, _ = to_utf8(body, content_type)
        root, _ = parse_xml(data, url)
    except (feedparse.FeedError, ValueError):
        return {}
    found: dict[str, tuple[str, str | None]] = {}
    for item in root.iter(*ITEM_TAGS):
        key = source = None
        link = None
        for child in item:
            name = name_of(child.tag)
            if name == "guid" and key is None:
                key = text_of(child).strip() or None
            elif name == "link" and link is None:
                link = text_of(child).strip() or None
            elif name == "source" and source is None:
                source = (text_of(child).strip(), child.get("url"))
        if source and source[0] and (key or link):
            found[key or link] = source
    return found


def _host(url: str | None) -> str | None:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.") or None
