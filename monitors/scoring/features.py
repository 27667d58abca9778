"""What the complaint model reads in a text: pure, no I/O, the same code at training and at scoring time.

A text becomes three kinds of features:

- **words**: the word unigrams and bigrams present in the normalised text (lower case, links folded to `_url_`,
  numbers to `0`, @handles dropped, `#` taken off hashtags), each counted once however often it occurs: in
  posts this short a repeat says little, and presence is what lets scoring look them up as sets;
- **chars**: character 3- to 5-grams inside each word, padded with a space at each end, which carry spelling
  variants, stems and elongations ("sooo", "refunded"/"refund") that whole words miss. They are read from the
  words present (`Features.unigrams`): `monitors.scoring.model` weighs each word's n-grams once per word and
  remembers it, which is what makes them affordable;
- **signals**: a few dense values from what the cue lexicon finds (one per family), VADER's compound split into
  its negative and positive parts (and the negative part again when it sits beside a stated failure, where it is
  a complaint's tone rather than a bad mood), heat ("!!", shouting), the writer's own voice, the star rating.

@handles are dropped because in the training corpus every customer-service tweet is addressed to a brand's
account, so "has a handle" would be learned as "is a complaint": a trait of how the data was collected, not of
complaints (and mentions from feeds and forums rarely have handles at all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

from monitors.scoring.cues.lexicon import CUES, FAMILIES, VOICE
from monitors.scoring.cues.matcher import CueMatcher, Hit

# Long posts (articles, forum threads) are judged on their opening: complaints say what is wrong early, and it
# bounds the time one mention can take.
MAX_CHARS = 5000
# The lexicon's cues and the tone are read from a long text's opening: an article that quotes a complaint in its
# fourth paragraph is not the complaint, and a writer who complains says what went wrong first. The callers
# measure the tone (VADER) on the same opening: `opening(text)`.
OPENING_CHARS = 1000
CHAR_SIZES = (3, 4, 5)

_LINK = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_DIGITS = re.compile(r"\d+")
_LINK_MARK = "\x01"  # where a link was, until tokens() names it _url_
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|0|\x01|[!?]")
# ASCII text (most of it) is split by bytes.translate and str.split, twice as fast as _TOKEN: letters, apostrophes
# and the marks stay, everything else separates; then the marks are made tokens of their own.
_MARKS = "0!?"
_ASCII_TOKENS = bytes(code if chr(code) in "abcdefghijklmnopqrstuvwxyz'" + _MARKS + _LINK_MARK else 32
                      for code in range(256))
# A word in capitals, three letters or more, not inside a word or a @handle. The look-behind comes after the first
# capital so the pattern starts with a letter class: the regex engine then skips to the next capital in C instead
# of trying a match at every character (three times faster on mostly lower-case text).
_CAPS = re.compile(r"[A-Z](?<![\w@][A-Z])[A-Z]{2,}(?!\w)")
_VOICE = re.compile(VOICE)

# A star rating written in the text ("★★☆☆☆", "2/5", "one star"), used when the caller knows none.
_TEXT_RATING = re.compile(r"(?P<glyphs>[★☆]{5})|(?<![\d.])(?P<digit>[1-5])(?:\.0)? ?(?:/|out of) ?(?:5|five)\b"
                          r"|\b(?P<word>[1-5]|one|two|three|four|five)[- ]stars?\b", re.IGNORECASE)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}

# Families that say something went wrong with a product or service: negative tone beside one of them is
# grounded. "feeling" (ugh, annoyed) says only that the writer is unhappy, "duration" only that time passed.
FAILURE_FAMILIES = (frozenset(f.name for f in FAMILIES.values() if not f.counter)
                    - {"feeling", "intensity", "duration"})
# Signal names, in the order the model file stores their weights.
FAMILY_SIGNALS = tuple(f"cue:{name}" for name in FAMILIES if name != "intensity")
TONE_SIGNALS = ("tone:negative", "tone:positive", "tone:negative beside a failure", "tone:positive beside a failure")
OTHER_SIGNALS = ("heat:!!", "heat:capitals", "voice:first or second person", "rating:1", "rating:2", "rating:3",
                 "rating:4", "rating:5")
SIGNALS = FAMILY_SIGNALS + TONE_SIGNALS + OTHER_SIGNALS
# Families that fire in fewer than ten of the training tweets: a weight learned from so few says nothing, so the
# model leaves them out and `monitors.scoring.complaints` weighs them by hand. They matter for the kinds of text
# the tweets lack: a brand's own reply, a how-to guide, a "fixed now" follow-up, self-blame, churn, sarcasm, and star
# ratings (reviews have them, tweets do not).
UNTAUGHT = frozenset({"cue:brand reply", "cue:guide", "cue:resolved", "cue:sarcasm", "cue:churn", "cue:self-blame",
                      "rating:1", "rating:2", "rating:3", "rating:4", "rating:5"})


# Not frozen: one of these is made for every mention scored, and a frozen dataclass sets each field through
# object.__setattr__, which cost about a microsecond an object here. Nothing changes one once made.
@dataclass
class Features:
    tokens: list[str]  # the normalised text's words and symbols, in order
    unigrams: frozenset[str]  # the same, each once; also what character n-grams are read from
    signals: dict[str, float]  # name -> value in 0..1, only the non-zero ones
    hits: tuple[Hit, ...]  # the lexicon's cues, for explanations
    rating: int | None
    rating_in_text: bool

    @cached_property
    def words(self) -> frozenset[str]:
        """Every word unigram and bigram ("a b") present. Training reads them all; scoring looks up only the ones
        the model knows (`monitors.scoring.model`), without building the bigrams' strings."""
        tokens = self.tokens
        return self.unigrams | {f"{a} {b}" for a, b in zip(tokens, tokens[1:])}


