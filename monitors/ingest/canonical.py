"""Identity keys for mentions: a canonical URL, a story fingerprint, an edit hash.

``canonical_url`` is a key for "the same page", not a link to show: the mention keeps its original URL
beside it. So it may drop what a browser would keep:
- scheme and host are lower-cased; an internationalised host is written in IDNA ASCII (``xn--...``)
  so both spellings agree; a leading ``www.`` is dropped (``www.acme.com`` and ``acme.com`` serve the
  same page everywhere that matters); default ports, user info and a trailing dot in the host go;
- dot segments are resolved, percent-escapes get upper-case hex and unreserved characters are
  unescaped, a trailing slash goes except on the root path;
- tracking parameters go (``utm_*``, ``fbclid``, ``gclid`` ... see ``TRACKING_PARAMS``); the rest are
  sorted, keeping their original encoding;
- the fragment goes, unless it is a ``#!`` route that carries the page;
- redirect wrappers that name their target are unwrapped: Google ``/url`` links (Google Alerts uses
  them), Google News' old ``/news/url`` links, Facebook and Instagram link shims, YouTube, Slack, Reddit,
  LinkedIn and DuckDuckGo redirects.
  Shorteners such as ``t.co`` need a network round trip and stay as they are. ``unwrap_redirect`` does
  only this step, for showing a link: the article's own URL instead of Google's.
Anything that is not an http(s) URL with a host comes back stripped and otherwise untouched; the
function never raises.

``content_fingerprint`` is the story key: the same words cross-posted in several places (a retweet, a
``via @x`` repost, the same post in two communities, the same text with different links) share it,
and a one-word edit makes a different one. ``edit_hash`` is exact, for telling an edited
re-publication from an unchanged one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import SplitResult, parse_qs, quote, unquote_plus, urlsplit

from monitors.ingest.query import tokenize

__all__ = ["TRACKING_PARAMS", "canonical_url", "content_fingerprint", "edit_hash", "unwrap_redirect"]

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id",
        "oly_anon_id", "oly_enc_id", "rb_clickid", "_ga", "_gl", "ref", "ref_src", "ref_url", "si", "spm",
        "share_id", "sr_share",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_",)
# Parameters that only track on particular sites (elsewhere "t" or "s" can carry meaning).
_SITE_TRACKING = {
    "twitter.com": frozenset({"s", "t"}),
    "x.com": frozenset({"s", "t"}),
    "youtube.com": frozenset({"feature", "pp"}),
    "youtu.be": frozenset({"feature"}),
}
_DEFAULT_PORTS = {"http": "80", "https": "443"}

# (host pattern, path, query parameters that may hold the target)
_REDIRECTS = [
    (re.compile(r"(www\.)?google\.[a-z.]+"), "/url", ("url", "q")),
    (re.compile(r"news\.google\.[a-z.]+"), "/news/url", ("url",)),  # Google News RSS links before 2020
    (re.compile(r"(l|lm|m|www)\.facebook\.com|facebook\.com"), "/l.php", ("u",)),
    (re.compile(r"l\.instagram\.com"), "/", ("u",)),
    (re.compile(r"(www\.|m\.)?youtube\.com"), "/redirect", ("q",)),
    (re.compile(r"slack-redir\.net"), "/link", ("url",)),
    (re.compile(r"out\.reddit\.com"), None, ("url",)),
    (re.compile(r"(www\.)?linkedin\.com"), "/redir/redirect", ("url",)),
    (re.compile(r"(html\.)?duckduckgo\.com"), "/l/", ("uddg",)),
]
_REDIRECT_HOST = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _, _ in _REDIRECTS))
# A label every wrapper's host has: a host with none of them is no wrapper (most links), told by one set test.
_REDIRECT_LABELS = frozenset({"google", "facebook", "instagram", "youtube", "slack-redir", "reddit", "linkedin",
                              "duckduckgo"})
_MAX_UNWRAP = 5

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
# text that quoting leaves as it is and that holds no escape: letters, digits and the safe characters but "%"
_PLAIN = {safe: re.compile("[A-Za-z0-9" + re.escape(safe.replace("%", "")) + "]*")
          for safe in (_PATH_SAFE, _QUERY_SAFE)}


def canonical_url(url: str) -> str:
    """The canonical form of ``url`` (see the module docstring); garbage comes back stripped."""
    if not isinstance(url, str):
        return ""
    stripped = url.strip()
    try:
        return _canonical(stripped) or stripped
    except (ValueError, UnicodeError):
        return stripped


def unwrap_redirect(url: str) -> str:
    """The URL a redirect wrapper names (a Google ``/url`` link, a Facebook shim ... see ``_REDIRECTS``),
    unwrapped up to five deep; any other URL, or a wrapper without a usable http(s) target, comes back as it
    is. Never raises."""
    return _unwrapped(url, urlsplit(url))[0]


# An http(s) URL of printable ASCII with a plain host name (no user info, port or IPv6 literal): most links.
# For those the parts are plain to see, and splitting them here costs a fifth of urlsplit, which also handles
# the general case (and caches only the last 128 URLs, while each mention brings a new one).
_PLAIN_URL = re.compile(r"(https?)://([A-Za-z0-9.-]+)(/[!-\x22$-\x3e@-~]*)?(?:\?([!-\x22$-~]*))?(?:#([!-~]*))?")


def _split(url: str) -> SplitResult:
    """The same as ``urlsplit(url)``, sooner for the plain URLs most feeds link to."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain is None:
        return urlsplit(url)
    scheme, netloc, path, query, fragment = plain.groups()
    return SplitResult(scheme, netloc, path or "", query or "", fragment or "")


