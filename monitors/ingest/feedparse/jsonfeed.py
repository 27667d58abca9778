"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org)."""

from __future__ import annotations

import json
from typing import Any

from monitors.ingest.feedparse.htmltext import html_to_text, tidy
from monitors.ingest.feedparse.mention import MentionBuilder
from monitors.ingest.feedparse.model import FeedError
from monitors.ingest.raw import RawMention

_VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


def parse_json_feed(body: bytes, builder: MentionBuilder) -> tuple[str, str | None, list[RawMention], list[str]]:
    """-> (format, feed title, mentions, warnings)."""
    try:
        document = json.loads(body.removeprefix(b"\xef\xbb\xbf"))
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"the body looks like JSON but does not parse ({exc})") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(_VERSION_PREFIXES):
        raise FeedError(
            "this URL returned JSON, but not a JSON Feed (no \"version\": \"https://jsonfeed.org/version/1.1\"); "
            "for a site's own API, a dedicated source kind is needed"
        )
    format_name = "jsonfeed" + version.rstrip("/").rsplit("/", 1)[-1]
    items = document.get("items")
    warnings: list[str] = []
    if not isinstance(items, list):
        warnings.append('the JSON Feed has no "items" list')
        items = []
    feed_author = _author(document)
    feed_language = _string(document.get("language"))
    objects = [item for item in items if isinstance(item, dict)]
    skipped = len(items) - len(objects)
    mentions = builder.each(objects, lambda item: _item(item, builder, feed_author, feed_language))
    if skipped:
        warnings.append(f"{skipped} JSON Feed items are not objects; skipped them")
    return format_name, html_to_text(_string(document.get("title"))) or None, mentions, warnings


def _item(item: dict[str, Any], builder: MentionBuilder, feed_author: str | None, feed_language: str | None):
    text = tidy(_string(item.get("content_text")) or "")
    if not text:
        text = html_to_text(_string(item.get("content_html")))
    if not text:
        text = html_to_text(_string(item.get("summary")))
    identifier = item.get("id")
    if isinstance(identifier, (int, float)) and not isinstance(identifier, bool):
        identifier = str(identifier)  # 1.0 feeds often use numbers; the spec says string
    return builder.build(
        guid=_string(identifier),
        link=_string(item.get("url")) or _string(item.get("external_url")),
        title=_string(item.get("title")),
        text=text,
        author=_author(item) or feed_author,
        date=_string(item.get("date_published")) or _string(item.get("date_modified")),
        language=_string(item.get("language")) or feed_language,
    )


def _author(holder: dict[str, Any]) -> str | None:
    authors = holder.get("authors")
    candidates = authors if isinstance(authors, list) else [holder.get("author")]
    for author in candidates:
        if isinstance(author, dict) and _string(author.get("name")):
            return _string(author.get("name"))
    return None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
