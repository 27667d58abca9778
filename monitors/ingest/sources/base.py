"""What every source kind provides, and the plain values that flow between fetching, parsing and storing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from monitors.ingest.raw import RawMention

if TYPE_CHECKING:
    from monitors.config import SourceConfig
    from monitors.ingest.fetch import Fetcher


@dataclass(frozen=True)
class SourceState:
    """The stored state of one source that a poll needs (read from storage, handed in as plain values)."""

    id: int
    name: str
    kind: str
    url: str
    params: dict[str, Any]
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class FeedDocument:
    """A fetched feed, not parsed yet."""

    body: bytes
    url: str  # after redirects: relative links resolve against it
    content_type: str | None
    status: int


@dataclass
class PollResult:
    """What one poll of one source found, and the state to remember for the next poll."""

    mentions: list[RawMention] = field(default_factory=list)
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. an ill-formed feed that still yielded entries
    # From `SourceKind.fetch` of a feed: the body, left for whoever scores the items to parse (parsing is CPU
    # work, and the poller does it in the scoring processes). `monitors.ingest.sources.feed.parsed` finishes it.
    document: FeedDocument | None = None


class SourceKind(ABC):
    """One kind of source. Subclasses live one per file in monitors/ingest/sources/ and are listed in the registry."""

    kind: ClassVar[str]
    description: ClassVar[str]

    def validate(self, config: "SourceConfig") -> None:
        """Raise ValueError with a user-facing message when the config cannot work. Default: an http(s) URL."""
        require_http_url(config.url)

    @abstractmethod
    def poll(self, fetcher: "Fetcher", state: SourceState, *, now: datetime) -> PollResult:
        """Fetch what is new since `state` and return it. Raise monitors.ingest.fetch.FetchError subclasses on failure.
        `now` is the poll cycle's time (for "since" cursors and judging dates); never read the clock here."""

    def fetch(self, fetcher: "Fetcher", state: SourceState, *, now: datetime) -> PollResult:
        """Like `poll`, but a kind may leave its body unparsed in `PollResult.document`. Default: `poll`."""
        return self.poll(fetcher, state, now=now)


def require_http_url(url: str, *, allow_file: bool = True) -> None:
    parts = urlsplit(url)
    if allow_file and parts.scheme == "file":
        return
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"url: {url!r} is not an http(s) URL" if url else "url: missing (an http(s) URL)")
