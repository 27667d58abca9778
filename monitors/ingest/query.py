"""Boolean brand queries: compile once, match many texts fast.

Syntax
    acme                    a word
    "acme support"          a phrase: these words, adjacent, in this order
    refund*                 a prefix: refund, refunds, refunded ... (also "acme refund*" for a phrase)
    a AND b, a b            both (adjacent operands are joined by an implicit AND)
    a OR b                  either
    NOT a, -a               not; a leading ``-`` negates the term, phrase or group it touches
    ( ... )                 grouping; precedence is NOT > AND > OR
Operators are recognised in any case (``and``, ``Or``); quote them to search for the word (``"not"``).
A query must need at least one word to be present: ``NOT acme`` alone would match nearly everything
and is refused.

How text is compared (the same rules apply to the query and to the text, so they always agree)
- Unicode: NFKD, then casefold (``ß`` = ``ss``), then accents are dropped, so ``café`` and ``cafe``
  match each other in both directions. Turkish ``İ`` and ``ı`` fold to ``i``; a few letters that carry
  no separable accent fold too (``ø``→o, ``ł``→l, ``đ``/``ð``→d, ``ħ``→h, ``æ``→ae, ``œ``→oe, ``þ``→th).
  German ``ü`` is ``u``, not ``ue``: ``Müller`` matches ``Muller`` but not ``Mueller``.
  Full-width forms and ligatures fold by NFKD (``ＡＣＭＥ``, ``ﬁ``).
- Whole words: a word is a run of letters and digits (any script; Indic vowel signs stay inside their
  word). Everything else separates words, the underscore included. So ``acme`` matches ``Acme's``,
  ``#acme``, ``@acme``, ``acme.com``, ``acme-support`` and ``@acme_help``, but not ``acmeville`` or
  ``@acmehelp``. In a query ``#`` and ``@`` are separators too: ``@acmehelp`` is the word ``acmehelp``
  wherever it appears. A query term holding separators is the phrase of its words: ``acme.com``
  matches ``acme.com`` and ``acme com``; ``t-mobile`` matches ``T-Mobile`` and ``T Mobile``.
- Scripts written without spaces (Chinese, Japanese, Korean, Thai, Lao, Khmer, Myanmar) count every
  character as a word, so a term in them matches wherever its characters appear in that order:
  ``索尼`` matches ``我的索尼电视坏了``.
- Emoji and other symbols are separators (``Acme™`` is the word ``acme``); a term made only of them
  is refused.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from collections.abc import Callable, Sequence

__all__ = ["QueryError", "CompiledQuery", "BrandRule", "Matcher", "compile_query", "compile_brand", "tokenize"]


class QueryError(ValueError):
    """A query that cannot be compiled; the message says what is wrong and where (1-based column)."""


# --- text normalisation -------------------------------------------------------------------------------

# Scripts without spaces between words: each character is its own word.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f]"
)
# Indic blocks (Devanagari to Sinhala) minus the dandas: their vowel signs are marks, which isalnum() rejects.
_INDIC = re.compile("[\u0900-\u0963\u0966-\u0dff]")
# Optional diacritics: Latin/Greek/Cyrillic accents, Hebrew points, Arabic harakat and tatweel.
_DIACRITICS = re.compile(
    "[\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u0640\u064b-\u065f\u0670]"
)
# Invisible joiners and soft hyphens sit inside words; dropping them keeps the word whole.
_INVISIBLE = re.compile("[\u00ad\u200c\u200d\u2060\ufeff]")
_FOLD = str.maketrans({"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "æ": "ae", "œ": "oe", "þ": "th"})
# For the UTF-8 bytes of folded text: ASCII letters to lower case, other ASCII (punctuation, "_") to a
# space; bytes >= 0x80 belong to non-ASCII letters that folding kept, and stay.
_ASCII_TABLE = bytes(
    b | 0x20 if 0x41 <= b <= 0x5A else b if b >= 0x80 or chr(b).isalnum() else 0x20 for b in range(256)
)


class _FoldedChars(dict[str, bytes]):
    """Non-ASCII character -> UTF-8 bytes of its folded form, worked out once per character."""

    def __missing__(self, char: str) -> bytes:
        if len(self) > 100_000:  # bound the memory an adversarial text can take
            self.clear()
        if unicodedata.category(char)[0] == "S":  # symbols separate, even those NFKD spells out (™ -> TM)
            self[char] = b" "
            return b" "
        folded = unicodedata.normalize("NFKD", char).casefold().translate(_FOLD)
        folded = unicodedata.normalize("NFC", _INVISIBLE.sub("", _DIACRITICS.sub("", folded)))
        out = []
        for c in folded:
            if _UNSPACED.match(c):
                out.append(f" {c} ")
            elif c.isascii() or c.isalnum() or _INDIC.match(c):
                out.append(c)
            else:
                out.append(" ")
        self[char] = result = "".join(out).encode()
        return result


_FOLDED = _FoldedChars()


def _fold_non_ascii(error: UnicodeError) -> tuple[bytes, int]:
    assert isinstance(error, UnicodeEncodeError)
    return b"".join(map(_FOLDED.__getitem__, error.object[error.start : error.end])), error.end


# The ASCII encoder hands each run of non-ASCII characters to this handler, so mostly-English text
# costs one C-speed pass plus a dictionary lookup per non-ASCII character.
codecs.register_error("earful.query.fold", _fold_non_ascii)


# Typographic separators common in English text; replacing them up front spares the error handler a
# call per curly apostrophe.
_COMMON_SEPARATORS = "\u2019\u2018\u201c\u201d\u2013\u2014\u2026\u00a0\u2022\u00ab\u00bb"


def tokenize(text: str) -> list[str]:
    """The normalised words of ``text``, in order, exactly as the matcher sees them."""
    if not text.isascii():
        for separator in _COMMON_SEPARATORS:
            if separator in text:
                text = text.replace(separator, " ")
    return text.encode("ascii", "earful.query.fold").translate(_ASCII_TABLE).decode().split()


class _Doc:
    """One text, tokenised once: a word set for term lookups, a space-joined stream for phrases."""

    __slots__ = ("tokens", "words", "_stream")

    def __init__(self, text: str, tokens: list[str] | None = None) -> None:
        self.tokens = tokenize(text) if tokens is None else tokens
        self.words = set(self.tokens)
        self._stream: str | None = None

    def stream(self) -> str:
        if self._stream is None:
            self._stream = " " + " ".join(self.tokens) + " "
        return self._stream


# --- syntax tree ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]
    prefix: bool

    @property
    def label(self) -> str:
        return " ".join(self.words) + ("*" if self.prefix else "")


@dataclass(frozen=True)
class _Not:
    child: "_Node"


@dataclass(frozen=True)
class _And:
    children: tuple["_Node", ...]


@dataclass(frozen=True)
class _Or:
    children: tuple["_Node", ...]


_Node = _Term | _Not | _And | _Or
_Eval = Callable[[_Doc], bool]


# --- lexer ----------------------------------------------------------------------------------------------

_OPEN_QUOTES = '"\u201c\u201e'
_CLOSE_QUOTES = '"\u201d\u201c'
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(", ")", "AND", "OR", "NOT", "-", "TERM"
    column: int
    term: _Term | None = None
    text: str = ""


def _term(raw: str, column: int, quoted: bool) -> _Term:
    body = raw.strip()
    prefix = body.endswith("*")
    if prefix:
        body = body[:-1]
    if not quoted and "*" in body:
        raise QueryError(f"'*' in {raw!r} at column {column}: a wildcard may only end a term")
    words = tuple(tokenize(body))
    if not words:
        if quoted and not raw.strip():
            raise QueryError(f"empty quotes at column {column}")
        what = "phrase" if quoted else "term"
        raise QueryError(f"{what} {raw!r} at column {column} has no letters or digits")
    return _Term(words, prefix)


def _lex(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch, column = text[i], i + 1
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Tok(ch, column))
            i += 1
        elif ch in _OPEN_QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in _CLOSE_QUOTES), -1)
            if end < 0:
                raise QueryError(f"unterminated quote at column {column}")
            tokens.append(_Tok("TERM", column, _term(text[i + 1 : end], column, quoted=True)))
            i = end + 1
        elif ch == "-" and (i + 1 == n or text[i + 1].isspace()):
            raise QueryError(f"'-' at column {column} must touch what it negates, e.g. -refund")
        elif ch == "-":
            tokens.append(_Tok("-", column))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "()" and text[j] not in _OPEN_QUOTES:
                j += 1
            word = text[i:j]
            if word.upper() in _OPERATORS:
                tokens.append(_Tok(word.upper(), column, text=word))
            else:
                tokens.append(_Tok("TERM", column, _term(word, column, quoted=False)))
            i = j
    return tokens


def _check_parentheses(tokens: list[_Tok]) -> None:
    open_columns: list[int] = []
    for tok in tokens:
        if tok.kind == "(":
            open_columns.append(tok.column)
        elif tok.kind == ")":
            if not open_columns:
                raise QueryError(f"unbalanced parenthesis: ')' at column {tok.column} has no matching '('")
            open_columns.pop()
    if open_columns:
        raise QueryError(f"unbalanced parenthesis: '(' at column {open_columns[-1]} is never closed")


# --- parser (recursive descent: or > and > unary > primary) -------------------------------------------

_STARTS_OPERAND = {"TERM", "(", "NOT", "-"}


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> _Node:
        node = self.or_expr()
        if self.peek() is not None:  # only a stray ')' can remain, and balance was checked
            raise QueryError(f"unexpected {self.peek().kind!r} at column {self.peek().column}")
        return node

    def or_expr(self) -> _Node:
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.pos += 1
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else _Or(tuple(_flatten(_Or, children)))

    def and_expr(self) -> _Node:
        children = [self.unary()]
        while (tok := self.peek()) is not None and (tok.kind == "AND" or tok.kind in _STARTS_OPERAND):
            if tok.kind == "AND":
                self.pos += 1
            children.append(self.unary())
        return children[0] if len(children) == 1 else _And(tuple(_flatten(_And, children)))

    def unary(self) -> _Node:
        tok = self.peek()
        if tok is not None and tok.kind in ("NOT", "-"):
            self.pos += 1
            return _Not(self.unary())
        return self.primary()

    def primary(self) -> _Node:
        tok = self.peek()
        before = self.tokens[self.pos - 1] if self.pos else None
        if tok is not None and tok.kind == "TERM":
            self.pos += 1
            return tok.term  # type: ignore[return-value]
        if tok is not None and tok.kind == "(":
            self.pos += 1
            if (close := self.peek()) is not None and close.kind == ")":
                raise QueryError(f"empty parentheses at column {tok.column}")
            node = self.or_expr()
            self.pos += 1  # the ')' that balance checking guarantees
            return node
        # no operand here: blame the operator that wanted one, else the one that lacks a left side
        if before is not None and before.kind in ("AND", "OR", "NOT", "-"):
            raise QueryError(f"{_name(before)} at column {before.column} needs a term after it")
        if tok is None:
            raise QueryError("query is empty")
        raise QueryError(f"{_name(tok)} at column {tok.column} needs a term before it")


def _name(tok: _Tok) -> str:
    return tok.text.upper() if tok.text else repr(tok.kind)


def _flatten(kind: type, children: list[_Node]) -> list[_Node]:
    flat: list[_Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))  # type: ignore[attr-defined]
    return flat


# --- evaluation -------------------------------------------------------------------------------------------


def _evaluator(node: _Node) -> _Eval:
    if isinstance(node, _Term):
        return _term_evaluator(node)
    if isinstance(node, _Not):
        child = _evaluator(node.child)
        return lambda doc: not child(doc)
    children = tuple(_evaluator(c) for c in node.children)
    if isinstance(node, _And):
        if len(children) == 2:
            a, b = children
            return lambda doc: a(doc) and b(doc)
        return lambda doc: all(f(doc) for f in children)
    if len(children) == 2:
        a, b = children
        return lambda doc: a(doc) or b(doc)
    return lambda doc: any(f(doc) for f in children)


def _term_evaluator(term: _Term) -> _Eval:
    words = term.words
    if len(words) == 1 and not term.prefix:
        word = words[0]
        return lambda doc: word in doc.words
    # cheap set test first; the stream is only built when every whole word is present
    whole = frozenset(words if not term.prefix else words[:-1])
    needle = " " + " ".join(words) + ("" if term.prefix else " ")
    if term.prefix and len(words) == 1:
        return lambda doc: needle in doc.stream()
    return lambda doc: whole <= doc.words and needle in doc.stream()


def _positive_terms(node: _Node, negated: bool = False) -> list[_Term]:
    """Terms under an even number of NOTs: the ones worth highlighting."""
    if isinstance(node, _Term):
        return [] if negated else [node]
    if isinstance(node, _Not):
        return _positive_terms(node.child, not negated)
    return [t for child in node.children for t in _positive_terms(child, negated)]


def _required_words(node: _Node) -> frozenset[str] | None:
    """Words of which a matching text must contain at least one; None when no such set is known."""
    if isinstance(node, _Term):
        whole = node.words[:-1] if node.prefix else node.words
        return frozenset({max(whole, key=len)}) if whole else None  # a lone prefix needs no whole word
    if isinstance(node, _Not):
        return None
    sets = [_required_words(child) for child in node.children]
    if isinstance(node, _And):  # every child holds, so any one child's requirement will do
        known = [s for s in sets if s is not None]
        return min(known, key=len) if known else None
    return None if None in sets else frozenset().union(*sets)  # type: ignore[arg-type]


# --- public interface -----------------------------------------------------------------------------------


class CompiledQuery:
    """A parsed query. ``matches`` normalises the text itself; ``Matcher`` shares that work across brands."""

    __slots__ = ("text", "terms", "required_words", "_eval")

    def __init__(self, text: str, root: _Node) -> None:
        self.text = text
        self._eval = _evaluator(root)
        self.terms: tuple[str, ...] = tuple(dict.fromkeys(t.label for t in _positive_terms(root)))
        # a text holding none of these words cannot match; None means every text must be evaluated
        self.required_words = _required_words(root)

    def matches(self, text: str) -> bool:
        return self._eval(_Doc(text))

    def __repr__(self) -> str:
        return f"CompiledQuery({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompiledQuery) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def compile_query(text: str) -> CompiledQuery:
    """Parse ``text``; raise ``QueryError`` naming the problem and its column."""
    if not text or not text.strip():
        raise QueryError("query is empty")
    tokens = _lex(text)
    _check_parentheses(tokens)
    query = CompiledQuery(text, _Parser(tokens).parse())
    if query._eval(_Doc("")):
        raise QueryError(f"query {text!r} matches text that holds none of its words; add a word that must appear")
    return query


@dataclass(frozen=True)
class BrandRule:
    name: str
    query: CompiledQuery
    exclude: tuple[CompiledQuery, ...] = ()


def compile_brand(name: str, query: str, exclude: Sequence[str] = ()) -> BrandRule:
    """A brand's query and its exclusions (queries too; any one that matches vetoes the brand)."""
    try:
        compiled = compile_query(query)
        excludes = []
        for index, item in enumerate(exclude):
            try:
                excludes.append(compile_query(item))
            except QueryError as exc:
                raise QueryError(f"exclude[{index}]: {exc}") from None
    except QueryError as exc:
        raise QueryError(f"brand {name!r}: {exc}") from None
    return BrandRule(name, compiled, tuple(excludes))


