"""HTML fragments from feeds to plain text: markup dropped, script/style content dropped, entities decoded."""

from __future__ import annotations

import html
import re

from lxml import etree

TEXT_LIMIT = 20_000  # characters kept of one mention's text

_DROP = ("script", "style", "noscript", "template", "iframe", "object", "svg", "head", "title")
# a line break goes before each block-level tag, so "<p>a</p><p>b</p>" reads "a\nb", not "ab"
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|li|ul|ol|h[1-6]|tr|table|blockquote|pre|section|article|header|footer|dd|dt|figure"
    r"|figcaption|br|hr)[\s/>])",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[A-Za-z/!?]")
_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, default_doctype=False)


def html_to_text(markup: str | None, limit: int = TEXT_LIMIT) -> str:
    """Plain text of an HTML fragment, whitespace tidied, at most `limit` characters."""
    if not markup:
        return ""
    if "<" not in markup:  # plain text, perhaps with entities: the common case for titles, and cheap
        return clip(tidy(html.unescape(markup) if "&" in markup else markup), limit)
    if _TAG.search(markup) is None:  # "I <3 it", "2 < 3": a "<" that starts no tag
        return clip(tidy(html.unescape(markup)), limit)
    try:
        root = etree.fromstring("<div>" + _BLOCK_TAG.sub("\n<", markup) + "</div>", _PARSER)
    except (etree.ParserError, ValueError):
        return clip(tidy(html.unescape(markup)), limit)
    if root is None:
        return ""
    etree.strip_elements(root, *_DROP, with_tail=False)
    return clip(tidy(etree.tostring(root, method="text", encoding="unicode")), limit)


def tidy(text: str) -> str:
    """Collapse runs of spaces; keep single line breaks between blocks."""
    if "\n" not in text:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", max(0, limit - 200))
    return (cut[:space] if space > 0 else cut).rstrip() + "…"
