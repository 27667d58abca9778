"""RSS 0.90, 0.91, 0.92, 1.0 (RDF) and 2.0: one reader, since they differ mostly in where items sit."""

from __future__ import annotations

from html.entities import html5

from lxml import etree

from monitors.ingest.feedparse.htmltext import html_to_text
from monitors.ingest.feedparse.mention import MentionBuilder, author_name
from monitors.ingest.feedparse.xmldoc import RSS_NAMESPACES, XML_LANG, name_of, text_of, markup_of
from monitors.ingest.raw import RawMention

RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_RSS10 = "http://purl.org/rss/1.0/"
_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
ITEM_TAGS = tuple("item" if not ns else f"{{{ns}}}item" for ns in RSS_NAMESPACES)

# element name (see xmldoc.name_of) -> the field it fills; earlier names in a field's list win
_FIELDS = {
    "title": "title", "dc:title": "title",
    "link": "link",
    "description": "summary", "dc:description": "summary", "summary": "summary", "itunes:summary": "summary",
    "media:description": "summary",
    "content:encoded": "content", "xhtml:body": "content",
    "guid": "guid",
    "pubDate": "date", "pubdate": "date", "dc:date": "date", "dcterms:issued": "date",
    "dcterms:created": "date", "dcterms:modified": "date", "atom:published": "date", "atom:updated": "date",
    "author": "author", "dc:creator": "author", "itunes:author": "author", "dc:contributor": "author",
    "dc:language": "language",
}
_HTML_FIELDS = {"summary", "content"}
# dates that say when the item last changed: a second one is a later change, so the last one wins
_LAST_WINS = {"atom:updated", "dcterms:modified"}
# person parts that are not the person's name
_CONTACT_PARTS = {"email", "uri", "url", "href", "link"}


def is_rdf(root: etree._Element) -> bool:
    return name_of(root.tag) in ("rdf:RDF", "rdf:rdf")


def rss_format(root: etree._Element) -> str:
    if is_rdf(root):
        namespaces = {el.tag[1:].split("}")[0] for el in root if isinstance(el.tag, str) and el.tag[:1] == "{"}
        return "rss0.90" if _RSS090 in namespaces else "rss1.0"
    version = (root.get("version") or "").strip()
    return f"rss{version}" if version else "rss"


def parse_rss(root: etree._Element, builder: MentionBuilder) -> tuple[str | None, list[RawMention]]:
    channel = next((el for el in root if name_of(el.tag) == "channel"), None)
    feed_title = None
    feed_language = root.get(XML_LANG)
    if channel is not None:
        feed_language = channel.get(XML_LANG) or feed_language
        for child in channel:
            name = name_of(child.tag)
            if name == "title" and feed_title is None:
                feed_title = html_to_text(text_of(child)) or None
            elif name in ("language", "dc:language"):
                feed_language = text_of(child).strip() or feed_language
    mentions = builder.each(root.iter(*ITEM_TAGS), lambda item: _item(item, builder, feed_language))
    return feed_title, mentions


def _item(item: etree._Element, builder: MentionBuilder, feed_language: str | None) -> RawMention:
    found: dict[str, str] = {}
    date_from = None
    permalink_guid = True
    alternate = None
    for child in item:
        name = name_of(child.tag)
        field = _FIELDS.get(name)
        if field is None:
            if name == "atom:link" and child.get("rel", "alternate") == "alternate" and alternate is None:
                alternate = child.get("href")
            continue
        if field in found and not (field == "date" and name == date_from and name in _LAST_WINS):
            continue
        if field in _HTML_FIELDS:
            value = markup_of(child, text_is_html=name != "xhtml:body")  # xhtml:body's text is literal
        elif field == "author":
            value = _person(child)
        else:
            value = text_of(child)
        if not value.strip():
            continue
        found[field] = value
        if field == "date":
            date_from = name
        if field == "guid":
            permalink_guid = (child.get("isPermaLink") or "true").strip().lower() != "false"
    guid = found.get("guid") or item.get(RDF_ABOUT)
    link = found.get("link") or alternate
    if not link and guid and permalink_guid and guid.strip().lower().startswith(("http://", "https://")):
        link = guid
    body = found.get("content") or found.get("summary") or ""
    return builder.build(
        guid=guid,
        link=link,
        title=found.get("title"),
        text=html_to_text(body),
        author=author_name(found.get("author")),
        date=found.get("date"),
        language=found.get("language") or item.get(XML_LANG) or feed_language,
        base=item.base if link and "://" not in link[:12] else None,
    )


def _person(element: etree._Element) -> str:
    """An author element's text. With child elements (<name>, <email>, <firstname> ...), its name child if it
    has one, else the text of all its parts joined with spaces, the contact parts only when nothing else is."""
    if len(element) == 0:
        return text_of(element)
    parts, contacts = [element.text or ""], []
    for child in element:
        if isinstance(child, etree._Entity):  # &nbsp; and friends between the parts
            parts.append(html5.get(child.name + ";", "") + (child.tail or ""))
            continue
        local = name_of(child.tag).rsplit(":", 1)[-1].rsplit("}", 1)[-1].lower()
        text = text_of(child)
        if local == "name" and text.strip():
            return " ".join(text.split())
        (contacts if local in _CONTACT_PARTS else parts).append(text)
        parts.append(child.tail or "")
    joined = " ".join(" ".join(parts).split())
    return joined or " ".join(" ".join(contacts).split())
