"""Learning from the team's verdicts: the bounded correction (pure), and the simulated verdict stream on the
evaluation sample."""

import json
import pickle
import random

import pytest

from monitors.scoring.adapt import MAX_SHIFT, MAX_WORD, NONE, Correction, word_set
from monitors.scoring.complaints import assess, judge, read
from tests.fixtures.shared import needs_shared, shared_path

DEV = shared_path("data", "complaints", "dev.csv")


def taught(text: str, verdict: bool, times: int, start: Correction = NONE) -> Correction:
    features = read(text)
    correction = start
    for _ in range(times):
        correction = correction.learn(features.unigrams, judge(features, explain=False).logit, verdict)
    return correction


def test_a_verdict_moves_the_score_towards_it():
    text = "the new loyalty points page shows zero points"
    before = assess(text).score
    assert assess(text, correction=taught(text, True, 1)).score > before
    assert assess(text, correction=taught(text, False, 1)).score < before


def test_no_run_of_verdicts_drags_the_score_beyond_its_bound():
    text = "Thank you so much, the new app is wonderful and support was lovely"
    firm_no = judge(read(text, 0.9), explain=False).logit
    correction = taught(text, True, 500)
    assert correction.shift(read(text).words) <= MAX_SHIFT
    assert all(abs(weight) <= MAX_WORD for weight in correction.words.values())
    assert firm_no + correction.shift(read(text).words) < 0  # still a "no": at most MAX_SHIFT nearer
    one = taught(text, True, 1)
    assert 0 < one.shift(read(text).words) < 0.5  # one verdict moves it only a little


def test_old_verdicts_fade_unless_repeated():
    text = "the checkout page times out"
    learned = taught(text, False, 5)
    shift = learned.shift(read(text).words)
    later = taught("completely different words about parcels", True, 200, start=learned)
    assert abs(later.words.get("checkout", 0.0)) < abs(learned.words["checkout"])
    assert shift < 0


def test_the_correction_survives_json_and_damage_reads_as_none():
    correction = taught("my refund went to the wrong card", True, 3)
    again = Correction.from_json(json.loads(json.dumps(correction.to_json())))
    assert again.shift(word_set(read("refund card").words)) == pytest.approx(correction.shift(read("refund card").words),
                                                                          rel=1e-4)
    assert again.verdicts == 3
    for damaged in (None, [], "x", {"words": {"a": "not a number"}}, {"bias": []}):
        assert Correction.from_json(damaged) == NONE
    assert Correction.from_json({"bias": 99, "words": {"a": -99}}).bias == 1.0  # bounded on reading too


def test_a_copy_of_no_correction_is_empty_like_none_itself():
    # a scoring process receives a pickled copy of NONE, never NONE: it must still read as "nothing learned"
    copy = pickle.loads(pickle.dumps(NONE))
    words = read("still waiting for my refund, nobody answers").unigrams
    assert copy is not NONE and copy.empty and NONE.empty
    assert copy.parts(words) == [] and copy.shift(words) == 0.0
    learned = NONE.learn(words, base_logit=-1.0, is_complaint=True)
    assert not learned.empty and learned.parts(words)


def test_a_recurring_false_alarm_stops_after_a_few_dismissals():
    """The brand's own service notice keeps being flagged; after the team dismisses it eight times, the next
    one is not flagged, a real complaint about the same thing still is, and no number of further dismissals
    moves it more than the bound. (A notice the model is surer of than the bound, MAX_SHIFT, stays flagged
    however often it is dismissed: by design, verdicts alone cannot turn a firm yes into a no.)"""
    notice = "Acme service notice {n}: payment page was slow earlier, back to normal now"
    complaint = "Acme payment page keeps failing and nobody answers my emails"
    correction = NONE
    assert assess(notice.format(n=1), -0.3).score >= 0.5
    for week in range(1, 9):
        features = read(notice.format(n=week), -0.3)
        correction = correction.learn(features.unigrams, judge(features, explain=False).logit, False)
    assert assess(notice.format(n=99), -0.3, correction=correction).score < 0.5
    assert assess(complaint, -0.5, correction=correction).score > 0.9
    for week in range(9, 60):
        features = read(notice.format(n=week), -0.3)
        correction = correction.learn(features.unigrams, judge(features, explain=False).logit, False)
    base = judge(read(notice.format(n=99), -0.3), explain=False).logit
    later = judge(read(notice.format(n=99), -0.3), correction=correction, explain=False)
    assert later.logit == base and base - correction.shift(read(notice.format(n=99)).unigrams) <= base + MAX_SHIFT
    assert correction.shift(read(notice.format(n=99)).words) >= -MAX_SHIFT


@pytest.mark.slow
@needs_shared(DEV)
def test_a_simulated_verdict_stream_raises_complaint_f1_on_the_domain_it_came_from():
    """For each industry: a model fitted without it, then the first half of its rows go by one at a time and the
    team corrects each one the detector gets wrong, as it would from Slack ("Not a complaint" on a flagged post,
    `complaint LINK` on a missed one). F1 is measured on the other half, which fed nothing, for five shuffles.

    The effect is small on this sample (about eight corrections per industry): complaint F1 rose on four of the
    five shuffles and fell on one; macro-F1 stayed within a hundredth. The test holds it to that."""
    pytest.importorskip("sklearn")
    from bench.train_complaints import figures, read_rows, train

    rows = read_rows(DEV)
    industries = sorted({r.domain for r in rows if not r.domain.startswith("random")})
    models = {domain: train([r for r in rows if r.domain != domain])[0] for domain in industries}
    gains = []
    for seed in range(5):
        before_said, after_said, truth = [], [], []
        for domain in industries:
            model = models[domain]
            own = [r for r in rows if r.domain == domain]
            random.Random(seed).shuffle(own)
            fed, rest = own[:len(own) // 2], own[len(own) // 2:]
            correction = NONE
            for row in fed:
                base = judge(row.features, model=model, explain=False).logit
                if (base + correction.shift(row.features.unigrams) >= 0) != bool(row.label):
                    correction = correction.learn(row.features.unigrams, base, bool(row.label))
            for row in rest:
                before_said.append(judge(row.features, model=model, explain=False).score >= 0.5)
                after_said.append(judge(row.features, model=model, correction=correction, explain=False).score >= 0.5)
                truth.append(row.label)
        before, after = figures(before_said, truth), figures(after_said, truth)
        gains.append((after["complaint_f1"] - before["complaint_f1"], after["macro_f1"] - before["macro_f1"]))
    print("complaint-F1 and macro-F1 gains per shuffle:", [(round(c, 3), round(m, 3)) for c, m in gains])
    assert sum(c for c, _ in gains) / len(gains) > 0
    assert sum(1 for c, _ in gains if c > 0) >= 3
    assert sum(m for _, m in gains) / len(gains) > -0.01
