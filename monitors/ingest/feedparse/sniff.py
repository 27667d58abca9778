"""What kind of document did the server send? Decided from the bytes, not from the Content-Type, which lies."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

from monitors.ingest.feedparse.model import FeedError

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
# What comes before the first element: space, comments, processing instructions, a DOCTYPE (without an internal
# subset; one with declarations is refused later by the XML parser)
_PROLOGUE = rb"(?:\s|<!--.*?-->|<\?[^>]*>|<!doctype[^>\[]*>)*"
_HTML_START = re.compile(_PROLOGUE + rb"<(?:html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE | re.DOTALL)
# an HTML DOCTYPE with no element after it within the first 4 KB (a page with a long head comment)
_HTML_DOCTYPE_ONLY = re.compile(_PROLOGUE + rb"<!doctype\s+html(?:(?!<[a-z]).)*$", re.IGNORECASE | re.DOTALL)
_HTML_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


def kind_of(body: bytes) -> str:
    """'empty', 'json', 'html' or 'xml' (anything else: let the XML parser decide and say what it saw)."""
    start = body[:4096].lstrip(b" \t\r\n\xef\xbb\xbf")
    if not start:
        return "empty"
    if start[:1] in (b"{", b"["):
        return "json"
    # the root element decides: a feed behind an XHTML DOCTYPE is a feed (the DOCTYPE is never fetched)
    if _HTML_START.match(start) or _HTML_DOCTYPE_ONLY.match(start):
        return "html"
    return "xml"


def html_page_error(body: bytes, url: str) -> FeedError:
    """The error for an HTML page served where a feed was expected, naming the page's own feed link if any."""
    feed_url = _alternate_feed(body, url)
    if feed_url:
        return FeedError(
            f"this URL returned an HTML page, not a feed; the page names its feed at {feed_url} — use that URL"
        )
    return FeedError(
        "this URL returned an HTML page, not a feed; look for a <link rel=alternate> feed URL on the page"
    )


def _alternate_feed(body: bytes, url: str) -> str | None:
    try:
        root = etree.fromstring(body[:1_000_000], _HTML_PARSER)
    except (etree.ParserError, ValueError):
        return None
    if root is None:
        return None
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            return urljoin(url, href)
    return None
