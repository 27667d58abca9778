"""The complaint model's weights, and the arithmetic that turns a text's features into a log-odds: plain Python.

The weights file (`complaint_model.json.gz`, written by `bench/train_complaints.py`) holds, per word or
character n-gram, its inverse document frequency and its weight; a weight per signal; the intercept. It holds no
text: n-grams are kept only when they occur in two or more training texts.

Word n-grams are weighted the way they were at training: present or not (binary term frequency) times idf,
scaled to unit length over the n-grams the model knows; the text's unigrams and bigrams are sets, so finding the
known ones is one set intersection each, and the sums run over `map` in C. Character n-grams are read per word
present: a word's n-grams give it a score u(w) = sum of idf x weight and a size q(w) = sum of idf squared (over
the known n-grams, with repeats), and the block is sum(u(w)) / sqrt(sum(q(w))): tf-idf over the words' n-grams,
scaled by a norm that ignores n-grams shared between different words. Training uses the same definitions, so
nothing is approximated; each word's pair is worked out once and remembered. The intercept is shifted at training time so that a
log-odds of 0 (a score of 0.5) is the decision threshold chosen by cross-validation.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from monitors.scoring.features import SIGNALS, Features, grams_of

FORMAT = 1
MODEL_FILE = "complaint_model.json.gz"
_WORDS_REMEMBERED = 100_000  # per-word character scores kept (a few MB), against endless vocabularies


class _WordTables(NamedTuple):
    unigrams: frozenset[str]
    pairs: frozenset[tuple[str, str]]  # the known bigrams, as (first, second)
    dot: dict  # unigram or pair -> idf x weight
    square: dict  # unigram or pair -> idf squared


class WordEvidence(NamedTuple):
    """What one model's word and character blocks read from one text (`LinearModel.read`)."""
    model: "LinearModel"  # whose tables these are: another model reads the text afresh
    unigrams: frozenset[str]  # the known unigrams present
    pairs: set[tuple[str, str]]  # the known bigrams present
    squares: float  # sum of idf squared over both
    scores: list[float]  # u(w) for each word of Features.unigrams, in its order
    size: float  # sum of q(w) over the words
    word_block: float
    char_block: float


class ModelFileError(ValueError):
    """The weights file is missing, unreadable or not one this code can use."""


class Part(NamedTuple):
    """One feature's share of a text's log-odds."""
    kind: str  # "word", "phrase", "chars", "signal"
    name: str  # the word, the phrase, the n-gram or the signal's name
    value: float  # contribution to the log-odds


class _PerWord(dict):
    """word -> u(w), worked out on first sight (with q(w), kept in `sizes`); see the module's docstring."""

    def __init__(self, chars: Mapping[str, tuple[float, float]]):
        super().__init__()
        self.chars = chars
        self.sizes: dict[str, float] = {}

    def __missing__(self, word: str) -> float:
        known = self.chars.get
        score = size = 0.0
        for gram in grams_of(word):
            entry = known(gram)
            if entry is not None:
                score += entry[0] * entry[1]
                size += entry[0] * entry[0]
        self[word] = score
        self.sizes[word] = size
        return score


