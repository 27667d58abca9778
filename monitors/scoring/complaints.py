"""The complaint detector: does the writer say reality fell short of what they expected from a product or service?

Pure. A text's features (`monitors.scoring.features`) go through the learned linear model (`monitors.scoring.model`,
trained by `bench/train_complaints.py`), then through two things the training tweets cannot teach:

- **hand-set weights for untaught families** (`features.UNTAUGHT`): a brand's own reply, a how-to guide, a
  "sorted now", self-blame, churn, sarcasm and star ratings are too rare in the tweets to learn; news with no
  person in it ("reportedly", "announced", no I/you/we) is reported, not the writer's own complaint, and a guide
  names failures to explain them: in both the complaint evidence counts for half; sarcasm takes back what the
  model gave the kind words;
- the workspace's **correction** learned from its verdicts (`monitors.scoring.adapt`), bounded.

The score is the logistic of the sum; 0.5 is the threshold chosen by cross-validation at training time. Every
result names the few features that pushed it most, in plain words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import itemgetter

from monitors.scoring.adapt import NONE, Correction
from monitors.scoring.cues.lexicon import FAMILIES
from monitors.scoring.features import MAX_CHARS, Features, extract, opening, warm_up as _warm_features
from monitors.scoring.model import LinearModel, Part, WordEvidence, shipped

__all__ = ["MAX_CHARS", "Assessment", "assess", "explained", "judge", "opening", "read", "warm_up"]

# Log-odds added when one cue of the family fires, twice that for two or more (not learned: see the module's
# docstring). Sized like the old lexicon's weights for one cue of the family.
UNTAUGHT_WEIGHTS = {"cue:brand reply": -2.4, "cue:guide": -1.6, "cue:resolved": -2.2, "cue:sarcasm": 1.2,
                    "cue:churn": 1.2, "cue:self-blame": -2.0,
                    "rating:1": 2.6, "rating:2": 1.6, "rating:3": 0.3, "rating:4": -1.4, "rating:5": -2.4}
REPORTED_NEWS = -1.6  # news words and no I/you/we: commentary, however negative
REASONS = 3  # features named in a result
_KIND = ("cue:praise", "tone:positive", "tone:positive beside a failure")
_COMPLAINING = tuple(f"cue:{name}" for name, family in FAMILIES.items() if not family.counter) + (
    "tone:negative", "tone:negative beside a failure")

_SIGNAL_WORDS = {
    "tone:negative": "negative tone", "tone:positive": "positive tone",
    "tone:negative beside a failure": "negative tone about a failure",
    "tone:positive beside a failure": "kind words beside a failure",
    "heat:!!": "exclamations (!!)", "heat:capitals": "shouting (capitals)",
    "voice:first or second person": "written as I/we/you",
}


# Not frozen: one of these is made for every mention scored, and a frozen dataclass sets each field through
# object.__setattr__, which cost about a microsecond an object here. Nothing changes one once made.
@dataclass(slots=True)
class Assessment:
    score: float  # 0..1, how likely the text is a complaint; 0.5 is the model's threshold
    cues: tuple[str, ...]  # the features that pushed the score most, in plain words, strongest first
    logit: float = 0.0  # log-odds before the workspace's correction (what the correction learns from)
    # what the model read from the text, kept for its explanation, which would otherwise read it all again
    evidence: WordEvidence | None = field(default=None, compare=False, repr=False)


def warm_up() -> None:
    """Read the model and build the cue matcher now rather than in the first `assess`."""
    _warm_features()
    shipped()


def read(text: str, compound: float = 0.0, *, rating: int | None = None) -> Features:
    """`compound`: VADER's compound of `opening(text)`."""
    return extract(text, compound, rating=rating)


def _hand_set(features: Features, model: LinearModel, logit: float) -> list[Part]:
    """`logit`: the model's log-odds of these features."""
    signals = features.signals
    reported = "cue:news" in signals and "voice:first or second person" not in signals
    if not reported and signals.keys().isdisjoint(UNTAUGHT_WEIGHTS):  # sarcasm and guides are untaught too
        return []  # nothing hand-set applies, as in most texts: one set test instead of a look-up per weight
    # one cue of the family counts its weight, two or more twice that (signal values 0.5 and 1)
    parts = [Part("signal", name, weight * 2 * signals[name]) for name, weight in UNTAUGHT_WEIGHTS.items()
             if name in signals]

    def learned(names) -> float:  # noqa: ANN001 - an iterable of signal names
        return sum(model.signals.get(name, 0.0) * signals[name] for name in names if name in signals)

    if "cue:sarcasm" in signals:  # the kind words are not meant: take back what the model gave them
        kind = learned(n for n in _KIND if model.signals.get(n, 0.0) < 0)
        if kind < 0:
            parts.append(Part("signal", "sarcasm, not praise", -kind))
    if reported or "cue:guide" in signals:
        # Reported or explained, not the writer's own: the complaint words count for half. News words with no
        # I/we/you count against; a how-to guide names failures to explain them, whoever writes it.
        said = learned(n for n in _COMPLAINING if model.signals.get(n, 0.0) > 0)
        wording = logit - model.intercept - learned(signals)  # what the words and n-grams say
        halved = -0.5 * (said + max(wording, 0.0))
        if reported:
            parts.append(Part("signal", "reported news", REPORTED_NEWS + halved - max(learned(["cue:news"]), 0.0)))
        else:
            parts.append(Part("signal", "how-to guide", halved))
    return parts


