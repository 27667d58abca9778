"""Finding the lexicon's cues in a text, fast.

A flat alternation of a hundred cues would try every cue at every word. Instead each cue is filed under the
tokens it can begin with ("still waiting" under "still"; "frustrat\\w*" under every word starting "frustrat";
"#fail" under "#"), and for each such token, under the tokens that can come next ("still" must be followed by
"waiting", "haven", "not"...). Tokens are the scan's words (runs of letters and digits) and the symbols some cues
begin with; other punctuation separates them, so "doesn't" is "doesn", "t".

Both levels are compiled into one regex, a trie of first tokens each followed by a lookahead for the second,
that finds the places where some cue can begin. Most words of a text begin no cue, or are not followed by a word
that could continue one ("it is", "for the"), and cost nothing in Python. At each place found, the cues filed
under its token are tried as one alternation in lexicon order, so "listed first wins" holds exactly as in a
single flat regex. Matches never overlap: text taken by one cue is not scanned again.

What a cue can begin with is read from the parsed pattern (`leading_tokens`). Anything that reading does not
understand widens its answer, which costs a regex call where none was needed but never loses a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from monitors.scoring.cues.lexicon import Cue

_END = r"(?:(?!\w)|(?<=[^\w\s]))"  # a cue ends at a word edge, or on a symbol such as an emoji or "?"
_LINK = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_ASCII_SPACES = "\t\n\r\f\v"
_SPACES = str.maketrans({char: " " for char in _ASCII_SPACES + "\u00a0\u2009\u200a\u202f\u3000"})
_CACHE_WORDS = 100_000  # bound on the per-word cache, against endless vocabularies
_MAX_WAYS = 5000  # a pattern that could begin in more ways is tried at every token
_WILD = "\x00"  # in the texts a pattern can produce: one or more word characters it does not pin down
_OPENING = 3  # characters of a second token the places regex looks ahead for

Token = tuple[str, bool]  # (word, True) for that whole word; (stem, False) for any word starting so


class Hit(NamedTuple):
    cue: Cue
    words: str  # the text the cue matched
    start: int
    end: int


class Scan(NamedTuple):
    hits: tuple[Hit, ...]
    handles: int  # @handles seen: the writer is talking to someone
    text: str  # the scanned text (links and handles blanked), which the hits' positions refer to


def source(cue: Cue) -> str:
    """The cue's regex source: " ?" means optional whitespace, " " one or more."""
    pattern = cue.pattern.replace(" ?", r"\s*").replace(" ", r"\s+")
    if _parse(pattern).state.groups > 1:  # group 0 is the whole match
        raise ValueError(f"cue patterns may use only non-capturing groups: {cue.pattern!r}")
    return pattern


@lru_cache(maxsize=1024)
def _parse(pattern: str):  # noqa: ANN202 - re's private parse tree
    """The pattern as the regex engine parses it (raises re.error as re.compile would). Private to `re`, but
    stable since Python 3.11; anything in it this module does not know only widens its readings."""
    from re import _parser

    return _parser.parse(pattern)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # as \w sees it


# How a match can begin ------------------------------------------------------------------------------------------

def leading_tokens(pattern: str, symbols: str | None) -> set[tuple[Token, Token | None]] | None:
    """How a match of `pattern` can begin, as the scan's first two tokens: a set of (first, second). A first
    token ("", False) means any token; a second None means anything, including none (a one-token match).
    `symbols` are the characters the scan reads as tokens of their own besides words (None: every character that
    is neither a word character nor a space). None means: could begin in too many ways to list."""
    parsed = _parsed(pattern)
    return None if parsed is None else _leading(parsed, symbols)


def _parsed(pattern: str) -> list | None:
    try:
        return list(_parse(pattern))
    except Exception:  # noqa: BLE001 - any surprise only means "anything"
        return None


def _leading(parsed: list, symbols: str | None) -> set[tuple[Token, Token | None]] | None:
    try:
        ways = _texts(parsed, symbols)
    except Exception:  # noqa: BLE001 - a construct this reading does not know: anything
        return None
    if ways is None:
        return None
    found: set[tuple[Token, Token | None]] = set()
    for text, cut in ways:
        tokens = [_token(token, end < len(text) or not cut) for token, end in _tokens(text, symbols)][:2]
        first = tokens[0] if tokens else ("", False)
        second = tokens[1] if len(tokens) > 1 and tokens[1][0] else None
        found.add((first, second))
    return found


