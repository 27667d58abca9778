"""Reddit search, newest first: all of Reddit or a list of subreddits, over the public JSON or app-only OAuth;
or the listing behind one of a user's private feed URLs.

Ways in, as of 2026: anonymous `.json` polling is mostly answered 429/403; new OAuth apps need Reddit's
approval; a private feed URL from https://www.reddit.com/prefs/feeds (`...?feed=TOKEN&user=NAME`) reads a
listing as that user without an app. A private feed is a listing, not a search: what it holds is matched to
the brands like any other source's items, so point it at the subreddits worth watching (the front page of
an account that follows them, or a multireddit).

Reach is score + num_comments: listings carry no follower counts, and votes plus comments are how far a
post travelled. Ids are Reddit fullnames in one space: external_id and thread_id of a post are its t3_…;
a comment's thread_id is its link_id (the post) and its parent_id the t1_/t3_ it answers. The cursor is the
newest created_utc seen, in epoch seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from urllib.parse import parse_qsl, urlsplit, urlunsplit

from monitors.ingest.fetch import Fetcher, FetchError, HTTPStatusError
from monitors.ingest.sources._api import (
    LOOKBACK, OVERLAP, TOKEN_REFUSALS, TokenCache, answer_of, auth_error, base_url, basic_auth, check_base_url,
    check_keys, count, cursor_epoch, env_name, epoch_time, get_json, max_pages, maybe, need, out_of_requests,
    page_cap_warning, post_json, rate_limit_warning, require_text, secret, text_list,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

DEFAULT_URL = "https://www.reddit.com"
OAUTH_API = "https://oauth.reddit.com"  # app-only tokens are accepted here, not on www
WEB = "https://www.reddit.com"  # permalinks point at the site whichever host answered
PAGE_SIZE = 100  # Reddit's cap per listing request
TOKEN_MARGIN = timedelta(minutes=1)
KNOWN_PARAMS = {"query", "subreddits", "client_id_env", "secret_env", "max_pages", "private_feed_env"}
APPS_PAGE = "https://www.reddit.com/prefs/apps"
FEEDS_PAGE = "https://www.reddit.com/prefs/feeds"
WAYS_IN = (f"set params.private_feed_env to the name of an environment variable holding a private feed URL from "
           f"{FEEDS_PAGE} (no app needed), or use OAuth: params.client_id_env and params.secret_env naming a "
           f"'script' app's id and secret from {APPS_PAGE} (new apps need Reddit's approval)")

_SUBREDDIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}")
_PUBLIC_REFUSED = ("Reddit turns anonymous polling away: " + WAYS_IN +
                   " (a private or banned subreddit in params.subreddits is refused too)")
_PUBLIC_LIMITED = "Reddit rate-limits anonymous polling (429), for hours at a time since 2026: " + WAYS_IN


class RedditSource(SourceKind):
    kind = "reddit"
    description = "Reddit search for params.query, across Reddit or within params.subreddits; OAuth optional"

    def __init__(self) -> None:
        self._tokens = TokenCache()

    def validate(self, config: "SourceConfig") -> None:
        params = config.params
        check_keys(params, KNOWN_PARAMS)
        if not env_name(params, "private_feed_env"):
            require_text(params, "query", 'the Reddit search to run, e.g. "acme OR acmecorp"')
        for name in text_list(params, "subreddits"):
            if not _SUBREDDIT.fullmatch(_bare(name)):
                raise ValueError(f"params.subreddits: {name!r} is not a subreddit name")
        if bool(env_name(params, "client_id_env")) != bool(env_name(params, "secret_env")):
            raise ValueError("params.secret_env: OAuth needs both client_id_env and secret_env (or neither, "
                             "for the public JSON)")
        max_pages(params)
        check_base_url(config.url)

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        params = state.params
        base = base_url(state.url, DEFAULT_URL)
        subreddits = [_bare(name) for name in text_list(params, "subreddits")]
        path = f"/r/{'+'.join(subreddits)}/search" if subreddits else "/search"
        query: dict[str, Any] = {"q": params["query"], "sort": "new", "type": "link", "limit": PAGE_SIZE,
                                 "raw_json": 1}  # raw_json: text as written, not HTML-escaped
        if subreddits:
            query["restrict_sr"] = 1

        if params.get("private_feed_env"):
            url, feed_query = private_feed(secret(params, "private_feed_env") or "", params["private_feed_env"])
            refused = (f"the private feed URL in ${params['private_feed_env']} was not accepted (its token changes "
                       f"when the password does); copy it again from {FEEDS_PAGE}")
            return _search(fetcher, url, {**feed_query, "limit": PAGE_SIZE, "raw_json": 1}, {}, refused, state, now)
        access = app_access(fetcher, base, params, self._tokens, now)
        if access is None:
            try:
                return _search(fetcher, base + path + ".json", query, {}, _PUBLIC_REFUSED, state, now)
            except HTTPStatusError as exc:
                if exc.status != 429:
                    raise
                raise HTTPStatusError(f"{_PUBLIC_LIMITED}", status=429, retry_after=exc.retry_after) from None
        refused = ("Reddit did not accept the app-only token (a new one is asked for on the next poll); if this "
                   f"repeats, check the app at {APPS_PAGE}, and that params.subreddits names no private subreddit")
        with access.dropped_when_refused():
            return _search(fetcher, access.api + path, query, access.headers, refused, state, now)


def private_feed(url: str, variable: str) -> tuple[str, dict[str, str]]:
    """A private feed URL (RSS or JSON, as Reddit's feeds page shows it) -> its JSON listing URL and query."""
    parts = urlsplit(url.strip())
    query = dict(parse_qsl(parts.query))
    if parts.scheme not in ("http", "https") or not parts.netloc or not query.get("feed") or not query.get("user"):
        raise FetchError(f"Reddit: ${variable} does not hold a private feed URL (one from {FEEDS_PAGE}, with "
                         "?feed=...&user=... in it)", permanent=True)
    path = parts.path
    for ending in (".rss", ".xml", ".json"):
        path = path.removesuffix(ending)
    path = path.rstrip("/") + "/.json"
    kept = {k: v for k, v in query.items() if k in ("feed", "user")}
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), kept


