"""Threshold tuning from feedback (pure): given complaint scores and people's verdicts for one brand, the
threshold that would have agreed with them best (F1 on "is a complaint"), once there are enough of each.

It only proposes; `earful tune` prints the proposal and the config stays as it is until someone edits it.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_SAMPLES = 30
MIN_EACH = 5  # verdicts of each kind, or any threshold looks perfect on one-sided feedback


@dataclass(frozen=True)
class Proposal:
    threshold: float
    f1: float
    current_f1: float
    samples: int
    complaints: int


def f1_at(samples: list[tuple[float, bool]], threshold: float) -> float:
    tp = sum(1 for score, verdict in samples if verdict and score >= threshold)
    fp = sum(1 for score, verdict in samples if not verdict and score >= threshold)
    fn = sum(1 for score, verdict in samples if verdict and score < threshold)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def propose(samples: list[tuple[float, bool]], *, current: float, min_samples: int = MIN_SAMPLES) -> Proposal | None:
    """None while there is too little feedback. Candidates are the observed scores (each a point where the
    decisions change); ties go to the candidate nearest the current threshold, so noise does not move it."""
    complaints = sum(1 for _, verdict in samples if verdict)
    if len(samples) < min_samples or complaints < MIN_EACH or len(samples) - complaints < MIN_EACH:
        return None
    candidates = sorted({round(score, 4) for score, _ in samples} | {current})
    best = max(candidates, key=lambda t: (round(f1_at(samples, t), 6), -abs(t - current)))
    return Proposal(threshold=best, f1=f1_at(samples, best), current_f1=f1_at(samples, current),
                    samples=len(samples), complaints=complaints)
