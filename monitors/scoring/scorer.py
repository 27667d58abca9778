"""Sentiment and complaint scoring for one mention: VADER for polarity, `monitors.scoring.complaints` for the rest.

Run as a module it is a filter: JSON lines {"id", "text"} on stdin, one JSON line
{"id", "sentiment", "label", "complaint", "complaint_score"} per input on stdout (the `earful score` contract).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from monitors.scoring.complaints import MAX_CHARS, assess
from monitors.scoring.sentiment import FastSentimentIntensityAnalyzer

NEUTRAL_BAND = 0.05  # VADER's own recommended cut between neutral and polar compound scores
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Score:
    sentiment: float  # VADER compound, -1..1
    label: str  # "positive" | "neutral" | "negative"
    complaint: bool
    complaint_score: float  # 0..1
    cues: tuple[str, ...]  # names of the cues that fired, e.g. ("still waiting", "negated praise: not working")


def sentiment_label(compound: float) -> str:
    if compound >= NEUTRAL_BAND:
        return "positive"
    if compound <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


class Scorer:
    """Builds VADER once; reuse one Scorer for many texts."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD):
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must be between 0 and 1")
        self.threshold = threshold
        self._vader = FastSentimentIntensityAnalyzer()  # same scores as VADER's own, faster

    def score(self, text: str, *, rating: int | None = None) -> Score:
        return self.score_many([text], [rating])[0]

    def score_many(self, texts: Iterable[str], ratings: Iterable[int | None] | None = None) -> list[Score]:
        """The same as `score` for each text, sentiment for all first and then the complaint detector for all:
        each keeps its tables in the CPU caches (a fifth faster on 5,000 texts)."""
        texts = [(text or "")[:MAX_CHARS] for text in texts]
        ratings = list(ratings) if ratings is not None else [None] * len(texts)
        compound = self._vader.compound
        compounds = [compound(text) if text.strip() else 0.0 for text in texts]
        found = [assess(text, value, rating=rating) for text, value, rating in zip(texts, compounds, ratings)]
        return [Score(sentiment=value, label=sentiment_label(value), complaint=one.score >= self.threshold,
                      complaint_score=one.score, cues=one.cues) for value, one in zip(compounds, found)]


def score_lines(lines: Iterable[str], out: TextIO, scorer: Scorer | None = None) -> int:
    """The `earful score` filter: one JSON answer per JSON input line; returns how many lines it answered."""
    scorer = scorer or Scorer()
    answered = 0
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        rating = item.get("rating")
        result = scorer.score(str(item.get("text") or ""), rating=rating if isinstance(rating, int) else None)
        out.write(json.dumps({
            "id": item.get("id"),
            "sentiment": result.sentiment,
            "label": result.label,
            "complaint": result.complaint,
            "complaint_score": round(result.complaint_score, 4),
        }) + "\n")
        answered += 1
    return answered


if __name__ == "__main__":
    score_lines(sys.stdin, sys.stdout)
