"""The registry of source kinds. Adding a source: one file here, one line in SOURCE_KINDS."""

from __future__ import annotations

from monitors.sources.base import PollResult, RawMention, SourceKind, SourceState
from monitors.sources.feed import FeedSource
from monitors.sources.hackernews import HackerNewsSource
from monitors.sources.reddit import RedditSource

SOURCE_KINDS: dict[str, SourceKind] = {
    source.kind: source
    for source in (
        FeedSource(),
        RedditSource(),
        HackerNewsSource(),
    )
}

__all__ = ["SOURCE_KINDS", "PollResult", "RawMention", "SourceKind", "SourceState"]
