"""The complaint model's weights, and the arithmetic that turns a text's features into a log-odds: plain Python.

The weights file (`complaint_model.json.gz`, written by `bench/train_complaints.py`) holds, per word or
character n-gram, its inverse document frequency and its weight; a weight per signal; the intercept. It holds no
text: n-grams are kept only when they occur in two or more training texts.

Word n-grams are weighted the way they were at training: sublinear term frequency (1 + ln tf) times idf, scaled
to unit length over the n-grams the model knows. Character n-grams are counted per word: a word's n-grams give
it a score u(w) = sum of idf x weight and a size q(w) = sum of idf squared (over the known n-grams, with
repeats), and the block is sum(count(w) u(w)) / sqrt(sum(count(w) q(w))): the same as tf-idf with linear term
frequency, scaled by a norm that ignores n-grams shared between different words. Training uses the same
definition, so nothing is approximated; it lets each word's pair be worked out once and remembered, which
made the block about eight times cheaper. The intercept is shifted at training time so that a
log-odds of 0 (a score of 0.5) is the decision threshold chosen by cross-validation.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from monitors.scoring.features import SIGNALS, Features, grams_of

FORMAT = 1
MODEL_FILE = "complaint_model.json.gz"
_WORDS_REMEMBERED = 100_000  # per-word character scores kept (a few MB), against endless vocabularies


class ModelFileError(ValueError):
    """The weights file is missing, unreadable or not one this code can use."""


class Part(NamedTuple):
    """One feature's share of a text's log-odds."""
    kind: str  # "word", "phrase", "chars", "signal"
    name: str  # the word, the phrase, the n-gram or the signal's name
    value: float  # contribution to the log-odds


@dataclass(frozen=True)
class LinearModel:
    intercept: float
    words: Mapping[str, tuple[float, float]]  # n-gram -> (idf, weight)
    chars: Mapping[str, tuple[float, float]]
    signals: Mapping[str, float]
    about: Mapping[str, object] = field(default_factory=dict)  # how it was trained, and its validation figures
    _per_word: dict = field(default_factory=dict, compare=False, repr=False)  # word -> (u, q), see the docstring

    def logit(self, features: Features) -> float:
        """The log-odds that the text is a complaint, 0 at the decision threshold."""
        total = self.intercept + _block(self.words, features.words) + self._char_block(features.chars)
        weights = self.signals
        for name, value in features.signals.items():
            total += weights.get(name, 0.0) * value
        return total

    def shares(self, features: Features) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """Each known word n-gram's, character n-gram's and signal's contribution to `logit` (with the intercept
        they add up to it)."""
        return (_shares(self.words, features.words), self._char_shares(features.chars),
                {name: self.signals[name] * value for name, value in features.signals.items() if name in self.signals})

    def word_pair(self, word: str) -> tuple[float, float]:
        """(u, q) of a word's character n-grams (see the module's docstring), remembered."""
        pair = self._per_word.get(word)
        if pair is None:
            known = self.chars.get
            score = size = 0.0
            for gram in grams_of(word):
                entry = known(gram)
                if entry is not None:
                    score += entry[0] * entry[1]
                    size += entry[0] * entry[0]
            pair = (score, size)
            if len(self._per_word) < _WORDS_REMEMBERED:
                self._per_word[word] = pair
        return pair

    def _char_block(self, words: Mapping[str, int]) -> float:
        remembered = self._per_word.get
        score = size = 0.0
        for word, count in words.items():
            pair = remembered(word) or self.word_pair(word)
            score += count * pair[0]
            size += count * pair[1]
        return score / math.sqrt(size) if size else 0.0

    def _char_shares(self, words: Mapping[str, int]) -> dict[str, float]:
        """Each word's character n-grams' contribution, by word."""
        pairs = {word: self.word_pair(word) for word in words}
        size = sum(count * pairs[word][1] for word, count in words.items())
        if not size:
            return {}
        scale = 1.0 / math.sqrt(size)
        return {word: count * pairs[word][0] * scale for word, count in words.items() if pairs[word][1]}

    def parts(self, features: Features) -> Iterator[Part]:
        """The same as `shares`, one Part each ("chars" parts are named by the word they were read from)."""
        words, chars, signals = self.shares(features)
        for gram, value in words.items():
            yield Part("phrase" if " " in gram else "word", gram, value)
        for gram, value in chars.items():
            yield Part("chars", gram, value)
        for name, value in signals.items():
            yield Part("signal", name, value)

    def to_json(self) -> dict:
        return {"format": FORMAT, "intercept": self.intercept, "about": dict(self.about),
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


def _shares(vocabulary: Mapping[str, tuple[float, float]], grams: Mapping[str, int]) -> dict[str, float]:
    found = {}
    squares = 0.0
    known = vocabulary.get
    for gram, count in grams.items():
        entry = known(gram)
        if entry is not None:
            value = (1.0 + math.log(count)) * entry[0] if count > 1 else entry[0]
            squares += value * value
            found[gram] = value * entry[1]
    if squares:
        scale = 1.0 / math.sqrt(squares)
        for gram in found:
            found[gram] *= scale
    return found


def _block(vocabulary: Mapping[str, tuple[float, float]], grams: Mapping[str, int]) -> float:
    dot = squares = 0.0
    known = vocabulary.get
    log = math.log
    for gram, count in grams.items():
        entry = known(gram)
        if entry is not None:
            value = (1.0 + log(count)) * entry[0] if count > 1 else entry[0]
            dot += value * entry[1]
            squares += value * value
    return dot / math.sqrt(squares) if squares else 0.0


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
