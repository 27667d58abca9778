"""Mastodon, on any server that speaks its API: hashtag timelines (public), or full-text search (with a token).

Hashtags read /api/v1/timelines/tag/:tag (more tags ride along as any[]) and page forward with min_id, so a
poll that stops at the page cap or the rate limit leaves nothing behind: the next one goes on from the cursor,
the newest status id seen. Search reads /api/v2/search?type=statuses from min_id=cursor, paged by offset.
The first poll takes one page of the newest statuses.

Reach = the author's followers_count + the status's reblogs_count + favourites_count: the followers saw it
first, and each boost or favourite carried it further. Status ids are the server's own (they differ between
servers), in one space for external_id, parent_id (in_reply_to_id) and thread_id. Statuses carry no public
conversation id, so thread_id is the oldest ancestor the poll knows of: the status itself when it replies to
nothing, the root when the whole reply chain came in the same poll, else the furthest known in_reply_to_id.
Any of them is in the conversation, so /api/v1/statuses/:id/context on it reaches the whole thread.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from monitors.ingest.feedparse.htmltext import html_to_text
from monitors.ingest.fetch import Fetcher, FetchError
from monitors.ingest.sources._api import (
    ShapeError, answer_of, base_url, check_base_url, check_keys, count, env_name, get_json, iso_time, max_pages,
    maybe, need, optional_text, out_of_requests, page_cap_warning, rate_limit_warning, secret, text_list,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

DEFAULT_URL = "https://mastodon.social"
PAGE_SIZE = 40  # Mastodon's cap per request
KNOWN_PARAMS = {"hashtags", "query", "token_env", "max_pages"}
NEEDS_TOKEN = ("Mastodon search needs a token: set params.token_env to the name of an environment variable "
               "holding an access token (scope read:statuses; Preferences → Development → New application)")

_TAG = re.compile(r"\w+")
_ID = re.compile(r"[0-9A-Za-z]{1,64}")  # Mastodon: digits; Pleroma, GoToSocial: sortable letters and digits
_LINK_PREV = re.compile(r'<([^>]+)>\s*;\s*rel="?prev"?')


class MastodonSource(SourceKind):
    kind = "mastodon"
    description = "a Mastodon server's hashtag timelines (params.hashtags), or its search (params.query + token)"

    def validate(self, config: "SourceConfig") -> None:
        params = config.params
        check_keys(params, KNOWN_PARAMS)
        tags = text_list(params, "hashtags")
        query = optional_text(params, "query")
        token = env_name(params, "token_env")
        if tags and query:
            raise ValueError("params.query: give hashtags or a search query, not both (use two sources)")
        if not tags and not query:
            raise ValueError('params.hashtags: missing; give hashtags to follow (e.g. ["acme"]) or, with a token, '
                             "a search query in params.query")
        for tag in tags:
            if not _TAG.fullmatch(tag.lstrip("#")):
                raise ValueError(f"params.hashtags: {tag!r} is not a hashtag (letters, digits and _)")
        if query and not token:
            raise ValueError(f"params.token_env: {NEEDS_TOKEN}")
        max_pages(params)
        check_base_url(config.url)

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        params = state.params
        base = base_url(state.url, DEFAULT_URL)
        token = secret(params, "token_env")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        cursor = state.cursor if state.cursor and _ID.fullmatch(state.cursor) else None
        if params.get("query"):
            if not token:
                raise FetchError(NEEDS_TOKEN, permanent=True)
            refused = (f"the access token in ${params['token_env']} was not accepted; create a new one "
                       "(scope read:statuses) and put it there")
            statuses, result = _search(fetcher, base, params, headers, refused, cursor)
        else:
            refused = (f"the access token in ${params['token_env']} was not accepted; create a new one"
                       if token else
                       "this server shows hashtag timelines only to signed-in users: set params.token_env to the "
                       "name of an environment variable holding an access token (scope read:statuses)")
            statuses, result = _hashtags(fetcher, base, params, headers, refused, cursor)
        host = urlsplit(base).hostname or ""
        with answer_of("Mastodon", None):
            result.mentions = _link_threads([_mention(s, where, host) for where, s in statuses])
            ids = [need(s, "id", str, where) for where, s in statuses]
        result.cursor = max([i for i in [cursor, *ids] if i], key=_id_order, default=None) or state.cursor
        return result


Statuses = list[tuple[str, Any]]  # (where in the answer, the status), for error messages


def _hashtags(fetcher: Fetcher, base: str, params: dict[str, Any], headers: dict[str, str], refused: str,
              cursor: str | None) -> tuple[Statuses, PollResult]:
    tags = [tag.lstrip("#") for tag in text_list(params, "hashtags")]
    url = f"{base}/api/v1/timelines/tag/{quote(tags[0], safe='')}"
    query: dict[str, Any] = {"limit": PAGE_SIZE}
    if tags[1:]:
        query["any[]"] = tags[1:]
    result, collected, min_id = PollResult(), [], cursor
    pages = max_pages(params)
    for page in range(1, pages + 1):
        asked = {**query, "min_id": min_id} if min_id else query
        data, response = get_json(fetcher, url, service="Mastodon", params=asked, headers=headers, refused=refused)
        with answer_of("Mastodon", response.status):
            if not isinstance(data, list):
                raise ShapeError("answer is not a list of statuses")
            found = [(f"answer[{i}]", s) for i, s in enumerate(data)]
            newest = max((need(s, "id", str, where) for where, s in found), key=_id_order, default=None)
        collected.extend(found)
        # without a cursor the newest page is the look-back; a short page means nothing newer is left
        if min_id is None or len(found) < PAGE_SIZE:
            break
        if out_of_requests(response.headers):
            result.warnings.append(rate_limit_warning("Mastodon", page))
            break
        min_id = _prev_min_id(response.headers.get("link")) or newest
    else:
        result.warnings.append(f"Mastodon: more than {pages} page(s) of new statuses; the rest come on the next "
                               "poll (poll more often or raise params.max_pages)")
    return collected, result


def _search(fetcher: Fetcher, base: str, params: dict[str, Any], headers: dict[str, str], refused: str,
            cursor: str | None) -> tuple[Statuses, PollResult]:
    query: dict[str, Any] = {"q": params["query"], "type": "statuses", "resolve": "false", "limit": PAGE_SIZE}
    if cursor:
        query["min_id"] = cursor
    result, collected = PollResult(), []
    pages = max_pages(params)
    for page in range(1, pages + 1):
        asked = {**query, "offset": (page - 1) * PAGE_SIZE} if page > 1 else query
        data, response = get_json(fetcher, f"{base}/api/v2/search", service="Mastodon", params=asked,
                                  headers=headers, refused=refused)
        with answer_of("Mastodon", response.status):
            found = [(f"answer.statuses[{i}]", s) for i, s in enumerate(need(data, "statuses", list, "answer"))]
        collected.extend(found)
        if cursor is None or len(found) < PAGE_SIZE:
            break
        if out_of_requests(response.headers):
            result.warnings.append(rate_limit_warning("Mastodon", page))
            break
    else:
        result.warnings.append(page_cap_warning("Mastodon search", pages, "statuses"))
    return collected, result


def _mention(status: Any, where: str, host: str) -> RawMention:
    boosted = maybe(status, "reblog", dict, where)
    if boosted is not None:  # tag timelines and search hold originals, but a boost must not slip through
        status, where = boosted, f"{where}.reblog"
    account = need(status, "account", dict, where)
    acct = need(account, "acct", str, f"{where}.account")
    followers = count(account, "followers_count", f"{where}.account")
    boosts, favourites = count(status, "reblogs_count", where), count(status, "favourites_count", where)
    warning = (maybe(status, "spoiler_text", str, where) or "").strip()
    return RawMention(
        external_id=need(status, "id", str, where),
        text=html_to_text(need(status, "content", str, where)),
        url=maybe(status, "url", str, where) or maybe(status, "uri", str, where),
        title=warning or None,  # a content warning reads like a subject line
        author=acct if "@" in acct or not host else f"{acct}@{host}",  # local accounts come without a server
        author_reach=followers + boosts + favourites,
        published_at=iso_time(need(status, "created_at", str, where), f"{where}.created_at"),
        language=maybe(status, "language", str, where),
        parent_id=maybe(status, "in_reply_to_id", str, where),
        extra={"followers_count": followers, "reblogs_count": boosts, "favourites_count": favourites,
               "replies_count": count(status, "replies_count", where), "uri": maybe(status, "uri", str, where)},
    )


def _link_threads(mentions: list[RawMention]) -> list[RawMention]:
    """Set each thread_id to the oldest ancestor known from this poll (see the module docstring)."""
    parent_of = {m.external_id: m.parent_id for m in mentions}
    for mention in mentions:
        current, seen = mention.external_id, {mention.external_id}
        while (up := parent_of.get(current)) is not None and up not in seen:
            current = up
            seen.add(up)
            if up not in parent_of:  # an ancestor from before this poll: the furthest we know
                break
        mention.thread_id = current
    return mentions


def _prev_min_id(link: str | None) -> str | None:
    """The min_id of the Link header's rel="prev" URL: where the server says the next newer page starts."""
    match = _LINK_PREV.search(link or "")
    if not match:
        return None
    value = parse_qs(urlsplit(match.group(1)).query).get("min_id", [None])[0]
    return value if value and _ID.fullmatch(value) else None


def _id_order(status_id: str) -> tuple[int, str]:
    # numeric ids grow in length; the lettered kinds are fixed-length and sort as text
    return len(status_id), status_id
