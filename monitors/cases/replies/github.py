"""GitHub: the comments on the complaint's issue (/repos/{owner}/{repo}/issues/{n}/comments), or on its
discussion and the replies under them (GraphQL, which needs the source's token, as discussions search does)."""

from __future__ import annotations

import re
from typing import Any

from monitors.ingest.fetch import Fetcher, FetchError
from monitors.cases.replies.base import Reply, Thread, ThreadRef
from monitors.cases.replies.fetching import get_thread_json
from monitors.ingest.sources._api import answer_of, iso_time, maybe, need, post_json, secret
from monitors.ingest.sources.github import API_HEADERS, SERVICE, call, graphql_url

DEFAULT_URL = "https://api.github.com"
_ISSUE = re.compile(r"^([\w.-]+/[\w.-]+)#(\d+)$")
_DISCUSSION = re.compile(r"^([\w.-]+)/([\w.-]+)/discussions/(\d+)$")
COMMENTS_QUERY = """
query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    discussion(number: $number) {
      comments(first: 100) { nodes {
        author { login } createdAt url deletedAt
        replies(first: 100) { nodes { author { login } createdAt url deletedAt } }
      } }
    }
  }
}
"""


def issue_of(thread_id: str | None) -> tuple[str, int] | None:
    match = _ISSUE.match(thread_id or "")
    return (match.group(1), int(match.group(2))) if match else None


def fetch(fetcher: Fetcher, ref: ThreadRef) -> Thread | None:
    """None when there is nothing to read: a discussion without a token, or a thread that is neither."""
    discussion = _DISCUSSION.match(ref.thread_id or "")
    if discussion is not None:
        return _discussion(fetcher, ref, secret(ref.params, "token_env"), discussion.group(1), discussion.group(2),
                           int(discussion.group(3)))
    issue = issue_of(ref.thread_id)
    if issue is None:
        return None
    token = secret(ref.params, "token_env")
    headers = {"Accept": "application/vnd.github+json", **({"Authorization": f"Bearer {token}"} if token else {})}
    url = f"{(ref.base_url or DEFAULT_URL).rstrip('/')}/repos/{issue[0]}/issues/{issue[1]}/comments"
    data, status = get_thread_json(fetcher, url, service="GitHub", params={"per_page": 100}, headers=headers)
    if data is None:
        return Thread(gone=True)
    with answer_of("GitHub", status):
        return parse(data)


def parse(data: Any) -> Thread:
    if not isinstance(data, list):
        need(data, "comments", list, "answer")  # raises: names what was expected
    replies = []
    for i, comment in enumerate(data):
        where = f"answer[{i}]"
        user = maybe(comment, "user", dict, where) or {}  # a deleted account's comments have no user
        created = maybe(comment, "created_at", str, where)
        replies.append(Reply(author=maybe(user, "login", str, f"{where}.user"),
                             published_at=iso_time(created, f"{where}.created_at") if created else None,
                             url=maybe(comment, "html_url", str, where)))
    return Thread(replies=replies)


def _discussion(fetcher: Fetcher, ref: ThreadRef, token: str | None, owner: str, name: str,
                number: int) -> Thread | None:
    if not token:  # GitHub's GraphQL API answers nobody without one
        return None
    headers = {**API_HEADERS, "Authorization": f"Bearer {token}"}
    data, response = call(lambda: post_json(
        fetcher, graphql_url((ref.base_url or DEFAULT_URL).rstrip("/")), service=SERVICE, headers=headers,
        body={"query": COMMENTS_QUERY, "variables": {"owner": owner, "name": name, "number": number}}))
    with answer_of(SERVICE, response.status):
        return parse_discussion(data)


def parse_discussion(data: Any) -> Thread:
    """The comments of a GraphQL discussion answer and their replies; a discussion that no longer resolves
    (deleted, or its repository gone) is gone."""
    errors = maybe(data, "errors", list, "answer") or []
    repository = maybe(maybe(data, "data", dict, "answer") or {}, "repository", dict, "answer.data")
    discussion = maybe(repository, "discussion", dict, "answer.data.repository") if repository else None
    if discussion is None:
        if any(isinstance(e, dict) and e.get("type") == "NOT_FOUND" for e in errors) or not errors:
            return Thread(gone=True)
        first = errors[0] if isinstance(errors[0], dict) else {}
        raise FetchError(f"GitHub could not read the discussion: {first.get('message') or 'a GraphQL error'}")
    replies = []
    comments = maybe(discussion, "comments", dict, "discussion") or {}
    for i, comment in enumerate(maybe(comments, "nodes", list, "discussion.comments") or []):
        where = f"discussion.comments.nodes[{i}]"
        replies.append(_comment(comment, where))
        answers = maybe(comment, "replies", dict, where) or {}
        replies += [_comment(reply, f"{where}.replies.nodes[{j}]")
                    for j, reply in enumerate(maybe(answers, "nodes", list, f"{where}.replies") or [])]
    return Thread(replies=replies)


def _comment(node: Any, where: str) -> Reply:
    author = maybe(node, "author", dict, where) or {}  # a deleted account's comments have no author
    created = maybe(node, "createdAt", str, where)
    return Reply(author=maybe(author, "login", str, f"{where}.author"),
                 published_at=iso_time(created, f"{where}.createdAt") if created else None,
                 url=maybe(node, "url", str, where), deleted=maybe(node, "deletedAt", str, where) is not None)
