"""What the social-platform sources (reddit, hackernews, mastodon, bluesky) share.

JSON answers read field by field so a changed format becomes a clear ContentError instead of a KeyError;
401/403 answers turned into a message that says what to fix; rate-limit headers; tokens kept between polls;
params checks for `validate`; and the cursor rules:

- the first poll looks back LOOKBACK (or takes one page of the newest items, where an API pages by id);
- newest-first APIs re-ask for the last OVERLAP before the cursor, because their search indexes take a while
  to list a post: a post indexed late is still found, and the re-fetched ones are stored idempotently;
- a poll reads at most `params.max_pages` pages; what it leaves is named in a warning.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from monitors.feedparse.dates import parse_date
from monitors.fetch import ContentError, Fetcher, FetchError, FetchResponse, HTTPStatusError
from monitors.sources.base import require_http_url

LOOKBACK = timedelta(hours=24)
OVERLAP = timedelta(minutes=5)
DEFAULT_MAX_PAGES = 5
MOST_PAGES = 20
AUTH_STATUSES = (401, 403)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ShapeError(Exception):
    """An answer without the documented shape; the message names the field."""


# --- reading answers -----------------------------------------------------------------------------------------

def need(holder: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """holder[key], which must be present, not null, and of `kind`."""
    value = maybe(holder, key, kind, where)
    if value is None:
        raise ShapeError(f"{where}.{key} is missing")
    return value


def maybe(holder: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """holder[key] when present and not null (else None); a value of another type is a ShapeError."""
    if not isinstance(holder, dict):
        raise ShapeError(f"{where} is {_type_name(holder)}, not an object")
    value = holder.get(key)
    if value is None:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # JSON has no separate boolean and number types in Python's eyes: True must not pass as a count
    if isinstance(value, bool) and bool not in kinds:
        raise ShapeError(f"{where}.{key} is a boolean")
    if not isinstance(value, kinds):
        raise ShapeError(f"{where}.{key} is {_type_name(value)}")
    return value


def count(holder: Any, key: str, where: str) -> int:
    """A non-negative counter (score, likes, followers); absent means 0."""
    value = maybe(holder, key, (int, float), where)
    return max(0, int(value)) if value is not None else 0


def epoch_time(value: int | float, where: str) -> datetime:
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ShapeError(f"{where} is not a usable time ({value!r})") from None


def iso_time(value: str, where: str) -> datetime:
    parsed = parse_date(value)
    if parsed is None:
        raise ShapeError(f"{where} is not a date ({value[:40]!r})")
    return parsed


def iso_z(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, the form Bluesky and most JSON APIs write."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@contextmanager
def answer_of(service: str, status: int | None) -> Iterator[None]:
    """Turn a ShapeError raised while reading an answer into a ContentError naming the service."""
    try:
        yield
    except ShapeError as exc:
        raise ContentError(
            f"{service} answered in an unexpected format ({exc}); the API may have changed",
            status=status, permanent=True,
        ) from None


def parse_json(body: bytes, service: str, status: int | None) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        opening = body[:60].decode("utf-8", "replace").strip()
        what = "an empty body" if not opening else f"something that is not JSON ({opening!r}…)"
        raise ContentError(f"{service} answered with {what}; check the source's url", status=status) from None


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


# --- asking --------------------------------------------------------------------------------------------------

def get_json(
    fetcher: Fetcher, url: str, *, service: str, params: dict | None = None, headers: dict | None = None,
    refused: str | None = None,
) -> tuple[Any, FetchResponse]:
    """GET a JSON answer. A 401/403 becomes a permanent HTTPStatusError saying `refused` (what to fix)."""
    try:
        response = fetcher.get(url, params=params, headers={"Accept": "application/json", **(headers or {})})
    except HTTPStatusError as exc:
        if exc.status in AUTH_STATUSES and refused:
            raise auth_error(service, exc.status, refused) from None
        raise
    return parse_json(response.body, service, response.status), response


def post_json(
    fetcher: Fetcher, url: str, *, service: str, form: dict | None = None, body: Any = None,
    basic_auth: tuple[str, str] | None = None, refused: str,
) -> Any:
    """POST to a token endpoint and read its JSON answer. 401/403 (and 400, how some token endpoints say
    "bad credentials") become `refused`."""
    headers = {"Accept": "application/json"}
    if basic_auth:
        pair = base64.b64encode(":".join(basic_auth).encode()).decode("ascii")
        headers["Authorization"] = f"Basic {pair}"
    try:
        response = fetcher.post(url, json=body, data=form, headers=headers)
    except HTTPStatusError as exc:
        if exc.status in (*AUTH_STATUSES, 400):
            raise auth_error(service, exc.status, refused) from None
        raise
    return parse_json(response.body, service, response.status)


def auth_error(service: str, status: int, what_to_fix: str) -> HTTPStatusError:
    return HTTPStatusError(f"{service} refused the request ({status}): {what_to_fix}", status=status,
                           permanent=True)


def requests_left(headers: httpx.Headers) -> float | None:
    """The rate-limit budget a server announced (Reddit, Mastodon: x-ratelimit-*; Bluesky: ratelimit-*)."""
    for name in ("x-ratelimit-remaining", "ratelimit-remaining"):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def out_of_requests(headers: httpx.Headers) -> bool:
    left = requests_left(headers)
    return left is not None and left < 1


def rate_limit_warning(service: str, pages: int) -> str:
    return f"{service}'s rate limit ran out after {pages} page(s); the rest is fetched on the next poll"


def page_cap_warning(service: str, pages: int, unit: str) -> str:
    return (f"{service}: more new {unit} than {pages} page(s) hold; older ones in between were skipped "
            "(poll more often or raise params.max_pages)")


def secret(params: dict[str, Any], key: str) -> str | None:
    """The value of the environment variable that params[key] names; None when params does not name one."""
    name = params.get(key)
    if not name:
        return None
    value = os.environ.get(name, "").strip()
    if not value:
        raise FetchError(f"params.{key} names the environment variable {name}, which is not set (or empty) "
                         "where Earful runs", permanent=True)
    return value


class TokenCache:
    """Access tokens kept between polls in this process, so a token endpoint is asked once per token life."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, ...], tuple[str, datetime]] = {}

    def get(self, key: tuple[str, ...], now: datetime) -> str | None:
        with self._lock:
            held = self._tokens.get(key)
        if held is None or held[1] <= now:
            return None
        return held[0]

    def put(self, key: tuple[str, ...], token: str, expires_at: datetime) -> None:
        with self._lock:
            self._tokens[key] = (token, expires_at)

    def drop(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._tokens.pop(key, None)


# --- cursors -------------------------------------------------------------------------------------------------

def cursor_epoch(cursor: str | None) -> int | None:
    """A stored epoch-seconds cursor; anything unreadable counts as no cursor (a fresh look-back)."""
    if cursor and cursor.strip().isdigit():
        return int(cursor.strip())
    return None


def cursor_iso(cursor: str | None) -> datetime | None:
    return parse_date(cursor) if cursor else None


# --- params checks for validate() ---------------------------------------------------------------------------

def check_keys(params: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"params.{unknown[0]}: unknown setting (this kind knows: {', '.join(sorted(known))})")


def require_text(params: dict[str, Any], key: str, meaning: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"params.{key}: missing; {meaning}")
    return value.strip()


def optional_text(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"params.{key}: must be a non-empty string")
    return value.strip()


def text_list(params: dict[str, Any], key: str) -> list[str]:
    """A list of strings; a single string is a list of one."""
    value = params.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise ValueError(f"params.{key}: must be a list of non-empty strings")
    return [i.strip() for i in items]


def env_name(params: dict[str, Any], key: str) -> str | None:
    name = optional_text(params, key)
    if name is not None and not _ENV_NAME.fullmatch(name):
        raise ValueError(f"params.{key}: give the NAME of an environment variable that holds the secret "
                         "(e.g. \"REDDIT_SECRET\"), never the secret itself")
    return name


def max_pages(params: dict[str, Any]) -> int:
    value = params.get("max_pages", DEFAULT_MAX_PAGES)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MOST_PAGES:
        raise ValueError(f"params.max_pages: a whole number from 1 to {MOST_PAGES} (default {DEFAULT_MAX_PAGES})")
    return value


def optional_url(url: str) -> None:
    """An API base URL may be left empty (the platform's default); when given it must be http(s)."""
    if url:
        require_http_url(url, allow_file=False)
