"""Finding the lexicon's cues in a text, fast.

A flat alternation of a hundred cues would try every cue at every word. Instead each cue is filed under the
words it can begin with ("still waiting" under "still"; "frustrat\\w*" under every word starting "frustrat"; "#fail"
under "#"). With links and @handles blanked, one small regex walks the text's words, and at each only the cues
filed under that word are tried, as one alternation in lexicon order, so "listed first wins" holds exactly as in
a single flat regex. Most words have no cue and cost one dictionary look-up. Matches never overlap: text taken by
one cue is not scanned again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from monitors.cues.lexicon import Cue

_END = r"(?:(?!\w)|(?<=[^\w\s]))"  # a cue ends at a word edge, or on a symbol such as an emoji or "?"
_LINK = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_SPACES = str.maketrans({char: " " for char in "\t\n\r\f\v\u00a0\u2009\u200a\u202f\u3000"})
_LONGEST_KEY = 24  # a longer first word is filed as a stem of its first 24 characters
_MAX_KEYS = 5000  # a pattern that could begin in more ways is tried at every word
_CACHE_WORDS = 100_000  # bound on the per-word cache, against endless vocabularies
_UNSEEN: Any = object()  # a word the per-word cache has not seen yet (None means: no cue begins with it)


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
    if re.compile(pattern).groups:
        raise ValueError(f"cue patterns may use only non-capturing groups: {cue.pattern!r}")
    return pattern


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # as the scan sees words: "don't" is "don", "t"


# How a pattern can begin, read from its parsed form. Each way is (text, state):
_GO = 0  # matched exactly `text` so far, still inside the first word: the next item extends it
_WORD = 1  # `text` is the whole first word
_STEM = 2  # the first word starts with `text`, and what follows is unknown (a symbol cue: `text` is the symbol)


def first_words(pattern: str) -> frozenset[tuple[str, bool]]:
    """How a match can begin: (word, True) for a whole first word, (stem, False) for "a word starting with stem"
    (or for a symbol such as "#" or an emoji). ("", False) means it could begin anywhere. Over-wide is safe, so
    anything the reader does not understand widens the answer."""
    try:
        from re import _parser  # private: any surprise only means "try this cue everywhere"

        ways = _ways(list(_parser.parse(pattern)))
    except Exception:  # noqa: BLE001
        return frozenset({("", False)})
    if ways is None:
        return frozenset({("", False)})
    stems = {text for text, state in ways if state == _STEM}
    # a pattern that ends inside its first word ("jk") has that whole word; a word a stem covers needs no entry
    words = {text for text, state in ways if state != _STEM and not any(text.startswith(stem) for stem in stems)}
    return frozenset({(stem, False) for stem in stems} | {(word, True) for word in words})


def _ways(items: list) -> set[tuple[str, int]] | None:
    ways = {("", _GO)}
    for op, arg in items:
        if all(state != _GO for _, state in ways):
            break
        item = _item(str(op), arg)
        if item is None:
            item = {("", _STEM)}
        grown = {_join(text, extra, extra_state) if state == _GO else (text, state)
                 for text, state in ways for extra, extra_state in item}
        if len(grown) > _MAX_KEYS:
            return None
        ways = grown
    return ways


def _join(text: str, extra: str, state: int) -> tuple[str, int]:
    for position, char in enumerate(extra):
        if not _is_word_char(char):  # the first word ends here (or, at the very start, a symbol cue begins)
            joined = text + extra[:position]
            return (joined, _WORD) if joined else (char, _STEM)
    joined = text + extra
    if len(joined) >= _LONGEST_KEY:
        return joined[:_LONGEST_KEY], _STEM
    return joined, state


def _item(op: str, arg) -> set[tuple[str, int]] | None:
    if op == "LITERAL":
        return {(chr(arg), _GO)}
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
            elif kind == "CATEGORY" and str(value) == "CATEGORY_SPACE":
                chars.add(" ")
            else:  # \w, negated sets: could be anything
                return None
        return {(char, _GO) for char in chars}
    if op == "BRANCH":
        found: set[tuple[str, int]] = set()
        for alternative in arg[1]:
            ways = _ways(list(alternative))
            if ways is None:
                return None
            found |= ways
        return found
    if op == "SUBPATTERN":
        return _ways(list(arg[-1]))
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, body = arg
        once = _ways(list(body))
        if once is None:
            return None
        # a repeat may go round again, so one round that stays inside the word leaves the rest of it unknown
        found = {(text, _STEM if state == _GO and high != 1 else state) for text, state in once}
        if low == 0:
            found.add(("", _GO))
        return found
    if op in ("ASSERT", "ASSERT_NOT", "AT"):  # zero-width: ignoring them only widens the answer
        return {("", _GO)}
    return None


class CueMatcher:
    def __init__(self, cues: Sequence[Cue]):
        self.cues = tuple(cues)
        self._sources = [source(cue) for cue in self.cues]
        self._whole: dict[str, list[int]] = {}  # first word -> cues
        self._stems: dict[str, list[int]] = {}  # word stem or symbol -> cues
        for index, pattern in enumerate(self._sources):
            for text, whole in first_words(pattern):
                (self._whole if whole else self._stems).setdefault(text, []).append(index)
        # the scan visits the text's words, and the symbols some cues begin with ("#", emoji); if some cue could
        # begin anywhere, every symbol
        symbols = "".join(sorted({key[0] for key in self._stems if key and not _is_word_char(key[0])}))
        if "" in self._stems:
            self._words = re.compile(r"\w+|[^\w\s]")
        else:
            self._words = re.compile(r"\w+" + (f"|[{re.escape(symbols)}]" if symbols else ""))
        self._by_word: dict[str, re.Pattern[str] | None] = {}
        self._by_set: dict[tuple[int, ...], re.Pattern[str] | None] = {}

    def _bucket(self, word: str) -> re.Pattern[str] | None:
        """The alternation of every cue that can begin with `word`, compiled on first use and shared by all words
        with the same cues; most words have none."""
        indices = set(self._whole.get(word, ()))
        for cut in range(min(len(word), _LONGEST_KEY) + 1):
            indices.update(self._stems.get(word[:cut], ()))
        key = tuple(sorted(indices))
        if key not in self._by_set:
            body = "|".join(f"(?P<c{index}>{self._sources[index]})" for index in key)
            self._by_set[key] = re.compile(f"(?:{body}){_END}") if key else None
        if len(self._by_word) < _CACHE_WORDS:
            self._by_word[word] = self._by_set[key]
        return self._by_set[key]

    def scan(self, lowered: str) -> Scan:
        """Cues in a lower-cased text, in reading order. Links and @handles are blanked first, so their letters
        never read as words; `Scan.text` is the text the hits point into."""
        lowered = lowered.translate(_SPACES)
        if "://" in lowered or "www." in lowered:  # the patterns only where they can match: most texts have none
            lowered = _LINK.sub(" ", lowered)
        handles = 0
        if "@" in lowered:
            lowered, handles = _HANDLE.subn(" ", lowered)
        known = self._by_word.get
        hits: list[Hit] = []
        covered = 0
        for found in self._words.finditer(lowered):
            bucket = known(found.group(), _UNSEEN)
            if bucket is None:
                continue
            if bucket is _UNSEEN:
                bucket = self._bucket(found.group())
                if bucket is None:
                    continue
            position = found.start()
            if position < covered:
                continue
            match = bucket.match(lowered, position)
            if match is None:
                continue
            covered = match.end()
            hits.append(Hit(self.cues[int(match.lastgroup[1:])], match.group(), position, covered))
        return Scan(tuple(hits), handles, lowered)
