"""GitHub issues (REST search) and, with a token, discussions (GraphQL search) about a brand or in its repositories.

A poll asks only for items created since the newest one it saw (minus a little grace: the search index lags
behind new issues by a minute or so; the store ignores repeats). Search allows 10 requests a minute without a
token and 30 with one; when `x-ratelimit-remaining` reaches 0 the poll stops paging and keeps what it has.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.feedparse.htmltext import TEXT_LIMIT, clip
from monitors.ingest.fetch import Fetcher, FetchError, FetchResponse, HTTPStatusError
from monitors.ingest.sources._api import (
    as_int, as_list, auth_error, base_url, changed_format, check_base_url, check_keys, env_name, get_json, iso_z,
    optional_text, post_json, rate_limit_reset, requests_left, secret_or_warning, with_service,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

SERVICE = "GitHub"
DEFAULT_URL = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 5  # 500 new items a poll; more means the query is too broad
DISCUSSIONS_PER_PAGE = 50
FIRST_LOOKBACK = timedelta(days=1)
LATE_GRACE = timedelta(minutes=10)
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
TOKEN_FIX = ("the token in params.token_env is wrong, expired or lacks access; create a fine-grained token with "
             "read access to the repositories (or a classic one with public_repo) and put it in that variable")
DISCUSSION_QUERY = """
query($q: String!, $first: Int!, $after: String) {
  search(type: DISCUSSION, query: $q, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { ... on Discussion {
      number title body url createdAt
      author { login }
      repository { nameWithOwner }
      category { name }
      comments { totalCount }
      reactions { totalCount }
    } }
  }
}
"""


class GitHubSource(SourceKind):
    kind = "github"
    description = "GitHub issues (and discussions, with a token) matching a search, optionally in given repositories"

    def validate(self, config: "SourceConfig") -> None:
        check_base_url(config.url)
        check_keys(config.params, {"query", "repos", "token_env", "discussions"})
        query = optional_text(config.params, "query")
        repos = config.params.get("repos", [])
        if not isinstance(repos, list) or not all(isinstance(r, str) and _is_repo(r) for r in repos):
            raise ValueError("params.repos: must be a list of repositories written owner/name, e.g. [\"acme/app\"]")
        if not query and not repos:
            raise ValueError("params.query: missing (the words to search issues for, e.g. \"acme crash\"); "
                             "or give params.repos to watch every new issue in those repositories")
        env_name(config.params, "token_env")
        discussions = config.params.get("discussions", True)
        if not isinstance(discussions, bool):
            raise ValueError("params.discussions: must be true or false")

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        base = base_url(state.url, DEFAULT_URL)
        token, warning = secret_or_warning(state.params, "token_env")
        headers = dict(API_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {}))
        cursors = _read_cursor(state.cursor)
        result = PollResult(warnings=[warning] if warning else [])
        search = _search_terms(state.params)

        since = _since(cursors.get("issues"), now)
        issues, issues_newest = _issues(fetcher, base, headers, f"{search} is:issue created:>={iso_z(since)}",
                                        now, result.warnings)
        result.mentions += issues
        cursors["issues"] = issues_newest or cursors.get("issues")

        if state.params.get("discussions", True):
            if not token:
                result.warnings.append("GitHub discussions are searched only with a token: set params.token_env "
                                       "to the name of an environment variable holding one (issues still work)")
            else:
                since = _since(cursors.get("discussions"), now)
                found, newest = _discussions(fetcher, base, headers, f"{search} created:>={iso_z(since)}",
                                             result.warnings)
                result.mentions += found
                cursors["discussions"] = newest or cursors.get("discussions")
        result.cursor = json.dumps({k: v for k, v in cursors.items() if v}, sort_keys=True) if any(
            cursors.values()) else state.cursor
        return result


def _issues(fetcher: Fetcher, base: str, headers: dict, q: str, now: datetime,
            warnings: list[str]) -> tuple[list[RawMention], str | None]:
    mentions: list[RawMention] = []
    newest: str | None = None
    for page in range(1, MAX_PAGES + 1):
        params = {"q": q, "sort": "created", "order": "desc", "per_page": PER_PAGE, "page": page}
        data, response = call(lambda: get_json(fetcher, f"{base}/search/issues", service=SERVICE, params=params,
                                                headers=headers))
        if not isinstance(data, dict):
            raise changed_format(SERVICE, "the search answer is not an object")
        items = as_list(data.get("items"), SERVICE, "items")
        for item in items:
            if isinstance(item, dict) and "pull_request" not in item:
                mention = issue(item)
                if mention is not None:
                    mentions.append(mention)
        if page == 1 and items and isinstance(items[0], dict) and isinstance(items[0].get("created_at"), str):
            newest = items[0]["created_at"]  # sorted newest first
        if data.get("incomplete_results"):
            warnings.append("GitHub's search timed out and returned part of the results; the rest come next poll")
        if len(items) < PER_PAGE:
            break
        if _exhausted(response, now, warnings):
            break
    else:
        warnings.append(f"more than {MAX_PAGES * PER_PAGE} new GitHub issues; read the newest — narrow params.query")
    return mentions, newest


def _discussions(fetcher: Fetcher, base: str, headers: dict, q: str,
                 warnings: list[str]) -> tuple[list[RawMention], str | None]:
    mentions: list[RawMention] = []
    newest: str | None = None
    after = None
    for _ in range(MAX_PAGES):
        variables = {"q": q + " sort:created-desc", "first": DISCUSSIONS_PER_PAGE, "after": after}
        data, _ = call(lambda: post_json(fetcher, graphql_url(base), service=SERVICE, headers=headers,
                                          body={"query": DISCUSSION_QUERY, "variables": variables}))
        if isinstance(data, dict) and data.get("errors") and not data.get("data"):
            first = data["errors"][0] if isinstance(data["errors"], list) and data["errors"] else {}
            message = first.get("message") if isinstance(first, dict) else None
            warnings.append(f"GitHub discussions search failed: {message or 'GraphQL error'}")
            break
        search = data.get("data", {}).get("search") if isinstance(data, dict) else None
        if not isinstance(search, dict):
            raise changed_format(SERVICE, "GraphQL answer without data.search")
        for node in as_list(search.get("nodes"), SERVICE, "data.search.nodes"):
            mention = discussion(node) if isinstance(node, dict) else None
            if mention is not None:
                mentions.append(mention)
                created = node.get("createdAt")
                if isinstance(created, str) and (newest is None or created > newest):
                    newest = created
        info = search.get("pageInfo") if isinstance(search.get("pageInfo"), dict) else {}
        if not info.get("hasNextPage") or not info.get("endCursor"):
            break
        after = info["endCursor"]
    return mentions, newest


def issue(item: dict) -> RawMention | None:
    repo = _repo_of(item.get("repository_url"))
    number = item.get("number")
    if not repo or not isinstance(number, int):
        return None
    reactions = item.get("reactions") if isinstance(item.get("reactions"), dict) else {}
    user = item.get("user") if isinstance(item.get("user"), dict) else {}
    labels = [label.get("name") for label in item.get("labels") or [] if isinstance(label, dict)]
    return RawMention(
        external_id=f"github:{repo}#{number}",
        text=clip(_text(item.get("body")), TEXT_LIMIT),  # Markdown reads fine as plain text
        url=_text(item.get("html_url")) or None,
        title=_text(item.get("title")) or None,
        author=_text(user.get("login")) or None,
        author_reach=as_int(reactions.get("total_count")) + as_int(item.get("comments")),
        published_at=parse_date(_text(item.get("created_at"))),
        thread_id=f"{repo}#{number}",
        extra={"kind": "issue", "state": item.get("state"), "labels": [n for n in labels if isinstance(n, str)]},
    )


def discussion(node: dict) -> RawMention | None:
    repository = node.get("repository") if isinstance(node.get("repository"), dict) else {}
    repo = _text(repository.get("nameWithOwner"))
    number = node.get("number")
    if not repo or not isinstance(number, int):
        return None
    author = node.get("author") if isinstance(node.get("author"), dict) else {}
    category = node.get("category") if isinstance(node.get("category"), dict) else {}
    return RawMention(
        external_id=f"github:{repo}/discussions/{number}",
        text=clip(_text(node.get("body")), TEXT_LIMIT),
        url=_text(node.get("url")) or None,
        title=_text(node.get("title")) or None,
        author=_text(author.get("login")) or None,
        author_reach=_total(node, "reactions") + _total(node, "comments"),
        published_at=parse_date(_text(node.get("createdAt"))),
        thread_id=f"{repo}/discussions/{number}",
        extra={"kind": "discussion", "category": category.get("name")},
    )


def call(request):
    """Run one request, turning GitHub's refusals into messages that say what to change."""
    try:
        return request()
    except HTTPStatusError as exc:
        if exc.status == 401:
            raise auth_error(SERVICE, exc.status, TOKEN_FIX, retry_after=exc.retry_after) from None
        if exc.status == 403 or (exc.status == 429):
            if exc.retry_after is not None or exc.status == 429:
                raise HTTPStatusError(f"GitHub's rate limit is used up; retrying after {exc.retry_after or 60:.0f} s",
                                      status=exc.status, retry_after=exc.retry_after or 60.0) from None
            raise HTTPStatusError(
                "GitHub refused the request (403): either the search rate limit is used up (10 requests a minute "
                "without a token; set params.token_env for 30) or the token may not read these repositories",
                status=403, retry_after=60.0) from None
        if exc.status == 422:
            raise HTTPStatusError("GitHub could not run this search (422): check params.query and params.repos "
                                  "(each owner/name, and the repositories must exist and be visible to the token)",
                                  status=422, permanent=True) from None
        raise with_service(exc, SERVICE) from None
    except FetchError as exc:
        raise with_service(exc, SERVICE) from None


