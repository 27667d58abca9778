"""What a feed parse returns, and how it fails."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitors.ingest.raw import RawMention


class FeedError(Exception):
    """The bytes are not a usable feed. `permanent`: fetching again will not help until someone acts."""

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message


@dataclass
class ParsedFeed:
    format: str  # "rss2.0", "rss0.91", "rss1.0", "atom1.0", "atom0.3", "jsonfeed1.1", ...
    title: str | None
    mentions: list[RawMention] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the feed was ill-formed but still yielded entries
