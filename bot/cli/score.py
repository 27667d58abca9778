"""`earful score`: JSON lines in, one verdict per line out; the same Scorer the monitors use."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import err, fail


@app.command()
def score(threshold: Optional[float] = typer.Option(None, help="Complaint threshold 0..1 (default: the detector's).")) -> None:
    """Read {"id", "text"} JSON lines on stdin; write {"id", "sentiment", "label", "complaint", "complaint_score"}."""
    from monitors.scoring.scorer import Scorer

    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise fail(f"--threshold {threshold:g} is not between 0 and 1 (e.g. 0.5)")
    scorer = Scorer() if threshold is None else Scorer(threshold=threshold)
    bad = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
        except (ValueError, KeyError, TypeError) as exc:
            bad += 1
            err.print(f"line {number}: skipped, not a JSON object with a text field ({exc})", markup=False)
            continue
        verdict = scorer.score(text)
        sys.stdout.write(json.dumps({
            "id": item.get("id"), "sentiment": verdict.sentiment, "label": verdict.label,
            "complaint": verdict.complaint, "complaint_score": round(verdict.complaint_score, 4),
        }) + "\n")
    if bad:
        err.print(f"{bad} line(s) skipped")