def _token(text: str, whole: bool) -> Token:
    if _WILD in text:  # letters the pattern leaves open: a stem, up to them
        return text[:text.index(_WILD)], False
    return text, whole


@lru_cache(maxsize=65536)
def _tokens(text: str, symbols: str | None) -> tuple[tuple[str, int], ...]:
    """The scan's tokens in a produced text (word runs and single symbols), each with where it ends."""
    return tuple((found.group(), found.end()) for found in _token_regex(symbols).finditer(text))


@lru_cache(maxsize=8)
def _token_regex(symbols: str | None) -> re.Pattern[str]:
    word = f"[\\w{_WILD}]+"
    if symbols is None:
        return re.compile(f"{word}|[^\\w\\s{_WILD}]")
    return re.compile(f"{word}|[{re.escape(symbols)}]" if symbols else word)


def _settled(text: str, symbols: str | None) -> bool:
    """Whether a produced text already fixes the first two tokens: it has a second, and something after it."""
    tokens = _tokens(text, symbols)
    return len(tokens) > 1 and tokens[1][1] < len(text)


def _texts(items: list, symbols: str | None) -> set[tuple[str, bool]] | None:
    """The texts a parsed sequence can produce, each no further than its first two tokens: (text, cut), where cut
    means that something unknown follows. None: too many to list."""
    ways = {("", False)}
    for made in _steps(items, symbols):
        growing = {(text, cut) for text, cut in ways if not cut and not _settled(text, symbols)}
        if not growing:
            break
        ways = (ways - growing) | {(text + extra, cut) for text, _ in growing for extra, cut in made}
        if len(ways) > _MAX_WAYS:
            return None
    return ways


def _steps(items: list, symbols: str | None) -> Iterator[set[tuple[str, bool]]]:
    """What each item can produce in turn, a run of literal characters as one step; None becomes "unknown"."""
    literal = ""
    for op, arg in items:
        if str(op) == "LITERAL":
            literal += chr(arg)
            continue
        if literal:
            yield {(literal, False)}
            literal = ""
        made = _produced(str(op), arg, symbols)
        yield {("", True)} if made is None else made
    if literal:
        yield {(literal, False)}


def _produced(op: str, arg, symbols: str | None) -> set[tuple[str, bool]] | None:
    """What one parsed item can produce; None: anything."""
    if op == "LITERAL":
        return {(chr(arg), False)}
    if op == "IN":
        chars: set[str] = set()
        for kind, value in arg:
            kind = str(kind)
            if kind == "LITERAL":
                chars.add(chr(value))
            elif kind == "RANGE" and value[1] - value[0] < 64:
                chars.update(chr(code) for code in range(value[0], value[1] + 1))
            elif kind == "CATEGORY" and str(value) == "CATEGORY_DIGIT":
                chars.update("0123456789")
            elif kind == "CATEGORY" and str(value) == "CATEGORY_WORD":
                chars.add(_WILD)
            elif kind == "CATEGORY" and str(value) == "CATEGORY_SPACE":
                chars.add(" ")
            else:  # negated sets and the like: could be anything
                return None
        return {(char, False) for char in chars}
    if op == "BRANCH":
        found: set[tuple[str, bool]] = set()
        for alternative in arg[1]:
            ways = _texts(list(alternative), symbols)
            if ways is None:
                return None
            found |= ways
        return found
    if op == "SUBPATTERN":
        return _texts(list(arg[-1]), symbols)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        return _repeated(*arg, symbols)
    if op == "ASSERT" and arg[0] == 1:  # a lookahead: what follows starts with what it matches
        ahead = _texts(list(arg[1]), symbols)
        return None if ahead is None else {(text, True) for text, _ in ahead}
    if op in ("ASSERT", "ASSERT_NOT", "AT"):  # lookbehinds, negative lookaheads, \b: ignoring them widens
        return {("", False)}
    return None