@dataclass(frozen=True)
class AppAccess:
    """An app-only OAuth token and where to use it."""

    api: str
    headers: dict[str, str]
    tokens: TokenCache
    key: tuple[str, str]

    @contextmanager
    def dropped_when_refused(self) -> Iterator[None]:
        """Forget the token if Reddit answers 401 with it (revoked or expired early): the next call asks anew."""
        try:
            yield
        except HTTPStatusError as exc:
            if exc.status == 401:
                self.tokens.drop(self.key)
            raise


def app_access(fetcher: Fetcher, base: str, params: dict[str, Any], tokens: TokenCache,
               now: datetime) -> AppAccess | None:
    """App-only OAuth for a source whose params name the app's id and secret (None: use the public JSON). The
    token is asked for once per lifetime and kept in `tokens`."""
    credentials = _credentials(params)
    if credentials is None:
        return None
    # a custom url (a proxy, the tests) serves the token endpoint and the API alike
    api = OAUTH_API if base == DEFAULT_URL else base
    key = (base, credentials[0])
    token = tokens.get(key, now)
    if token is None:
        refused = (f"the app credentials in ${params['client_id_env']} / ${params['secret_env']} were not "
                   f"accepted; check the app's id and secret at {APPS_PAGE}")
        answer, _ = post_json(fetcher, f"{base}/api/v1/access_token", service="Reddit",
                              form={"grant_type": "client_credentials"}, headers=basic_auth(*credentials),
                              refused=refused, refused_on=TOKEN_REFUSALS)
        if isinstance(answer, dict) and "error" in answer and "access_token" not in answer:
            raise auth_error("Reddit", 401, f"{refused} (it said {str(answer['error'])[:80]!r})")
        with answer_of("Reddit", 200):
            token = need(answer, "access_token", str, "token answer")
            lifetime = count(answer, "expires_in", "token answer") or 3600
        tokens.put(key, token, now + timedelta(seconds=lifetime) - TOKEN_MARGIN)
    return AppAccess(api=api, headers={"Authorization": f"bearer {token}"}, tokens=tokens, key=key)


