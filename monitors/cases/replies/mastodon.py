"""Mastodon: /api/v1/statuses/:id/context lists the status's descendants, the replies under it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from monitors.ingest.fetch import Fetcher
from monitors.cases.replies.base import Reply, Thread, ThreadRef
from monitors.cases.replies.fetching import get_thread_json
from monitors.ingest.sources._api import answer_of, iso_time, maybe, need, secret

DEFAULT_URL = "https://mastodon.social"


def fetch(fetcher: Fetcher, ref: ThreadRef) -> Thread:
    base = (ref.base_url or DEFAULT_URL).rstrip("/")
    token = secret(ref.params, "token_env")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    data, status = get_thread_json(fetcher, f"{base}/api/v1/statuses/{ref.external_id}/context",
                                   service="Mastodon", headers=headers)
    if data is None:
        return Thread(gone=True)
    with answer_of("Mastodon", status):
        return parse(data, host=urlsplit(base).hostname or "")


def parse(data: Any, *, host: str) -> Thread:
    descendants = need(data, "descendants", list, "answer")
    return Thread(replies=[_reply(s, f"answer.descendants[{i}]", host) for i, s in enumerate(descendants)])


def _reply(status: Any, where: str, host: str) -> Reply:
    acct = need(need(status, "account", dict, where), "acct", str, f"{where}.account")
    created = maybe(status, "created_at", str, where)
    return Reply(
        author=acct if "@" in acct or not host else f"{acct}@{host}",  # the server's own accounts come bare
        published_at=iso_time(created, f"{where}.created_at") if created else None,
        url=maybe(status, "url", str, where) or maybe(status, "uri", str, where),
    )