def _repeated(low: int, high: int, body: list, symbols: str | None) -> set[tuple[str, bool]] | None:
    once = _texts(list(body), symbols)
    if once is None or any(cut for _, cut in once):
        return None
    none = {("", False)} if low == 0 else set()
    if high == 1:
        return once | none
    texts = {text for text, _ in once}
    if not any(_tokens(text, symbols) for text in texts):  # separators only: a run of them separates once
        return {(" ", False)} | none | ({("", False)} if "" in texts else set())
    if all(char == _WILD or _is_word_char(char) for text in texts for char in text):  # letters of one word
        return {(text, False) for text in texts} | {(text + _WILD, False) for text in texts} | none
    return {(text, True) for text in texts} | none  # anything else: once, with more perhaps to come


# The scan -------------------------------------------------------------------------------------------------------

class CueMatcher:
    def __init__(self, cues: Sequence[Cue]):
        self.cues = tuple(cues)
        self._sources = [source(cue) for cue in self.cues]
        leads, symbols = _read(self._sources)
        self._whole: dict[str, set[int]] = {}  # first word (or symbol) -> cues
        self._stems: dict[str, set[int]] = {}  # stem of a first word -> cues
        self._anywhere: set[int] = set()  # cues that could begin at any token
        follows: dict[Token, set[Token] | None] = {}  # first token -> what can come next (None: anything)
        for index, lead in enumerate(leads):
            for first, second in lead if lead is not None else [(("", False), None)]:
                if first == ("", False):
                    self._anywhere.add(index)
                    continue
                (self._whole if first[1] else self._stems).setdefault(first[0], set()).add(index)
                seconds = follows.setdefault(first, set())
                if seconds is not None:
                    if second is None:
                        follows[first] = None
                    else:
                        seconds.add(second)
        self._longest_stem = max(map(len, self._stems), default=0)
        self._places, self._marks, self._lead = _candidates(follows, symbols, bool(self._anywhere))
        self._symbols = tuple(symbols or "")
        self._ascii_symbols = tuple(symbol for symbol in self._symbols if symbol.isascii())
        self._by_word: dict[str, re.Pattern[str]] = {}
        self._by_set: dict[tuple[int, ...], re.Pattern[str]] = {}

    def _bucket(self, word: str) -> re.Pattern[str]:
        """The alternation of every cue that can begin with `word`, compiled on first use and shared by all words
        with the same cues."""
        indices = self._whole.get(word, set()) | self._anywhere
        for cut in range(1, min(len(word), self._longest_stem) + 1):
            indices = indices | self._stems.get(word[:cut], set())
        key = tuple(sorted(indices))
        if key not in self._by_set:
            body = "|".join(f"(?P<c{index}>{self._sources[index]})" for index in key) or "(?!)"
            self._by_set[key] = re.compile(f"(?:{body}){_END}")
        if len(self._by_word) < _CACHE_WORDS:
            self._by_word[word] = self._by_set[key]
        return self._by_set[key]

    def scan(self, lowered: str) -> Scan:
        """Cues in a lower-cased text, in reading order. Links and @handles are blanked first, so their letters
        never read as words; `Scan.text` is the text the hits point into."""
        if lowered.isascii():  # str.translate looks every character up; five searches for ASCII text are cheaper
            for char in _ASCII_SPACES:
                if char in lowered:
                    lowered = lowered.replace(char, " ")
        else:
            lowered = lowered.translate(_SPACES)
        if "://" in lowered or "www." in lowered:  # the patterns only where they can match: most texts have none
            lowered = _LINK.sub(" ", lowered)
        handles = 0
        if "@" in lowered:
            lowered, handles = _HANDLE.subn(" ", lowered)
        known = self._by_word.get
        hits: list[Hit] = []
        covered = 0
        # the words regex takes the separator before each word (see _candidates): a space in front stands for
        # the text's start, and shifts every position by one, which the separator taken puts back
        lead = self._lead
        places: Iterable[re.Match[str]] = self._places.finditer(" " + lowered if lead else lowered)
        if self._marks is not None:  # substring tests: far cheaper than a regex over emoji
            symbols = self._ascii_symbols if lowered.isascii() else self._symbols
            if any(symbol in lowered for symbol in symbols):
                places = sorted((*places, *self._marks.finditer(lowered)), key=_start)
        for found in places:
            position = found.start()
            if position < covered:
                continue
            word = found.group()
            if lead and found.re is self._places:
                word = word[1:]
            match = (known(word) or self._bucket(word)).match(lowered, position)
            if match is None:
                continue
            covered = match.end()
            hits.append(Hit(self.cues[int(match.lastgroup[1:])], match.group(), position, covered))
        return Scan(tuple(hits), handles, lowered)


