"""A faster drop-in for vaderSentiment's analyzer: the same scores, bit for bit, for every input.

The stock `polarity_scores` lower-cases the whole token list again inside each helper it calls for every
lexicon word (quadratic in the text's length) and rebuilds the text one character at a time to swap emoji.
This subclass lower-cases each token once, looks words up in sets built at start-up, skips the emoji pass when
the text holds none, and only builds idiom n-grams when a word nearby could start one. Every arithmetic step on
a valence is kept in the original order, so the floats come out identical (tests/test_sentiment.py checks).
"""

from __future__ import annotations

import math
import string

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    normalize,
)

_PUNCTUATION = string.punctuation
_NEGATE = frozenset(NEGATE)
_SO_THIS = ("so", "this")
_TOKEN_CACHE_LIMIT = 50_000  # distinct raw tokens remembered before the cache starts over


def _is_negation(word_lower: str) -> bool:
    # vaderSentiment's `negated` lower-cases its (already lower-case) input once more; do the same
    word = word_lower.lower()
    return word in _NEGATE or "n't" in word


class FastSentimentIntensityAnalyzer(SentimentIntensityAnalyzer):
    """`polarity_scores(text)` returns exactly what `SentimentIntensityAnalyzer.polarity_scores` returns."""

    def __init__(self, lexicon_file: str = "vader_lexicon.txt", emoji_lexicon: str = "emoji_utf8_lexicon.txt"):
        super().__init__(lexicon_file, emoji_lexicon)
        # the stock loop looks at one code point at a time, so only one-character emoji keys can ever match
        self._emoji_chars = frozenset(key for key in self.emojis if len(key) == 1)
        self._ascii_emoji = any(char.isascii() for char in self._emoji_chars)
        # every word that appears in a multi-word special case or booster phrase; a window with none of them
        # cannot form one, whatever the n-gram
        phrases = [key for key in (*SPECIAL_CASES, *BOOSTER_DICT) if " " in key]
        self._phrase_words = frozenset(word for phrase in phrases for word in phrase.split(" "))
        self._token_cache: dict[str, str] = {}

    def polarity_scores(self, text):
        if not isinstance(text, str):  # the stock code's own (failing) path, kept as is
            return super().polarity_scores(text)
        text = self._replace_emoji(text).strip()
        return self.score_valence(self._sentiments(text), text)

    def compound(self, text: str) -> float:
        """`polarity_scores(text)["compound"]`, without working out the pos/neu/neg shares."""
        if not isinstance(text, str):
            return self.polarity_scores(text)["compound"]
        text = self._replace_emoji(text).strip()
        sentiments = self._sentiments(text)
        if not sentiments:
            return 0.0
        return round(normalize(_emphasised(float(sum(sentiments)), _emphasis(text))), 4)

    def _sentiments(self, text: str) -> list[float]:
        """One valence per token (0 for most), after VADER's rules for boosters, negation, idioms and "but"."""
        words = self._tokens(text)
        lows = list(map(str.lower, words))
        count = len(words)
        uppers = sum(map(str.isupper, words))
        is_cap_diff = 0 < count - uppers < count

        lexicon = self.lexicon
        sentiments: list[float] = [0] * count
        for i, low in enumerate(lows):
            if low not in lexicon or low in BOOSTER_DICT:
                continue
            if low == "kind" and i < count - 1 and lows[i + 1] == "of":
                continue
            sentiments[i] = self._valence(words, lows, i, is_cap_diff)

        if "but" in lows:
            _contrast(sentiments, lows.index("but"))
        return sentiments

    def _replace_emoji(self, text: str) -> str:
        if (text.isascii() and not self._ascii_emoji) or self._emoji_chars.isdisjoint(text):
            return text
        emojis = self.emojis
        out = []
        prev_space = True
        for char in text:
            description = emojis.get(char) if char in self._emoji_chars else None
            if description is not None:
                if not prev_space:
                    out.append(" ")
                out.append(description)
                prev_space = False
            else:
                out.append(char)
                prev_space = char == " "
        return "".join(out)

    def _tokens(self, text: str) -> list[str]:
        cache = self._token_cache
        if len(cache) > _TOKEN_CACHE_LIMIT:
            cache.clear()
        raw = text.split()
        words = list(map(cache.get, raw))
        if None in words:
            for at, word in enumerate(words):
                if word is None:
                    token = raw[at]
                    stripped = token.strip(_PUNCTUATION)
                    # two characters or fewer left: probably an emoticon such as ":)", so keep it whole
                    words[at] = cache[token] = token if len(stripped) <= 2 else stripped
        return words

    def _valence(self, words: list[str], lows: list[str], i: int, is_cap_diff: bool) -> float:
        lexicon = self.lexicon
        low = lows[i]
        last = len(lows) - 1
        valence = lexicon[low]
        if low == "no" and i != last and lows[i + 1] in lexicon:
            valence = 0.0  # "no" negates the next lexicon word rather than scoring itself
        if ((i > 0 and lows[i - 1] == "no") or (i > 1 and lows[i - 2] == "no")
                or (i > 2 and lows[i - 3] == "no" and lows[i - 1] in ("or", "nor"))):
            valence = lexicon[low] * N_SCALAR
        if is_cap_diff and words[i].isupper():
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR

        for start_i in range(3):
            back = i - (start_i + 1)
            if back < 0 or lows[back] in lexicon:
                continue
            # _booster gives 0.0 for a word that is no booster, as most are: spare the call
            scalar = (self._booster(words[back], lows[back], valence, is_cap_diff) if lows[back] in BOOSTER_DICT
                      else 0.0)
            if start_i == 1 and scalar != 0:
                scalar = scalar * 0.95
            if start_i == 2 and scalar != 0:
                scalar = scalar * 0.9
            valence = valence + scalar
            valence = _negation(valence, lows, start_i, i)
            if start_i == 2:
                valence = self._idioms(valence, lows, i)

        if i > 0 and lows[i - 1] == "least" and "least" not in lexicon:
            if i == 1 or (lows[i - 2] != "at" and lows[i - 2] != "very"):
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _booster(word: str, low: str, valence: float, is_cap_diff: bool) -> float:
        scalar = 0.0
        if low in BOOSTER_DICT:
            scalar = BOOSTER_DICT[low]
            if valence < 0:
                scalar *= -1
            if word.isupper() and is_cap_diff:
                if valence > 0:
                    scalar += C_INCR
                else:
                    scalar -= C_INCR
        return scalar

    def _idioms(self, valence: float, lows: list[str], i: int) -> float:
        # each n-gram below contains position i or i - 2, so neither being a phrase word rules them all out
        phrase_words = self._phrase_words
        if lows[i] not in phrase_words and lows[i - 2] not in phrase_words:
            return valence
        w3, w2, w1, w0 = lows[i - 3], lows[i - 2], lows[i - 1], lows[i]
        three_two_one = f"{w3} {w2} {w1}"
        three_two = f"{w3} {w2}"
        two_one = f"{w2} {w1}"
        for sequence in (f"{w1} {w0}", f"{w2} {w1} {w0}", two_one, three_two_one, three_two):
            if sequence in SPECIAL_CASES:
                valence = SPECIAL_CASES[sequence]
                break
        count = len(lows)
        if count - 1 > i:
            sequence = f"{w0} {lows[i + 1]}"
            if sequence in SPECIAL_CASES:
                valence = SPECIAL_CASES[sequence]
        if count - 1 > i + 1:
            sequence = f"{w0} {lows[i + 1]} {lows[i + 2]}"
            if sequence in SPECIAL_CASES:
                valence = SPECIAL_CASES[sequence]
        for n_gram in (three_two_one, three_two, two_one):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence

    def score_valence(self, sentiments, text):
        if not sentiments:
            return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
        emphasis = _emphasis(text)
        compound = normalize(_emphasised(float(sum(sentiments)), emphasis))

        pos_sum = 0.0
        neg_sum = 0.0
        polar = [value for value in sentiments if value]  # zeros only add to the neutral count
        neutral = len(sentiments) - len(polar)
        for value in polar:
            if value > 0:
                pos_sum += float(value) + 1  # +1 / -1 balance the neutral words, each counted as 1
            elif value < 0:
                neg_sum += float(value) - 1
        if pos_sum > math.fabs(neg_sum):
            pos_sum += emphasis
        elif pos_sum < math.fabs(neg_sum):
            neg_sum -= emphasis
        total = pos_sum + math.fabs(neg_sum) + neutral
        return {
            "neg": round(math.fabs(neg_sum / total), 3),
            "neu": round(math.fabs(neutral / total), 3),
            "pos": round(math.fabs(pos_sum / total), 3),
            "compound": round(compound, 4),
        }