def _unwrapped(url: str, parts: SplitResult) -> tuple[str, SplitResult]:
    """`url` (already split into `parts`) with its redirect wrappers taken off, and its parts."""
    try:
        for _ in range(_MAX_UNWRAP):
            target = _redirect_target(parts)
            if target is None:
                break
            url, parts = target, urlsplit(target)
    except ValueError:  # an unparsable target (a broken IPv6 literal): keep what unwrapped so far
        pass
    return url, parts


def _canonical(url: str) -> str | None:
    parts = _unwrapped(url, _split(url))[1]
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    netloc = _netloc(scheme, parts.netloc)
    if not netloc:
        return None
    path = _path(parts.path)
    query = _query(parts.query, netloc)
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    # what urlunsplit gives for a scheme, a host and a path that starts with "/", without its general cases
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def _redirect_target(parts: SplitResult) -> str | None:
    if _REDIRECT_LABELS.isdisjoint(parts.netloc.lower().replace(":", ".").replace("@", ".").split(".")):
        return None
    host = parts.hostname or ""
    if not _REDIRECT_HOST.fullmatch(host):  # most links: one test instead of one per wrapper
        return None
    for host_pattern, path, names in _REDIRECTS:
        if host_pattern.fullmatch(host) and (path is None or parts.path == path):
            params = parse_qs(parts.query)
            for name in names:
                for value in params.get(name, ()):
                    if urlsplit(value).scheme.lower() in _DEFAULT_PORTS and urlsplit(value).netloc:
                        return value
    return None


def _netloc(scheme: str, netloc: str) -> str:
    hostport = netloc.rpartition("@")[2]  # user info is never part of the page's identity
    if hostport.startswith("["):  # IPv6 literal
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    if port and not port.isdigit():
        raise ValueError(f"bad port {port!r}")
    host = host.lower().rstrip(".")
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    if port and port.lstrip("0") != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{int(port)}"
    return host


def _normalise_escapes(text: str, safe: str) -> str:
    if _PLAIN[safe].fullmatch(text):  # nothing to escape and no escapes to tidy: most URLs
        return text
    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(one, quote(text, safe=safe))