def _search(fetcher: Fetcher, url: str, query: dict[str, Any], headers: dict[str, str], refused: str,
            state: SourceState, now: datetime) -> PollResult:
    """Page back from the newest post until the cursor (less an overlap) or the first poll's look-back."""
    since = cursor_epoch(state.cursor)
    floor = since - int(OVERLAP.total_seconds()) if since is not None else int((now - LOOKBACK).timestamp())
    newest = since or 0
    result = PollResult()
    pages = max_pages(state.params)
    after = None
    for page in range(1, pages + 1):
        asked = {**query, "after": after} if after else query
        data, response = get_json(fetcher, url, service="Reddit", params=asked, headers=headers, refused=refused)
        with answer_of("Reddit", response.status):
            listing = need(data, "data", dict, "answer")
            children = need(listing, "children", list, "answer.data")
            after = maybe(listing, "after", str, "answer.data")
            found = [m for i, child in enumerate(children) if (m := _mention(child, f"answer.data.children[{i}]"))]
        fresh = [m for m in found if m.published_at and m.published_at.timestamp() > floor]
        result.mentions.extend(fresh)
        newest = max([newest, *(int(m.published_at.timestamp()) for m in fresh if m.published_at)])
        if len(fresh) < len(found) or not after or not children:
            break
        if out_of_requests(response.headers):
            result.warnings.append(rate_limit_warning("Reddit", page))
            break
    else:
        result.warnings.append(page_cap_warning("Reddit", pages, "posts"))
    result.cursor = str(newest) if newest else state.cursor
    return result


def _mention(child: Any, where: str) -> RawMention | None:
    kind = need(child, "kind", str, where)
    data = need(child, "data", dict, where)
    if kind == "t3":
        return _post(data, f"{where}.data")
    if kind == "t1":
        return _comment(data, f"{where}.data")
    return None  # "more" stubs and anything else a listing may carry


def _post(data: dict[str, Any], where: str) -> RawMention:
    fullname = need(data, "name", str, where)
    title = need(data, "title", str, where).strip()
    body = (maybe(data, "selftext", str, where) or "").strip()
    score, comments = count(data, "score", where), count(data, "num_comments", where)
    extra: dict[str, Any] = {"subreddit": maybe(data, "subreddit", str, where), "score": score,
                             "num_comments": comments}
    if not maybe(data, "is_self", bool, where) and (link := maybe(data, "url", str, where)):
        extra["link"] = link
    return RawMention(
        external_id=fullname,
        text=body or title,
        url=_permalink(maybe(data, "permalink", str, where)),
        title=title or None,
        author=_author(maybe(data, "author", str, where)),
        author_reach=score + comments,
        published_at=epoch_time(need(data, "created_utc", (int, float), where), f"{where}.created_utc"),
        thread_id=fullname,
        extra=extra,
    )


def _comment(data: dict[str, Any], where: str) -> RawMention:
    score = count(data, "score", where)
    return RawMention(
        external_id=need(data, "name", str, where),
        text=need(data, "body", str, where).strip(),
        url=_permalink(maybe(data, "permalink", str, where)),
        author=_author(maybe(data, "author", str, where)),
        author_reach=score,  # comments have no comment count of their own
        published_at=epoch_time(need(data, "created_utc", (int, float), where), f"{where}.created_utc"),
        thread_id=need(data, "link_id", str, where),
        parent_id=maybe(data, "parent_id", str, where),
        extra={"subreddit": maybe(data, "subreddit", str, where), "score": score,
               "post_title": maybe(data, "link_title", str, where)},
    )


def _credentials(params: dict[str, Any]) -> tuple[str, str] | None:
    client_id, client_secret = secret(params, "client_id_env"), secret(params, "secret_env")
    return (client_id, client_secret) if client_id and client_secret else None


def _bare(name: str) -> str:
    """'r/acme', '/r/acme/' and 'acme' all name the subreddit acme."""
    name = name.strip().strip("/")
    return name[2:] if name.lower().startswith("r/") else name


def _permalink(path: str | None) -> str | None:
    return WEB + path if path and path.startswith("/") else None


def _author(name: str | None) -> str | None:
    return None if not name or name == "[deleted]" else name