def graphql_url(base: str) -> str:
    # GitHub Enterprise Server serves REST at /api/v3 and GraphQL at /api/graphql
    return base[: -len("/v3")] + "/graphql" if base.endswith("/api/v3") else f"{base}/graphql"


def _exhausted(response: FetchResponse, now: datetime, warnings: list[str]) -> bool:
    if requests_left(response.headers) != 0:
        return False
    wait = rate_limit_reset(response.headers, now=now)
    when = f" for {wait:.0f} s" if wait is not None else ""
    warnings.append(f"GitHub's search rate limit is used up{when}; stopped paging, the next poll continues")
    return True


def _search_terms(params: dict) -> str:
    words = (params.get("query") or "").strip()
    repos = " ".join(f"repo:{r.strip()}" for r in params.get("repos") or [])
    return " ".join(part for part in (words, repos) if part)


def _since(cursor: str | None, now: datetime) -> datetime:
    seen = parse_date(cursor) if cursor else None
    return seen - LATE_GRACE if seen else now - FIRST_LOOKBACK


def _read_cursor(cursor: str | None) -> dict[str, str | None]:
    try:
        data = json.loads(cursor) if cursor else {}
    except json.JSONDecodeError:
        data = {}
    return {key: data.get(key) if isinstance(data, dict) and isinstance(data.get(key), str) else None
            for key in ("issues", "discussions")}


def _repo_of(repository_url: Any) -> str | None:
    """'https://api.github.com/repos/acme/app' -> 'acme/app'."""
    if not isinstance(repository_url, str) or "/repos/" not in repository_url:
        return None
    owner_name = repository_url.rsplit("/repos/", 1)[1].strip("/")
    return owner_name if _is_repo(owner_name) else None


def _is_repo(value: str) -> bool:
    owner, _, name = value.strip().partition("/")
    return bool(owner and name and "/" not in name and " " not in value.strip())


def _total(node: dict, key: str) -> int:
    holder = node.get(key)
    return as_int(holder.get("totalCount")) if isinstance(holder, dict) else 0


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
