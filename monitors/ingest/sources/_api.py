"""What the JSON-API source kinds share: params checks, secrets, asking, reading answers, refusals, rate limits,
tokens kept between polls, and cursors.

- `validate` raises ValueError("params.x: ...") so the config loader can say where; a blank optional value
  counts as not given, as it does when a poll reads it.
- Answers are read field by field (`need`, `maybe`, `count`) so a changed format becomes a ContentError that
  names the field (`answer_of`) instead of a KeyError; lenient readers (`as_int`, `as_list`, `from_epoch`)
  serve APIs whose odd values are better skipped than fatal.
- A 401/403 becomes a permanent error saying what to fix (`auth_error`); token endpoints say "bad
  credentials" with a 400 too (TOKEN_REFUSALS).
- Cursor rules: the first poll looks back LOOKBACK (or takes one page of the newest items, where an API pages
  by id); newest-first APIs re-ask for the last OVERLAP before the cursor, because their search indexes take
  a while to list a post (re-fetched items are stored idempotently); a poll reads at most
  `params.max_pages` pages, and what it leaves is named in a warning.

Kept apart from base.py so the registry's contract stays small; each kind imports only what it uses.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.fetch import ContentError, Fetcher, FetchError, FetchResponse, HTTPStatusError
from monitors.ingest.sources.base import require_http_url

LOOKBACK = timedelta(hours=24)
OVERLAP = timedelta(minutes=5)
DEFAULT_MAX_PAGES = 5
MOST_PAGES = 20
AUTH_STATUSES = (401, 403)
TOKEN_REFUSALS = (400, *AUTH_STATUSES)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- params checks for validate() ---------------------------------------------------------------------------

def check_keys(params: Mapping[str, Any], known: set[str]) -> None:
    """A misspelt key would otherwise be ignored silently."""
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"params.{unknown[0]}: unknown setting (this kind knows: {', '.join(sorted(known))})")


def require_text(params: Mapping[str, Any], key: str, meaning: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"params.{key}: missing ({meaning})")
    return value.strip()


def optional_text(params: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """The stripped text, or `default` when the key is absent, null or blank; anything but text is an error."""
    value = params.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValueError(f"params.{key}: must be text")
    return value.strip() or default


def text_list(params: Mapping[str, Any], key: str) -> list[str]:
    """A list of strings; a single string is a list of one."""
    value = params.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise ValueError(f"params.{key}: must be a list of non-empty strings")
    return [i.strip() for i in items]


def env_name(params: Mapping[str, Any], key: str) -> str | None:
    """A `*_env` param names an environment variable; the secret itself never sits in the config."""
    name = optional_text(params, key)
    if name is not None and not _ENV_NAME.fullmatch(name):
        raise ValueError(f"params.{key}: give the NAME of an environment variable that holds the secret "
                         "(e.g. GITHUB_TOKEN), never the secret itself")
    return name


def max_pages(params: Mapping[str, Any]) -> int:
    value = params.get("max_pages", DEFAULT_MAX_PAGES)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MOST_PAGES:
        raise ValueError(f"params.max_pages: a whole number from 1 to {MOST_PAGES} (default {DEFAULT_MAX_PAGES})")
    return value


def check_base_url(url: str) -> None:
    """An API base URL may be left empty (the platform's default); when given it must be http(s)."""
    if url:
        require_http_url(url, allow_file=False)


def base_url(url: str, default: str) -> str:
    """The configured API base without a trailing slash, or the platform's own when the config leaves it empty."""
    return (url or default).rstrip("/")


# --- secrets named by params ----------------------------------------------------------------------------------

def secret(params: Mapping[str, Any], key: str) -> str | None:
    """The value of the variable params[key] names; None when it names none. Named but unset is a permanent
    error: for sources that cannot work without it."""
    name, value = _env_value(params, key)
    if name and not value:
        raise FetchError(f"params.{key} names the environment variable {name}, which is not set (or empty) "
                         "where Earful runs", permanent=True)
    return value


def secret_or_warning(params: Mapping[str, Any], key: str) -> tuple[str | None, str | None]:
    """(secret, warning), for sources that still work without the secret: named but unset is a warning."""
    name, value = _env_value(params, key)
    if name and not value:
        return None, f"params.{key} names {name}, but that environment variable is empty or unset"
    return value, None


def _env_value(params: Mapping[str, Any], key: str) -> tuple[str | None, str | None]:
    name = params.get(key)
    if not name:
        return None, None
    return str(name), os.environ.get(str(name), "").strip() or None


# --- asking ----------------------------------------------------------------------------------------------------

def get_json(
    fetcher: Fetcher, url: str, *, service: str, params: dict | None = None, headers: dict | None = None,
    refused: str | None = None, refused_on: tuple[int, ...] = AUTH_STATUSES,
) -> tuple[Any, FetchResponse]:
    """GET a JSON answer. With `refused` (what to fix), a status in `refused_on` becomes a permanent error."""
    with _refusals(service, refused, refused_on):
        response = fetcher.get(url, params=params, headers={"Accept": "application/json", **(headers or {})})
    return parse_json(response.body, service, response.status), response


def post_json(
    fetcher: Fetcher, url: str, *, service: str, body: Any = None, form: dict | None = None,
    headers: dict | None = None, refused: str | None = None, refused_on: tuple[int, ...] = AUTH_STATUSES,
) -> tuple[Any, FetchResponse]:
    """POST a JSON `body` or a `form` (token endpoints, GraphQL) and read a JSON answer; refusals as get_json."""
    with _refusals(service, refused, refused_on):
        response = fetcher.post(url, json=body, data=form,
                                headers={"Accept": "application/json", **(headers or {})})
    return parse_json(response.body, service, response.status), response


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The Authorization header of HTTP Basic authentication (an OAuth client's id and secret)."""
    pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {pair}"}


@contextmanager
def _refusals(service: str, refused: str | None, statuses: tuple[int, ...]) -> Iterator[None]:
    try:
        yield
    except HTTPStatusError as exc:
        if refused and exc.status in statuses:
            raise auth_error(service, exc.status, refused) from None
        raise


# --- reading answers ---------------------------------------------------------------------------------------------

class ShapeError(Exception):
    """An answer without the documented shape; the message names the field."""


def parse_json(body: bytes, service: str, status: int | None = None) -> Any:
    if not body.strip():
        raise ContentError(f"{service} sent an empty answer instead of JSON", status=status)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        start = body[:60].decode("utf-8", "replace").strip()
        raise ContentError(f"{service} answered with something that is not JSON (it starts {start!r}); check the "
                           "source's url, or a proxy may be in the way", status=status) from None


def changed_format(service: str, what: str, status: int | None = None) -> ContentError:
    """The answer parsed, but not in the shape the API documents: the API changed or the URL is not that API."""
    return ContentError(f"{service} answered in an unexpected format ({what}); the API may have changed, or the "
                        "source's url does not point at it", status=status, permanent=True)


@contextmanager
def answer_of(service: str, status: int | None) -> Iterator[None]:
    """Turn a ShapeError raised while reading an answer into a ContentError naming the service."""
    try:
        yield
    except ShapeError as exc:
        raise changed_format(service, str(exc), status) from None


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


def as_int(value: Any) -> int:
    """A count from a lenient reader: a number or a numeric string; anything else counts as 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return 0


def as_list(value: Any, service: str, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise changed_format(service, f"{what} is {type(value).__name__}, not a list")
    return value


def from_epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def epoch_time(value: int | float, where: str) -> datetime:
    moment = from_epoch(value)
    if moment is None:
        raise ShapeError(f"{where} is not a usable time ({value!r})")
    return moment


def iso_time(value: str, where: str) -> datetime:
    parsed = parse_date(value)
    if parsed is None:
        raise ShapeError(f"{where} is not a date ({value[:40]!r})")
    return parsed


def iso_z(moment: datetime, *, milliseconds: bool = False) -> str:
    """RFC 3339 in UTC: '2026-11-06T10:00:00Z' (search qualifiers, cursors), or with milliseconds
    '2026-11-06T10:00:00.000Z', the form Bluesky writes."""
    utc = moment.astimezone(timezone.utc)
    fraction = f".{utc.microsecond // 1000:03d}" if milliseconds else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


# --- failures ----------------------------------------------------------------------------------------------------

def auth_error(service: str, status: int, what_to_fix: str, *, retry_after: float | None = None) -> HTTPStatusError:
    """A refusal rewritten to say what to change; permanent: retrying will not help until someone acts."""
    return HTTPStatusError(f"{service} refused the request ({status}): {what_to_fix}", status=status,
                           retry_after=retry_after, permanent=True)


def with_service(exc: FetchError, service: str) -> FetchError:
    """The same failure, its message prefixed with the platform's name (health lists many sources)."""
    if not exc.message.startswith(service):
        exc.message = f"{service}: {exc.message}"
        exc.args = (exc.message,)
    return exc


# --- rate limits and page caps -----------------------------------------------------------------------------------

def requests_left(headers: httpx.Headers) -> float | None:
    """The rate-limit budget a server announced (GitHub, Reddit, Mastodon: x-ratelimit-*; Bluesky: ratelimit-*)."""
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


def rate_limit_reset(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """Seconds until the window resets, from `x-ratelimit-reset` (epoch seconds), when the header is there."""
    value = headers.get("x-ratelimit-reset")
    if value is None or not value.strip().isdigit():
        return None
    return max(0.0, int(value) - now.timestamp())


def rate_limit_warning(service: str, pages: int) -> str:
    return f"{service}'s rate limit ran out after {pages} page(s); the rest is fetched on the next poll"


def page_cap_warning(service: str, pages: int, unit: str) -> str:
    return (f"{service}: more new {unit} than {pages} page(s) hold; older ones in between were skipped "
            "(poll more often or raise params.max_pages)")


# --- tokens kept between polls -----------------------------------------------------------------------------------

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


# --- cursors -----------------------------------------------------------------------------------------------------

def cursor_epoch(cursor: str | None) -> int | None:
    """A stored epoch-seconds cursor; anything unreadable counts as no cursor (a fresh look-back)."""
    if cursor and cursor.strip().isdigit():
        return int(cursor.strip())
    return None


def cursor_iso(cursor: str | None) -> datetime | None:
    return parse_date(cursor) if cursor else None