def _emphasis(text: str) -> float:
    """What "!" (up to four) and "?" (two or more) add to a polar text's strength."""
    exclamations = min(text.count("!"), 4)
    questions = text.count("?")
    return exclamations * 0.292 + ((questions * 0.18 if questions <= 3 else 0.96) if questions > 1 else 0)


def _emphasised(total: float, emphasis: float) -> float:
    if total > 0:
        return total + emphasis
    if total < 0:
        return total - emphasis
    return total


def _negation(valence: float, lows: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _is_negation(lows[i - 1]):
            valence = valence * N_SCALAR
    elif start_i == 1:
        if lows[i - 2] == "never" and lows[i - 1] in _SO_THIS:
            valence = valence * 1.25
        elif lows[i - 2] == "without" and lows[i - 1] == "doubt":
            pass
        elif _is_negation(lows[i - 2]):
            valence = valence * N_SCALAR
    else:
        if (lows[i - 3] == "never" and lows[i - 2] in _SO_THIS) or lows[i - 1] in _SO_THIS:
            valence = valence * 1.25
        elif lows[i - 3] == "without" and (lows[i - 2] == "doubt" or lows[i - 1] == "doubt"):
            pass
        elif _is_negation(lows[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _contrast(sentiments: list[float], but_at: int) -> None:
    """Halve what comes before the first "but" and raise what follows by half, in place.

    Reproduces the stock loop exactly, quirk included: it rewrites the *first* slot holding an equal value, so a
    later value equal to an already-scaled earlier one scales that earlier slot again instead of its own.
    """
    for value in list(sentiments):
        at = sentiments.index(value)
        if at < but_at:
            sentiments[at] = value * 0.5
        elif at > but_at:
            sentiments[at] = value * 1.5
