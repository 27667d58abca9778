"""Bluesky: app.bsky.feed.getPostThread on the complaint's at:// URI returns the replies below it."""

from __future__ import annotations

from typing import Any

from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.fetch import Fetcher, HTTPStatusError
from monitors.cases.replies.base import Reply, Thread, ThreadRef
from monitors.cases.replies.fetching import get_thread_json
from monitors.ingest.sources._api import answer_of, maybe, need

DEFAULT_URL = "https://public.api.bsky.app"
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
DEPTH = 20


def fetch(fetcher: Fetcher, ref: ThreadRef) -> Thread:
    url = f"{(ref.base_url or DEFAULT_URL).rstrip('/')}/xrpc/app.bsky.feed.getPostThread"
    try:
        data, status = get_thread_json(fetcher, url, service="Bluesky",
                                       params={"uri": ref.external_id, "depth": DEPTH, "parentHeight": 0})
    except HTTPStatusError as exc:
        if exc.status == 400:  # the AppView says NotFound with a 400 for a deleted post
            return Thread(gone=True)
        raise
    if data is None:
        return Thread(gone=True)
    with answer_of("Bluesky", status):
        return parse(data)


def parse(data: Any) -> Thread:
    root = need(data, "thread", dict, "answer")
    if root.get("$type") == NOT_FOUND or root.get("notFound"):
        return Thread(gone=True)
    replies: list[Reply] = []
    _walk(maybe(root, "replies", list, "answer.thread") or [], "answer.thread.replies", replies)
    return Thread(replies=replies)


def _walk(nodes: list[Any], where: str, out: list[Reply]) -> None:
    for i, node in enumerate(nodes):
        here = f"{where}[{i}]"
        if not isinstance(node, dict):
            continue
        if node.get("$type") == NOT_FOUND or node.get("notFound"):
            out.append(Reply(author=None, published_at=None, url=None, deleted=True))
            continue
        if node.get("$type") not in (None, THREAD_VIEW):
            continue  # blocked posts and anything newer: nothing readable
        post = need(node, "post", dict, here)
        uri = need(post, "uri", str, f"{here}.post")
        handle = need(need(post, "author", dict, f"{here}.post"), "handle", str, f"{here}.post.author")
        record = maybe(post, "record", dict, f"{here}.post") or {}
        created = parse_date(maybe(record, "createdAt", str, f"{here}.post.record") or "") or parse_date(
            maybe(post, "indexedAt", str, f"{here}.post") or "")
        out.append(Reply(author=handle, published_at=created,
                         url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"))
        _walk(maybe(node, "replies", list, here) or [], f"{here}.replies", out)