@dataclass(frozen=True)
class LinearModel:
    intercept: float
    words: Mapping[str, tuple[float, float]]  # n-gram ("a" or "a b") -> (idf, weight)
    chars: Mapping[str, tuple[float, float]]
    signals: Mapping[str, float]
    about: Mapping[str, object] = field(default_factory=dict)  # how it was trained, and its validation figures

    def logit(self, features: Features, evidence: "WordEvidence | None" = None) -> float:
        """The log-odds that the text is a complaint, 0 at the decision threshold. `evidence`: this model's
        `read(features)`, if the caller has it."""
        evidence = self._reading(features, evidence)
        total = self.intercept + evidence.word_block + evidence.char_block
        weights = self.signals
        for name, value in features.signals.items():
            total += weights.get(name, 0.0) * value
        return total

    def read(self, features: Features) -> "WordEvidence":
        """What the word and character blocks find in a text: the log-odds needs it, and the explanation of a
        complaint needs it again (a case's card says why), so it is worked out once."""
        tables = self._tables
        # word n-grams: idf, scaled to unit length over the known n-grams present, dotted with the weights
        unigrams = features.unigrams & tables.unigrams  # a set operation: the loop over the text runs in C
        pairs = _known_pairs(features.tokens, tables.pairs)
        dot = sum(map(tables.dot.__getitem__, unigrams)) + sum(map(tables.dot.__getitem__, pairs))
        squares = sum(map(tables.square.__getitem__, unigrams)) + sum(map(tables.square.__getitem__, pairs))
        # character n-grams, per word (see the module's docstring)
        words = features.unigrams
        remembered = self._per_word
        if len(remembered) > _WORDS_REMEMBERED - len(words):  # against endless vocabularies: start afresh
            remembered.clear()
            remembered.sizes.clear()
        scores = list(map(remembered.__getitem__, words))  # fills `sizes` for words seen the first time
        score = sum(scores)
        size = sum(map(remembered.sizes.__getitem__, words))
        return WordEvidence(
            model=self, unigrams=unigrams, pairs=pairs, squares=squares, scores=scores, size=size,
            word_block=dot / math.sqrt(squares) if squares else 0.0,
            char_block=score / math.sqrt(size) if size else 0.0,
        )

    def _reading(self, features: Features, evidence: "WordEvidence | None") -> "WordEvidence":
        """`evidence` if it is this model's reading (another model's tables say other things), else a new one."""
        return evidence if evidence is not None and evidence.model is self else self.read(features)

    def shares_by_word(self, features: Features, evidence: "WordEvidence | None" = None) -> dict:
        """The word and character blocks' contributions to `logit`, merged per word: a key is a word (its
        unigram and its character n-grams together) or a known bigram as a pair (first, second). What an
        explanation needs, without naming every n-gram. `evidence`: as for `logit`."""
        evidence = self._reading(features, evidence)
        dot = self._tables.dot
        merged: dict = {}
        if evidence.squares:
            scale = 1.0 / math.sqrt(evidence.squares)
            for key in evidence.unigrams:
                merged[key] = dot[key] * scale
            for key in evidence.pairs:
                merged[key] = dot[key] * scale
        if evidence.size:
            scale = 1.0 / math.sqrt(evidence.size)
            get = merged.get
            for word, score in zip(features.unigrams, evidence.scores):
                if score:
                    merged[word] = get(word, 0.0) + score * scale
        return merged

    @cached_property
    def _tables(self) -> "_WordTables":
        unigrams, pairs, dot, square = set(), set(), {}, {}
        for gram, (idf, weight) in self.words.items():
            first, space, second = gram.partition(" ")
            key = (first, second) if space else gram
            if space:
                pairs.add(key)
            else:
                unigrams.add(key)
            dot[key] = idf * weight
            square[key] = idf * idf
        return _WordTables(frozenset(unigrams), frozenset(pairs), dot, square)

    @cached_property
    def _per_word(self) -> _PerWord:
        return _PerWord(self.chars)

    def to_json(self) -> dict:
        return {"format": FORMAT, "intercept": round(self.intercept, 6), "about": dict(self.about),
                "signals": dict(self.signals),
                "words": {gram: [round(idf, 4), round(weight, 5)] for gram, (idf, weight) in self.words.items()},
                "chars": {gram: [round(idf, 4), round(weight, 5)] for gram, (idf, weight) in self.chars.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "LinearModel":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelFileError(f"not a complaint model of format {FORMAT}")
        try:
            unknown = set(data["signals"]) - set(SIGNALS)
            if unknown:
                raise ModelFileError(f"the model names signals this code does not compute: {sorted(unknown)}")
            return cls(intercept=float(data["intercept"]),
                       words={gram: (float(idf), float(w)) for gram, (idf, w) in data["words"].items()},
                       chars={gram: (float(idf), float(w)) for gram, (idf, w) in data["chars"].items()},
                       signals={name: float(w) for name, w in data["signals"].items()},
                       about=data.get("about") or {})
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"the complaint model file is damaged ({exc.__class__.__name__}: {exc})") from None

    def save(self, path: Path) -> None:
        # mtime=0: the same weights give the same bytes, so a retrain that changes nothing changes no file
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write(json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode())


def _known_pairs(tokens: list[str], known: frozenset[tuple[str, str]]) -> set[tuple[str, str]]:
    """The known bigrams present, as pairs: zip builds them and the intersection picks the known ones, both in C
    (three times cheaper than testing each pair in Python)."""
    return known.intersection(zip(tokens, tokens[1:]))


def load(path: Path) -> LinearModel:
    try:
        with gzip.open(path, "rb") as stream:
            data = json.loads(stream.read())
    except FileNotFoundError:
        raise ModelFileError(f"no complaint model at {path}") from None
    except (OSError, EOFError, ValueError) as exc:
        raise ModelFileError(f"cannot read the complaint model {path}: {exc}") from None
    return LinearModel.from_json(data)


@cache
def shipped() -> LinearModel:
    """The model in the package, read once per process."""
    with resources.as_file(resources.files("monitors.scoring") / MODEL_FILE) as path:
        return load(path)
