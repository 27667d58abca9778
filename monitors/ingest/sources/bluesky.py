"""Bluesky post search (app.bsky.feed.searchPosts, newest first), signed in with an app password on the user's
PDS. Bluesky has refused logged-out post search on its public AppView since 2025 (its lexicon now says the
endpoint may need auth), so the handle and app password are required and the search goes through the PDS.

Reach = likeCount + repostCount + replyCount + quoteCount: post views carry no follower count, and these say
how far the post went. external_id is the post's at:// URI; thread_id is record.reply.root.uri (the post's
own URI when it starts a thread) and parent_id record.reply.parent.uri. The cursor is the newest sortAt seen
(the earlier of createdAt and indexedAt, which is what searchPosts' `since` filters on); each poll asks from
it less a short overlap. The API's own `cursor` only pages within one poll.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.fetch import Fetcher, FetchError, HTTPStatusError
from monitors.ingest.sources._api import (
    LOOKBACK, OVERLAP, TOKEN_REFUSALS, TokenCache, answer_of, check_base_url,
    check_keys, count, cursor_iso, env_name, get_json, iso_time, iso_z, max_pages, maybe, need, optional_text,
    out_of_requests, page_cap_warning, post_json, rate_limit_warning, require_text, secret,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState, require_http_url

if TYPE_CHECKING:
    from monitors.config import SourceConfig

DEFAULT_PDS = "https://bsky.social"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
PAGE_SIZE = 100  # searchPosts' cap per request
SESSION_LIFE = timedelta(minutes=30)  # when the token's own expiry cannot be read
SESSION_MARGIN = timedelta(minutes=1)
KNOWN_PARAMS = {"query", "handle", "app_password_env", "pds_url", "max_pages"}
APP_PASSWORDS = "Settings → Privacy and security → App passwords"


class BlueskySource(SourceKind):
    kind = "bluesky"
    description = "Bluesky posts matching params.query (searchPosts, signed in with an app password)"

    def __init__(self) -> None:
        # createSession is rate-limited per account (tens per hour): one session serves polls until it expires
        self._sessions = TokenCache()

    def validate(self, config: "SourceConfig") -> None:
        params = config.params
        check_keys(params, KNOWN_PARAMS)
        require_text(params, "query", 'the words to search Bluesky for, e.g. "acme"')
        if not optional_text(params, "handle"):
            raise ValueError("params.handle: missing; Bluesky's post search needs a signed-in account (it refuses "
                             "logged-out searches): give the account's handle, e.g. \"acme-monitor.bsky.social\"")
        if not env_name(params, "app_password_env"):
            raise ValueError("params.app_password_env: missing; Bluesky's post search needs a signed-in account: "
                             "give the NAME of an environment variable holding an app password "
                             f"({APP_PASSWORDS})")
        if (pds := optional_text(params, "pds_url")) is not None:
            try:
                require_http_url(pds, allow_file=False)
            except ValueError as exc:
                raise ValueError(f"params.pds_url: {str(exc).removeprefix('url: ')}") from None
        max_pages(params)
        check_base_url(config.url)  # no longer used (the search goes through the PDS); accepted for old configs

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        params = state.params
        pds = (params.get("pds_url") or DEFAULT_PDS).rstrip("/")
        key = (pds, str(params.get("handle") or ""))
        return self._signed_in(fetcher, pds, self._sessions.get(key, now), key, state, now)

    def _signed_in(self, fetcher: Fetcher, pds: str, token: str | None, key: tuple[str, str], state: SourceState,
                   now: datetime) -> PollResult:
        """Search through the PDS with a session: the kept one, or a new one when it has none or it expired."""
        fresh = token is None
        if fresh:
            token = self._sign_in(fetcher, pds, state.params, key, now)
        refused = f"the session of {state.params['handle']} was not accepted; check the account and its app password"
        try:
            return _search(fetcher, pds, {"Authorization": f"Bearer {token}"}, refused, state, now)
        except HTTPStatusError as exc:
            if exc.status not in (400, 401):  # a PDS says ExpiredToken with a 400
                raise
            self._sessions.drop(key)
            if fresh:
                raise
        return self._signed_in(fetcher, pds, None, key, state, now)

    def _sign_in(self, fetcher: Fetcher, pds: str, params: dict[str, Any], key: tuple[str, str],
                 now: datetime) -> str:
        password = secret(params, "app_password_env")
        if not password:
            raise FetchError("Bluesky: params.app_password_env is not set; the post search needs a signed-in account",
                             permanent=True)
        refused = (f"the handle {params['handle']!r} and the app password in ${params['app_password_env']} were not "
                   f"accepted; create an app password in Bluesky ({APP_PASSWORDS})")
        answer, _ = post_json(fetcher, pds + CREATE_SESSION, service="Bluesky",
                              body={"identifier": params["handle"], "password": password}, refused=refused,
                              refused_on=TOKEN_REFUSALS)
        with answer_of("Bluesky", 200):
            token = need(answer, "accessJwt", str, "session answer")
        self._sessions.put(key, token, _expiry(token, now))
        return token


def _search(fetcher: Fetcher, base: str, headers: dict[str, str], refused: str | None, state: SourceState,
            now: datetime) -> PollResult:
    since = cursor_iso(state.cursor)
    floor = since - OVERLAP if since else now - LOOKBACK
    query = {"q": state.params["query"], "sort": "latest", "limit": PAGE_SIZE, "since": iso_z(floor, milliseconds=True)}
    newest, result, page_cursor = since, PollResult(), None
    pages = max_pages(state.params)
    for page in range(1, pages + 1):
        asked = {**query, "cursor": page_cursor} if page_cursor else query
        data, response = get_json(fetcher, base + SEARCH, service="Bluesky", params=asked, headers=headers,
                                  refused=refused)
        with answer_of("Bluesky", response.status):
            posts = need(data, "posts", list, "answer")
            page_cursor = maybe(data, "cursor", str, "answer")
            found = [_post(post, f"answer.posts[{i}]") for i, post in enumerate(posts)]
        fresh = [(mention, sort_at) for mention, sort_at in found if sort_at >= floor]
        result.mentions.extend(mention for mention, _ in fresh)
        newest = max([t for t in [newest, *(sort_at for _, sort_at in fresh)] if t], default=None)
        if len(fresh) < len(found) or not posts or not page_cursor:
            break
        if out_of_requests(response.headers):
            result.warnings.append(rate_limit_warning("Bluesky", page))
            break
    else:
        result.warnings.append(page_cap_warning("Bluesky", pages, "posts"))
    result.cursor = iso_z(newest, milliseconds=True) if newest else state.cursor
    return result


def _post(post: Any, where: str) -> tuple[RawMention, datetime]:
    """The mention and its sortAt."""
    uri = need(post, "uri", str, where)
    author = need(post, "author", dict, where)
    handle = need(author, "handle", str, f"{where}.author")
    record = need(post, "record", dict, where)
    indexed = iso_time(need(post, "indexedAt", str, where), f"{where}.indexedAt")
    # createdAt is the poster's device clock: a garbled one falls back to indexedAt rather than failing the poll
    created = parse_date(maybe(record, "createdAt", str, f"{where}.record")) or indexed
    reply = maybe(record, "reply", dict, f"{where}.record") or {}
    root, parent = (maybe(maybe(reply, end, dict, f"{where}.record.reply") or {}, "uri", str,
                          f"{where}.record.reply.{end}") for end in ("root", "parent"))
    langs = maybe(record, "langs", list, f"{where}.record") or []
    counts = {name: count(post, name, where) for name in ("likeCount", "repostCount", "replyCount", "quoteCount")}
    # an unverifiable handle reads "handle.invalid"; the DID always resolves
    profile = maybe(author, "did", str, f"{where}.author") if handle == "handle.invalid" else handle
    mention = RawMention(
        external_id=uri,
        text=maybe(record, "text", str, f"{where}.record") or "",
        url=f"https://bsky.app/profile/{profile}/post/{uri.rsplit('/', 1)[-1]}" if profile else None,
        author=handle,
        author_reach=sum(counts.values()),
        published_at=created,
        language=next((lang for lang in langs if isinstance(lang, str) and lang), None),
        thread_id=root or uri,
        parent_id=parent,
        extra=counts,
    )
    return mention, min(created, indexed)


def _expiry(jwt: str, now: datetime) -> datetime:
    """When the access token expires, from its own `exp` claim (read, not verified: only to know when to renew)."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        expires = datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
    except (IndexError, ValueError, KeyError, TypeError, OverflowError, OSError):
        return now + SESSION_LIFE
    return min(expires - SESSION_MARGIN, now + timedelta(hours=24))
