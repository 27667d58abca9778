"""Reading a complaint's public thread to see whether the brand answered: one module per platform.

Each platform module has a pure `parse(...) -> Thread` over the API's answer and a small `fetch(fetcher, ref)`
that asks for it; `base.brand_reply` decides whether one of the brand's own accounts replied.
"""

from __future__ import annotations

from datetime import timedelta

from monitors.replies import bluesky, github, hackernews, mastodon, reddit, stackexchange
from monitors.replies.base import Thread, ThreadRef

# source kind -> fetch(fetcher, ref) -> Thread
FETCHERS = {
    "reddit": reddit.fetch,
    "mastodon": mastodon.fetch,
    "hackernews": hackernews.fetch,
    "bluesky": bluesky.fetch,
    "github": github.fetch,
    "stackexchange": stackexchange.fetch,
}

# source kind -> the least time between two reads of one thread, where the platform's quota is small: Stack
# Exchange allows 300 requests a day per address without a key, and a read costs two
MIN_INTERVALS = {"stackexchange": timedelta(hours=1)}

__all__ = ["FETCHERS", "MIN_INTERVALS", "Thread", "ThreadRef"]
