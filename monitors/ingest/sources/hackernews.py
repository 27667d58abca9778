"""Hacker News stories and comments through the Algolia HN Search API (`search_by_date`, newest first).

Reach is the item's points; Algolia gives comments none, so theirs is 0. Ids are HN item ids: a story is its
own thread; a comment's thread_id is its story_id and parent_id the item it answers. The cursor is the newest
created_at_i seen; each poll asks for created_at_i > cursor less a short overlap (Algolia lists items a
little after they are posted).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitors.ingest.feedparse.htmltext import html_to_text
from monitors.ingest.fetch import Fetcher
from monitors.ingest.sources._api import (
    LOOKBACK, OVERLAP, answer_of, base_url, check_base_url, check_keys, count, cursor_epoch, epoch_time, get_json,
    max_pages, maybe, need, optional_text, page_cap_warning, require_text,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

DEFAULT_URL = "https://hn.algolia.com/api/v1"
ITEM_URL = "https://news.ycombinator.com/item?id={}"
DEFAULT_TAGS = "(story,comment)"  # Algolia's tag syntax: parentheses mean OR
PAGE_SIZE = 100
KNOWN_PARAMS = {"query", "tags", "max_pages"}


class HackerNewsSource(SourceKind):
    kind = "hackernews"
    description = "Hacker News stories and comments matching params.query (Algolia HN Search API)"

    def validate(self, config: "SourceConfig") -> None:
        params = config.params
        check_keys(params, KNOWN_PARAMS)
        require_text(params, "query", 'the words to search Hacker News for, e.g. "acme"')
        optional_text(params, "tags")
        max_pages(params)
        check_base_url(config.url)

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        params = state.params
        url = base_url(state.url, DEFAULT_URL) + "/search_by_date"
        since = cursor_epoch(state.cursor)
        floor = since - int(OVERLAP.total_seconds()) if since is not None else int((now - LOOKBACK).timestamp())
        newest = since or 0
        result = PollResult()
        pages = max_pages(params)
        for page in range(pages):
            asked = {"query": params["query"], "tags": params.get("tags") or DEFAULT_TAGS,
                     "numericFilters": f"created_at_i>{floor}", "hitsPerPage": PAGE_SIZE, "page": page}
            data, response = get_json(fetcher, url, service="Hacker News search", params=asked)
            with answer_of("Hacker News search", response.status):
                hits = need(data, "hits", list, "answer")
                last_page = need(data, "nbPages", int, "answer") - 1
                found = [_mention(hit, f"answer.hits[{i}]") for i, hit in enumerate(hits)]
            result.mentions.extend(found)
            newest = max([newest, *(int(m.published_at.timestamp()) for m in found if m.published_at)])
            if not hits or page >= last_page:
                break
        else:
            result.warnings.append(page_cap_warning("Hacker News search", pages, "stories and comments"))
        result.cursor = str(newest) if newest else state.cursor
        return result


def _mention(hit: Any, where: str) -> RawMention:
    item_id = need(hit, "objectID", str, where)
    tags = maybe(hit, "_tags", list, where) or []
    published = epoch_time(need(hit, "created_at_i", int, where), f"{where}.created_at_i")
    author = maybe(hit, "author", str, where)
    points = count(hit, "points", where)
    if "comment" in tags or maybe(hit, "comment_text", str, where) is not None:
        story_id = need(hit, "story_id", int, where)
        parent_id = maybe(hit, "parent_id", int, where)
        return RawMention(
            external_id=item_id,
            text=html_to_text(maybe(hit, "comment_text", str, where)),
            url=ITEM_URL.format(item_id),
            author=author,
            author_reach=points,  # Algolia has no points for comments: 0
            published_at=published,
            thread_id=str(story_id),
            parent_id=str(parent_id) if parent_id is not None else None,
            # the story's title is kept aside, not as the title: a brand in the story is not a brand in the comment
            extra={"story_title": maybe(hit, "story_title", str, where),
                   "story_url": maybe(hit, "story_url", str, where)},
        )
    title = html_to_text(maybe(hit, "title", str, where)) or None
    return RawMention(
        external_id=item_id,
        text=html_to_text(maybe(hit, "story_text", str, where)) or title or "",
        url=ITEM_URL.format(item_id),
        title=title,
        author=author,
        author_reach=points,
        published_at=published,
        thread_id=item_id,
        extra={"link": maybe(hit, "url", str, where), "num_comments": count(hit, "num_comments", where)},
    )
