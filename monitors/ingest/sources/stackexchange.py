"""Stack Exchange questions (Stack Overflow, Super User, Ask Ubuntu, … one site per source) matching a search.

A poll asks for questions created since the newest one it saw (`fromdate`, minus a little grace for the
search index; the store ignores repeats). The API's own rules are kept:
- `backoff` in an answer means "do not call this method again for N seconds". The poll stops paging and
  writes the moment it may ask again into its cursor (`<fromdate>;wait=<epoch>`); a poll before that moment
  asks nothing and says so in a warning. (A poll result has no "retry after" of its own, and the source did
  not fail, so a FetchError would be the wrong report.)
- `quota_remaining` (300 requests a day per IP without a key, 10,000 with `params.key_env`): at 0 the poll
  stops and warns.
- Errors come as `error_id` / `error_name` / `error_message` in the body, usually with HTTP 400; the fetcher
  keeps the start of an error answer's body (HTTPStatusError.body_excerpt), so the API's own error is named.
  A 400 without that body is explained by its usual causes.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitors.ingest.feedparse.htmltext import html_to_text
from monitors.ingest.fetch import Fetcher, FetchError, HTTPStatusError
from monitors.ingest.sources._api import (
    as_int, as_list, auth_error, base_url, changed_format, check_base_url, check_keys, env_name, from_epoch,
    get_json, optional_text, require_text, secret_or_warning, with_service,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

SERVICE = "Stack Exchange"
DEFAULT_URL = "https://api.stackexchange.com/2.3"
PAGE_SIZE = 100
MAX_PAGES = 5
FIRST_LOOKBACK = timedelta(days=1)
LATE_GRACE = timedelta(minutes=10)
LOW_QUOTA = 10
_SECONDS = re.compile(r"(\d+)\s*seconds?")
# error_id -> (retry later?, what to do); the ids the API documents
_ERRORS = {
    400: (False, "check params.site (the site's API name, e.g. stackoverflow, superuser) and params.query"),
    401: (False, "this search needs no login; check the source's url"),
    402: (False, "check the key in params.key_env"),
    403: (False, "check the key in params.key_env"),
    404: (False, "check the source's url (it should end in /2.3)"),
    405: (False, "check the key in params.key_env"),
    406: (False, "check the key in params.key_env"),
    407: (False, "the API asks for HTTPS: use an https:// url"),
    500: (True, "a problem on Stack Exchange's side; will retry later"),
    502: (True, "too many requests from this address; will wait as asked"),
    503: (True, "the API is down for maintenance; will retry later"),
}


class StackExchangeSource(SourceKind):
    kind = "stackexchange"
    description = "questions on one Stack Exchange site (default Stack Overflow) matching a search"

    def validate(self, config: "SourceConfig") -> None:
        check_base_url(config.url)
        check_keys(config.params, {"query", "site", "key_env"})
        require_text(config.params, "query", "the words to search questions for, e.g. \"acme sync\"")
        site = optional_text(config.params, "site", "stackoverflow") or ""
        if not site or " " in site or "/" in site:
            raise ValueError(f"params.site: {site!r} is not a site's API name (e.g. stackoverflow, superuser)")
        env_name(config.params, "key_env")

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        fromdate, wait_until = read_cursor(state.cursor)
        if wait_until is not None and now.timestamp() < wait_until:
            left = wait_until - now.timestamp()
            return PollResult(cursor=state.cursor, warnings=[
                f"Stack Exchange asked for a pause ({left:.0f} s left); asked nothing this time"])
        site = str(state.params.get("site") or "stackoverflow").strip()
        key, warning = secret_or_warning(state.params, "key_env")
        result = PollResult(warnings=[warning] if warning else [])
        since = (fromdate - LATE_GRACE.total_seconds()) if fromdate else (now - FIRST_LOOKBACK).timestamp()
        newest = fromdate
        wait_until = None
        for page in range(1, MAX_PAGES + 1):
            params = {"site": site, "q": str(state.params["query"]), "sort": "creation", "order": "desc",
                      "fromdate": int(since), "pagesize": PAGE_SIZE, "page": page, "filter": "withbody"}
            if key:
                params["key"] = key
            data = call_api(fetcher, f"{base_url(state.url, DEFAULT_URL)}/search/advanced", params)
            for item in as_list(data.get("items"), SERVICE, "items"):
                mention = question(item, site) if isinstance(item, dict) else None
                if mention is not None:
                    result.mentions.append(mention)
                    newest = max(newest or 0, as_int(item.get("creation_date")))
            backoff = as_int(data.get("backoff"))
            if backoff > 0:
                wait_until = int(now.timestamp()) + backoff
                result.warnings.append(f"Stack Exchange asked for a {backoff} s pause; the next poll waits for it")
                break
            quota = data.get("quota_remaining")
            if isinstance(quota, int) and quota <= LOW_QUOTA:
                result.warnings.append(_quota_warning(quota, bool(key)))
                if quota == 0:
                    break
            if not data.get("has_more"):
                break
        else:
            result.warnings.append(f"more than {MAX_PAGES * PAGE_SIZE} new questions; read the newest — "
                                   "narrow params.query")
        result.cursor = write_cursor(newest, wait_until) or state.cursor
        return result


def question(item: dict, site: str) -> RawMention | None:
    question_id = item.get("question_id")
    if not isinstance(question_id, int):
        return None
    owner = item.get("owner") if isinstance(item.get("owner"), dict) else {}
    tags = [t for t in item.get("tags") or [] if isinstance(t, str)]
    return RawMention(
        external_id=f"stackexchange:{site}:q{question_id}",
        text=html_to_text(_text(item.get("body"))),
        url=_text(item.get("link")) or None,
        title=html.unescape(_text(item.get("title"))) or None,  # titles come HTML-escaped
        author=html.unescape(_text(owner.get("display_name"))) or None,
        author_reach=max(0, as_int(item.get("score")) + as_int(item.get("answer_count"))),
        published_at=from_epoch(item.get("creation_date")),
        thread_id=str(question_id),
        extra={"site": site, "tags": tags, "is_answered": item.get("is_answered"),
               "answer_count": as_int(item.get("answer_count")), "score": as_int(item.get("score"))},
    )


def read_cursor(cursor: str | None) -> tuple[int | None, int | None]:
    """'<fromdate epoch>[;wait=<epoch>]' -> (fromdate, wait_until); anything unreadable starts afresh."""
    if not cursor:
        return None, None
    head, _, tail = cursor.partition(";wait=")
    fromdate = int(head) if head.isdigit() else None
    return fromdate, int(tail) if tail.isdigit() else None


def write_cursor(fromdate: int | None, wait_until: int | None) -> str | None:
    if fromdate is None and wait_until is None:
        return None
    return f"{fromdate or ''}" + (f";wait={wait_until}" if wait_until else "")


def error_from_body(data: dict) -> FetchError:
    """The API's documented error wrapper as a FetchError that says what to do."""
    error_id = as_int(data.get("error_id"))
    name = _text(data.get("error_name")) or "error"
    said = _text(data.get("error_message"))
    retry, fix = _ERRORS.get(error_id, (error_id >= 500, "check the source's settings"))
    wait = None
    if name == "throttle_violation":
        seconds = _SECONDS.search(said)
        wait = float(seconds.group(1)) if seconds else 60.0
    detail = f" ({said})" if said else ""
    return HTTPStatusError(f"Stack Exchange answered {name}{detail}: {fix}", status=error_id or None,
                           retry_after=wait, permanent=not retry)


