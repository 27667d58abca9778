"""Turn feed bytes into clean UTF-8 before XML parsing, whatever the feed claims its encoding is.

Order of trust: a byte-order mark, then the XML declaration, then the HTTP charset, then UTF-8. A feed that
says UTF-8 but carries Windows-1252/Latin-1 bytes (the most common lie) is decoded byte by byte: valid
UTF-8 stays, the rest is read as Windows-1252, and a warning says so. Control characters that XML forbids
are dropped, since libxml2's recovery would otherwise truncate the document at the first one.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_FORBIDDEN = bytes(b for b in range(32) if b not in (9, 10, 13))  # C0 controls XML 1.0 does not allow
_LATIN1_FAMILY = {"latin-1", "iso8859-1", "ascii", "cp1252"}  # browsers read all of these as Windows-1252


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace").replace("\ufffd", "") or bad.decode("latin-1"), error.end


codecs.register_error("earful-cp1252", _cp1252_fallback)


def to_utf8(body: bytes, http_charset_header: str | None = None) -> tuple[bytes, list[str]]:
    """Return the document as UTF-8 bytes (no BOM) and warnings about what had to be fixed."""
    warnings: list[str] = []
    encoding, body = _from_bom(body)
    if encoding is None:
        declared = _declared(body) or _http_charset(http_charset_header)
        encoding = _known(declared, warnings) if declared else "utf-8"
        if encoding.startswith(("utf-16", "utf-32")) and body.lstrip()[:1] == b"<":
            warnings.append(f"the feed says it is {declared} but its bytes are not; read it as UTF-8")
            encoding = "utf-8"
    if encoding == "utf-8":
        try:
            body.decode("utf-8")
            text = None
        except UnicodeDecodeError:
            text = body.decode("utf-8", errors="earful-cp1252")
            warnings.append("the feed says it is UTF-8 but some bytes are not; read them as Windows-1252")
    elif encoding in _LATIN1_FAMILY:
        text = body.decode("cp1252", errors="earful-cp1252")
    else:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            text = body.decode(encoding, errors="replace")
            warnings.append(f"the feed has bytes that are not valid {encoding}; replaced them")
    data = body if text is None else text.encode("utf-8")
    # whitespace before the XML declaration is a fatal error in XML, and a common server-side slip
    cleaned = data.translate(None, _FORBIDDEN).lstrip(b" \t\r\n")
    if len(cleaned) != len(data.lstrip(b" \t\r\n")):
        warnings.append("the feed contains control characters XML does not allow; dropped them")
    return cleaned, warnings


def _from_bom(body: bytes) -> tuple[str | None, bytes]:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            rest = body[len(bom):]
            if encoding == "utf-8":
                return encoding, rest
            return "utf-8", rest.decode(encoding, errors="replace").encode("utf-8")
    # UTF-16 without a BOM still starts with "<" next to a zero byte
    if body[:2] == b"<\x00":
        return "utf-8", body.decode("utf-16-le", errors="replace").encode("utf-8")
    if body[:2] == b"\x00<":
        return "utf-8", body.decode("utf-16-be", errors="replace").encode("utf-8")
    return None, body


def _declared(body: bytes) -> str | None:
    match = _DECLARATION.match(body[:300])
    return match.group(1).decode("ascii") if match else None


def _http_charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _known(name: str, warnings: list[str]) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        warnings.append(f"the feed declares an unknown encoding {name!r}; read it as UTF-8")
        return "utf-8"
