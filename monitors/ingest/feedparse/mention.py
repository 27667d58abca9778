"""The rules every feed format shares for turning an entry's raw fields into a RawMention."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urljoin

from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.feedparse.htmltext import html_to_text
from monitors.ingest.raw import RawMention

FUTURE_TOLERANCE = timedelta(days=1)  # clocks and zones are sloppy; beyond a day the date is wrong
TITLE_LIMIT = 1_000
AUTHOR_LIMIT = 200
ID_LIMIT = 1_000  # longer ids are replaced by their hash

T = TypeVar("T")


class MentionBuilder:
    """Builds the mentions of one feed, counting what it had to correct for the feed's warnings."""

    def __init__(self, feed_url: str, now: datetime):
        self.feed_url = feed_url
        self.now = now
        self.future_dates = 0
        self.unsafe_links = 0
        self.unreadable = 0
        self.first_unreadable: str | None = None
        self.empty = 0

    def each(self, entries: Iterable[T], read: Callable[[T], RawMention | None]) -> list[RawMention]:
        """`read` every entry; one that raises is dropped and counted for the feed's warnings, and the rest
        are kept: one odd entry must never cost the whole feed. An entry with nothing in it is no entry."""
        mentions = []
        for number, entry in enumerate(entries, start=1):
            try:
                mention = read(entry)
            except Exception as exc:  # noqa: BLE001 - whatever one entry does wrong stays with that entry
                self.unreadable += 1
                if self.first_unreadable is None:
                    self.first_unreadable = f"entry {number}: {type(exc).__name__}: {exc}"[:200]
                continue
            if mention is None:
                self.empty += 1
            else:
                mentions.append(mention)
        return mentions

    def build(
        self,
        *,
        guid: str | None,
        link: str | None,
        title: str | None,
        text: str,
        author: str | None,
        date: str | None,
        language: str | None,
        base: str | None = None,
    ) -> RawMention | None:
        """The entry as a mention; None when it has no id, link, title or text, which is what is left of an
        entry whose content the document lost (a CDATA section cut off by the end of the document): as a
        mention it would have nothing to match, score or show."""
        url = self.absolute(link, base)
        title_text = html_to_text(title, TITLE_LIMIT) or None
        if not (guid or "").strip() and url is None and title_text is None and not text.strip():
            return None
        published = parse_date(date)
        if published is not None and published > self.now + FUTURE_TOLERANCE:
            self.future_dates += 1
            published = None  # a made-up time would distort spikes and digests; the store uses fetch time
        return RawMention(
            external_id=_external_id(guid, url, title_text, date, text),
            text=text,
            url=url,
            title=title_text,
            author=html_to_text(author, AUTHOR_LIMIT) or None,
            published_at=published,
            language=_language(language),
        )

    def absolute(self, link: str | None, base: str | None = None) -> str | None:
        """Resolve a relative link against xml:base / the feed URL; only http(s) links survive."""
        if not link:
            return None
        link = link.strip()
        if not link:
            return None
        resolved = urljoin(base or self.feed_url, link) if "://" not in link[:12] else link
        if not resolved[:8].lower().startswith(("http://", "https://")):
            self.unsafe_links += 1  # javascript:, data:, file: ... never reach Slack
            return None
        return resolved

    def warnings(self) -> list[str]:
        out = []
        if self.future_dates:
            out.append(
                f"{self.future_dates} entries are dated more than a day in the future; their dates were ignored"
            )
        if self.unsafe_links:
            out.append(f"{self.unsafe_links} entries link to non-web URLs (e.g. javascript:); the links were dropped")
        if self.empty:
            out.append(f"{self.empty} entries had no id, link, title or text (the document may be cut off); "
                       "skipped")
        if self.unreadable:
            out.append(f"{self.unreadable} entries could not be read and were dropped (first: {self.first_unreadable})")
        return out


def _external_id(guid: str | None, url: str | None, title: str | None, date: str | None, text: str) -> str:
    candidate = (guid or "").strip() or url
    if candidate and len(candidate) <= ID_LIMIT:
        return candidate
    if candidate:
        seed = candidate
    elif title or date:
        seed = f"{title or ''}\n{(date or '').strip()}"
    else:
        seed = text[:2_000]
    return "sha256:" + hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _language(value: str | None) -> str | None:
    value = (value or "").strip().lower().replace("_", "-")
    return value[:35] or None


def author_name(value: str | None) -> str | None:
    """RSS puts an email in <author>: 'jo@example.com (Jo Bloggs)' -> 'Jo Bloggs'."""
    if not value:
        return None
    value = value.strip()
    if value.endswith(")") and "(" in value:
        inner = value[value.rfind("(") + 1 : -1].strip()
        if inner:
            return inner
    if value.endswith(">") and "<" in value:
        name = value[: value.rfind("<")].strip().strip('"')
        if name:
            return name
    return value or None
