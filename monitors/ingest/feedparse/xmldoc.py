"""Parse feed XML safely and leniently, and read text out of the tree.

Safe: no DTD loading, no network, no entity substitution, no huge trees; a document that declares entities
(billion laughs, external entities) is refused outright. Lenient: libxml2's recover mode keeps going past
unclosed tags and undeclared prefixes, and HTML entities XML does not define (&nbsp;, &eacute;) are kept as
entity nodes and read as their HTML characters. Problems become warnings, like feedparser's `bozo`.
"""

from __future__ import annotations

import html
import re
from html.entities import html5

from lxml import etree

from monitors.ingest.feedparse.model import FeedError

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NAMESPACES = {
    "http://www.w3.org/2005/Atom": "atom",
    "http://purl.org/atom/ns#": "atom03",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://search.yahoo.com/mrss/": "media",
    "http://www.w3.org/1999/xhtml": "xhtml",
}
# elements in these namespaces are plain RSS elements
RSS_NAMESPACES = {"", "http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/",
                  "http://backend.userland.com/rss2", "http://backend.userland.com/rss"}
# errors after which libxml2's recovery loses text; repaired before a second parse
_AMPERSAND_ERRORS = {
    "ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY", "ERR_ENTITYREF_SEMICOL_MISSING", "ERR_NAME_REQUIRED",
}
_HTML_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)")
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_ESCAPED_TAG = re.compile(r"<(?:[A-Za-z][A-Za-z0-9]*[\s/>]|/[A-Za-z][A-Za-z0-9]*\s*>|!--)")
_names: dict[str, str] = {}


def parse_xml(data: bytes, url: str) -> tuple[etree._Element, list[str]]:
    """UTF-8 bytes -> root element and warnings. Raises FeedError for attacks and for non-XML."""
    root, log = _parse(data, url)
    repairs: list[str] = []
    if any(e.type_name in _AMPERSAND_ERRORS for e in log):
        # libxml2's recovery drops text after a bad entity reference (even a later &amp;): repair, parse again
        data, repairs = _repair_ampersands(data)
        root, log = _parse(data, url)
    _refuse_entity_declarations(root, data)
    return root, repairs + _warnings(log)


def _parse(data: bytes, url: str) -> tuple[etree._Element, etree._ListErrorLog]:
    parser = etree.XMLParser(
        encoding="utf-8",  # to_utf8 has already transcoded, whatever the declaration says
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser, base_url=url)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"the body is not XML, JSON or HTML ({_first_line(str(exc))})") from None
    if root is None:
        raise FeedError("the body is not XML, JSON or HTML (no element could be read)")
    return root, parser.error_log


def _repair_ampersands(data: bytes) -> tuple[bytes, list[str]]:
    """Outside CDATA sections: HTML entities become character references, bare '&' becomes '&amp;'."""
    entities: set[str] = set()
    bare = 0

    def entity(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode("ascii")
        chars = html5.get(name + ";")
        if chars is None:
            return b"&amp;" + match.group(1) + b";"  # not an HTML entity either: keep it as literal text
        entities.add(name)
        return "".join(f"&#{ord(c)};" for c in chars).encode("ascii")

    def ampersand(match: re.Match[bytes]) -> bytes:
        nonlocal bare
        bare += 1
        return b"&amp;"

    parts = _CDATA.split(data)
    for i in range(0, len(parts), 2):  # odd parts are the CDATA sections themselves
        parts[i] = _BARE_AMPERSAND.sub(ampersand, _HTML_ENTITY.sub(entity, parts[i]))
    warnings = []
    if entities:
        shown = ", ".join(f"&{name};" for name in sorted(entities)[:5])
        warnings.append(f"the feed uses HTML entities XML does not define ({shown}); read them as HTML")
    if bare:
        warnings.append(f"the feed has {bare} bare '&' characters (XML needs &amp;); read them as text")
    return b"".join(parts), warnings


def _refuse_entity_declarations(root: etree._Element, data: bytes) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is None:
        return
    if any(True for _ in dtd.iterentities()) or b"<!ENTITY" in data:
        raise FeedError(
            "the feed declares its own XML entities (<!ENTITY> in its DOCTYPE); refused, because that is how "
            "entity-expansion ('billion laughs') and external-entity attacks work, and real feeds never need it"
        )


def _warnings(log: etree._ListErrorLog) -> list[str]:
    errors = [e for e in log if e.level >= etree.ErrorLevels.ERROR]
    out = []
    if errors:
        first = errors[0]
        more = f" and {len(errors) - 1} more problems" if len(errors) > 1 else ""
        out.append(
            f"the feed is not well-formed XML (line {first.line}: {first.message.strip()}{more}); "
            "read it leniently, some text may be missing"
        )
    return out


def _first_line(message: str) -> str:
    return message.splitlines()[0] if message else "unreadable"


def name_of(tag: object) -> str:
    """'{http://purl.org/dc/elements/1.1/}creator' -> 'dc:creator'; plain RSS elements -> 'title'.
    Undeclared prefixes (recovered as 'dc:creator') come out the same as declared ones."""
    if not isinstance(tag, str):
        return ""
    name = _names.get(tag)
    if name is None:
        if tag[:1] == "{":
            namespace, local = tag[1:].split("}", 1)
            if namespace in RSS_NAMESPACES:
                name = local
            else:
                prefix = NAMESPACES.get(namespace)
                name = f"{prefix}:{local}" if prefix else tag
        else:
            name = tag.lower() if ":" in tag else tag
        if len(_names) < 10_000:  # tag names come from the feed; keep the cache bounded
            _names[tag] = name
    return name


def text_of(element: etree._Element | None) -> str:
    """Text content, with entities XML does not define read as HTML ones."""
    if element is None:
        return ""
    if len(element) == 0:
        return element.text or ""
    parts: list[str] = []
    _collect(element, parts)
    return "".join(parts)


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child, etree._Entity):
            parts.append(html5.get(child.name + ";", ""))
        elif isinstance(child.tag, str):
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def markup_of(element: etree._Element | None, text_is_html: bool | None = False) -> str:
    """The element's content as an HTML string: escaped HTML in text, or raw (X)HTML child elements.

    Beside raw child elements, the element's own text is HTML source when `text_is_html` (RSS: a description
    is escaped HTML, and a raw tracking <img> beside it does not make it plain text), literal text when false
    (XHTML content), and when None, HTML source if it has tags in it."""
    if element is None:
        return ""
    if len(element) == 0:
        return element.text or ""
    texts = [element.text or ""] + [child.tail or "" for child in element]
    if text_is_html is None:
        text_is_html = any(_ESCAPED_TAG.search(text) for text in texts)
    keep = (lambda text: text) if text_is_html else (lambda text: html.escape(text, quote=False))
    parts = [keep(texts[0])]
    for child, tail in zip(element, texts[1:]):
        parts.append(etree.tostring(child, encoding="unicode", with_tail=False))
        parts.append(keep(tail))
    return "".join(parts)
