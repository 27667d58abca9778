"""Learning from the team's verdicts: a small correction on top of the shipped model, for one workspace. Pure.

The shipped model stays as it is; a `Correction` adds to its log-odds a bias and a weight per word, learned online
from "Not a complaint" dismissals and `complaint LINK` marks, one verdict at a time (a step of logistic
regression on the corrected score). It is built to be hard to drag far:

- each verdict moves it by at most `WORD_RATE` (words) and `BIAS_RATE` (bias) times its error on that text;
- every step pulls all of it back towards nothing by `DECAY`, so old verdicts fade unless they are repeated;
- a word's weight and the bias are each bounded (`MAX_WORD`, `MAX_BIAS`), and the whole correction of any text
  by `MAX_SHIFT`, so no run of verdicts can turn the model's firm "no" into a firm "yes" by itself.

It is stored as JSON (`to_json`), so it survives restarts, and `earful tune --reset` forgets it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

WORD_RATE = 0.3
BIAS_RATE = 0.06
DECAY = 0.002
MAX_WORD = 1.0
MAX_BIAS = 1.0
MAX_SHIFT = 2.0
MAX_WORDS = 5000  # most words kept (the largest weights), so the stored state stays small
_KEEP_ABOVE = 1e-4  # smaller weights are dropped


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def _clip(value: float, bound: float) -> float:
    return max(-bound, min(bound, value))


def word_set(words: Iterable[str]) -> tuple[str, ...]:
    """The unigrams of a text's word features (phrases and symbols left out), each once."""
    return tuple(sorted({w for w in words if " " not in w and w[:1].isalpha()}))


@dataclass(frozen=True)
class Correction:
    bias: float = 0.0
    words: Mapping[str, float] = field(default_factory=dict)
    verdicts: int = 0

    def shift(self, words: Iterable[str]) -> float:
        """What the correction adds to a text's log-odds, given its word unigrams (`word_set`)."""
        if self.empty:
            return 0.0
        present = word_set(words)
        scale = 1.0 / math.sqrt(len(present)) if present else 0.0
        known = self.words.get
        total = self.bias + scale * sum(known(w, 0.0) for w in present)
        return _clip(total, MAX_SHIFT)

    @property
    def empty(self) -> bool:
        """Nothing learned: the model alone. (A worker process gets a copy of NONE, never NONE itself.)"""
        return not self.words and not self.bias

    def parts(self, words: Iterable[str]) -> list[tuple[str, float]]:
        """The words (and "bias") behind `shift`, largest first, for explanations."""
        if self.empty:
            return []
        present = word_set(words)
        scale = 1.0 / math.sqrt(len(present)) if present else 0.0
        found = [(w, self.words[w] * scale) for w in present if w in self.words]
        if self.bias:
            found.append(("bias", self.bias))
        return sorted(found, key=lambda item: -abs(item[1]))

    def learn(self, words: Iterable[str], base_logit: float, is_complaint: bool) -> "Correction":
        """The correction after one verdict on a text with these words, whose model log-odds was `base_logit`."""
        present = word_set(words)
        error = (1.0 if is_complaint else 0.0) - _sigmoid(base_logit + self.shift(present))
        keep = 1.0 - DECAY
        updated = {w: v * keep for w, v in self.words.items()}
        if present:
            step = WORD_RATE * error / math.sqrt(len(present))
            for w in present:
                updated[w] = _clip(updated.get(w, 0.0) + step, MAX_WORD)
        bias = _clip(self.bias * keep + BIAS_RATE * error, MAX_BIAS)
        kept = {w: v for w, v in updated.items() if abs(v) > _KEEP_ABOVE}
        if len(kept) > MAX_WORDS:
            kept = dict(sorted(kept.items(), key=lambda item: -abs(item[1]))[:MAX_WORDS])
        return Correction(bias=bias, words=kept, verdicts=self.verdicts + 1)

    def to_json(self) -> dict:
        return {"bias": round(self.bias, 6), "verdicts": self.verdicts,
                "words": {w: round(v, 6) for w, v in sorted(self.words.items())}}

    @classmethod
    def from_json(cls, data: object) -> "Correction":
        """A stored correction; anything unreadable is read as none (the model alone), never an error."""
        if not isinstance(data, dict):
            return cls()
        try:
            words = {str(w): _clip(float(v), MAX_WORD) for w, v in (data.get("words") or {}).items()}
            return cls(bias=_clip(float(data.get("bias", 0.0)), MAX_BIAS), words=words,
                       verdicts=int(data.get("verdicts", 0)))
        except (TypeError, ValueError, AttributeError):
            return cls()


NONE = Correction()
