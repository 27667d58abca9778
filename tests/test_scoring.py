"""The Scorer: VADER sentiment and its label, the complaint verdict and threshold, and the JSON-lines filter."""

import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitors.scoring.scorer import DEFAULT_THRESHOLD, Scorer, score_lines, sentiment_label

ROOT = Path(__file__).resolve().parent.parent
SCORER = Scorer()  # VADER is slow to build: one for the module


def test_label_cut_offs_are_vaders():
    assert sentiment_label(0.05) == "positive"
    assert sentiment_label(0.0499) == "neutral"
    assert sentiment_label(0.0) == "neutral"
    assert sentiment_label(-0.0499) == "neutral"
    assert sentiment_label(-0.05) == "negative"
    assert sentiment_label(1.0) == "positive" and sentiment_label(-1.0) == "negative"


def test_score_carries_sentiment_label_and_verdict():
    bad = SCORER.score("My parcel never arrived and support keeps ignoring me. Terrible.")
    good = SCORER.score("What a lovely surprise, the new headphones sound wonderful!")
    assert bad.label == "negative" and bad.sentiment < -0.05 and bad.complaint
    assert good.label == "positive" and good.sentiment > 0.05 and not good.complaint
    assert 0.0 <= good.complaint_score < bad.complaint_score <= 1.0
    assert bad.cues and all(isinstance(cue, str) for cue in bad.cues)


def test_threshold_decides_the_verdict():
    text = "The checkout page is slow today"
    score = SCORER.score(text).complaint_score
    assert Scorer(threshold=0.0).score(text).complaint
    assert not Scorer(threshold=1.0).score(text).complaint
    assert Scorer(threshold=score).score(text).complaint  # the threshold itself counts as a complaint
    assert Scorer().threshold == DEFAULT_THRESHOLD == 0.5
    with pytest.raises(ValueError):
        Scorer(threshold=1.5)


def test_rating_reaches_the_detector():
    text = "Does what it says"
    assert SCORER.score(text, rating=1).complaint_score > SCORER.score(text, rating=5).complaint_score
    assert SCORER.score("Crashes every time I open it", rating=1).complaint


def test_score_many_matches_score():
    texts = ["still waiting for my refund", "thanks, all sorted!", ""]
    assert SCORER.score_many(texts) == [SCORER.score(t) for t in texts]
    assert SCORER.score_many(iter(texts)) == SCORER.score_many(texts)
    ratings = [1, None, 5]
    assert SCORER.score_many(texts, ratings) == [SCORER.score(t, rating=r) for t, r in zip(texts, ratings)]


def test_odd_input_does_not_crash():
    for text in ["", "    ", "\n\n", "🔥🔥🔥", "Le colis n'est jamais arrivé !", "Посылка не пришла",
                 "word " * 50_000, None]:
        result = SCORER.score(text)  # type: ignore[arg-type]
        assert result.label in {"positive", "neutral", "negative"}
        assert -1.0 <= result.sentiment <= 1.0 and 0.0 <= result.complaint_score <= 1.0
    assert SCORER.score("   ") == SCORER.score("")
    assert SCORER.score("").label == "neutral" and not SCORER.score("").complaint


def test_score_lines_follows_the_contract():
    lines = [json.dumps({"id": 7, "text": "Charged twice for one order, I want my money back"}),
             "",
             json.dumps({"id": "x", "text": "Lovely day at the beach"}),
             json.dumps({"id": "r", "text": "meh", "rating": 1})]
    out = io.StringIO()
    assert score_lines(lines, out, SCORER) == 3
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["id"] for a in answers] == [7, "x", "r"]
    assert all(set(a) == {"id", "sentiment", "label", "complaint", "complaint_score"} for a in answers)
    assert answers[0]["complaint"] is True and answers[1]["complaint"] is False
    assert answers[2]["complaint_score"] > SCORER.score("meh").complaint_score  # the rating was used


def test_module_runs_as_a_filter():
    stdin = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(
        ["No response from support for a week, this is unacceptable", "Just landed, great flight"]))
    done = subprocess.run([sys.executable, "-m", "monitors.scoring.scorer"], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["complaint"] for a in answers] == [True, False]
    assert answers[0]["label"] == "negative" and answers[1]["label"] == "positive"


def test_an_explanation_reuses_what_the_model_read_and_only_from_the_same_model():
    from monitors.scoring.complaints import explained, judge, read
    from monitors.scoring.model import LinearModel, shipped

    model = shipped()
    # the same words weighted the other way round: its explanation must not be read from the shipped model's
    flipped = LinearModel(intercept=-model.intercept, words={g: (idf, -w) for g, (idf, w) in model.words.items()},
                          chars={g: (idf, -w) for g, (idf, w) in model.chars.items()},
                          signals={n: -w for n, w in model.signals.items()})
    features = read("Three weeks and my refund still hasn't arrived. Nobody answers support tickets.", -0.6)
    found = judge(features, explain=False)
    assert found.evidence is not None and found.evidence.model is model
    with_evidence = explained(features, found)
    # read afresh (no evidence kept) the explanation is the same
    assert with_evidence.cues == explained(features, dataclasses.replace(found, evidence=None)).cues
    assert with_evidence.cues == judge(features).cues and with_evidence.cues
    # another model's explanation of the same text reads the text with its own tables
    other = judge(features, model=flipped, explain=False)
    stale = dataclasses.replace(other, evidence=found.evidence)  # the shipped model's reading
    assert explained(features, stale, model=flipped).cues == explained(features, other, model=flipped).cues
    assert explained(features, other, model=flipped).cues == judge(features, model=flipped).cues