@cache
def _matcher() -> CueMatcher:
    """Built on first use (a tenth of a second or more): commands that never score a text do not pay for it."""
    return CueMatcher(CUES)


def warm_up() -> None:
    _matcher()


def normalise(text: str) -> str:
    lowered = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    if "://" in lowered or "www." in lowered:
        lowered = _LINK.sub(f" {_LINK_MARK} ", lowered)
    if "@" in lowered:
        lowered = _HANDLE.sub(" ", lowered)
    return _DIGITS.sub("0", lowered.replace("#", " "))


def tokens(normalised: str) -> list[str]:
    """The words ("don't" is one), "0" for a number, "_url_" for a link, "!" and "?", in order."""
    if not normalised.isascii():
        found = _TOKEN.findall(normalised)
    else:
        spaced = normalised.encode("ascii").translate(_ASCII_TOKENS).decode("ascii")
        for mark in _MARKS:
            if mark in spaced:
                spaced = spaced.replace(mark, f" {mark} ")
        if "'" in spaced:  # an apostrophe belongs to a word only inside it ("don't", not "'quoted'")
            spaced = f" {spaced} "
            while " '" in spaced or "' " in spaced:
                spaced = spaced.replace(" '", " ").replace("' ", " ")
        found = spaced.split()
    if _LINK_MARK in normalised:
        found = ["_url_" if token == _LINK_MARK else token for token in found]
    return found


def grams_of(word: str) -> tuple[str, ...]:
    """A word's character n-grams, padded with a space at each end (none for "0", "_url_", "!" or one letter).
    Scoring works them out once per word and remembers the result (`monitors.scoring.model`)."""
    if len(word) < 2 or not word[0].isalpha():
        return ()
    padded = f" {word} "
    last = len(padded)
    return tuple(padded[i:i + n] for n in CHAR_SIZES for i in range(last - n + 1))


def opening(text: str) -> str:
    return text if len(text) <= OPENING_CHARS else text[:OPENING_CHARS]


def rating_in(text: str) -> int | None:
    lowered = text.lower()
    if not ("/5" in text or "/ 5" in text or "five" in lowered or "star" in lowered or "out of" in lowered
            or "★" in text or "☆" in text):
        return None  # the regex is slow for what it almost never finds
    found = _TEXT_RATING.search(text)
    if found is None:
        return None
    if found["glyphs"]:
        return found["glyphs"].count("★") or None
    number = found["digit"] or found["word"].lower()
    return int(number) if number.isdigit() else _NUMBER_WORDS[number]


def extract(text: str, compound: float = 0.0, *, rating: int | None = None) -> Features:
    """`compound` is VADER's compound polarity of `opening(text)`; `rating` app-store stars 1..5 if known."""
    text = (text or "")[:MAX_CHARS]
    words = tokens(normalise(text))
    text = opening(text)
    scan = _matcher().scan(text.replace("\u2019", "'").replace("\u2018", "'").lower())
    signals: dict[str, float] = {}
    for hit in scan.hits:
        name = f"cue:{hit.cue.family}"
        if name in signals:
            signals[name] = 1.0
        elif hit.cue.family != "intensity":
            signals[name] = 0.5  # one cue of a family, or two and more: no more than that
    failure = any(hit.cue.family in FAILURE_FAMILIES for hit in scan.hits)
    if compound <= -0.05:
        signals["tone:negative"] = -compound
        if failure:
            signals["tone:negative beside a failure"] = -compound
    elif compound >= 0.05:
        signals["tone:positive"] = compound
        if failure:
            signals["tone:positive beside a failure"] = compound
    bangs = text.count("!!") + text.count("?!") + text.count("!?")
    if bangs:
        signals["heat:!!"] = min(bangs, 2) / 2
    if text != text.lower():
        capitals = _CAPS.findall(text)
        if len(capitals) >= 2 or any(len(word) >= 5 for word in capitals):
            signals["heat:capitals"] = min(len(capitals), 2) / 2
    if _VOICE.search(scan.text):
        signals["voice:first or second person"] = 1.0
    in_text = False
    if not (isinstance(rating, int) and 1 <= rating <= 5):
        rating = rating_in(text)
        in_text = rating is not None
    if rating is not None:
        signals[f"rating:{rating}"] = 1.0
    return Features(tokens=words, unigrams=frozenset(words), signals=signals, hits=scan.hits, rating=rating,
                    rating_in_text=in_text)
