"""The complaint detector on invented sentences: each cue family, each counter-cue, the explanation, ratings, odd input.

`assess` is pure: sentiment comes in as a number, so these tests need no sentiment library.
"""

import re

from monitors.complaints import MAX_CHARS, assess
from monitors.cues.lexicon import CUES, FAMILIES
from monitors.cues.matcher import CueMatcher, first_words, source


def is_complaint(text: str, compound: float = 0.0, **kwargs) -> bool:
    return assess(text, compound, **kwargs).score >= 0.5


def families(text: str) -> set[str]:
    """Families named in the explanation (by prefix, or by the bare matched words for complaint language)."""
    cues = assess(text).cues
    named = {name for name, f in FAMILIES.items() if f.prefix and any(c.startswith(f.prefix) for c in cues)}
    return named | ({"complaint language"} if any(":" not in c for c in cues) else set())


# --- complaint cue families ---

def test_product_failure():
    assert is_complaint("The app keeps crashing since yesterday's update")
    assert is_complaint("My new kettle stopped working after a week")
    assert is_complaint("Website won't let me log in, it just spins")


def test_waiting_and_silence():
    assert is_complaint("Still waiting for the parcel I ordered a fortnight ago")
    assert is_complaint("Been on hold for 40 minutes and nobody has picked up")
    assert is_complaint("Emailed support twice, no response whatsoever")


def test_money():
    assert is_complaint("I was charged twice for a single cinema ticket")
    assert is_complaint("Where is the refund you promised me last month?")


def test_repetition_and_churn():
    assert is_complaint("Third time this month the 8:10 bus has been cancelled")
    assert is_complaint("That's it, never again. Cancelling my membership today", -0.3)


def test_verdicts_need_more_than_one_angry_word():
    assert is_complaint("Absolutely appalling customer service at the airport desk", -0.6)
    assert is_complaint("What a waste of money this blender was", -0.4)
    # a lone dislike with no product, order or service in it is an opinion, not a complaint
    assert not is_complaint("Mondays are the worst", -0.6)


def test_negated_praise():
    found = assess("Honestly not happy with how the repair was handled").cues
    assert "negated praise: not happy" in found
    assert is_complaint("The replacement screen is not working either")


def test_failure_questions_to_a_brand():
    assert is_complaint("@shopco why is my order still showing as processing after ten days?")
    assert is_complaint("When will my money be returned? It has been three weeks")
    assert is_complaint("Why can't I check in online for tomorrow's flight?")


def test_sarcasm():
    assert is_complaint("Thanks for nothing, really helpful as always", 0.5)
    assert is_complaint("Great job on the delivery guys, not. Box arrived crushed", 0.6)
    assert is_complaint("Love how the train is late every single morning", 0.4)
    assert "sarcasm: thanks for nothing" in assess("thanks for nothing").cues
    # thanks followed by an ordinary word that merely starts like a failure word ("now", "note") is sincere
    assert not any(c.startswith("sarcasm") for c in assess("Thanks for this, now I have a case number").cues)


def test_heat_amplifies_only_what_is_already_wrong():
    calm = assess("My order arrived damaged", -0.4).score
    hot = assess("My order arrived DAMAGED AGAIN!!", -0.4).score
    assert hot > calm
    assert not any(c.startswith("intensity") for c in assess(
        "My order arrived damaged https://t.co/AbCDEFGH12 @SHOPCO", -0.4).cues)  # link codes and handles
    excited = assess("WOW what a GREAT launch!!", 0.8)
    assert not any(c.startswith("intensity") for c in excited.cues)
    assert excited.score < 0.2


# --- counter-cues ---

def test_praise_and_thanks():
    assert not is_complaint("Thank you so much, great service from the team today!", 0.9)
    assert not is_complaint("Kudos to the driver who helped with my bags", 0.6)


def test_resolved():
    assert not is_complaint("Never mind, it's all sorted now, thanks!", 0.4)
    assert not is_complaint("No problems at all with the new router", 0.3)
    assert "resolved: no problems" in assess("No problems at all with the new router").cues


def test_plain_questions_are_not_complaints():
    assert not is_complaint("Do you ship to Canada?")
    assert not is_complaint("Hi, can I change the name on my booking?")
    # ...but a question that states a failure is one
    assert is_complaint("Can you tell me why my card keeps getting declined?")


def test_jokes_news_promotions_and_brand_replies():
    assert not is_complaint("lol my cat just knocked the router off the shelf again 😂", -0.1)
    assert not is_complaint("Shopco announces quarterly earnings, shares fall after report", -0.3)
    assert not is_complaint("Enter our giveaway for a chance to win a free phone! #ad", 0.6)
    assert not is_complaint("So sorry to hear that, please send us a DM with your order number", -0.1)


def test_self_blame_and_how_to_guides():
    assert not is_complaint("Missed my train because I forgot to set an alarm, my own fault", -0.4)
    assert not is_complaint("Moved my phone plan to Shopco last spring and never looked back", 0.2)
    assert not is_complaint("How to fix a printer that shows an error: a step-by-step guide", -0.3)


def test_reported_complaints_in_news_count_for_less():
    report = "Shopco shares slid after customers reported outages and refund delays, analysts said"
    first_person = "I can't log in, the outage has lasted all day and I want a refund"
    assert not is_complaint(report, -0.3)
    assert is_complaint(first_person, -0.3)


def test_anger_without_a_product_is_weaker_than_anger_about_one():
    bare = assess("I hate everything about today", -0.6).score
    about_order = assess("I hate that my order got lost", -0.6).score
    assert about_order > bare


