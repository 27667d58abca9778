"""The registry of source kinds. Adding a source: one file in monitors/ingest/sources/, one line in SOURCE_KINDS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitors.ingest.sources.appstore import AppStoreSource
from monitors.ingest.sources.bluesky import BlueskySource
from monitors.ingest.sources.base import SourceKind
from monitors.ingest.sources.feed import FeedSource
from monitors.ingest.sources.github import GitHubSource
from monitors.ingest.sources.googlenews import GoogleAlertsSource, GoogleNewsSource
from monitors.ingest.sources.hackernews import HackerNewsSource
from monitors.ingest.sources.mastodon import MastodonSource
from monitors.ingest.sources.push import PushSource
from monitors.ingest.sources.reddit import RedditSource
from monitors.ingest.sources.stackexchange import StackExchangeSource

if TYPE_CHECKING:
    from monitors.config import SourceConfig

SOURCE_KINDS: dict[str, SourceKind] = {
    source.kind: source
    for source in (
        FeedSource(),
        RedditSource(),
        HackerNewsSource(),
        MastodonSource(),
        BlueskySource(),
        AppStoreSource(),
        GitHubSource(),
        StackExchangeSource(),
        GoogleNewsSource(),
        GoogleAlertsSource(),
        PushSource(),
    )
}



def check_source(config: SourceConfig) -> None:
    """The config's kind exists and accepts its url and params (ValueError with a message for the user)."""
    kind = SOURCE_KINDS.get(config.kind)
    if kind is None:
        raise ValueError(f"kind {config.kind!r} is not one of: {', '.join(sorted(SOURCE_KINDS))}")
    kind.validate(config)
