"""FastSentimentIntensityAnalyzer must score every text exactly as vaderSentiment's own analyzer does."""

import csv
import random

import pytest
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SENTIMENT_LADEN_IDIOMS,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from monitors.scoring.sentiment import FastSentimentIntensityAnalyzer
from tests.fixtures.shared import needs_shared, shared_path

DEV_CSV = shared_path("data", "complaints", "dev.csv")
STOCK = SentimentIntensityAnalyzer()
FAST = FastSentimentIntensityAnalyzer()

FILLER = ("the a my it was is and of to for this that with on at very least kind sort order app phone team "
          "support delivery refund today again still just so or nor no never without doubt but not").split()
NON_ASCII = ["café", "naïve", "straße", "İstanbul", "ΣΟΦΊΑ", "привет", "ОЧЕНЬ", "日本語", "ﬁne", "Ǆungla",
             "mañana", "zaǆ", "\u00a0", "‘quoted’", "—", "…"]
EMOTICONS = [":)", ":(", ":-)", ":D", ";)", "<3", ":/", ":'(", "xD", "(:", "):", "^_^", "-_-", "o_O"]
PUNCTUATION_RUNS = ["!", "!!", "!!!!!", "?", "??", "???", "?????", "?!", "...", ",", ";", "--", "(", ")", "\"", "'"]
SEPARATORS = [" ", " ", " ", " ", "  ", "\n", "\t", " \u00a0", "\u2003"]


def _vocabulary(rng: random.Random) -> dict[str, list[str]]:
    lexicon = sorted(STOCK.lexicon)
    emojis = sorted(STOCK.emojis)
    return {
        "lexicon": rng.sample(lexicon, 1500),
        "booster": sorted(BOOSTER_DICT),
        "negation": list(NEGATE) + ["no", "n't", "isn't", "never"],
        "idiom": sorted(SPECIAL_CASES) + sorted(SENTIMENT_LADEN_IDIOMS) + ["at least", "very least", "kind of",
                                                                          "never so", "never this", "without doubt",
                                                                          "without a doubt", "no or", "no nor"],
        "filler": FILLER,
        "emoji": rng.sample(emojis, 400),
        "emoticon": EMOTICONS,
        "non_ascii": NON_ASCII,
    }


def _shape(rng: random.Random, word: str) -> str:
    roll = rng.random()
    if roll < 0.12:
        word = word.upper()
    elif roll < 0.2:
        word = word.capitalize()
    roll = rng.random()
    if roll < 0.1:
        word += rng.choice(PUNCTUATION_RUNS)
    elif roll < 0.14:
        word = rng.choice(PUNCTUATION_RUNS) + word
    elif roll < 0.17:
        word += rng.choice(EMOTICONS)  # glued on, so it survives or not by the punctuation rule
    return word


def generated_texts(count: int, seed: int = 20261128) -> list[str]:
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    kinds = list(vocabulary)
    weights = [40, 10, 10, 5, 25, 4, 4, 2]
    texts = []
    for _ in range(count):
        length = rng.choice([0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 40, 70])
        words = []
        for _ in range(length):
            kind = rng.choices(kinds, weights)[0]
            words.append(_shape(rng, rng.choice(vocabulary[kind])))
            if words and rng.random() < 0.05:
                words.append(words[-1])  # repeated values exercise the "but" rule's first-equal lookup
        text = ""
        for word in words:
            # emoji sometimes glued to the previous word, which changes where the stock code adds spaces
            glue = "" if word in vocabulary["emoji"] and rng.random() < 0.5 else rng.choice(SEPARATORS)
            text += glue + word
        if rng.random() < 0.05:
            text = text.upper()
        if rng.random() < 0.1:
            text += rng.choice(PUNCTUATION_RUNS) * rng.randint(1, 4)
        texts.append(text)
    return texts


def _differences(texts: list[str]) -> list[tuple[str, dict, dict]]:
    """Texts where the fast analyzer's dict (or its compound-only answer) is not exactly the stock one."""
    found = []
    for text in texts:
        want, got = STOCK.polarity_scores(text), FAST.polarity_scores(text)
        compound = FAST.compound(text)
        if (want != got or any(type(want[key]) is not type(got[key]) for key in want)
                or compound != want["compound"] or type(compound) is not type(want["compound"])):
            found.append((text, want, got))
    return found


def test_generated_corpus_scores_identically():
    texts = generated_texts(24_000)
    assert len(set(texts)) > 20_000
    # the corpus really exercises the rules it is meant to
    lowered = [text.lower() for text in texts]
    for needle in (" but ", "least", "kind of", "the bomb", "cut the mustard", "!!!", "???", ":)", "never so"):
        assert sum(needle in text for text in lowered) > 20, needle
    assert sum(not text.isascii() for text in texts) > 2_000
    assert sum(abs(STOCK.polarity_scores(text)["compound"]) > 0.05 for text in texts[:2_000]) > 1_000
    assert _differences(texts) == []


def test_hand_picked_edge_cases_score_identically():
    texts = [
        "", " ", "\n\t", "!!!", "???", "😀", " 😀 ", "a😀b", "😀😀", "ok 😀!", "#️⃣ 1️⃣",
        "The food was GOOD, but the service was TERRIBLE!!!", "not bad at all", "NOT BAD", "no good", "no, not good",
        "no or nor happy", "at least it works", "the very least good", "least good", "It is kind of good",
        "kind of", "kind", "sort of nice", "never so good", "never this happy", "without a doubt great",
        "without doubt great", "That movie was the bomb", "it cut the mustard, great", "yeah right, great",
        "this is the shit", "bad ass", "kiss of death hurts", "to die for", "bus stop sad",
        "ain't nobody happy", "isn't good", "couldn’t be happier", ":) :( :D", "lol :-) 10/10 ++",
        "GOOD GOOD GOOD", "good GOOD", "VERY good and very GOOD", "Sad ?! Sad !?", "....... ,,,,, ",
        "café naïve straße İSTANBUL great", "ǅ ǆ Ǆ good", "ﬁne great",
    ]
    assert _differences(texts) == []


def test_the_but_rule_keeps_its_first_equal_slot_quirk():
    # a later value equal to an earlier, already halved value makes the stock code halve that earlier slot
    # again instead of raising the later one; the fast path must copy that exactly
    by_value = {}
    for word, value in sorted(STOCK.lexicon.items()):
        if word.isalpha():
            by_value.setdefault(value, word)
    pairs = [(by_value[value], by_value[value / 2]) for value in by_value if value / 2 in by_value and value > 0]
    assert pairs
    texts = [f"{big} {big} but {half} {half} {big}" for big, half in pairs[:30]]
    assert _differences(texts) == []


@needs_shared(DEV_CSV)
def test_complaint_sample_scores_identically():
    with DEV_CSV.open(newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert len(texts) > 500
    assert _differences(texts) == []


def test_non_text_input_fails_the_same_way():
    with pytest.raises(TypeError):
        STOCK.polarity_scores(12)
    with pytest.raises(TypeError):
        FAST.polarity_scores(12)
    with pytest.raises(TypeError):
        FAST.compound(12)


def test_token_cache_stays_bounded():
    analyzer = FastSentimentIntensityAnalyzer()
    for start in range(0, 120_000, 10_000):
        analyzer.polarity_scores(" ".join(f"w{n}" for n in range(start, start + 10_000)))
    assert len(analyzer._token_cache) <= 60_001
