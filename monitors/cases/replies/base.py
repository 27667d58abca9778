"""What the platform reply readers share: the thread as plain values, and matching the brand's own handles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# a Stack Exchange account: "12345", "users/12345", or its profile URL https://stackoverflow.com/users/12345/name
_STACKEXCHANGE_USER = re.compile(r"^(?:https?://[^/]+)?/?(?:users/)?(?P<id>\d+)(?:/[^/]*)?/?$")


@dataclass(frozen=True)
class ThreadRef:
    """Where a complaint sits: enough to ask its platform for the thread."""

    external_id: str
    thread_id: str | None
    base_url: str  # the source's API base ('' for the platform default)
    params: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # the complaint's own link, for platforms whose API gives replies no link


@dataclass(frozen=True)
class Reply:
    author: str | None  # as the platform names accounts (Mastodon: user@server; Bluesky: handle)
    published_at: datetime | None
    url: str | None
    deleted: bool = False  # removed or deleted: it no longer answers anyone in public


@dataclass(frozen=True)
class Thread:
    replies: list[Reply] = field(default_factory=list)
    gone: bool = False  # the complaint itself was deleted or removed


def normalise_handle(platform: str, handle: str) -> str:
    """The one spelling an account has on `platform`, for exact, case-insensitive comparison."""
    handle = handle.strip()
    if platform == "reddit":
        for prefix in ("/u/", "u/"):
            if handle.lower().startswith(prefix):
                handle = handle[len(prefix):]
    elif platform in ("mastodon", "bluesky", "github"):
        handle = handle.removeprefix("@")
    elif platform == "stackexchange":  # accounts are user ids; a display name matches nobody
        match = _STACKEXCHANGE_USER.match(handle)
        return match["id"] if match else ""
    return handle.casefold()


def brand_reply(thread: Thread, *, platform: str, handles: list[str], after: datetime | None) -> Reply | None:
    """The first reply by one of the brand's accounts that still stands, posted at or after `after`.

    Matching is exact: `acme` does not match `acme_fan`, and on Mastodon `acme@mastodon.social` does not match
    `acme@other.server` (a handle without its server matches nobody)."""
    own = {normalise_handle(platform, h) for h in handles if h.strip()} - {""}
    if platform == "mastodon":
        own = {h for h in own if "@" in h}
    found = [r for r in thread.replies
             if not r.deleted and r.author and normalise_handle(platform, r.author) in own
             and (after is None or r.published_at is None or r.published_at >= after)]
    return min(found, key=lambda r: (r.published_at is None, r.published_at or after)) if found else None
