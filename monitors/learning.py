"""The detector learns from the team: each verdict updates the workspace's correction, in the verdict's transaction.

A verdict ("Not a complaint", `complaint LINK`) is recorded as feedback and, in the same transaction, taught to
the stored correction (`monitors.scoring.adapt`): the mention's text is read again and scored by the shipped
model, and the correction takes one step towards the verdict. The poller reads the correction at the start of
every cycle, so new mentions are scored with it from then on; mentions already stored keep their scores.

`review` replays every verdict in order, each scored before it is learned from, so what it reports on the
feedback is what the correction would have done on verdicts it had not seen yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlmodel import Session, col, select

from monitors.ingest.pipeline import SCORED_CHARS, scored_body
from monitors.scoring.adapt import NONE, Correction
from monitors.scoring.complaints import judge, opening, read
from monitors.scoring.features import Features
from monitors.scoring.sentiment import FastSentimentIntensityAnalyzer
from storage.corrections import forget_state, load_state, lock_state, save_state
from storage.feedback import record_feedback
from storage.models import Feedback, Mention


@cache
def _vader() -> FastSentimentIntensityAnalyzer:
    return FastSentimentIntensityAnalyzer()


def features_of(mention: Mention) -> Features:
    body = scored_body(mention.title, mention.text or "")[:SCORED_CHARS]
    start = opening(body)
    return read(body, _vader().compound(start) if start.strip() else 0.0)


def current_correction(*, session: Session) -> Correction:
    state = load_state(session=session)
    return NONE if state is None else Correction.from_json(state)


def record_verdict(*, session: Session, mention_id: int, verdict: bool, who: str, now: datetime) -> None:
    """Record the verdict and teach it to the correction (UnknownMention if there is no such mention)."""
    record_feedback(session=session, mention_id=mention_id, verdict=verdict, who=who, now=now)
    mention = session.get(Mention, mention_id)
    state = lock_state(session=session)
    correction = NONE if state is None else Correction.from_json(state)
    features = features_of(mention)
    base = judge(features, explain=False).logit
    learned = correction.learn(features.unigrams, base, verdict)
    save_state(session=session, state=learned.to_json(), verdicts=learned.verdicts, now=now)


def forget(*, session: Session) -> bool:
    return forget_state(session=session)


@dataclass(frozen=True)
class Agreement:
    verdicts: int
    complaints: int
    before: tuple[float, float, float]  # precision, recall, F1 of the shipped model on the verdicts
    after: tuple[float, float, float]  # the same with the correction, each verdict scored before it was learned
    now: Correction  # the correction the replay ends with


def _prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(1 for said, truth in pairs if said and truth)
    fp = sum(1 for said, truth in pairs if said and not truth)
    fn = sum(1 for said, truth in pairs if not said and truth)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def agreement(stream: list[tuple[Features, bool]], *, threshold_logit: float = 0.0) -> Agreement:
    """Pure: replay (features, verdict) pairs in order through a fresh correction."""
    correction = NONE
    before, after = [], []
    for features, verdict in stream:
        base = judge(features, explain=False).logit
        before.append((base >= threshold_logit, verdict))
        after.append((base + correction.shift(features.unigrams) >= threshold_logit, verdict))
        correction = correction.learn(features.unigrams, base, verdict)
    return Agreement(verdicts=len(stream), complaints=sum(1 for _, v in stream if v), before=_prf(before),
                     after=_prf(after), now=correction)


def review(*, session: Session) -> Agreement:
    """Every verdict given, oldest first (all of them, as the correction learned them), replayed."""
    rows = session.exec(select(Feedback.verdict, Mention).join(Mention, Mention.id == Feedback.mention_id)
                        .order_by(col(Feedback.id))).all()
    return agreement([(features_of(mention), verdict) for verdict, mention in rows])
