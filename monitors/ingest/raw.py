"""The one type every source and the feed parser produce: a mention as its source saw it.

It sits below both, so the parser needs nothing from the sources that use it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class RawMention:
    """One item as a source saw it, before matching and scoring."""

    external_id: str
    text: str
    url: str | None = None
    title: str | None = None
    author: str | None = None
    author_reach: int = 0
    published_at: datetime | None = None  # aware UTC, or None when the source gives no time
    language: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    rating: int | None = None  # app-store stars, an extra complaint signal
    extra: dict[str, Any] = field(default_factory=dict)
