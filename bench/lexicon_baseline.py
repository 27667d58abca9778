"""The retired hand-weighted complaint detector, kept as a baseline for `bench/train_complaints.py`.

Its weights were set by hand while looking at the evaluation sample, so its figures there flatter it; the
learned model (`monitors.scoring.complaints`) replaced it.

The lexicon's cues (`monitors.scoring.cues.lexicon`) are found in one scan; their hand-set weights, capped per
family, are added to a prior, to the sentiment the caller measured (VADER's compound, so this module needs no
sentiment library) and to the star rating when there is one, and a logistic turns the sum into a 0..1 score.
Every cue that fired is named in the result, so a person can see why.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from monitors.scoring.cues.lexicon import CUES, FAMILIES, VOICE
from monitors.scoring.cues.matcher import CueMatcher, Hit
from monitors.scoring.features import rating_in  # the same reading of a rating in the text

# Long posts (articles, forum threads) are judged on their opening: complaints say what is wrong early, and it
# bounds the time one mention can take.
MAX_CHARS = 5000

PRIOR = -1.5  # most mentions are not complaints: with no cue at all the score is about 0.18

# Weight of a negative VADER compound. Negativity is a complaint's tone when it is about something that went
# wrong with a product or service (a failure cue, or the writer's order, account, flight...); bare displeasure
# from a person ("I hate mondays") less so, and with no person in it ("refs ruined the game") it is commentary.
NEGATIVE_WEIGHT = {"grounded": 2.2, "personal": 1.2, "impersonal": 0.6}
POSITIVE_WEIGHT = 1.4
# Praise, politeness, jokes and promotions next to a stated failure are often sarcasm, courtesy or the very thing
# that failed ("the 10% code didn't work"), so they count for less.
MIXED_FACTOR = 0.3

# Complaint words in news with no person in it are reported, not the writer's own: they count for half.
REPORTED_FACTOR = 0.5

RATING_WEIGHTS = {1: 2.6, 2: 1.6, 3: 0.3, 4: -1.4, 5: -2.4}

# Heat ("!!", "?!", words in capitals) only amplifies: it counts when something is already wrong.
BANG_WEIGHT = 0.4
SHOUT_WEIGHT = 0.4
_WORDS = re.compile(r"[\w'-]+")
# a word in capitals, three letters or more (not inside a link's code, not an @handle)
_CAPS = re.compile(r"(?<![\w@])[A-Z]{3,}(?!\w)")

_VOICE = re.compile(VOICE)
# Families that say something went wrong. "feeling" (worst, annoyed, ugh) says only that the writer is unhappy,
# so it adds evidence but does not ground the sentiment in a product or service.
_COMPLAINT = frozenset(f.name for f in FAMILIES.values() if not f.counter) - {"context", "intensity"}
_GROUNDING = (_COMPLAINT - {"feeling"}) | {"context"}


@cache
def _matcher() -> CueMatcher:
    """Built on first use (a tenth of a second or more): commands that never assess a text do not pay for it."""
    return CueMatcher(CUES)


def warm_up() -> None:
    """Build the cue matcher now rather than in the first `assess`."""
    _matcher()


@dataclass(frozen=True)
class Assessment:
    score: float  # 0..1, how likely the text is a complaint
    cues: tuple[str, ...]  # what fired, in reading order, e.g. ("still waiting", "negated praise: not working")


def assess(text: str, compound: float = 0.0, *, rating: int | None = None) -> Assessment:
    """Score one text. `compound` is VADER's compound polarity of the same text; `rating` app-store stars 1..5."""
    text = (text or "")[:MAX_CHARS]
    lowered = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    scan = _matcher().scan(lowered)

    totals: dict[str, float] = {}
    for hit in scan.hits:
        totals[hit.cue.family] = totals.get(hit.cue.family, 0.0) + hit.cue.weight
    family = {name: min(total, FAMILIES[name].cap) for name, total in totals.items()}
    evidence = sum(weight for name, weight in family.items() if name in _COMPLAINT)
    grounded = any(name in _GROUNDING for name in family)
    personal = scan.handles > 0 or "context" in family or _VOICE.search(scan.text) is not None
    mixed = MIXED_FACTOR if evidence > 0 else 1.0
    # sarcasm says the kind words are not meant, and VADER reads them at face value
    sincere = 0.0 if "sarcasm" in family else mixed

    z = PRIOR + evidence + family.get("context", 0.0)
    z -= family.get("praise", 0.0) * sincere
    z -= (family.get("joke", 0.0) + family.get("promo", 0.0)) * mixed
    z -= family.get("resolved", 0.0) + family.get("brand reply", 0.0) + family.get("self-blame", 0.0)
    z -= family.get("guide", 0.0)
    # A question with nothing wrong in it asks for information; news with no person in it is commentary.
    ignored = set()
    if evidence > 0:
        ignored.add("question")
    else:
        z -= family.get("question", 0.0)
    if personal:
        ignored.add("news")
    elif "news" in family:
        z -= family["news"] + evidence * REPORTED_FACTOR

    if compound <= -0.05:
        z += -compound * NEGATIVE_WEIGHT["grounded" if grounded else "personal" if personal else "impersonal"]
    elif compound >= 0.05:
        z -= POSITIVE_WEIGHT * compound * sincere

    cues = [_label(hit, scan.text) for hit in scan.hits if hit.cue.family not in ignored]
    if evidence > 0 or compound <= -0.05:
        heat, named = _heat(text, has_capitals=text != lowered)
        z += heat
        if named:
            cues.append(named)
    where = ""
    if not (isinstance(rating, int) and rating in RATING_WEIGHTS):
        rating, where = rating_in(text), " (in text)"
    if rating is not None:
        z += RATING_WEIGHTS[rating]
        cues.append(f"{'low' if rating <= 2 else 'middling' if rating == 3 else 'high'} rating: {rating} star"
                    + ("" if rating == 1 else "s") + where)
    return Assessment(score=1.0 / (1.0 + math.exp(-z)), cues=tuple(dict.fromkeys(cues)))


def _label(hit: Hit, lowered: str) -> str:
    if hit.cue.family == "context":  # only the possessive was consumed; name the thing after it too
        words = _WORDS.findall(lowered, hit.start, hit.end + 40)[:2]
    else:
        words = hit.words.split()
    shown = " ".join(words)
    return FAMILIES[hit.cue.family].prefix + (shown if len(shown) <= 40 else shown[:39] + "…")


def _heat(text: str, has_capitals: bool) -> tuple[float, str]:
    """Weight and name of "!!"/"?!" bursts and shouting; one capitalised acronym alone is not shouting."""
    bangs = min(text.count("!!") + text.count("?!") + text.count("!?"), 2)
    capitals = _CAPS.findall(text) if has_capitals else []
    shouting = len(capitals) >= 2 or any(len(word) >= 5 for word in capitals)
    weight = min(BANG_WEIGHT * bangs + SHOUT_WEIGHT * shouting * min(len(capitals), 2), FAMILIES["intensity"].cap)
    if not weight:
        return 0.0, ""
    return weight, "intensity: " + " ".join(name for name, seen in (("!!", bangs), ("CAPS", shouting)) if seen)
