"""Hacker News: Algolia's /items/:id returns a story with its whole comment tree (children, recursively)."""

from __future__ import annotations

from typing import Any

from monitors.ingest.fetch import Fetcher
from monitors.cases.replies.base import Reply, Thread, ThreadRef
from monitors.cases.replies.fetching import get_thread_json
from monitors.ingest.sources._api import answer_of, epoch_time, maybe, need

DEFAULT_URL = "https://hn.algolia.com/api/v1"
ITEM_URL = "https://news.ycombinator.com/item?id={}"


def fetch(fetcher: Fetcher, ref: ThreadRef) -> Thread:
    story = ref.thread_id or ref.external_id
    data, status = get_thread_json(fetcher, f"{(ref.base_url or DEFAULT_URL).rstrip('/')}/items/{story}",
                                   service="Hacker News")
    if data is None:
        return Thread(gone=True)
    with answer_of("Hacker News", status):
        return parse(data, ref.external_id)


def parse(data: Any, complaint_id: str) -> Thread:
    items: list[dict[str, Any]] = []
    _walk(data, "answer", items)
    by_id = {str(item.get("id")): item for item in items}
    complaint = by_id.get(str(complaint_id))
    gone = complaint is None or _deleted(complaint)
    replies = [_reply(item) for item in items if str(item.get("id")) != str(complaint_id) and item is not data]
    return Thread(replies=replies, gone=gone)


def _walk(item: Any, where: str, out: list[dict[str, Any]]) -> None:
    need(item, "id", int, where)
    out.append(item)
    for i, child in enumerate(maybe(item, "children", list, where) or []):
        _walk(child, f"{where}.children[{i}]", out)


def _deleted(item: dict[str, Any]) -> bool:
    # Algolia keeps deleted comments in the tree with neither author nor text
    return not item.get("author") or (item.get("type") == "comment" and not item.get("text"))


def _reply(item: dict[str, Any]) -> Reply:
    created = maybe(item, "created_at_i", int, "item")
    return Reply(author=maybe(item, "author", str, "item"),
                 published_at=epoch_time(created, "item.created_at_i") if created is not None else None,
                 url=ITEM_URL.format(item["id"]), deleted=_deleted(item))
