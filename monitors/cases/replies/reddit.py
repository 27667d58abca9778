"""Reddit: /comments/{post}.json lists the post and its comment tree; the brand answers with a comment."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from monitors.ingest.fetch import Fetcher
from monitors.cases.replies.base import Reply, Thread, ThreadRef
from monitors.cases.replies.fetching import get_thread_json
from monitors.ingest.sources._api import TokenCache, answer_of, epoch_time, maybe, need
from monitors.ingest.sources.reddit import app_access

DEFAULT_URL = "https://www.reddit.com"
WEB = "https://www.reddit.com"
GONE_BODIES = ("[deleted]", "[removed]")


# app-only tokens of the sources with OAuth, kept between reads in this process
_TOKENS = TokenCache()


def fetch(fetcher: Fetcher, ref: ThreadRef) -> Thread:
    """Over the source's OAuth app when it has one (Reddit turns many clients without it away), else the public
    JSON."""
    post = (ref.thread_id or ref.external_id).removeprefix("t3_")
    base = (ref.base_url or DEFAULT_URL).rstrip("/")
    params = {"raw_json": 1, "limit": 500}
    access = app_access(fetcher, base, ref.params, _TOKENS, datetime.now(timezone.utc))
    if access is None:
        data, status = get_thread_json(fetcher, f"{base}/comments/{post}.json", service="Reddit", params=params)
    else:
        with access.dropped_when_refused():
            data, status = get_thread_json(fetcher, f"{access.api}/comments/{post}", service="Reddit",
                                           params=params, headers=access.headers)
    if data is None:
        return Thread(gone=True)
    with answer_of("Reddit", status):
        return parse(data, ref.external_id)


def parse(data: Any, complaint_id: str) -> Thread:
    """`data` is Reddit's two listings: [the post, its comments]."""
    if not isinstance(data, list) or len(data) < 2:
        raise_shape("answer is not the [post, comments] pair")
    post_children = need(need(data[0], "data", dict, "answer[0]"), "children", list, "answer[0].data")
    post = need(post_children[0], "data", dict, "answer[0].data.children[0]") if post_children else {}
    comments: list[tuple[str, dict[str, Any]]] = []
    _walk(need(need(data[1], "data", dict, "answer[1]"), "children", list, "answer[1].data"), comments)
    gone = False
    if post.get("name") == complaint_id:
        gone = _removed(post, "selftext")
    else:
        mine = [c for name, c in comments if name == complaint_id]
        gone = bool(mine) and _removed(mine[0], "body")
    replies = [_reply(c) for name, c in comments if name != complaint_id]
    return Thread(replies=replies, gone=gone)


def _walk(children: list[Any], out: list[tuple[str, dict[str, Any]]]) -> None:
    for i, child in enumerate(children):
        if not isinstance(child, dict) or child.get("kind") != "t1":
            continue  # "more" stubs: the first 500 comments are plenty to find an answer in
        data = need(child, "data", dict, f"comment[{i}]")
        out.append((need(data, "name", str, "comment"), data))
        replies = data.get("replies")
        if isinstance(replies, dict):
            _walk(need(need(replies, "data", dict, "replies"), "children", list, "replies.data"), out)


def _removed(data: dict[str, Any], body_key: str) -> bool:
    return (data.get(body_key) in GONE_BODIES or data.get("author") == "[deleted]"
            or bool(data.get("removed_by_category")))


def _reply(data: dict[str, Any]) -> Reply:
    created = maybe(data, "created_utc", (int, float), "comment")
    permalink = maybe(data, "permalink", str, "comment")
    author = maybe(data, "author", str, "comment")
    return Reply(author=None if author == "[deleted]" else author,
                 published_at=epoch_time(created, "comment.created_utc") if created is not None else None,
                 url=WEB + permalink if permalink and permalink.startswith("/") else None,
                 deleted=_removed(data, "body"))


def raise_shape(message: str) -> None:
    from monitors.ingest.sources._api import ShapeError

    raise ShapeError(message)
