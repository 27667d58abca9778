"""`earful score`: JSON lines in, one verdict per line out; the same Scorer the monitors use."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import err, fail


@app.command()
def score(
    threshold: Optional[float] = typer.Option(None, help="Complaint threshold 0..1 (default: the detector's, 0.5)."),
    explain: bool = typer.Option(False, "--explain", help="Add \"why\": the features that pushed each score most."),
) -> None:
    """Read {"id", "text"[, "rating"]} JSON lines on stdin; write {"id", "sentiment", "label", "complaint",
    "complaint_score"[, "why"]} per line. "rating" is an app-store star rating 1-5, if the text has one."""
    from monitors.scoring.model import ModelFileError
    from monitors.scoring.scorer import Scorer

    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise fail(f"--threshold {threshold:g} is not between 0 and 1 (e.g. 0.5)")
    try:
        scorer = Scorer(threshold=0.5 if threshold is None else threshold, explain_from=0.0 if explain else 2.0)
        scorer.score("")  # reads the model now: a damaged one is one line, before any input is read
    except ModelFileError as exc:
        raise fail(str(exc)) from None
    bad = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
            rating = item.get("rating")
            if rating is not None and not (isinstance(rating, int) and not isinstance(rating, bool)
                                           and 1 <= rating <= 5):
                raise ValueError(f"rating {rating!r} is not a whole number of stars from 1 to 5")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            bad += 1
            err.print(f"line {number}: skipped, not a JSON object with a text field ({exc})", markup=False)
            continue
        verdict = scorer.score(text, rating=rating)
        answer = {"id": item.get("id"), "sentiment": verdict.sentiment, "label": verdict.label,
                  "complaint": verdict.complaint, "complaint_score": round(verdict.complaint_score, 4)}
        if explain:
            answer["why"] = list(verdict.cues)
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    if bad:
        err.print(f"{bad} line(s) skipped")
