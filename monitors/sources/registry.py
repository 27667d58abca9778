"""The registry of source kinds. Adding a source: one file in monitors/sources/, one line in SOURCE_KINDS."""

from __future__ import annotations

from monitors.sources.appstore import AppStoreSource
from monitors.sources.bluesky import BlueskySource
from monitors.sources.base import SourceKind
from monitors.sources.feed import FeedSource
from monitors.sources.github import GitHubSource
from monitors.sources.googlenews import GoogleAlertsSource, GoogleNewsSource
from monitors.sources.hackernews import HackerNewsSource
from monitors.sources.mastodon import MastodonSource
from monitors.sources.push import PushSource
from monitors.sources.reddit import RedditSource
from monitors.sources.stackexchange import StackExchangeSource

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

