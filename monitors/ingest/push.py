"""Pushed items: check a `POST /ingest` body against the documented schema and turn it into RawMentions, and
check its credentials. Pure: bytes, headers and `now` in; values or a list of problems out.

The body is one item, or a batch:

    {"source": "zapier", "id": "42", "text": "Acme lost my order", "url": "https://...", ...}
    {"source": "zapier", "items": [{"id": "42", "text": "..."}, ...]}

Item fields: id (required; text or integer), text (required), url (http/https), title, author,
author_reach (integer >= 0), published_at (ISO 8601; without an offset it is read as UTC), thread_id,
parent_id, rating (1-5), language (e.g. "en"). `source` names a configured source of kind `push`; it may
be left out when the credentials belong to one push source only.

Credentials: `Authorization: Bearer <token>`, or `X-Earful-Timestamp: <unix seconds>` plus
`X-Earful-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body>`. The timestamp is signed too, so
a captured request cannot be replayed later with a fresh timestamp; it must be within 5 minutes of now.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from monitors.ingest.raw import RawMention

MAX_BODY = 1_000_000  # bytes
MAX_ITEMS = 1_000
SIGNATURE_WINDOW = timedelta(minutes=5)
TEXT_LIMIT = 20_000
_LIMITS = {"id": 500, "title": 1_000, "author": 200, "thread_id": 500, "parent_id": 500, "language": 35,
           "url": 4_000, "source": 200}
ITEM_FIELDS = ("id", "text", "url", "title", "author", "author_reach", "published_at", "thread_id", "parent_id",
               "rating", "language")
_PROBLEMS_SHOWN = 50


class PayloadError(Exception):
    """The body cannot be accepted; `problems` says where and why, e.g. 'items[2].published_at: ...'."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass
class PushBatch:
    source: str | None
    items: list[RawMention]


def parse_payload(body: bytes) -> PushBatch:
    if len(body) > MAX_BODY:
        raise PayloadError(f"body larger than {MAX_BODY:,} bytes; send fewer items per request")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object: one item, or {\"items\": [...]}")
    problems: list[str] = []
    source = data.get("source")
    if source is not None and not (isinstance(source, str) and source.strip()):
        problems.append("source: must be the name of a push source")
    if "items" in data:
        unknown = sorted(set(data) - {"items", "source"})
        problems += [f"{key}: unknown field (a batch has only \"source\" and \"items\")" for key in unknown]
        raw_items = data["items"]
        if not isinstance(raw_items, list) or not raw_items:
            raise PayloadError("invalid payload", problems + ["items: must be a non-empty list of items"])
        if len(raw_items) > MAX_ITEMS:
            raise PayloadError("invalid payload", problems + [f"items: at most {MAX_ITEMS} per request"])
        places = [f"items[{i}]." for i in range(len(raw_items))]
    else:
        raw_items = [{k: v for k, v in data.items() if k != "source"}]
        places = [""]
    items = []
    for place, raw in zip(places, raw_items):
        item = _item(raw, place, problems)
        if item is not None:
            items.append(item)
    if problems:
        shown = problems[:_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"… and {len(problems) - len(shown)} more")
        raise PayloadError("invalid payload", shown)
    return PushBatch(source=source.strip() if isinstance(source, str) else None, items=items)


def _item(raw: Any, place: str, problems: list[str]) -> RawMention | None:
    if not isinstance(raw, dict):
        problems.append(f"{place.rstrip('.') or 'body'}: must be an object")
        return None
    found: list[str] = []
    for key in sorted(set(raw) - set(ITEM_FIELDS)):
        found.append(f"{place}{key}: unknown field (allowed: {', '.join(ITEM_FIELDS)})")
    external_id = _identifier(raw, "id", place, found, required=True)
    text = raw.get("text")
    if text is None:
        found.append(f"{place}text: required")
    elif not isinstance(text, str):
        found.append(f"{place}text: must be a string")
    title = _string(raw, "title", place, found)
    if isinstance(text, str) and not text.strip() and not title:
        found.append(f"{place}text: empty (and no title)")
    url = _string(raw, "url", place, found)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            found.append(f"{place}url: not an http(s) URL")
    reach = raw.get("author_reach", 0)
    if isinstance(reach, bool) or not isinstance(reach, int) or reach < 0:
        found.append(f"{place}author_reach: must be a whole number >= 0")
    rating = raw.get("rating")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
        found.append(f"{place}rating: must be a whole number from 1 to 5")
    published = _time(raw.get("published_at"), f"{place}published_at", found)
    thread_id = _identifier(raw, "thread_id", place, found)
    parent_id = _identifier(raw, "parent_id", place, found)
    author = _string(raw, "author", place, found)
    language = _string(raw, "language", place, found)
    problems += found
    if found:
        return None
    return RawMention(
        external_id=external_id or "", text=(text or "").strip()[:TEXT_LIMIT], url=url, title=title,
        author=author, author_reach=reach, published_at=published, language=language.lower() if language else None,
        thread_id=thread_id, parent_id=parent_id, rating=rating,
    )


def _string(raw: dict, key: str, place: str, found: list[str]) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        found.append(f"{place}{key}: must be a string")
        return None
    value = value.strip()
    if len(value) > _LIMITS.get(key, TEXT_LIMIT):
        found.append(f"{place}{key}: longer than {_LIMITS[key]} characters")
        return None
    return value or None


def _identifier(raw: dict, key: str, place: str, found: list[str], *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            found.append(f"{place}{key}: required")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = _string(raw, key, place, found)
    if text is None and required and isinstance(value, str):
        found.append(f"{place}{key}: empty")
    return text


def _time(value: Any, place: str, found: list[str]) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        found.append(f"{place}: not an ISO 8601 time (send text like 2026-11-06T10:00:00Z)")
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        found.append(f"{place}: not an ISO 8601 time (send text like 2026-11-06T10:00:00Z)")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# --- credentials ------------------------------------------------------------------------------------------

def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def token_matches(presented: str, expected: str) -> bool:
    """Constant time: how much of a wrong token matches must not show in the answer's timing."""
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    """The X-Earful-Signature value a sender puts on `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def timestamp_problem(timestamp: str | None, *, now: datetime) -> str | None:
    """Why the X-Earful-Timestamp header is unusable, or None when it is within the window."""
    if not timestamp:
        return "X-Earful-Timestamp header missing (unix seconds when the request was signed)"
    text = timestamp.strip()
    if not (text.isascii() and text.isdigit()):  # str.isdigit() alone admits '²', which int() refuses
        return "X-Earful-Timestamp is not unix seconds"
    if abs(now.timestamp() - int(text)) > SIGNATURE_WINDOW.total_seconds():
        return (f"X-Earful-Timestamp is more than {SIGNATURE_WINDOW.total_seconds() / 60:.0f} minutes from the "
                "server's clock (a replay, or a clock that is off)")
    return None


def signature_matches(body: bytes, *, signature: str, timestamp: str, secret: str) -> bool:
    """The signature is right for `body`; a timestamp that is not unix seconds never matches."""
    stamp = timestamp.strip()
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    return hmac.compare_digest(signature.strip().lower().encode("ascii", "replace"),
                               sign(body, secret=secret, timestamp=int(stamp)).encode("ascii"))
