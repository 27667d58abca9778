"""A mention ready to store, as plain values: what the scoring processes hand back to the process that stores.

Kept apart from storage.mentions so a scoring process imports neither SQLAlchemy nor the tables to receive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter


@dataclass
class NewMention:
    """Column values for one mention plus what the pipeline decided about it."""

    external_id: str
    text: str
    content_hash: str
    story_key: str
    published_at: datetime
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    author_reach: int = 0
    language: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    sentiment: float = 0.0
    sentiment_label: str = "neutral"
    complaint_score: float = 0.0
    is_complaint: bool = False
    complaint_cues: tuple[str, ...] = ()  # a tuple: equal ones are written to JSON once per batch
    brand_ids: list[int] = field(default_factory=list)
    # set when a case should be opened (a complaint about one of our own brands, recent enough)
    case_brand_id: int | None = None
    sla_due_at: datetime | None = None
    priority: float = 0.0

    def __reduce__(self):
        # rows come back from the scoring processes by the hundred: a tuple of values pickles in half the time
        # of the default (a dict of field names and values per row)
        return (NewMention, _new_mention_values(self))


_new_mention_values = attrgetter(*(f.name for f in fields(NewMention)))  # in __init__'s order
