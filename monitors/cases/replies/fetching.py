"""Asking a platform for a thread: a deleted post answers 404 or 410, which is news, not an error."""

from __future__ import annotations

from typing import Any

from monitors.ingest.fetch import Fetcher, HTTPStatusError
from monitors.ingest.sources._api import get_json

GONE_STATUSES = (404, 410)


def get_thread_json(fetcher: Fetcher, url: str, *, service: str, params: dict | None = None,
                    headers: dict | None = None) -> tuple[Any | None, int | None]:
    """(the JSON answer, its status), or (None, status) when the post is gone."""
    try:
        data, response = get_json(fetcher, url, service=service, params=params, headers=headers)
    except HTTPStatusError as exc:
        if exc.status in GONE_STATUSES:
            return None, exc.status
        raise
    return data, response.status
