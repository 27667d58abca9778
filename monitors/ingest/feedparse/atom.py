"""Atom 1.0 (RFC 4287) and the older Atom 0.3."""

from __future__ import annotations

from lxml import etree

from monitors.ingest.feedparse.htmltext import html_to_text, tidy
from monitors.ingest.feedparse.mention import MentionBuilder
from monitors.ingest.feedparse.xmldoc import XML_LANG, markup_of, text_of
from monitors.ingest.raw import RawMention

ATOM = "http://www.w3.org/2005/Atom"
ATOM03 = "http://purl.org/atom/ns#"
_DATES = ("published", "issued", "created", "updated", "modified")
_LAST_WINS = {"updated", "modified"}


def atom_namespace(root: etree._Element) -> str | None:
    """The Atom namespace of a <feed> root ('' for a namespace-less one), or None when it is not Atom."""
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "feed":
        return ""
    if tag.startswith("{") and tag.endswith("}feed"):
        namespace = tag[1:-5]
        return namespace if namespace in (ATOM, ATOM03) else None
    return None


def parse_atom(root: etree._Element, namespace: str, builder: MentionBuilder) -> tuple[str | None, list[RawMention]]:
    prefix = f"{{{namespace}}}" if namespace else ""
    feed_title = None
    feed_author = None
    for child in root:
        local = _local(child, prefix)
        if local == "title" and feed_title is None:
            feed_title = _text_construct(child) or None
        elif local == "author" and feed_author is None:
            feed_author = _person(child, prefix)
    feed_language = root.get(XML_LANG)
    mentions = builder.each(root.iter(prefix + "entry"),
                            lambda entry: _entry(entry, prefix, builder, feed_author, feed_language))
    return feed_title, mentions


def _entry(entry, prefix: str, builder: MentionBuilder, feed_author: str | None, feed_language: str | None):
    identifier = author = source_author = None
    title = content = summary = link = media = None
    link_rank = 99
    dates: dict[str, str] = {}
    language = entry.get(XML_LANG)
    for child in entry:
        local = _local(child, prefix)
        if local == "id" and identifier is None:
            identifier = text_of(child).strip()
        elif local == "title" and title is None:
            title = child
        elif local == "content" and content is None:
            content = child
        elif local == "summary" and summary is None:
            summary = child
        elif local in _DATES and (local not in dates or local in _LAST_WINS) and text_of(child).strip():
            dates[local] = text_of(child)  # a second <updated> is a later change: the last one wins
        elif local == "author" and author is None:
            author = _person(child, prefix)
        elif local == "source" and source_author is None:
            person = child.find(prefix + "author")
            source_author = _person(person, prefix) if person is not None else None
        elif child.tag in _MEDIA_BODIES and media is None:  # YouTube keeps its only text in media:group
            media = _media_description(child)
        elif local == "link" and child.get("href"):
            rank = _link_rank(child)
            if rank < link_rank:
                link, link_rank = child, rank
    text = _text_construct(content) if content is not None else ""
    if not text and summary is not None:
        text = _text_construct(summary)
    if not text and media:
        text = media
    body = content if content is not None else summary
    return builder.build(
        guid=identifier,
        link=link.get("href") if link is not None else None,
        title=_text_construct(title) if title is not None else None,
        text=text,
        author=author or source_author or feed_author,
        date=next((dates[key] for key in _DATES if dates.get(key, "").strip()), None),
        language=language or (body.get(XML_LANG) if body is not None else None) or feed_language,
        base=link.base if link is not None else None,
    )


_MEDIA = "{http://search.yahoo.com/mrss/}"
_MEDIA_BODIES = (_MEDIA + "group", _MEDIA + "description")


def _media_description(element) -> str | None:
    """The text of media:description, standing alone or inside media:group (Media RSS); plain text by default,
    HTML when its type says so."""
    found = element if element.tag == _MEDIA + "description" else element.find(_MEDIA + "description")
    if found is None:
        return None
    raw = text_of(found)
    text = html_to_text(raw) if (found.get("type") or "plain").lower() == "html" else " ".join(raw.split())
    return text or None


def _local(element, prefix: str) -> str:
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith(prefix):
        return ""
    local = tag[len(prefix):]
    return "" if local.startswith("{") else local


def _link_rank(link) -> int:
    rel = (link.get("rel") or "alternate").strip().lower()
    kind = (link.get("type") or "text/html").lower()
    if rel != "alternate":
        return 10 if rel == "related" else 20
    return 0 if kind.startswith(("text/html", "application/xhtml")) else 1


def _person(element, prefix: str) -> str | None:
    name = element.find(prefix + "name")
    if name is not None:
        return text_of(name).strip() or None
    return text_of(element).strip() or None


def _text_construct(element) -> str:
    kind = (element.get("type") or "text").strip().lower()
    if kind in ("xhtml", "application/xhtml+xml"):
        return html_to_text(markup_of(element))
    if kind in ("html", "text/html") or element.get("mode") == "escaped":
        return html_to_text(text_of(element))
    if len(element):  # Atom 0.3 mode="xml" or an untyped body with inline markup, escaped markup beside it
        return html_to_text(markup_of(element, text_is_html=None))
    return tidy(text_of(element))