def _path(path: str) -> str:
    if "." not in path:  # no dot segments to resolve
        resolved = path if path.startswith("/") else "/" + path
    else:
        segments: list[str] = []
        for segment in path.split("/")[1:] if path.startswith("/") else path.split("/"):
            if segment == "..":
                if segments:
                    segments.pop()
            elif segment != ".":
                segments.append(segment)
        resolved = "/" + "/".join(segments)
    if len(resolved) > 1 and resolved.endswith("/"):
        resolved = resolved.rstrip("/") or "/"
    return _normalise_escapes(resolved, _PATH_SAFE)


def _site_tracking(host: str) -> frozenset[str]:
    """The parameters that only track on `host`'s site (the host or a domain it is under, see _SITE_TRACKING).
    One look-up per domain the host is under: testing every site's suffix cost a third of reading the query."""
    while True:
        names = _SITE_TRACKING.get(host)
        if names is not None:
            return names
        dot = host.find(".")
        if dot < 0:
            return frozenset()
        host = host[dot + 1:]


def _query(query: str, host: str) -> str:
    site_params = _site_tracking(host)
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = unquote_plus(pair.partition("=")[0]).lower()
        if key in TRACKING_PARAMS or key in site_params or key.startswith(_TRACKING_PREFIXES):
            continue
        kept.append((key, _normalise_escapes(pair, _QUERY_SAFE)))
    return "&".join(pair for _, pair in sorted(kept))


# --- story fingerprints -----------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_RETWEET = re.compile(r"^\s*RT\b\s*(?:@[\w.]+(?:@[\w.-]+)?)?\s*:?")
_VIA = re.compile(r"[\s(\[|\-–—]*\bvia\s+@[\w.]+(?:@[\w.-]+)?[\s)\].!]*$", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+(?:@[\w-]+(?:\.[\w-]+)+)?")  # @name, and Mastodon's @name@host


def _story_words(text: str, tokens: list[str] | None) -> list[str]:
    """`text`'s words without links, @handles, a retweet prefix or a "via @x" credit. `tokens` (tokenize(text),
    if the caller has them) are the answer when there is none of those to drop, as in most posts."""
    # each pattern runs only when its text can be there: scanning for what is absent cost most of the time
    plain = True
    if "://" in text or "www." in text.lower():
        text, plain = _URL.sub(" ", text), False
    if _RETWEET.match(text):
        text, plain = _RETWEET.sub(" ", text), False
    if "@" in text:
        text, plain = _HANDLE.sub(" ", _VIA.sub(" ", text)), False
    if plain and tokens is not None:
        return tokens
    return tokenize(text)  # casefolds, folds accents, drops '#' and all punctuation


def content_fingerprint(title: str | None, text: str, *, title_tokens: list[str] | None = None,
                        text_tokens: list[str] | None = None) -> str:
    """sha1 hex of the story's normalised words; "" when no words and no links are left.

    The title counts unless it merely repeats the start of the text (or the text repeats it), which is
    how many feeds fill one from the other. A post of nothing but links is keyed by its canonical links.
    `title_tokens` and `text_tokens`, tokenize() of each if the caller has them, spare tokenising again.
    """
    title_words = _story_words(title or "", title_tokens)
    text_words = _story_words(text or "", text_tokens)
    shorter, longer = sorted((title_words, text_words), key=len)
    words = longer if longer[: len(shorter)] == shorter else title_words + text_words
    if not words:
        found = _URL.findall(f"{title or ''} {text or ''}")
        links = sorted({canonical_url(link.rstrip(".,;:!?)]}'\"")) for link in found})
        if not links:
            return ""
        words = ["links:", *links]
    return hashlib.sha1(" ".join(words).encode()).hexdigest()


def edit_hash(title: str | None, text: str) -> str:
    """sha1 hex of the exact title and text, blind only to Unicode composition and runs of whitespace."""
    title, text = _nfc(title or ""), _nfc(text or "")
    return hashlib.sha1(f"{' '.join(title.split())}\x1f{' '.join(text.split())}".encode()).hexdigest()


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)  # ASCII is NFC already
