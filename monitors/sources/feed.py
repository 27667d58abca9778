"""Any RSS 0.9x / 1.0 / 2.0, Atom or JSON Feed URL (or a local feed file, for offline setups)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from monitors import feedparse  # a module reference: feedparse imports this package's base module
from monitors.fetch import ContentError, Fetcher
from monitors.sources.base import PollResult, SourceKind, SourceState, require_http_url

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
        response = fetcher.get(
            state.url, etag=state.etag, last_modified=state.last_modified, headers={"Accept": FEED_ACCEPT}
        )
        if response.not_modified:
            return PollResult(
                not_modified=True,
                etag=response.etag or state.etag,
                last_modified=response.last_modified or state.last_modified,
            )
        try:
            parsed = feedparse.parse_feed(
                response.body, url=response.url, content_type=response.content_type, now=now
            )
        except feedparse.FeedError as exc:
            raise ContentError(exc.message, status=response.status, permanent=exc.permanent) from exc
        return PollResult(
            mentions=parsed.mentions,
            etag=response.etag,
            last_modified=response.last_modified,
            warnings=parsed.warnings,
        )
