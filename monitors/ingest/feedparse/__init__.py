"""Feed bytes in, mentions out: RSS 0.9x/1.0/2.0, Atom 1.0/0.3 and JSON Feed 1.0/1.1.

Pure: never fetches anything (not even a DTD or an entity), never reads the clock (`now` is passed in).
Ill-formed feeds still yield their entries, with warnings; unusable input raises FeedError with a message
that says what the URL returned instead.
"""

from __future__ import annotations

from datetime import datetime

from monitors.ingest.feedparse.atom import atom_namespace, parse_atom
from monitors.ingest.feedparse.encoding import to_utf8
from monitors.ingest.feedparse.jsonfeed import parse_json_feed
from monitors.ingest.feedparse.mention import MentionBuilder
from monitors.ingest.feedparse.model import FeedError, ParsedFeed
from monitors.ingest.feedparse.rss import is_rdf, parse_rss, rss_format
from monitors.ingest.feedparse.sniff import html_page_error, kind_of
from monitors.ingest.feedparse.xmldoc import name_of, parse_xml

__all__ = ["FeedError", "ParsedFeed", "parse_feed"]


def parse_feed(body: bytes, *, url: str, content_type: str | None = None, now: datetime) -> ParsedFeed:
    """Parse a fetched feed. `url` (after redirects) resolves relative links; `now` bounds plausible dates."""
    builder = MentionBuilder(url, now)
    kind = kind_of(body)
    if kind == "empty":
        raise FeedError("the server sent an empty body instead of a feed", permanent=False)
    if kind == "html":
        raise html_page_error(body, url)
    if kind == "json":
        format_name, title, mentions, warnings = parse_json_feed(body, builder)
    else:
        data, warnings = to_utf8(body, content_type)
        root, xml_warnings = parse_xml(data, url)
        warnings += xml_warnings
        format_name, title, mentions = _xml_feed(root, data, url, builder)
    return ParsedFeed(
        format=format_name,
        title=title,
        mentions=_unique(mentions, warnings),
        warnings=warnings + builder.warnings(),
    )


def _xml_feed(root, data: bytes, url: str, builder: MentionBuilder):
    name = name_of(root.tag)
    if name == "rss" or is_rdf(root):
        title, mentions = parse_rss(root, builder)
        return rss_format(root), title, mentions
    namespace = atom_namespace(root)
    if namespace is not None:
        title, mentions = parse_atom(root, namespace, builder)
        return ("atom0.3" if namespace.endswith("#") else "atom1.0"), title, mentions
    if name.rsplit("}", 1)[-1].lower() == "html":
        raise html_page_error(data, url)
    shown = name.rsplit("}", 1)[-1] or "?"
    raise FeedError(f"this URL returned an XML document (root element <{shown}>), not an RSS, Atom or RDF feed")


def _unique(mentions: list, warnings: list[str]) -> list:
    seen: set[str] = set()
    out = []
    for mention in mentions:
        if mention.external_id in seen:
            continue
        seen.add(mention.external_id)
        out.append(mention)
    if len(out) < len(mentions):
        warnings.append(f"{len(mentions) - len(out)} entries repeat an earlier entry's id; kept the first")
    return out