def test_promotion_that_failed_is_still_a_complaint():
    assert is_complaint("Tried to use the 20% off code at checkout and it didn't work")


# --- explanation ---

def test_cues_name_what_fired_in_reading_order():
    result = assess("Still waiting for my refund and the app is not working")
    assert result.cues[0] == "still waiting"
    assert "about: my refund" in result.cues
    assert any(cue.endswith("not working") for cue in result.cues)
    assert result.cues.index("still waiting") < result.cues.index("refund")


def test_no_cues_no_names():
    assert assess("The sky over the harbour was grey this morning").cues == ()


def test_links_and_handles_are_not_read_as_words():
    assert assess("see https://example.com/broken-refund-scam").cues == ()
    assert assess("@worst_refund_ever nice to meet you").cues == ()


def test_i_broke_is_not_a_product_failure():
    assert not any("broke" in c for c in assess("I broke my arm skiing").cues)
    assert not any("broke" in c for c in assess("I'm broke until payday").cues)
    assert "broke" in assess("The handle broke off on day two").cues


# --- score shape ---

def test_rating_pulls_the_score():
    text = "It is ok I guess"
    one, none, five = (assess(text, rating=r).score for r in (1, None, 5))
    assert one > none > five
    assert "low rating: 1 star" in assess(text, rating=1).cues
    assert "high rating: 5 stars" in assess(text, rating=5).cues
    assert assess(text, rating=7).cues == ()  # out of range: ignored


def test_star_ratings_written_in_the_text():
    assert "low rating: 2 stars (in text)" in assess("★★☆☆☆ arrived late").cues
    assert "low rating: 1 star (in text)" in assess("1/5, would not order again").cues
    assert "high rating: 4 stars (in text)" in assess("Four stars, nice fabric").cues
    assert assess("Four stars, nice fabric").score < assess("It is a jacket").score
    # a rating the caller gives wins over one in the text
    assert assess("1/5", rating=5).cues == ("high rating: 5 stars",)


def test_more_negative_sentiment_raises_the_score():
    text = "My delivery came two days late"
    assert assess(text, -0.8).score > assess(text, 0.0).score > assess(text, 0.8).score


def test_scores_are_probabilities_for_odd_input():
    odd = ["", "   \n\t ", "🙂🙂🙂", "😡😡 🤬", "Das Paket ist nicht angekommen, sehr ärgerlich",
           "配達が遅れています", "!!!???", "a" * 100_000, "refund " * 20_000, "\x00\x01 broken"]
    for text in odd:
        result = assess(text, -0.2)
        assert 0.0 < result.score < 1.0
        assert isinstance(result.cues, tuple)


def test_long_text_is_judged_on_its_opening():
    tail = " The pastry was lovely." * 10 + " refund" * 50
    padded = "x " * MAX_CHARS + tail
    assert assess(padded).cues == ()


def test_empty_text_is_not_a_complaint():
    assert not is_complaint("")
    assert not is_complaint(None)  # type: ignore[arg-type]


# --- the matcher ---

def test_first_words_of_patterns():
    assert first_words(r"still\s+waiting|on\s+hold") == {("still", True), ("on", True)}
    assert first_words(r"(?:ab)?cd\s+x") == {("abcd", True), ("cd", True)}
    assert first_words(r"thanks?") == {("thank", True), ("thanks", True)}
    assert first_words(r"frustrat\w*") == {("frustrat", False)}  # any word starting so
    assert first_words(r"\d+\s+times") == {(d, False) for d in "0123456789"}
    assert first_words(r"doesn'?t") == {("doesn", True), ("doesnt", True)}  # the scan splits at apostrophes
    assert first_words(r"#fail|😡") == {("#", False), ("😡", False)}
    assert first_words(r"\w+ing") == {("", False)}  # could begin anywhere
    assert first_words(r"(?<!i\s)broke") == {("broke", True)}


def test_bucketed_scan_finds_what_one_flat_regex_finds():
    flat = re.compile(r"(?:(?<!\w)|(?=[^\w\s]))(?:"
                      + "|".join(f"(?P<c{i}>{source(cue)})" for i, cue in enumerate(CUES))
                      + r")(?:(?!\w)|(?<=[^\w\s]))")
    matcher = CueMatcher(CUES)
    texts = ["still waiting for my refund, thanks for nothing   from acme",
             "no problems here, love it when it works!! 5 stars",
             "why is my order late again? the app keeps crashing and nobody replies. doesn't work",
             "i broke my phone, then the screen cracked; charged me twice?! #fail 😡 lol 7hr delay",
             "frustrating!!! it's been 3 weeks, wont refund, the refund's not here, ugh 🙄"]
    for text in texts:
        expected = [(m.group(), m.start()) for m in flat.finditer(text)]
        scan = matcher.scan(text)
        assert scan.text == text
        assert [(hit.words, hit.start) for hit in scan.hits] == expected, text


def test_scan_blanks_links_and_counts_handles():
    scan = CueMatcher(CUES).scan("@acme still waiting https://example.com/refund-scam @help")
    assert scan.handles == 2
    assert [hit.words for hit in scan.hits] == ["still waiting"]
    assert "example" not in scan.text and "acme" not in scan.text


def test_every_family_in_the_lexicon_is_declared():
    assert {cue.family for cue in CUES} <= set(FAMILIES)
    assert all(cue.weight >= 0 for cue in CUES)