def call_api(fetcher: Fetcher, url: str, params: dict, *, asked: str = "the search") -> dict:
    """One API call's answer object; the API's own errors (in the body, or as a bare 400) become FetchErrors that
    say what to do. `asked` names the call in the 400 message."""
    try:
        data, _ = get_json(fetcher, url, service=SERVICE, params=params)
    except HTTPStatusError as exc:
        if (said := _error_wrapper(exc.body_excerpt)) is not None:
            error = error_from_body(said)
            error.retry_after = error.retry_after if error.retry_after is not None else exc.retry_after
            raise error from None
        if exc.status == 400:
            raise HTTPStatusError(
                f"Stack Exchange refused {asked} (400): check params.site (the site's API name, e.g. "
                "stackoverflow, superuser) and params.query; if this source worked before, this address may have "
                "used up its daily quota (300 requests without a key; set params.key_env)", status=400,
                retry_after=exc.retry_after) from None
        if exc.status in (401, 403):
            raise auth_error(SERVICE, exc.status, "check the key in params.key_env, or remove it",
                                 retry_after=exc.retry_after) from None
        raise with_service(exc, SERVICE) from None
    except FetchError as exc:
        raise with_service(exc, SERVICE) from None
    if not isinstance(data, dict):
        raise changed_format(SERVICE, "the answer is not an object")
    if data.get("error_id") is not None or data.get("error_name") is not None:
        raise error_from_body(data)
    return data


def _error_wrapper(body: str) -> dict | None:
    """The API's error object from an error answer's body, when that is what the body holds."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    if isinstance(data, dict) and (data.get("error_id") is not None or data.get("error_name") is not None):
        return data
    return None


def _quota_warning(quota: int, keyed: bool) -> str:
    if keyed:
        return f"Stack Exchange quota nearly used up ({quota} requests left today)"
    return (f"Stack Exchange quota nearly used up ({quota} requests left today); a key (params.key_env) "
            "raises it from 300 to 10,000 a day")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
