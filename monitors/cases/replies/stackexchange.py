"""Stack Exchange: the answers to the complaint's question, and the comments under the question and under each
answer (/questions/{id}/answers, then /posts/{question;answers}/comments: two requests however many answers).

Accounts are matched by user id, not display name: display names are not unique (anyone can call themselves
"Acme Support"), ids are. An id belongs to one site; a brand answering on several sites lists each site's id.
A deleted question cannot be told apart from one nobody answered (both come back empty), so `gone` stays False.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from monitors.ingest.fetch import Fetcher, FetchError
from monitors.cases.replies.base import Reply, Thread, ThreadRef
from monitors.ingest.sources._api import answer_of, as_int, epoch_time, maybe, need, secret_or_warning
from monitors.ingest.sources.stackexchange import DEFAULT_URL, SERVICE, call_api

MAX_POSTS = 100  # ids one request may name
_QUESTION = re.compile(r"^stackexchange:(?P<site>[^:]+):q(?P<id>\d+)$")


def question_of(ref: ThreadRef) -> tuple[str, int] | None:
    """(site, question id) of a mention the stackexchange source stored; None for anything else."""
    match = _QUESTION.match(ref.external_id)
    return (match["site"], int(match["id"])) if match else None


# An address gets 300 requests a day without a key and 10,000 with one; a read costs two, and the source's own
# polls need the rest (every 15 minutes by default: 96 a day). Unkeyed, each question is read four times a day.
READ_EVERY = timedelta(hours=6)
READ_EVERY_WITH_KEY = timedelta(hours=1)


def min_interval(params: dict[str, Any]) -> timedelta:
    """The least time between two reads of one question, for a source with these params."""
    key, _ = secret_or_warning(params, "key_env")
    return READ_EVERY_WITH_KEY if key else READ_EVERY


def fetch(fetcher: Fetcher, ref: ThreadRef) -> Thread | None:
    question = question_of(ref)
    if question is None:
        return None
    site, question_id = question
    key, _ = secret_or_warning(ref.params, "key_env")  # a missing key only lowers the quota; the poll warns of it
    params = {"site": site, "pagesize": 100, "sort": "creation", "order": "asc", **({"key": key} if key else {})}
    base = (ref.base_url or DEFAULT_URL).rstrip("/")
    data = _ask(fetcher, "answers", f"{base}/questions/{question_id}/answers", params)
    with answer_of(SERVICE, 200):
        answers = parse(data, kind="answers", question_url=ref.url)
        answer_ids = [need(item, "answer_id", int, f"items[{i}]") for i, item in enumerate(data["items"])]
    posts = ";".join(map(str, [question_id, *answer_ids[:MAX_POSTS - 1]]))
    data = _ask(fetcher, "comments", f"{base}/posts/{posts}/comments", params)
    with answer_of(SERVICE, 200):
        comments = parse(data, kind="comments", question_url=ref.url)
    return Thread(replies=answers + comments)


# The API's `backoff` ("do not call this method again for N seconds") holds for every question, so it is kept per
# method for the whole process: the reply watch reads many questions in a row.
_paused_until: dict[str, float] = {}
_pause_lock = threading.Lock()
_monotonic = time.monotonic


def _ask(fetcher: Fetcher, method: str, url: str, params: dict) -> dict:
    with _pause_lock:
        left = _paused_until.get(method, 0.0) - _monotonic()
    if left > 0:
        raise FetchError(f"Stack Exchange asked for a pause ({left:.0f} s left); this question is read later",
                         retry_after=left)
    data = call_api(fetcher, url, params, asked=f"to list the {method}")
    backoff = as_int(data.get("backoff"))
    if backoff > 0:
        with _pause_lock:
            _paused_until[method] = max(_paused_until.get(method, 0.0), _monotonic() + backoff)
    return data


def parse(data: Any, *, kind: str, question_url: str | None) -> list[Reply]:
    """The answers or comments of one API answer as replies, each authored by its owner's user id."""
    items = need(data, "items", list, "answer")
    replies = []
    for i, item in enumerate(items):
        where = f"items[{i}]"
        owner = maybe(item, "owner", dict, where) or {}  # a deleted account has no user_id
        author = maybe(owner, "user_id", int, f"{where}.owner")
        created = maybe(item, "creation_date", int, where)
        replies.append(Reply(author=str(author) if author is not None else None,
                             published_at=epoch_time(created, f"{where}.creation_date") if created else None,
                             url=_link(item, kind, where, question_url)))
    return replies


def _link(item: dict, kind: str, where: str, question_url: str | None) -> str | None:
    """Where a person sees the reply; the API's default answer holds no link, so it is built from the question's."""
    if not question_url:
        return None
    if kind == "answers":
        answer = need(item, "answer_id", int, where)
        parts = urlsplit(question_url)
        return f"{parts.scheme}://{parts.netloc}/a/{answer}"
    comment, post = need(item, "comment_id", int, where), need(item, "post_id", int, where)
    return f"{question_url.split('#')[0]}#comment{comment}_{post}"
