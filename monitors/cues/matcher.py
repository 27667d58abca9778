"""Finding the lexicon's cues in a text, fast.

A flat alternation of a hundred cues would try every cue at every word. Instead one small regex walks the word
starts (swallowing links and @handles whole) and, at each, tries only the cues that can begin with the text's next
three characters: one alternation per such set of cues, in lexicon order, so "listed first wins" holds exactly as
in a single flat regex. Matches never overlap: text taken by one cue is not scanned again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from monitors.cues.lexicon import Cue

_END = r"(?:(?!\w)|(?<=[^\w\s]))"  # a cue ends at a word edge, or on a symbol such as an emoji or "?"
_STARTS = re.compile(r"(?P<link>https?://\S+|www\.\S+)|(?P<handle>@\w+)|(?<!\w)\w|[^\w\s]")
_SPACES = str.maketrans({char: " " for char in "\t\n\r\f\v\u00a0\u2009\u200a\u202f\u3000"})


class Hit(NamedTuple):
    cue: Cue
    words: str  # the text the cue matched
    start: int
    end: int


class Scan(NamedTuple):
    hits: tuple[Hit, ...]
    handles: int  # @handles seen: the writer is talking to someone


def source(cue: Cue) -> str:
    """The cue's regex source: " ?" means optional whitespace, " " one or more."""
    pattern = cue.pattern.replace(" ?", r"\s*").replace(" ", r"\s+")
    if re.compile(pattern).groups:
        raise ValueError(f"cue patterns may use only non-capturing groups: {cue.pattern!r}")
    return pattern


PREFIX = 3  # cues are filed under the first three characters they can begin with
_MAX_PREFIXES = 2000  # a pattern with more is filed under fewer characters


def prefixes(pattern: str, length: int = PREFIX) -> frozenset[str]:
    """Every way a match can begin, cut to `length` characters (whitespace shown as " ").

    A shorter string means "and then anything"; "" means the cue can begin anywhere. Over-wide is safe (the cue is
    just tried more often), so anything the reader does not understand widens the answer.
    """
    try:
        from re import _parser  # private: any surprise only means "try this cue everywhere"

        found = _sequence(list(_parser.parse(pattern)), length)
    except Exception:  # noqa: BLE001
        return frozenset({""})
    if found is None:
        return frozenset({""})
    return frozenset(text for text, _ in found)


# An expansion is (text, closed): closed means the item matched exactly `text`, so the next item may extend it.
Expansions = set[tuple[str, bool]]


def _sequence(items: list, length: int) -> Expansions | None:
    current: Expansions = {("", True)}
    for op, arg in items:
        if all(not closed or len(text) >= length for text, closed in current):
            break
        item = _item(str(op), arg, length)
        if item is None:
            item = {("", False)}
        grown: Expansions = set()
        for text, closed in current:
            if not closed or len(text) >= length:
                grown.add((text[:length], False))
                continue
            for extra, extra_closed in item:
                joined = text + extra
                grown.add((joined[:length], extra_closed and len(joined) < length))
        if len(grown) > _MAX_PREFIXES:
            return None
        current = grown
    return current


def _item(op: str, arg, length: int) -> Expansions | None:
    if op == "LITERAL":
        return {(chr(arg), True)}
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
        return {(char, True) for char in chars}
    if op == "BRANCH":
        found: Expansions = set()
        for alternative in arg[1]:
            expanded = _sequence(list(alternative), length)
            if expanded is None:
                return None
            found |= expanded
        return found
    if op == "SUBPATTERN":
        return _sequence(list(arg[-1]), length)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, body = arg
        once = _sequence(list(body), length)
        if once is None:
            return None
        found = {(text, closed and high == 1) for text, closed in once}  # a repeat may go on: stay open
        if low == 0:
            found.add(("", True))
        return found
    if op in ("ASSERT", "ASSERT_NOT", "AT"):  # zero-width: ignoring them only widens the answer
        return {("", True)}
    return None


class CueMatcher:
    def __init__(self, cues: Sequence[Cue]):
        self.cues = tuple(cues)
        self._sources = [source(cue) for cue in self.cues]
        self._filed: dict[str, list[int]] = {}
        for index, pattern in enumerate(self._sources):
            for prefix in prefixes(pattern):
                self._filed.setdefault(prefix, []).append(index)
        self._by_key: dict[str, re.Pattern[str] | None] = {}
        self._by_set: dict[tuple[int, ...], re.Pattern[str] | None] = {}

    def _bucket(self, key: str) -> re.Pattern[str] | None:
        """The alternation of every cue that can begin with `key` (the text's next characters), compiled on
        first use and shared by all keys with the same cues: most keys have none, and import stays quick."""
        try:
            return self._by_key[key]
        except KeyError:
            pass
        indices = tuple(sorted({index for cut in range(len(key) + 1) for index in self._filed.get(key[:cut], ())}))
        if indices not in self._by_set:
            body = "|".join(f"(?P<c{index}>{self._sources[index]})" for index in indices)
            self._by_set[indices] = re.compile(f"(?:{body}){_END}") if indices else None
        if len(self._by_key) < 50_000:  # keys are three characters; bound the cache against odd alphabets
            self._by_key[key] = self._by_set[indices]
        return self._by_set[indices]

    def scan(self, lowered: str) -> Scan:
        """Cues in a lower-cased text, in reading order."""
        lowered = lowered.translate(_SPACES)
        known = self._by_key
        hits: list[Hit] = []
        handles = 0
        covered = 0
        for start in _STARTS.finditer(lowered):
            position, end = start.span()
            if position < covered:
                continue
            if end - position > 1:  # a link or an @handle (everything else is one character)
                handles += lowered[position] == "@"
                continue
            key = lowered[position:position + PREFIX]
            bucket = known[key] if key in known else self._bucket(key)
            if bucket is None:
                continue
            match = bucket.match(lowered, position)
            if match is None:
                continue
            covered = match.end()
            hits.append(Hit(self.cues[int(match.lastgroup[1:])], match.group(), position, covered))
        return Scan(tuple(hits), handles)
