"""Turn feed bytes into clean UTF-8 before XML parsing, whatever the feed claims its encoding is.

Order of trust: a byte-order mark, then the XML declaration, then the HTTP charset, then UTF-8. A feed that
says UTF-8 but carries Windows-1252/Latin-1 bytes (the most common lie) is decoded byte by byte: valid
UTF-8 stays, the rest is read as Windows-1252, and a warning says so. A document that says nothing and is
not UTF-8 (Big5, EUC-JP, Shift_JIS, KOI8-R ... from older servers) has its encoding guessed by
charset-normalizer from its first DETECT_SAMPLE bytes, so a large document costs no more to guess than a
small one. Control characters that XML forbids are dropped, since libxml2's recovery would otherwise
truncate the document at the first one.

Two repairs follow, as feedparser makes them: Windows-1252 characters sent as C1 control codes (U+0080 to
U+009F, literally or as `&#147;`) become the characters meant (curly quotes, dashes, the euro sign), and
UTF-8 text double-encoded through numeric references (`&#195;&#169;` for "é") is read as the UTF-8 it was.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

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
DETECT_SAMPLE = 64 * 1024  # bytes shown to the detector: enough text for it, bounded time for huge documents
# What feeds without a declaration are really in; a short list keeps the guess quick and keeps it from
# landing on exotic code pages that happen to decode the same bytes.
_CANDIDATES = ["big5", "gb18030", "euc_jp", "shift_jis", "euc_kr", "koi8_r", "cp1251", "tis_620", "cp1255",
               "cp1256", "iso8859_7", "cp1250", "cp1252"]
_HIGH_BYTES = bytes(range(0x80, 0x100))
# a run of two or more numeric references to bytes 128-255: UTF-8 read as Latin-1 and written as references
_BYTE_REFS = re.compile(rb"(?:&#(?:1[2-9][0-9]|2[0-4][0-9]|25[0-5]);|&#[xX](?:[89a-fA-F][0-9a-fA-F]);){2,}")
_BYTE_REF = re.compile(rb"&#([xX]?)([0-9a-fA-F]+);")
_C1_REF = re.compile(rb"&#(?:(12[89]|1[3-5][0-9])|[xX]([89][0-9a-fA-F]));")
_C1_UTF8 = re.compile(rb"\xc2([\x80-\x9f])")


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
        encoding = _known(declared, warnings) if declared else _undeclared(body, warnings)
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
    data = _repair(data, warnings)
    # whitespace before the XML declaration is a fatal error in XML, and a common server-side slip
    cleaned = data.translate(None, _FORBIDDEN).lstrip(b" \t\r\n")
    if len(cleaned) != len(data.lstrip(b" \t\r\n")):
        warnings.append("the feed contains control characters XML does not allow; dropped them")
    return cleaned, warnings


def _undeclared(body: bytes, warnings: list[str]) -> str:
    """The encoding of a document that names none: UTF-8 when it mostly is, else charset-normalizer's guess."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = body[:DETECT_SAMPLE]
    # mostly valid UTF-8 with a few stray bytes: a UTF-8 feed with some Windows-1252 pasted in
    stray = sample.decode("utf-8", errors="replace").count("\ufffd")
    if stray * 10 <= len(sample) - len(sample.translate(None, _HIGH_BYTES)):
        return "utf-8"
    best = from_bytes(sample, cp_isolation=_CANDIDATES, steps=4, chunk_size=min(len(sample), 4096)).best()
    if best is None:
        return "utf-8"
    encoding = codecs.lookup(best.encoding).name
    if encoding not in _LATIN1_FAMILY:
        warnings.append(f"the feed names no encoding; it reads as {encoding}")
    return encoding


def _repair(data: bytes, warnings: list[str]) -> bytes:
    """Double-encoded references and C1 controls, on the UTF-8 bytes (see the module docstring)."""
    if b"&#" in data:
        repaired = _BYTE_REFS.sub(_utf8_of_refs, data)
        repaired = _C1_REF.sub(_cp1252_ref, repaired)
    else:
        repaired = data
    if b"\xc2" in repaired:
        repaired = _C1_UTF8.sub(_cp1252_char, repaired)
    if repaired != data:
        warnings.append("the feed has mis-encoded characters (control codes for Windows-1252 ones, or UTF-8 "
                        "written as single-byte references); repaired them")
    return repaired


def _utf8_of_refs(match: re.Match) -> bytes:
    raw = bytes(int(digits, 16 if hex_ else 10) for hex_, digits in _BYTE_REF.findall(match.group(0)))
    try:
        return raw.decode("utf-8").encode("utf-8")
    except UnicodeDecodeError:
        return match.group(0)  # really Latin-1 characters (`&#233;&#232;`): leave them


def _cp1252_ref(match: re.Match) -> bytes:
    code = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
    char = bytes([code]).decode("cp1252", errors="ignore")
    return f"&#{ord(char)};".encode() if char else match.group(0)


def _cp1252_char(match: re.Match) -> bytes:
    char = match.group(1).decode("cp1252", errors="ignore")
    return char.encode("utf-8") if char else match.group(0)


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
