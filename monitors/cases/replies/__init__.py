"""Reading a complaint's public thread to see whether the brand answered: one module per platform.

Each platform module has a pure `parse(...) -> Thread` over the API's answer and a small `fetch(fetcher, ref)`
that asks for it; `base.brand_reply` decides whether one of the brand's own accounts replied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from monitors.cases.replies import bluesky, github, hackernews, mastodon, reddit, stackexchange
from monitors.cases.replies.base import Thread, ThreadRef, normalise_handle

# source kind -> fetch(fetcher, ref) -> Thread
FETCHERS = {
    "reddit": reddit.fetch,
    "mastodon": mastodon.fetch,
    "hackernews": hackernews.fetch,
    "bluesky": bluesky.fetch,
    "github": github.fetch,
    "stackexchange": stackexchange.fetch,
}

# source kind -> the least time between two reads of one thread, given the source's params, where the platform's
# daily quota is small
MIN_INTERVALS: dict[str, Callable[[dict[str, Any]], timedelta]] = {"stackexchange": stackexchange.min_interval}

__all__ = ["FETCHERS", "MIN_INTERVALS", "Thread", "ThreadRef"]


def check_handles(handles: dict[str, list[str]]) -> None:
    """A brand's `handles` name platforms whose replies are read, and accounts each platform can recognise
    (ValueError with a message for the user)."""
    unknown = sorted(set(handles) - set(FETCHERS))
    if unknown:
        raise ValueError(f"{', '.join(map(repr, unknown))}: replies are read on {', '.join(sorted(FETCHERS))} "
                         "only; name the platform as its source kind")
    for handle in handles.get("mastodon", []):
        if "@" not in handle.strip().removeprefix("@"):
            raise ValueError(f"mastodon: {handle!r} has no server; write it as @name@server (e.g. "
                             f"@{handle.strip().removeprefix('@')}@mastodon.social), or it matches nobody")
    for handle in handles.get("stackexchange", []):
        if not normalise_handle("stackexchange", handle):
            raise ValueError(f"stackexchange: {handle!r} is not a user id; use the number in the account's "
                             "profile URL (https://stackoverflow.com/users/12345/…), one per site")
