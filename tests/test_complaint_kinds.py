"""The detector on the kinds of text mentions really are, beyond tweets: reviews, forum posts, news, guides,
promotions, brand replies, long posts. The texts are in tests/fixtures/texts (written for these tests)."""

from pathlib import Path

import pytest

from monitors.scoring.scorer import Scorer

TEXTS = Path(__file__).parent / "fixtures" / "texts"


@pytest.fixture(scope="module")
def scorer():
    return Scorer(explain_from=0.0)


def score(scorer, name, **kwargs):
    return scorer.score((TEXTS / name).read_text(encoding="utf-8"), **kwargs)


@pytest.mark.parametrize("name, rating", [
    ("review_one_star.txt", 1),
    ("forum_complaint.txt", None),
    ("long_blog_complaint.txt", None),
])
def test_complaints_of_every_kind_are_flagged(scorer, name, rating):
    result = score(scorer, name, rating=rating)
    assert result.complaint, (name, result.complaint_score, result.cues)
    assert result.cues  # and say why


@pytest.mark.parametrize("name, rating", [
    ("review_five_star.txt", 5),
    ("forum_question.txt", None),
    ("news_item.txt", None),
    ("how_to_guide.txt", None),
    ("promo.txt", None),
    ("brand_reply.txt", None),
    ("long_article_quoting_a_complaint.txt", None),
])
def test_texts_that_are_not_complaints_are_not_flagged(scorer, name, rating):
    result = score(scorer, name, rating=rating)
    assert not result.complaint, (name, result.complaint_score, result.cues)


def test_an_article_quoting_a_complaint_is_not_scored_like_the_complaint(scorer):
    article = (TEXTS / "long_article_quoting_a_complaint.txt").read_text(encoding="utf-8")
    quoted = article[article.index('"') + 1:article.index(',"')]
    assert scorer.score(quoted).complaint_score > 0.9
    assert scorer.score(article).complaint_score < 0.3


def test_the_rating_decides_a_review_with_mixed_words(scorer):
    text = "Crashed once on the first day, but since then it has been fine."
    assert scorer.score(text, rating=1).complaint_score > scorer.score(text, rating=5).complaint_score + 0.3


def test_the_guide_and_the_brand_reply_say_why_they_were_held_back(scorer):
    assert any(cue.startswith("how-to") for cue in score(scorer, "how_to_guide.txt").cues)
    assert any(cue.startswith("brand's own reply") for cue in score(scorer, "brand_reply.txt").cues)


@pytest.mark.parametrize("text", [
    "After a month with Acme, the new dashboard is fast and clear",
    "Two weeks into Acme: sync has been rock solid, the team loves it",
    "Thoughts on Acme after a month: pricing is fair for what you get",
])
def test_how_long_something_was_used_is_not_a_complaint(scorer, text):
    # "after a month" once counted as waiting, a stated failure, and praise beside a failure reads as sarcasm
    result = scorer.score(text)
    assert not result.complaint, (result.complaint_score, result.cues)


@pytest.mark.parametrize("text", [
    "Still no refund from Acme after a month",
    "Acme broadband down for 3 days now, not acceptable",
])
def test_how_long_a_failure_lasted_still_counts(scorer, text):
    result = scorer.score(text)
    assert result.complaint and any(cue.startswith("how long:") for cue in result.cues), result
