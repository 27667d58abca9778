"""GitHub: the comments on the complaint's issue (/repos/{owner}/{repo}/issues/{n}/comments).

Discussions answer through GraphQL and are not read yet: their cases are answered with `responded`."""

from __future__ import annotations

import re
from typing import Any

from monitors.fetch import Fetcher
from monitors.replies.base import Reply, Thread, ThreadRef
from monitors.replies.fetching import get_thread_json
from monitors.sources._api import answer_of, iso_time, maybe, need, secret

DEFAULT_URL = "https://api.github.com"
_ISSUE = re.compile(r"^([\w.-]+/[\w.-]+)#(\d+)$")


def issue_of(thread_id: str | None) -> tuple[str, int] | None:
    match = _ISSUE.match(thread_id or "")
    return (match.group(1), int(match.group(2))) if match else None


def fetch(fetcher: Fetcher, ref: ThreadRef) -> Thread | None:
    """None when the thread is not an issue (a discussion): nothing to read here."""
    issue = issue_of(ref.thread_id)
    if issue is None:
        return None
    token = secret(ref.params, "token_env")
    headers = {"Accept": "application/vnd.github+json", **({"Authorization": f"Bearer {token}"} if token else {})}
    url = f"{(ref.base_url or DEFAULT_URL).rstrip('/')}/repos/{issue[0]}/issues/{issue[1]}/comments"
    data, status = get_thread_json(fetcher, url, service="GitHub", params={"per_page": 100}, headers=headers)
    if data is None:
        return Thread(gone=True)
    with answer_of("GitHub", status):
        return parse(data)


def parse(data: Any) -> Thread:
    if not isinstance(data, list):
        need(data, "comments", list, "answer")  # raises: names what was expected
    replies = []
    for i, comment in enumerate(data):
        where = f"answer[{i}]"
        user = maybe(comment, "user", dict, where) or {}  # a deleted account's comments have no user
        created = maybe(comment, "created_at", str, where)
        replies.append(Reply(author=maybe(user, "login", str, f"{where}.user"),
                             published_at=iso_time(created, f"{where}.created_at") if created else None,
                             url=maybe(comment, "html_url", str, where)))
    return Thread(replies=replies)