def _start(found: re.Match[str]) -> int:
    return found.start()


def _read(sources: Sequence[str]) -> tuple[list[set[tuple[Token, Token | None]] | None], str | None]:
    """Each pattern's leading tokens, and the symbols the scan must read as tokens: those some cue begins with
    (None: every character that is neither a letter nor a space, when some cue could begin at any token).

    The patterns are read with every punctuation mark a token. The scan reads only those symbols so, and skips
    other punctuation; the places regex allows for that (`_candidates`)."""
    leads = [None if items is None else _leading(items, None) for items in map(_parsed, sources)]
    if any(lead is None or any(first == ("", False) for first, _ in lead) for lead in leads):
        return leads, None
    return leads, "".join(sorted({first[0] for lead in leads for first, _ in lead if not _is_word_char(first[0][0])}))


def _candidates(follows: dict[Token, set[Token] | None], symbols: str | None, anywhere: bool
                ) -> tuple[re.Pattern[str], re.Pattern[str] | None, bool]:
    """Regexes for the places where some cue can begin: a trie of the first tokens, each followed by a lookahead
    for the tokens its cues can go on with; each matches a whole first token. The first finds words, the second
    (None if no cue begins with a symbol) symbols: one regex for both would try the symbols at every character,
    doubling the cost of a text that has none of them, as most have. The third value says whether the words
    regex takes one separator before each word (and is searched with a space put before the text).

    It does where it can: a regex that begins with a character class is searched by skipping, in C, to the next
    character of that class, where one that begins with "not after a word character" is tried at every
    character, inside words too (an eighth faster over the bench corpus)."""
    if symbols is None or anywhere:  # every token is a place
        return re.compile(r"\w+|[^\w\s]"), None, False
    # The patterns were read with every punctuation mark a token, the scan skips those that are not `symbols`;
    # so the second token is looked for after a lazy run of non-word characters: at the punctuation mark the
    # reading named, or at the word after it. Wider than the scan's own reading, never narrower.
    gap = r"\W*?"
    words: dict[str, list[str]] = {}
    marks: list[str] = []
    for (text, whole), seconds in sorted(follows.items()):
        ahead = "" if seconds is None else f"(?={gap}{_trie(_openings(seconds))})"
        if _is_word_char(text[0]):
            words.setdefault(text, []).append((r"(?!\w)" if whole else r"\w*+") + ahead)
        else:
            marks.append(re.escape(text) + ahead)
    places = re.compile(r"\W" + _trie(words) if words else "(?!)")
    return places, re.compile("|".join(marks)) if marks else None, True


def _openings(seconds: set[Token]) -> dict[str, list[str]]:
    """Second tokens for a lookahead, cut to their first three characters: as selective on real text, and a
    third of the regex to compile. A word of three characters or fewer stays whole."""
    openings: dict[str, list[str]] = {}
    for text, whole in seconds:
        ending = r"(?!\w)" if whole and len(text) <= _OPENING and _is_word_char(text[-1]) else ""
        openings.setdefault(text[:_OPENING], []).append(ending)
    return {text: sorted(set(endings)) for text, endings in openings.items()}


def _trie(entries: dict[str, Iterable[str]]) -> str:
    """An alternation of texts, each followed by its own endings, sharing common prefixes (the regex engine
    tries alternatives one by one, so "is|it|issue" costs more than "i(?:s(?:sue)?|t)")."""
    root: dict = {}
    for text, endings in entries.items():
        node = root
        for char in text:
            node = node.setdefault(char, {})
        node.setdefault(None, []).extend(endings)

    def emit(node: dict) -> str:
        alternatives = [re.escape(char) + emit(child) for char, child in sorted(
            (key, value) for key, value in node.items() if key is not None)]
        alternatives += node.get(None, [])
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return emit(root)