class Matcher:
    """Many brand rules against one text at a time; the text is normalised and tokenised once per call.

    Rules are indexed by their required words, so a rule none of whose required words occur in the text
    is skipped without evaluating it; the common case, a text about none of the brands, stays cheap.
    """

    def __init__(self, rules: Sequence[BrandRule]) -> None:
        self.rules = tuple(rules)
        self._always: list[int] = []
        self._by_word: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            if rule.query.required_words is None:
                self._always.append(index)
            else:
                for word in rule.query.required_words:
                    self._by_word.setdefault(word, []).append(index)
        self._vocabulary = frozenset(self._by_word)

    def match(self, text: str, tokens: list[str] | None = None) -> list[str]:
        """The names of the brands `text` matches; `tokens`, if the caller has them, must be tokenize(text)."""
        doc = _Doc(text, tokens)
        candidates = set(self._always)
        for word in self._vocabulary.intersection(doc.words):
            candidates.update(self._by_word[word])
        matched = []
        for index in sorted(candidates):
            rule = self.rules[index]
            if rule.query._eval(doc) and not any(ex._eval(doc) for ex in rule.exclude):
                matched.append(rule.name)
        return matched


def check_query(text: str) -> None:
    """A brand's query compiles (ValueError with a message for the user)."""
    try:
        compile_query(text)
    except QueryError as exc:
        raise ValueError(f"bad query: {exc}") from None
