"""Any RSS 0.9x / 1.0 / 2.0, Atom or JSON Feed URL (or a local feed file, for offline setups)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from monitors.ingest import feedparse  # a module reference: feedparse imports this package's base module
from monitors.ingest.fetch import ContentError, Fetcher
from monitors.ingest.sources.base import FeedDocument, PollResult, SourceKind, SourceState, require_http_url

if TYPE_CHECKING:
    from monitors.config import SourceConfig

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.5"
)


class FeedSource(SourceKind):
    kind = "feed"
    description = "an RSS, Atom or JSON Feed URL (http, https, or a local file: URL)"

    def validate(self, config: "SourceConfig") -> None:
        require_http_url(config.url, allow_file=True)  # file: lets the example config run offline

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        return parsed(self.fetch(fetcher, state, now=now), now=now)

    def fetch(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        response = fetcher.get(
            state.url, etag=state.etag, last_modified=state.last_modified, headers={"Accept": FEED_ACCEPT}
        )
        if response.not_modified:
            return PollResult(
                not_modified=True,
                etag=response.etag or state.etag,
                last_modified=response.last_modified or state.last_modified,
            )
        return PollResult(
            document=FeedDocument(response.body, response.url, response.content_type, response.status),
            etag=response.etag,
            last_modified=response.last_modified,
        )


def parsed(result: PollResult, *, now: datetime) -> PollResult:
    """`result` with its document (if it has one) parsed into mentions; ContentError when it is no feed."""
    document = result.document
    if document is None:
        return result
    try:
        feed = feedparse.parse_feed(document.body, url=document.url, content_type=document.content_type, now=now)
    except feedparse.FeedError as exc:
        raise ContentError(exc.message, status=document.status, permanent=exc.permanent) from exc
    return replace(result, mentions=feed.mentions, warnings=[*result.warnings, *feed.warnings], document=None)