def judge(features: Features, *, model: LinearModel | None = None, correction: Correction = NONE,
          explain: bool = True) -> Assessment:
    model = model or shipped()
    evidence = model.read(features)
    logit = model.logit(features, evidence)
    base = logit + sum(part.value for part in _hand_set(features, model, logit))
    z = base + correction.shift(features.unigrams)
    score = 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))
    cues = reasons(features, model, correction, toward=z >= 0, evidence=evidence) if explain else ()
    return Assessment(score=score, cues=cues, logit=base, evidence=evidence)


def explained(features: Features, found: Assessment, *, model: LinearModel | None = None,
              correction: Correction = NONE) -> Assessment:
    """`found` (from `judge(..., explain=False)`) with its reasons."""
    return Assessment(score=found.score, logit=found.logit, evidence=found.evidence,
                      cues=reasons(features, model or shipped(), correction, toward=found.score >= 0.5,
                                   evidence=found.evidence))


def assess(text: str, compound: float = 0.0, *, rating: int | None = None, correction: Correction = NONE,
           model: LinearModel | None = None) -> Assessment:
    """Score one text. `compound` is VADER's compound of `opening(text)`; `rating` app-store stars 1..5."""
    return judge(read(text, compound, rating=rating), model=model, correction=correction)


# Explanations ----------------------------------------------------------------------------------------------------

def reasons(features: Features, model: LinearModel, correction: Correction = NONE, *, toward: bool = True,
            limit: int = REASONS, evidence: WordEvidence | None = None) -> tuple[str, ...]:
    """The `limit` features that pushed most towards the verdict (complaint when `toward`). Only those are put
    in words: naming every feature cost more than scoring the text. `evidence`: `model.read(features)`."""
    merged = _merged(features, model, correction, evidence)
    if toward:
        pushing = [(value, key) for key, value in merged.items() if value > 0.05]
    else:
        pushing = [(-value, key) for key, value in merged.items() if value < -0.05]
    pushing.sort(key=itemgetter(0), reverse=True)  # strongest first; a stable sort keeps ties in their order
    return tuple(_label(key, features) for _, key in pushing[:limit])


# keys of `_merged` besides words (str) and bigrams (pairs); no token holds a NUL
_SIGNAL, _TEAM = "\x00signal:", "\x00team:"


def _merged(features: Features, model: LinearModel, correction: Correction,
            evidence: WordEvidence | None = None) -> dict:
    """Each feature's log-odds, merged per word: a key is a word (its unigram and character n-grams together), a
    bigram as a pair, or a signal's or the team correction's name behind its prefix."""
    merged = model.shares_by_word(features, evidence)
    model_signals = model.signals
    signals = {name: model_signals[name] * value for name, value in features.signals.items() if name in model_signals}
    logit = model.intercept + sum(merged.values()) + sum(signals.values())
    for name, value in signals.items():
        merged[_SIGNAL + name] = value
    for part in _hand_set(features, model, logit):
        key = _SIGNAL + part.name
        merged[key] = merged.get(key, 0.0) + part.value
    for word, value in correction.parts(features.unigrams):
        key = _TEAM + word
        merged[key] = merged.get(key, 0.0) + value
    return merged


def _label(key, features: Features) -> str:  # noqa: ANN001 - a key of `_merged`
    if isinstance(key, tuple):
        return f'"{key[0]} {key[1]}"'
    if key.startswith(_SIGNAL):
        return _signal_name(key[len(_SIGNAL):], features)
    if key.startswith(_TEAM):
        word = key[len(_TEAM):]
        return "your team's verdicts" if word == "bias" else f'"{word}" (your team\'s verdicts)'
    return f'"{key}"'


def _signal_name(name: str, features: Features) -> str:
    """A signal (or a hand-set part) in plain words."""
    if name.startswith("cue:"):
        family = name[4:]
        words = [hit.words for hit in features.hits if hit.cue.family == family][:2]
        shown = ", ".join(" ".join(w.split())[:40] for w in words)
        label = FAMILIES[family].prefix.rstrip(": ") or family
        return f"{label}: {shown}" if shown else label
    if name.startswith("rating:"):
        stars = int(name[7:])
        return f"{stars}-star rating" + (" (in the text)" if features.rating_in_text else "")
    if name == "sarcasm, not praise":
        return "sarcasm: the kind words are not meant"
    if name == "how-to guide":
        return "a how-to guide: failures explained, not suffered"
    if name == "reported news":
        return "news with no I/we/you: reported, not the writer's own"
    return _SIGNAL_WORDS.get(name, name)
